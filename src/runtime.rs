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

/// Makes a bus error (SIGBUS) end courant with a message and exit status 3, as any other
/// failure of the ledger does, instead of silently with 135.
///
/// SQLite maps a WAL ledger's `-shm` file into memory; when that file can no longer be written
/// (made immutable, its disk gone), the kernel answers a write to the mapping with SIGBUS.
/// Nothing can be recovered inside the process at that point, and nothing needs to be: the
/// messages in flight are recorded as being sent, and the next run reports them as unknown,
/// exactly as after a crash. The handler only writes a fixed message and exits.
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn exit_on_bus_error() {
    extern "C" fn on_bus_error(_: libc::c_int) {
        const MESSAGE: &[u8] = b"error: a file of the ledger could not be written any more \
(the system stopped courant with a bus error): check that the ledger's files \
(courant.sqlite, -wal, -shm) are writable and the disk is there, then run the command again; \
messages that were in flight are reported as unknown\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe; nothing else runs here.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(3);
        }
    }
    // SAFETY: the handler above is async-signal-safe, and is installed before any other
    // thread exists.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_bus_error as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Windows has no SIGBUS: there an in-page error on a mapped file still ends the process with
/// its exception code (not handled here).
#[cfg(not(unix))]
pub fn exit_on_bus_error() {}

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
