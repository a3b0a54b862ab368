//! The log of the long-running commands (`serve-public`): one line per request or state
//! change on standard error, for the journal, written through `tracing`. `-q` keeps only
//! warnings and errors. What a line may say of a reader is listed in the README: never an
//! address, a token or a path (which holds a token), never a secret.

use std::io::IsTerminal;

use super::shell::Verbosity;

/// Starts the log at the level `verbosity` says; a second call changes nothing.
pub fn start(verbosity: Verbosity) {
    let level = match verbosity {
        Verbosity::Quiet => tracing::Level::WARN,
        Verbosity::Normal | Verbosity::Verbose => tracing::Level::INFO,
    };
    let no_colour = std::env::var_os("NO_COLOR").is_some();
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal() && !no_colour)
        .try_init();
}
