//! A send, a preview or a status as an operation: what the commands call once their arguments
//! are parsed.
//!
//! [`send`] takes the edition's send lock, asks [`crate::plan`] who gets the edition now,
//! records the run, drives [`crate::delivery`] and decides how the run ended; [`preview`]
//! writes the messages a send would transmit to the same recipients; [`status`] reads what the
//! ledger knows of an edition. Each speaks through the [`crate::term::Term`] it is given.

pub mod preview;
pub mod send;
pub mod status;
