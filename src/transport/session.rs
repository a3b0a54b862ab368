//! What the send loop asks of a way to deliver, and the SMTP one.

use lettre::Address;

use super::connection::Connection;
use super::connector::Connector;
use super::error::{Accepted, ConnectError, SendError};

/// What the send loop needs of a way to deliver: connections to open. [`Connector`] is the
/// SMTP one; the send loop's unit tests script one in memory.
pub trait Transport: Send + Sync + 'static {
    type Session: Session;
    /// Opens a connection ready for transactions (greeted, secured, logged in).
    fn open(&self) -> impl Future<Output = Result<Self::Session, ConnectError>> + Send;
}

/// One open connection of a [`Transport`].
pub trait Session: Send + 'static {
    /// Messages accepted on this connection so far.
    fn sent(&self) -> u32;
    /// One transaction. After an error other than a refusal the session is not used again.
    fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send;
    /// Ends a refused transaction; `false` when the session is not usable any more.
    fn reset(&mut self) -> impl Future<Output = bool> + Send;
    /// Closes politely.
    fn quit(self) -> impl Future<Output = ()> + Send;
    /// Closes without waiting for the server.
    fn abort(self) -> impl Future<Output = ()> + Send;
}

impl Transport for Connector {
    type Session = Connection;
    fn open(&self) -> impl Future<Output = Result<Connection, ConnectError>> + Send {
        self.connect()
    }
}

impl Session for Connection {
    fn sent(&self) -> u32 {
        self.sent
    }
    fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send {
        Connection::send(self, from, to, message)
    }
    fn reset(&mut self) -> impl Future<Output = bool> + Send {
        Connection::reset(self)
    }
    fn quit(self) -> impl Future<Output = ()> + Send {
        Connection::quit(self)
    }
    fn abort(self) -> impl Future<Output = ()> + Send {
        Connection::abort(self)
    }
}
