//! The HTTP layer every server of courant runs on (the live preview, the unsubscribe links):
//! timeouts, the Host check, a limit on connections and a graceful stop, written once.
//!
//! Each connection gets [`HEADER_TIMEOUT`] to send its headers and lives at most its server's
//! lifetime (none for the preview's event stream), and at most [`MAX_CONNECTIONS`] are served
//! at once: a server that faces the internet must not be held by clients that send a byte now
//! and then. On SIGTERM or Ctrl-C it stops accepting, lets the requests in progress finish (for
//! at most [`DRAIN`]) and returns, so a service manager's stop is a clean exit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::Error;

/// The longest a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a connection of a server facing the internet stays open, whatever it does: slow
/// bodies and idle keep-alives end.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// Connections served at once at most; more wait to be accepted. Fewer when the open-file limit
/// is lower (see [`connection_slots`]).
pub const MAX_CONNECTIONS: usize = 4096;
/// Descriptors kept for the rest of the process: the ledger, its journal, the listener, logs.
const RESERVED_FILES: u64 = 64;
/// How long a stopping server waits for the requests in progress.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Which `Host` a server answers.
#[derive(Debug, Clone, Copy)]
pub enum Hosts {
    /// Any: a public server behind a reverse proxy that names it.
    Any,
    /// Only `localhost`, the loopback addresses and the address it listens on (421 for any
    /// other): a local page holding personal data must not be readable by a web page that
    /// points a name of its own at 127.0.0.1 (DNS rebinding).
    Own,
}

/// A server: where it listens, which hosts it answers, how long a connection may live.
#[derive(Debug, Clone, Copy)]
pub struct Server {
    pub listen: SocketAddr,
    pub hosts: Hosts,
    /// `None` for the preview's event stream, which stays open.
    pub lifetime: Option<Duration>,
}

impl Server {
    /// Serves `app` until asked to stop, calling `listening(address)` once it listens.
    pub fn run(
        self,
        app: axum::Router,
        listening: impl FnOnce(SocketAddr) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let app = match self.hosts {
            Hosts::Any => app,
            Hosts::Own => app.layer(axum::middleware::from_fn_with_state(
                self.listen,
                own_host_only,
            )),
        };
        // Before it says it listens: from then on, clients may hold every descriptor.
        let slots = connection_slots();
        crate::runtime::runtime()?.block_on(async {
            let listener = tokio::net::TcpListener::bind(self.listen)
                .await
                .map_err(|e| Error::Refused(format!("cannot listen on {}: {e}", self.listen)))?;
            listening(listener.local_addr().map_err(Error::Runtime)?)?;
            let slots = Arc::new(Semaphore::new(slots));
            tokio::select! {
                () = accept_loop(listener, app, self.lifetime, Arc::clone(&slots)) => {}
                () = crate::runtime::stop_asked() => {}
            }
            // Every slot back means every connection ended.
            let all = u32::try_from(connection_slots()).unwrap_or(u32::MAX);
            let _ = tokio::time::timeout(DRAIN, slots.acquire_many(all)).await;
            Ok(())
        })
    }
}

/// The address a request came from (the reverse proxy's, behind one).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// How many connections to serve at once: [`MAX_CONNECTIONS`], or fewer when the open-file
/// limit, raised to the hard limit first, leaves less room; a connection past the limit would
/// fail to be accepted while slow clients hold every descriptor.
pub fn connection_slots() -> usize {
    let room = crate::runtime::open_files()
        .saturating_sub(RESERVED_FILES)
        .max(1);
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .min(MAX_CONNECTIONS)
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    lifetime: Option<Duration>,
    slots: Arc<Semaphore>,
) {
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of file descriptors, say: wait a moment instead of giving up.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // The peer's address, for pages that record it as configured (a signup's consent).
        let app = app.clone().layer(axum::Extension(Peer(peer)));
        let service = hyper_util::service::TowerToHyperService::new(app);
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            match lifetime {
                Some(lifetime) => {
                    let _ = tokio::time::timeout(lifetime, connection).await;
                }
                None => {
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
}

/// Answers only requests for the host names the server listens on (see [`Hosts::Own`]).
async fn own_host_only(
    axum::extract::State(listen): axum::extract::State<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if is_own(host, listen) {
        next.run(request).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "this server answers only for the address it listens on",
        )
            .into_response()
    }
}

/// Whether the `Host` header `host` names `listen` or the loopback.
fn is_own(host: &str, listen: SocketAddr) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    matches!(name, "127.0.0.1" | "localhost" | "::1") || name == listen.ip().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_loopback_and_the_listening_address_are_own_hosts() {
        let listen: SocketAddr = "192.0.2.7:8026".parse().unwrap();
        for own in [
            "localhost:8026",
            "127.0.0.1",
            "[::1]:8026",
            "192.0.2.7:8026",
        ] {
            assert!(is_own(own, listen), "{own}");
        }
        for other in [
            "evil.example",
            "evil.example:8026",
            "127.0.0.1.evil.example",
            "",
        ] {
            assert!(!is_own(other, listen), "{other}");
        }
    }
}
