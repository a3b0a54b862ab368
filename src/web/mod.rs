//! The pages people reach over HTTP, on one HTTP layer ([`http`]): the live preview staff
//! write with ([`preview`]), and the public pages readers reach ([`unsubscribe`], which also
//! serves the signup form and its confirmation, [`signup`]).
//!
//! Pages render with maud from the model and the words of [`crate::render::strings`]; what
//! arrives is untrusted and changes the ledger only with a token courant signed.

pub mod http;
pub mod preview;
pub mod signup;
pub mod unsubscribe;
