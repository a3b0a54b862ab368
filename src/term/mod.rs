//! The one terminal (as cargo's `Shell`): every line courant prints passes through a [`Term`],
//! a value made once from `-q`/`-v` and passed down.
//!
//! A command's result goes to standard output; everything about how it went (warnings, the
//! plan, progress, findings, errors) to standard error. With `-q` only errors and results are
//! printed: every warning goes through [`Term::warn`], so none escapes it. Colour is used on a
//! terminal unless `NO_COLOR` is set.

pub mod log;
mod progress;
mod shell;

pub use progress::Progress;
pub use shell::{Term, Verbosity, output_error, plural};
