//! courant composes a newsletter edition and delivers it.
//!
//! The data flows one way, and the modules follow it:
//!
//! 1. [`edition`] reads `issues/newsletter.toml` and `issues/<slug>.toml` into the model, keeping
//!    every value's position so that [`diagnostic`] can point at `file:line:column`;
//!    [`edition::lint`] reports what `check` finds.
//! 2. [`subscribers`] reads the list (TOML or CSV).
//! 3. [`render`] turns the model into email HTML (maud, CSS inlined), plaintext and a web version,
//!    once per edition, with slots for the few personal values.
//! 4. [`message`] fills the slots for one subscriber and builds the MIME message (lettre),
//!    signed last by [`dkim`]; [`unsubscribe`] makes the tokens of its unsubscribe link.
//! 5. [`delivery`] is the send loop: [`transport`] connections to the SMTP server, paced by
//!    [`rate_limiter`], every recipient's outcome recorded in the [`ledger`] (SQLite).
//! 6. [`cmd`] wires these stages into the subcommands of [`cli`].

pub mod cmd;
pub mod delivery;
pub mod diagnostic;
pub mod dkim;
pub mod edition;
pub mod ledger;
pub mod lint;
pub mod message;
pub mod plan;
pub mod rate_limiter;
pub mod render;
pub mod source;
pub mod subscribers;
pub mod transport;
pub mod unsubscribe;

pub use cmd::{Cli, run};
