//! The log of the long-running commands (`serve-public`, `run-due`, `bounces fetch`): one line
//! per request or state change on standard error, for the journal, written through `tracing`.
//! `-q` keeps only warnings and errors; `-v` adds why each step did what it did (a robot's
//! honeypot, the per-IP limit, each schedule looked at). What a line may say of a reader is
//! listed in the README: never an address, a token or a path (which holds a token), never a
//! secret. Only courant's own lines are written; its libraries' go unseen.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

use super::shell::Verbosity;

/// Starts the log at the level `verbosity` says; a second call changes nothing.
pub fn start(verbosity: Verbosity) {
    let level = match verbosity {
        Verbosity::Quiet => LevelFilter::WARN,
        Verbosity::Normal => LevelFilter::INFO,
        Verbosity::Verbose => LevelFilter::DEBUG,
    };
    let no_colour = std::env::var_os("NO_COLOR").is_some();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal() && !no_colour);
    let only_ours = Targets::new()
        .with_target("courant", level)
        .with_default(LevelFilter::WARN.min(level));
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(only_ours))
        .try_init();
}
