//! One small file per subcommand; each only wires the stages together.

mod archive;
mod build;
mod check;
mod dkim;
mod init;
mod lock;
mod preview;
mod send;
mod serve;
mod serve_unsubscribe;
mod status;
mod suppressions;
mod test_send;

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::diagnostic::{Finding, display_path};
use crate::edition::{Edition, LoadError, lint};
use crate::render::{self, Rendered};

/// How a command ended; the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked (warnings allowed).
    Success = 0,
    /// The job ran, but something failed: an error finding, a recipient.
    Failed = 1,
    /// Bad input or usage: nothing was done.
    BadInput = 2,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(outcome as u8)
    }
}

/// Runs one command and returns its exit status.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Check { edition, json } => check::run(&edition, json),
        Command::Build { edition, out } => build::run(&edition, &out),
        Command::Preview {
            edition,
            subscribers,
            out,
            limit,
            ledger,
        } => preview::run(&edition, &subscribers, &out, limit, &ledger),
        Command::Archive { issues, out } => archive::run(&issues, &out),
        Command::Init { dir } => init::run(&dir),
        Command::Serve {
            edition,
            listen,
            subscribers,
        } => serve::run(&edition, listen, subscribers.as_deref()),
        Command::Unsubscribe { addresses, ledger } => {
            suppressions::unsubscribe(&addresses, &ledger)
        }
        Command::Suppressions(command) => suppressions::run(&command),
        Command::ServeUnsubscribe {
            settings,
            listen,
            ledger,
        } => serve_unsubscribe::run(&settings, listen, &ledger),
        Command::TestSend {
            edition,
            to,
            as_subscriber,
            subscribers,
            smtp,
        } => test_send::run(
            &edition,
            &to,
            as_subscriber.as_deref(),
            subscribers.as_ref(),
            &smtp,
        ),
        Command::Send {
            edition,
            subscribers,
            smtp,
            ledger,
            pacing,
            yes,
            retry_failed,
            resend_unknown,
        } => send::run(send::Args {
            edition: &edition,
            subscribers: &subscribers,
            smtp: &smtp,
            ledger: &ledger,
            pacing: &pacing,
            yes,
            retry_failed,
            resend_unknown,
        }),
        Command::Dkim(command) => dkim::run(&command),
        Command::Status {
            edition,
            ledger,
            json,
        } => status::run(&edition, &ledger, json),
    };
    outcome.into()
}

/// An edition loaded, rendered and linted: what every command starts from.
pub(crate) struct Checked {
    pub edition: Edition,
    pub rendered: Rendered,
    pub findings: Vec<Finding>,
}

impl Checked {
    pub fn load(path: &Path) -> Result<Checked, LoadError> {
        let edition = Edition::load(path)?;
        let rendered = render::render(&edition)
            .map_err(|e| LoadError::Invalid(Box::new(Finding::error("render", e.to_string()))))?;
        let findings = lint::lint(&edition, &rendered);
        Ok(Checked {
            edition,
            rendered,
            findings,
        })
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// Prints the findings and a count to stderr.
    pub fn report(&self) {
        report(&self.findings, &self.edition.file.path);
    }
}

pub(crate) fn report(findings: &[Finding], path: &Path) {
    for finding in findings {
        eprintln!("{finding}");
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    if !findings.is_empty() {
        eprintln!(
            "{}: {errors} {}, {warnings} {}",
            display_path(path),
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        );
    }
}

pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The DKIM signing key of the edition's newsletter, if `[dkim]` is set.
pub(crate) fn load_dkim(
    edition: &Edition,
) -> Result<Option<lettre::message::dkim::DkimConfig>, String> {
    let dir = edition
        .newsletter_file
        .path
        .parent()
        .unwrap_or(Path::new(""));
    crate::dkim::load(&edition.newsletter, dir)
}

/// The key for unsubscribe tokens, if the unsubscribe URL has `{token}`; an error when it
/// has and `COURANT_UNSUBSCRIBE_SECRET` is not set.
pub(crate) fn load_tokens(
    edition: &Edition,
) -> Result<Option<crate::unsubscribe::TokenKey>, String> {
    let newsletter = &edition.newsletter;
    match &newsletter.unsubscribe.url {
        Some(url) if url.has_token() => {
            crate::unsubscribe::TokenKey::from_env(newsletter.list_id.as_str()).map(Some)
        }
        _ => Ok(None),
    }
}

/// What preview, test-send and send sign with: the DKIM key and the token key.
pub(crate) fn load_keys(
    edition: &Edition,
) -> Result<
    (
        Option<lettre::message::dkim::DkimConfig>,
        Option<crate::unsubscribe::TokenKey>,
    ),
    String,
> {
    Ok((load_dkim(edition)?, load_tokens(edition)?))
}

/// Serves `app` on `listen` until Ctrl-C, printing `announce(address)` once it listens.
pub(crate) fn serve_http(
    listen: std::net::SocketAddr,
    app: axum::Router,
    announce: impl FnOnce(std::net::SocketAddr) -> String,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        println!(
            "{}",
            announce(listener.local_addr().map_err(|e| e.to_string())?)
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}

/// Prints an input error to stderr; the caller exits 2.
pub(crate) fn bad_input(error: &LoadError) -> Outcome {
    match error {
        LoadError::Invalid(finding) => eprint!("{finding}"),
        LoadError::Read { .. } | LoadError::MissingSettings { .. } => eprintln!("error: {error}"),
    }
    Outcome::BadInput
}

/// Writes a file, creating its folder, with the path in the error.
pub(crate) fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", display_path(dir)))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write `{}`: {e}", display_path(path)))
}
