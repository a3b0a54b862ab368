//! What `send` shows while it runs: a progress bar on a terminal, a line every few seconds
//! otherwise, and every failure as it happens.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::shell::{Term, Verbosity};
use crate::delivery::Event;

/// A progress bar on a terminal; a line every few seconds otherwise; nothing with `-q`.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    term: Term,
    total: u64,
    sent: AtomicU64,
    failed: AtomicU64,
    deferred: AtomicU64,
    started: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Term {
    /// What `send` shows while it runs, for `total` messages.
    pub fn progress(&self, total: u64) -> Progress {
        Progress::new(*self, total)
    }
}

impl Progress {
    fn new(term: Term, total: u64) -> Progress {
        let shown = !term.is_quiet();
        let bar = (shown && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} sent · {msg} · {per_sec} · ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            term,
            total,
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            deferred: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub fn event(&self, event: &Event) {
        match event {
            Event::Sent { email } => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                if self.term.verbosity() == Verbosity::Verbose {
                    self.println(&format!("sent: {email}"));
                }
            }
            Event::Failed { email, why } => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("failed: {email}: {why}"));
            }
            Event::Unknown { email, why } => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("unknown: {email}: {why}"));
            }
            Event::Deferred { email, why } => {
                self.deferred.fetch_add(1, Ordering::Relaxed);
                self.println(&format!("deferred: {email}: {why}"));
            }
            // Another sender has it, or the reader withdrew: no longer this run's work.
            Event::Skipped => {
                if let Some(bar) = &self.bar {
                    bar.dec_length(1);
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} failed, {} deferred",
                self.failed.load(Ordering::Relaxed),
                self.deferred.load(Ordering::Relaxed)
            ));
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => self.term.progress_line(line),
        }
    }

    /// Prints a line every few seconds when there is no bar, until dropped.
    pub async fn tick(self: Arc<Self>) {
        if self.bar.is_some() || self.term.is_quiet() {
            return;
        }
        loop {
            tokio::time::sleep(PLAIN_EVERY).await;
            self.term.progress_line(&self.line());
        }
    }

    fn line(&self) -> String {
        let sent = self.sent.load(Ordering::Relaxed);
        let rate = sent as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "progress: sent {sent}/{}, {} failed, {} deferred, {rate:.1}/s",
            self.total,
            self.failed.load(Ordering::Relaxed),
            self.deferred.load(Ordering::Relaxed)
        )
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
