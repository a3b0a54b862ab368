//! The pages people reach over HTTP, on one HTTP layer ([`http`]): the live preview staff
//! write with ([`preview`]), and the public pages readers reach ([`public`], which routes to
//! the signup form and its confirmation, [`signup`], the welcome edition, [`welcome`], and each
//! reader's own page, [`manage`]). Their mails go out through [`outbox`], limited per client
//! by [`limit`].
//!
//! Pages render with maud from the model and the words of [`crate::render::strings`]; what
//! arrives is untrusted and changes the ledger only with a token courant signed.

pub mod http;
pub mod limit;
pub mod manage;
pub mod outbox;
pub mod preview;
pub mod public;
pub mod signup;
pub mod welcome;
