//! The socket under an SMTP connection, bounded: a server may send at most [`MAX_UNASKED`]
//! bytes between two writes of courant's. SMTP is a dialogue: a greeting or a reply is a few
//! lines, a TLS handshake a few certificates. lettre reads a reply line until its end with no
//! limit, so a server whose greeting never ends its line grew a send to gigabytes before the
//! step's timeout; through this, the read fails at the bound instead.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The most a server may send without being asked for it.
pub(super) const MAX_UNASKED: usize = 1024 * 1024;

/// A stream whose reads fail once the server sends more than [`MAX_UNASKED`] unasked.
#[derive(Debug)]
pub(super) struct Bounded<S> {
    inner: S,
    unasked: usize,
}

impl<S> Bounded<S> {
    pub(super) fn new(inner: S) -> Self {
        Bounded { inner, unasked: 0 }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        self.unasked += buf.filled().len() - before;
        if self.unasked > MAX_UNASKED {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the server sent more than {} KB without a command to answer",
                    MAX_UNASKED / 1024
                ),
            )));
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if written > 0 {
            self.unasked = 0;
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Bounded<TcpStream> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

impl AsyncTokioStream for Bounded<tokio_rustls::client::TlsStream<TcpStream>> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{Bounded, MAX_UNASKED};

    #[tokio::test]
    async fn a_read_fails_past_the_bound_and_a_write_starts_it_again() {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let mut client = Bounded::new(client);
        let feed = tokio::spawn(async move {
            let line = vec![b'x'; MAX_UNASKED + 4096];
            let _ = server.write_all(&line).await;
            server
        });
        let mut sink = vec![0; 8192];
        let mut read = 0;
        let error = loop {
            match client.read(&mut sink).await {
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert!(read <= MAX_UNASKED, "{read}");
        client.write_all(b"QUIT\r\n").await.unwrap();
        drop(feed);
        assert_eq!(client.unasked, 0);
    }
}
