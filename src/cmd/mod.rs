//! The subcommands. Each file owns its clap `Args` and a `run(args)` that wires the stages
//! together and returns an [`ExitStatus`] or an [`Error`]; this file only dispatches.

mod archive;
mod args;
mod bounces;
mod build;
mod check;
mod checked;
mod dkim;
mod error;
mod init;
mod ledger;
mod lock;
mod manual;
mod preview;
mod progress;
mod prompt;
mod send;
mod serve;
mod serve_unsubscribe;
mod status;
mod suppressions;
mod test_send;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::{Error, ExitStatus};

use checked::Checked;

/// Compose a newsletter edition from TOML into accessible email, preview it, and send it.
#[derive(Debug, Parser)]
#[command(name = "courant", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors and each command's result: no warnings, plan, progress or failures
    /// as they happen (the summary and `status` still tell them).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more: each message `send` sends, as it is accepted.
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// How much the commands print besides their result, from `-q` and `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

/// The verbosity this run was started with.
pub(crate) fn verbosity() -> Verbosity {
    match VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(
        after_help = "Examples:\n  courant init nieuwsbrief\n  courant init   (in the current folder)"
    )]
    Init(init::Args),
    #[command(
        after_help = "Examples:\n  courant check issues/2022-12.toml\n  courant check issues/2022-12.toml --json | jq '.findings[].code'"
    )]
    Check(check::Args),
    #[command(after_help = "Example:\n  courant build issues/2022-12.toml --out build")]
    Build(build::Args),
    #[command(after_help = "Example:\n  courant archive issues --out site")]
    Archive(archive::Args),
    #[command(
        after_help = "Example:\n  courant serve issues/2022-12.toml   (then open http://127.0.0.1:8025)"
    )]
    Serve(serve::Args),
    #[command(
        after_help = "Examples:\n  courant preview issues/2022-12.toml --subscribers abonnees.csv --out preview\n  courant preview issues/2022-12.toml --subscribers abonnees.csv --out preview --limit 3"
    )]
    Preview(preview::Args),
    #[command(
        after_help = "Example:\n  COURANT_SMTP_PASSWORD=… courant test-send issues/2022-12.toml --to redactie@example.nl \\\n    --smtp smtp://nieuwsbrief@smtp.example.nl:587"
    )]
    TestSend(test_send::Args),
    #[command(
        after_help = "Examples:\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://nieuwsbrief@smtp.example.nl:587\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://nieuwsbrief@smtp.example.nl:587 \\\n    --rate 5/s --daily-limit 10000 --yes\n  courant send issues/2022-12.toml -s abonnees.csv --smtp smtp://relay2.example.nl:587 \\\n    --join --ledger postgres://courant@db.example.nl/nieuwsbrief"
    )]
    Send(send::Args),
    #[command(after_help = "Example:\n  courant unsubscribe anne@example.nl jan@example.nl")]
    Unsubscribe(suppressions::UnsubscribeArgs),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant suppressions export > afmeldingen.csv\n  courant suppressions import oude-lijst.csv"
    )]
    Suppressions(suppressions::Command),
    #[command(
        after_help = "Example:\n  COURANT_UNSUBSCRIBE_SECRET=… courant serve-unsubscribe issues/newsletter.toml --listen 127.0.0.1:8080"
    )]
    ServeUnsubscribe(serve_unsubscribe::Args),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant dkim generate --selector nb2022 --domain weerbaarnl.nl --out issues/dkim.pem\n  courant dkim record --selector nb2022 --domain weerbaarnl.nl --key issues/dkim.pem"
    )]
    Dkim(dkim::Command),
    #[command(
        after_help = "Examples:\n  courant status issues/2022-12.toml\n  courant status issues/2022-12.toml --json"
    )]
    Status(status::Args),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant bounces fetch --imap imaps://bounces@mail.example.nl/INBOX\n  courant bounces read ~/Maildir/.bounces\n  courant bounces classify --json bounce.eml"
    )]
    Bounces(bounces::Command),
    #[command(
        subcommand,
        after_help = "Examples:\n  courant ledger check --ledger postgres://courant@db.example.nl/nieuwsbrief\n  courant ledger copy issues/courant.sqlite postgres://courant@db.example.nl/nieuwsbrief"
    )]
    Ledger(ledger::Command),
    #[command(
        after_help = "Examples:\n  courant completions bash > /etc/bash_completion.d/courant\n  courant completions zsh > ~/.zfunc/_courant"
    )]
    Completions(manual::CompletionsArgs),
    #[command(after_help = "Example:\n  courant man /usr/local/share/man/man1")]
    Man(manual::ManArgs),
}

