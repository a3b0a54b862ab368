//! `courant bounces`: what comes back after a send.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::args::{LedgerArgs, newsletter_dir};
use crate::bounces::act::{self, Processed};
use crate::bounces::imap::{self, Folders, Handled, ImapError, ImapUrl};
use crate::bounces::mailbox::{self, Stored};
use crate::bounces::{self, Classified};
use crate::edition::value::Interval;
use crate::edition::{NEWSLETTER_FILE, Newsletter};
use crate::error::{Error, ExitStatus};
use crate::ledger::{Ledger, ReturnVerdict};
use crate::source::{parse, read_source};
use crate::term::{Term, output_error, plural};
use crate::unsubscribe::TokenKey;

/// The newsletter's settings: the bounce address, the soft limit, the list.
#[derive(Debug, clap::Args)]
pub(crate) struct SettingsArgs {
    /// The newsletter's settings [default: `newsletter.toml` here, else in `issues/`].
    #[arg(long, value_name = "FILE", env = "COURANT_SETTINGS")]
    settings: Option<PathBuf>,
}

impl SettingsArgs {
    fn path(&self) -> PathBuf {
        self.settings
            .clone()
            .unwrap_or_else(|| newsletter_dir().join(NEWSLETTER_FILE))
    }
}

/// Bounces, complaints and mailed unsubscribes: read them and keep the list clean.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Say what each message is, per recipient, without changing anything.
    ///
    /// One line per recipient found: the file, the verdict (`hard`, `soft`, `complaint`,
    /// `unsubscribe`, `autoreply`, `delivered`, `not-bounce`), the recipient, the status code
    /// (RFC 3463), the SMTP reply code, the reason and the server's words. With `--json`, one
    /// JSON object per line with the keys `file`, `kind`, `recipient`, `status`, `reply`,
    /// `reason` and `diagnostic`.
    Classify {
        /// Messages: `.eml` files, Maildir folders, folders of files, mbox files; `-` reads one
        /// message from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Read messages that came back and act on them: suppress dead addresses, complainers and
    /// mailed unsubscribes; count soft bounces. Only reports tied to a message courant sent
    /// change anything. Every message is recorded once; one it cannot use is kept in the ledger
    /// for a person, and exits 0 all the same, so a mail system piping it here does not bounce it.
    Read {
        /// Messages: `.eml` files, Maildir folders, mbox files; `-` reads one message from
        /// standard input (a Postfix pipe, `.forward`, procmail).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Read the bounce mailbox over IMAP and act on what is in it, as `read` does. Each message
    /// is moved once it is recorded: to `courant/processed`, or to `courant/unprocessed` when
    /// courant cannot use it (a person can look there); nothing is deleted, and a second run
    /// reads nothing twice. For cron or a systemd timer.
    Fetch {
        /// The mailbox, `imaps://user@host/INBOX` (or `imap://…` with STARTTLS) [default:
        /// `imap` of `[bounces]`]. The password is read from COURANT_IMAP_PASSWORD only.
        #[arg(long, env = "COURANT_IMAP_URL")]
        imap: Option<String>,
        /// Trust this CA certificate (PEM) besides the web's roots, or the server's own
        /// self-signed certificate [default: `imap-ca` of `[bounces]`].
        #[arg(long, value_name = "FILE", env = "COURANT_IMAP_CA")]
        imap_ca: Option<PathBuf>,
        /// Longest wait for the server at each step, e.g. `30s`.
        #[arg(long, default_value = "2m")]
        timeout: Interval,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// What came back, newest first: each message, its verdicts and what was done.
    List {
        /// One JSON object per message.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Classify { files, json } => classify(files, *json),
        Command::Read {
            paths,
            settings,
            ledger,
        } => read(paths, settings, ledger, term),
        Command::List {
            json,
            settings,
            ledger,
        } => list(*json, settings, ledger, term),
        Command::Fetch {
            imap,
            imap_ca,
            timeout,
            settings,
            ledger,
        } => fetch(
            imap.as_deref(),
            imap_ca.as_deref(),
            timeout.0,
            settings,
            ledger,
            term,
        ),
    }
}

fn fetch(
    imap: Option<&str>,
    ca: Option<&Path>,
    timeout: std::time::Duration,
    settings: &SettingsArgs,
    ledger: &LedgerArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let (newsletter, mut ledger) = open(settings, ledger)?;
    let bounces = newsletter.bounces.clone();
    let url = imap
        .map(str::to_owned)
        .or_else(|| bounces.as_ref().and_then(|b| b.imap.clone()))
        .ok_or_else(|| {
            Error::Refused(
                "no mailbox to read: pass --imap imaps://user@host/INBOX or set `imap` in `[bounces]`"
                    .into(),
            )
        })?;
    let url: ImapUrl = url.parse()?;
    let password = crate::secrets::from_env("COURANT_IMAP_PASSWORD")
        .map_err(Error::Refused)?
        .ok_or(ImapError::NoPassword)?;
    let folders = folders(bounces.as_ref());
    let dir = crate::edition::dir_of(&settings.path()).to_path_buf();
    let setting = bounces.as_ref().and_then(|b| b.imap_ca.as_ref());
    let ca = ca
        .map(Path::to_path_buf)
        .or_else(|| setting.map(|c| dir.join(c)));
    let ca = ca.as_deref();
    let tokens = TokenKey::find(newsletter.list_id.as_str(), Some(&dir)).ok();
    let act = act::Settings::new(&newsletter, tokens);
    let mut tally = Tally::default();
    let handle = |stored: Stored| -> Result<Handled, Error> {
        let processed = act::process(&mut ledger, &stored, &stored.label, &act)?;
        tally.add(&stored, &processed, term)?;
        let usable = processed.usable();
        // The journal's line: what became of the message, never whom it names.
        tracing::info!(
            "bounces: {} moved to {}",
            stored.label,
            if usable { "processed" } else { "unprocessed" }
        );
        Ok(if usable {
            Handled::Processed
        } else {
            Handled::Unprocessed
        })
    };
    crate::term::log::start(term.verbosity());
    let fetched = imap::fetch(&url, &password, ca, &folders, timeout, handle);
    crate::runtime::runtime()?.block_on(fetched)?;
    let summary = tally.summary();
    tracing::info!("bounces fetch: {summary}");
    term.say(summary)?;
    Ok(ExitStatus::Success)
}

/// Where `bounces fetch` moves what it read: `[bounces]`'s folders, or courant's own.
fn folders(bounces: Option<&crate::edition::BounceSettings>) -> Folders {
    Folders {
        processed: bounces.map_or("courant/processed".into(), |b| b.processed_folder.clone()),
        unprocessed: bounces.map_or("courant/unprocessed".into(), |b| {
            b.unprocessed_folder.clone()
        }),
    }
}

/// The newsletter's settings and its ledger.
fn open(settings: &SettingsArgs, ledger: &LedgerArgs) -> Result<(Newsletter, Ledger), Error> {
    let path = match &settings.settings {
        Some(path) => path.clone(),
        None => super::args::settings_here()?,
    };
    let newsletter: Newsletter = parse(&read_source(&path)?)?;
    let ledger = Ledger::open(ledger.location_of_settings(&path, &newsletter)?)?;
    Ok((newsletter, ledger))
}

fn read(
    paths: &[PathBuf],
    settings: &SettingsArgs,
    ledger: &LedgerArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let piped = paths.iter().any(|p| p == Path::new("-"));
    match read_all(paths, settings, ledger, term) {
        // From a mail system: any failure leaves the message with it, to be delivered again.
        Err(error) if piped => {
            term.error(&error);
            term.alert("the message stays with the mail system, which tries again");
            Ok(ExitStatus::TryAgain)
        }
        result => result,
    }
}

fn read_all(
    paths: &[PathBuf],
    settings: &SettingsArgs,
    ledger: &LedgerArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let (newsletter, mut ledger) = open(settings, ledger)?;
    let dir = crate::edition::dir_of(&settings.path()).to_path_buf();
    let tokens = TokenKey::find(newsletter.list_id.as_str(), Some(&dir)).ok();
    let act = act::Settings::new(&newsletter, tokens);
    let mut tally = Tally::default();
    for path in paths {
        let messages = mailbox::read(path).map_err(|e| Error::Refused(e.to_string()))?;
        for stored in messages {
            let processed = act::process(&mut ledger, &stored, &stored.label, &act)?;
            tally.add(&stored, &processed, term)?;
        }
    }
    term.say(tally.summary())?;
    Ok(ExitStatus::Success)
}

/// What a `read` or `fetch` did, for its summary.
#[derive(Default)]
pub(crate) struct Tally {
    read: usize,
    again: usize,
    not_understood: usize,
    suppressed: usize,
    counted: usize,
    untied: usize,
}

impl Tally {
    /// Prints one line about a message and counts it.
    pub(crate) fn add(
        &mut self,
        stored: &Stored,
        processed: &Processed,
        term: &Term,
    ) -> Result<(), Error> {
        match processed {
            Processed::Again { .. } => {
                self.again += 1;
                term.say(format!("{}: read before", stored.label))?;
            }
            Processed::Recorded {
                understood,
                verdicts,
            } => {
                self.read += 1;
                self.not_understood += usize::from(!understood);
                for v in verdicts {
                    self.suppressed += usize::from(v.action == "suppressed");
                    self.counted += usize::from(v.action == "counted");
                    self.untied += usize::from(v.action == "untied");
                    term.say(format!("{}: {}", stored.label, describe(v)))?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn summary(&self) -> String {
        format!(
            "read {} {}: {} suppressed, {} soft {} counted, {} not tied to a message sent (changed nothing), {} not understood (kept for a person); {} read before",
            self.read,
            plural(self.read, "message", "messages"),
            self.suppressed,
            self.counted,
            plural(self.counted, "bounce", "bounces"),
            self.untied,
            self.not_understood,
            self.again
        )
    }
}

/// `hard anne@example.nl (2022-12, verp) 5.1.1: suppressed`
fn describe(v: &ReturnVerdict) -> String {
    let who = v.email.as_deref().or(v.recipient.as_deref()).unwrap_or("-");
    let tie = match (&v.edition, &v.tied_by) {
        (Some(edition), Some(by)) => format!(" ({edition}, {by})"),
        (None, Some(by)) => format!(" ({by})"),
        _ => String::new(),
    };
    let status = v
        .status
        .as_deref()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    format!("{} {who}{tie}{status}: {}", v.kind, v.action)
}

fn list(
    json: bool,
    settings: &SettingsArgs,
    ledger: &LedgerArgs,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let (_, ledger) = open(settings, ledger)?;
    for listed in ledger.returns()? {
        if json {
            term.say(serde_json::json!({
                "received": crate::ledger::time(listed.received),
                "source": listed.source,
                "subject": listed.subject,
                "understood": listed.understood,
                "verdicts": listed.verdicts,
            }))?;
            continue;
        }
        let understood = if listed.understood {
            ""
        } else {
            " (not understood; kept)"
        };
        term.say(format!(
            "{} {} \u{201c}{}\u{201d}{understood}",
            crate::ledger::time(listed.received),
            listed.source,
            listed.subject.as_deref().unwrap_or("")
        ))?;
        for v in &listed.verdicts {
            term.say(format!("  {}", describe(v)))?;
        }
    }
    Ok(ExitStatus::Success)
}

fn classify(files: &[PathBuf], json: bool) -> Result<ExitStatus, Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in files {
        let messages = mailbox::read(path).map_err(|e| Error::Refused(e.to_string()))?;
        for stored in messages {
            let classified = bounces::classify(&stored.bytes);
            print_verdicts(&mut out, &stored.label, &classified, json).map_err(output_error)?;
        }
    }
    out.flush().map_err(output_error)?;
    Ok(ExitStatus::Success)
}

fn print_verdicts(
    out: &mut impl Write,
    file: &str,
    classified: &Classified,
    json: bool,
) -> std::io::Result<()> {
    for v in &classified.verdicts {
        if json {
            let line = serde_json::json!({
                "file": file,
                "kind": v.kind,
                "recipient": v.recipient,
                "status": v.status,
                "reply": v.reply,
                "reason": v.reason,
                "diagnostic": v.diagnostic,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{file}: {} {} {} {}{}",
                v.kind.as_str(),
                v.recipient.as_deref().unwrap_or("-"),
                v.status.as_deref().unwrap_or("-"),
                v.reason.unwrap_or("-"),
                v.diagnostic
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
