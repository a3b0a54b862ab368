//! SMTP delivery: opening connections and running one transaction per message.
//!
//! courant holds its own connections instead of lettre's pool, for three reasons found by
//! measuring (see BENCHMARKS.md): lettre never sets `TCP_NODELAY`, so on a reused connection
//! Nagle's algorithm and delayed ACKs cost ~40 ms per message; its pool does not cap how many
//! connections are open; and its timeout covers only the connect, so a stalled server would hang
//! a run. Here every step — connect, greeting, each command, the data — has a deadline, and
//! each connection's socket is opened with `TCP_NODELAY` and bounded in what the server may
//! send unasked (`stream.rs`).
//!
//! [`Connector`] opens connections, [`Connection`] runs transactions on one, [`Transport`] and
//! [`Session`] are what the send loop asks of them, and [`reply`] reads what servers say.

mod connection;
mod connector;
mod error;
pub mod reply;
mod session;
mod stream;
mod url;

pub use connection::Connection;
pub use connector::Connector;
pub use error::{Accepted, ConfigError, ConnectError, SendError};
pub use session::{Session, Transport};
pub use url::{Security, SmtpUrl, UrlError};

#[cfg(test)]
mod tests;