/// Runs one command, prints its error if any, and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    let level = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    VERBOSITY.store(level as u8, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Archive(args) => archive::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Preview(args) => preview::run(&args),
        Command::TestSend(args) => test_send::run(&args),
        Command::Send(args) => send::run(&args),
        Command::Unsubscribe(args) => suppressions::unsubscribe(&args),
        Command::Suppressions(command) => suppressions::run(&command),
        Command::ServeUnsubscribe(args) => serve_unsubscribe::run(&args),
        Command::Dkim(command) => dkim::run(&command),
        Command::Status(args) => status::run(&args),
        Command::Bounces(command) => bounces::run(&command),
        Command::Ledger(command) => ledger::run(&command),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
    };
    result
        .unwrap_or_else(|error| {
            error.print();
            error.exit_status()
        })
        .into()
}

/// `one` or `many`, by `n`.
pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Writes `text` to standard output. A closed pipe (`courant status | head`) ends the command
/// quietly, as other command-line tools do.
pub(crate) fn emit(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(output_error)
}

/// Writes one line to standard output, as `emit` does.
pub(crate) fn say(line: impl std::fmt::Display) -> Result<(), Error> {
    emit(&format!("{line}\n"))
}

/// A failed write to standard output; a closed pipe is no failure.
pub(crate) fn output_error(e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::OutputClosed,
        _ => Error::Failed(format!("cannot write to standard output: {e}")),
    }
}

/// Writes a file, creating its folder, with the path in the error.
pub(crate) fn write(path: &std::path::Path, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::create(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::write(path, e))
}

/// A runtime on this thread: one thread serves every connection (see `send`).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// The longest a client may take to send a request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest a connection of a server facing the internet stays open, whatever it does: slow
/// bodies and idle keep-alives end.
pub(crate) const CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30);
/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 4096;

/// Serves `app` on `listen` until Ctrl-C, printing `announce(address)` once it listens.
///
/// Each connection gets `HEADER_TIMEOUT` to send its headers and lives at most `lifetime`
/// (`None` for the local preview's event stream), and at most `MAX_CONNECTIONS` are served at
/// once: a server that faces the internet must not be held by clients that send a byte now and
/// then.
pub(crate) fn serve_http(
    listen: std::net::SocketAddr,
    app: axum::Router,
    lifetime: Option<std::time::Duration>,
    announce: impl FnOnce(std::net::SocketAddr) -> String,
) -> Result<ExitStatus, Error> {
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::Refused(format!("cannot listen on {listen}: {e}")))?;
        let address = listener.local_addr().map_err(Error::Runtime)?;
        println!("{}", announce(address));
        tokio::select! {
            () = accept_loop(listener, app, lifetime) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(ExitStatus::Success)
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    lifetime: Option<std::time::Duration>,
) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = std::sync::Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a moment instead of giving up.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            match lifetime {
                Some(lifetime) => {
                    let _ = tokio::time::timeout(lifetime, connection).await;
                }
                None => {
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
}

#[cfg(test)]
mod help_tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// Every example in a command's `--help` is a command line courant accepts.
    #[test]
    fn every_example_in_the_help_parses() {
        let mut checked = 0;
        for command in Cli::command().get_subcommands() {
            let help = command
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                help.starts_with("Example"),
                "{} has no example",
                command.get_name()
            );
            let text = help.replace("\\\n", " ");
            for line in text.lines().filter(|l| l.contains("courant ")) {
                // From `courant` on, without a comment, a redirection, a pipe or environment
                // variables.
                let line = &line[line.find("courant ").expect("a command")..];
                let line = line.split(" (").next().unwrap_or(line);
                let line = line.split(['>', '|']).next().unwrap_or(line);
                let args: Vec<&str> = line.split_whitespace().collect();
                if let Err(e) = Cli::try_parse_from(&args) {
                    panic!("`{line}` does not parse: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }
}
