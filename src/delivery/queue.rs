//! The recipients still to try: fresh ones in list order, and retries when they come due.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::stop::Stop;

/// One recipient to try: an index into the recipients, and how often it was tried this run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Job {
    pub(super) due: Instant,
    pub(super) index: usize,
    pub(super) tries: u32,
}

#[derive(Default)]
struct QueueState {
    fresh: VecDeque<usize>,
    retries: BinaryHeap<Reverse<Job>>,
    in_flight: usize,
    stop: Option<Stop>,
}

/// The recipients still to try: fresh ones in list order, and retries when they are due.
pub(super) struct Queue {
    state: Mutex<QueueState>,
    changed: Notify,
}

impl Queue {
    pub(super) fn new(jobs: Vec<usize>) -> Queue {
        let state = QueueState {
            fresh: jobs.into(),
            ..QueueState::default()
        };
        Queue {
            state: Mutex::new(state),
            changed: Notify::new(),
        }
    }

    /// The next job, waiting for a retry to come due; `None` when all is done or stopped.
    pub(super) async fn next(&self) -> Option<Job> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wait = {
                let mut state = self.state.lock().expect("not poisoned");
                if state.stop.is_some() {
                    return None;
                }
                let now = Instant::now();
                if state.retries.peek().is_some_and(|r| r.0.due <= now) {
                    state.in_flight += 1;
                    return state.retries.pop().map(|r| r.0);
                }
                if let Some(index) = state.fresh.pop_front() {
                    state.in_flight += 1;
                    return Some(Job {
                        due: now,
                        index,
                        tries: 0,
                    });
                }
                if state.retries.is_empty() && state.in_flight == 0 {
                    return None;
                }
                state.retries.peek().map(|r| r.0.due)
            };
            match wait {
                Some(due) => {
                    tokio::select! {
                        () = &mut changed => {}
                        () = tokio::time::sleep_until(due) => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    /// The next job if one is ready now, without waiting.
    pub(super) fn try_next(&self) -> Option<Job> {
        let mut state = self.state.lock().expect("not poisoned");
        if state.stop.is_some() {
            return None;
        }
        let now = Instant::now();
        let job = if state.retries.peek().is_some_and(|r| r.0.due <= now) {
            state.retries.pop().map(|r| r.0)
        } else {
            state.fresh.pop_front().map(|index| Job {
                due: now,
                index,
                tries: 0,
            })
        };
        state.in_flight += usize::from(job.is_some());
        job
    }

    /// A job is finished; `retry` goes back on the queue.
    pub(super) fn done(&self, retry: Option<Job>) {
        let mut state = self.state.lock().expect("not poisoned");
        state.in_flight -= 1;
        if let Some(job) = retry {
            state.retries.push(Reverse(job));
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Drops the fresh jobs `taken` names (another sender has them); how many it dropped.
    pub(super) fn drop_fresh(&self, taken: impl Fn(usize) -> bool) -> usize {
        let mut state = self.state.lock().expect("not poisoned");
        let before = state.fresh.len();
        state.fresh.retain(|&index| !taken(index));
        let dropped = before - state.fresh.len();
        drop(state);
        if dropped > 0 {
            self.changed.notify_waiters();
        }
        dropped
    }

    /// Starts no new jobs; the first reason given is kept.
    pub(super) fn stop(&self, why: Stop) {
        let mut state = self.state.lock().expect("not poisoned");
        state.stop.get_or_insert(why);
        drop(state);
        self.changed.notify_waiters();
    }

    pub(super) fn stopped(&self) -> Option<Stop> {
        self.state.lock().expect("not poisoned").stop.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_queue_gives_fresh_jobs_in_order_then_due_retries() {
        let queue = Queue::new(vec![0, 1]);
        let first = queue.next().await.unwrap();
        assert_eq!(first.index, 0);
        queue.done(Some(Job {
            due: Instant::now() + Duration::from_millis(30),
            index: 0,
            tries: 1,
        }));
        assert_eq!(queue.next().await.unwrap().index, 1);
        queue.done(None);
        let retry = queue.next().await.unwrap();
        assert_eq!((retry.index, retry.tries), (0, 1));
        queue.done(None);
        assert!(queue.next().await.is_none());
    }

    #[tokio::test]
    async fn fresh_jobs_taken_elsewhere_are_dropped_and_the_queue_still_ends() {
        let queue = Queue::new(vec![0, 1, 2, 3]);
        let first = queue.next().await.unwrap();
        assert_eq!(queue.drop_fresh(|i| i == 0 || i == 2), 1, "only fresh ones");
        queue.done(None);
        assert_eq!(first.index, 0);
        assert_eq!(queue.next().await.unwrap().index, 1);
        queue.done(None);
        assert_eq!(queue.next().await.unwrap().index, 3);
        queue.done(None);
        assert!(queue.next().await.is_none());
    }

    #[tokio::test]
    async fn a_stopped_queue_gives_nothing() {
        let queue = Queue::new(vec![0, 1]);
        queue.stop(Stop::Interrupted);
        assert!(queue.next().await.is_none());
        assert_eq!(queue.stopped(), Some(Stop::Interrupted));
    }
}
