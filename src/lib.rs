//! courant composes a newsletter edition and delivers it.
//!
//! The data flows one way, and the modules follow it; no module reaches back up the list, and
//! no two import each other (`tests/suite/architecture.rs` checks):
//!
//! 1. [`source`] reads the files people write (TOML, CSV) with positions, so that
//!    [`diagnostic`] can point at `file:line:column`; [`address`] says when two spellings of
//!    an address are one reader.
//! 2. [`edition`] turns `issues/newsletter.toml` and `issues/<slug>.toml` into the model, every
//!    value validated as it is read; [`subscribers`] reads a list file, and [`list`] keeps the
//!    list in the ledger (imports, staff edits, consent, the stored list a send reads), each
//!    reader's extra columns held as [`fields`];
//!    [`personal`] declares, checks and fills every placeholder.
//! 3. [`render`] turns the model into email HTML (maud, CSS inlined), plaintext and a web version,
//!    once per edition, with slots for the few personal values; [`lint`] then reports what
//!    `check` finds, reading the model and the render; [`checked`] is the three together.
//! 4. [`message`] fills the slots for one subscriber and builds the MIME message (lettre),
//!    signed last by [`dkim`]; [`unsubscribe`] makes the tokens of its unsubscribe link.
//! 5. [`plan`] decides who gets the edition now; [`campaign`] runs a send, a preview or a
//!    status as one operation (lock, plan, run records, outcome); [`delivery`] is the send
//!    loop, through the [`transport::Transport`] seam to SMTP connections, paced by
//!    [`rate_limiter`], every recipient's outcome recorded in the [`ledger`] (a SQLite file, or
//!    PostgreSQL for a team), which knows nothing of SMTP. Each message starts with a claim the
//!    ledger decides (`ledger::Op::Begin`), so several senders of one edition (`send --join`)
//!    never send a recipient twice; a scheduled edition is claimed the same way by one
//!    `run-due` (its window from [`edition::window`]). [`transport::reply`] reads what servers
//!    say.
//! 6. [`bounces`] reads what comes back (bounces, complaints, mailed unsubscribes), ties each
//!    report to a message recorded in the [`ledger`], and suppresses addresses accordingly.
//! 7. [`web`] serves the pages people reach on one HTTP layer: the live preview, and the
//!    public pages of `serve-public` (the unsubscribe links, the signup form and its
//!    confirmation, each reader's own page), which send their few mails themselves. [`tls`]
//!    holds the roots every TLS client of courant trusts (SMTP, IMAP, PostgreSQL), and
//!    [`runtime`] the async runtime, the stop signals and the process limits; [`secrets`]
//!    reads the passwords from the environment or the files it names.
//! 8. [`cmd`] holds the subcommands: each parses its arguments, calls one operation and
//!    renders the result through the [`term::Term`], the one place that prints; [`error`]
//!    gives the exit status.

pub mod address;
pub mod bounces;
pub mod campaign;
pub mod checked;
pub mod cmd;
pub mod delivery;
pub mod diagnostic;
pub mod dkim;
pub mod edition;
pub mod error;
pub mod fields;
pub mod files;
pub mod ledger;
pub mod lint;
pub mod list;
pub mod message;
pub mod personal;
pub mod plan;
pub mod rate_limiter;
pub mod render;
pub mod runtime;
pub mod secrets;
pub mod source;
pub mod subscribers;
pub mod term;
pub mod tls;
pub mod transport;
pub mod unsubscribe;
pub mod web;

pub use cmd::{Cli, run};
