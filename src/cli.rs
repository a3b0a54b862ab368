//! The command line. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::edition::value::{Rate, Span};

/// Compose a newsletter edition from TOML into accessible email, preview it, and send it.
#[derive(Debug, Parser)]
#[command(name = "courant", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a newsletter folder: settings with every key explained, a first edition, a
    /// subscriber list and a short how-to. Never overwrites a file.
    Init {
        /// The folder to create it in.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Load, render and lint an edition; report every finding with file:line:column.
    ///
    /// Exits 0 when clean (warnings allowed), 1 when any error is found, 2 when the input
    /// cannot be read or parsed.
    Check {
        /// The edition file, e.g. `issues/2022-12.toml` (settings come from `newsletter.toml` beside it).
        edition: PathBuf,
        /// Print the findings as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Write the web version, the email HTML and the plaintext of an edition, for review.
    Build {
        edition: PathBuf,
        /// The folder to write to (created if needed).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Write the web archive: every edition's web version at the URL its emails link to, an
    /// index newest first, and an Atom feed. No personal data.
    Archive {
        /// The folder of the editions.
        #[arg(default_value = "issues")]
        issues: PathBuf,
        /// The folder to write the site to (created if needed).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Preview an edition live in the browser: desktop, phone, dark mode, plain text, headers,
    /// the web version and the findings of `check`, updated whenever a file changes.
    Serve {
        edition: PathBuf,
        /// Address and port to listen on; the preview has no login, so keep it on loopback.
        #[arg(long, default_value = "127.0.0.1:8026")]
        listen: std::net::SocketAddr,
        /// Offer these subscribers in the picker.
        #[arg(long, short)]
        subscribers: Option<PathBuf>,
    },
    /// Write one .eml per active subscriber: exactly the bytes a send would transmit.
    Preview {
        edition: PathBuf,
        /// The subscriber list: TOML (`[[subscriber]]`) or CSV with a header row.
        #[arg(long, short)]
        subscribers: PathBuf,
        /// The folder to write the .eml files to (created if needed).
        #[arg(long, short)]
        out: PathBuf,
        /// Write at most this many messages.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Send one message of an edition to one address, subject prefixed `[TEST] `.
    ///
    /// The message is personalised as the subscriber given with `--as` (or as a reader
    /// without a name). The ledger is not touched. Prints the server's reply.
    TestSend {
        edition: PathBuf,
        /// The address to send the test to.
        #[arg(long)]
        to: String,
        /// Personalise as this subscriber of `--subscribers`.
        #[arg(long = "as", requires = "subscribers")]
        as_subscriber: Option<String>,
        #[arg(long, short)]
        subscribers: Option<PathBuf>,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// Send an edition to every active subscriber who has not received it yet.
    ///
    /// Prints the plan and asks for confirmation on a terminal. Every recipient's state is kept
    /// in the ledger, so a run that is stopped or crashes can be run again: it continues
    /// where it was. Exits 0 when all were sent, 1 when any failed, was deferred or is unknown,
    /// 2 on bad input or configuration.
    Send {
        edition: PathBuf,
        #[arg(long, short)]
        subscribers: PathBuf,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        ledger: LedgerArgs,
        #[command(flatten)]
        pacing: PacingArgs,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
        /// Try recipients whose delivery failed permanently in an earlier run again.
        #[arg(long)]
        retry_failed: bool,
        /// Send again to recipients whose outcome is unknown (a run stopped during their
        /// message): they may receive it twice.
        #[arg(long)]
        resend_unknown: bool,
    },
    /// Add addresses to the suppression list: no edition is sent to them again.
    Unsubscribe {
        /// The addresses.
        #[arg(required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Export or import the suppression list as CSV (`email,at,source`).
    #[command(subcommand)]
    Suppressions(SuppressionsCommand),
    /// Serve the unsubscribe links: GET shows a confirmation page, POST (the page's button, or
    /// an RFC 8058 one-click POST) unsubscribes. Run it behind the reverse proxy that serves
    /// the unsubscribe URL; the token is the last part of the path.
    ServeUnsubscribe {
        /// The newsletter's settings, e.g. `issues/newsletter.toml`.
        settings: PathBuf,
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8025")]
        listen: std::net::SocketAddr,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// DKIM key helpers: generate a key, print its DNS record.
    #[command(subcommand)]
    Dkim(DkimCommand),
    /// Show what the ledger knows about an edition: counts per state, failures, unknowns, runs.
    Status {
        edition: PathBuf,
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// `courant dkim …`
#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Generate an RSA key (PKCS#1 PEM, as `[dkim] key-file` reads it) and print its DNS record.
    Generate {
        #[arg(long)]
        selector: String,
        #[arg(long)]
        domain: String,
        /// Where to write the private key (created with mode 600; never overwritten).
        #[arg(long, short)]
        out: PathBuf,
        #[arg(long, default_value_t = 2048)]
        bits: usize,
    },
    /// Print the DNS TXT record for an existing key.
    Record {
        #[arg(long)]
        selector: String,
        #[arg(long)]
        domain: String,
        /// The private key (PKCS#1 PEM).
        #[arg(long)]
        key: PathBuf,
    },
}

/// `courant suppressions …`
#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// Write the suppression list as CSV to stdout.
    Export {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Add the addresses of a CSV file (a column `email`) to the suppression list.
    Import {
        file: PathBuf,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

/// Where to send through.
#[derive(Debug, Args)]
pub struct SmtpArgs {
    /// `smtp://user@host:587` (STARTTLS), `smtps://user@host:465`, or `smtp://host:25?tls=none`.
    /// The password is read from COURANT_SMTP_PASSWORD only.
    #[arg(long, env = "COURANT_SMTP_URL")]
    pub smtp: String,
    /// Trust this CA certificate (PEM) besides the system's.
    #[arg(long, value_name = "FILE")]
    pub smtp_ca: Option<PathBuf>,
    /// Longest wait for the server at each step, e.g. `30s` [default: `timeout` of `[sending]`].
    #[arg(long)]
    pub timeout: Option<Span>,
}

/// The ledger file.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The SQLite file with the send record and the suppression list [default: `courant.sqlite`
    /// beside the edition, or `issues/courant.sqlite`].
    #[arg(long, env = "COURANT_LEDGER", value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// Overrides of `[sending]` in newsletter.toml.
#[derive(Debug, Args)]
pub struct PacingArgs {
    /// e.g. `10/s`, `600/min`, `3600/h` or `unlimited`.
    #[arg(long)]
    pub rate: Option<Rate>,
    #[arg(long)]
    pub burst: Option<u32>,
    /// Most open SMTP connections.
    #[arg(long)]
    pub concurrency: Option<usize>,
    #[arg(long)]
    pub max_per_connection: Option<u32>,
    #[arg(long)]
    pub daily_limit: Option<u64>,
    #[arg(long)]
    pub retries: Option<u32>,
    /// The first retry's delay, e.g. `30s`; each next one doubles.
    #[arg(long)]
    pub retry_delay: Option<Span>,
    #[arg(long)]
    pub max_consecutive_failures: Option<u32>,
}
