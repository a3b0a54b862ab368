//! The async runtime of the commands that talk to the network (send, test-send, the servers,
//! the bounce mailbox), and the signals that ask them to stop.

use crate::error::Error;

/// A runtime on this thread: one thread serves every connection. The work per message is
/// small, and on a two-core machine a second runtime thread only competed with the ledger's
/// thread and the server (measured in BENCHMARKS.md).
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// How many files and sockets this process may hold open: the soft limit, raised once to the
/// hard limit. A server facing the internet holds a descriptor per client, and the usual soft
/// limit (1,024) is far below what the system allows (the hard limit; Debian's is 524,288).
pub fn open_files() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024))
}

/// Resolves when the user or the system asks courant to stop: SIGINT or SIGTERM (Ctrl-C, a
/// service manager), and on Windows Ctrl-C, Ctrl-Break or the console window closing (Windows
/// ends the process a few seconds after the window closes: enough to finish what is in
/// flight). Never resolves when the signals cannot be watched.
pub async fn stop_asked() {
    if stop_signal().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(windows)]
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
    let mut c = ctrl_c()?;
    let mut brk = ctrl_break()?;
    let mut close = ctrl_close()?;
    tokio::select! {
        _ = c.recv() => {}
        _ = brk.recv() => {}
        _ = close.recv() => {}
    }
    Ok(())
}
