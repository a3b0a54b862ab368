//! What comes back after a send: bounces, complaints, mailed unsubscribes and autoreplies.
//!
//! [`classify`] reads one message and says, per recipient it names, what it is: standard reports
//! first (RFC 3464 delivery status, RFC 5965 feedback reports, RFC 3834 autoreplies), then the
//! texts that servers without them still send. It changes nothing; acting on a verdict, and
//! believing it only when it is tied to a message courant sent, is [`act`]'s part. The words of
//! servers (status codes, reasons) are read by [`crate::transport::reply`], which the send
//! loop shares.

pub mod act;
mod classify;
mod fields;
pub mod imap;
pub mod mailbox;
mod ses;
mod text;
mod verdict;

pub use classify::classify;
pub use verdict::{Classified, Kind, Verdict};
