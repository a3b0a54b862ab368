//! Pacing for all connections together: one limiter, asked before each message starts its
//! transaction.
//!
//! It is a GCRA (the "virtual scheduling" form of a token bucket): each message moves a
//! theoretical arrival time on by one interval; a caller waits until that time, less the
//! burst's tolerance, has come. Slots are reserved under the lock and waited for outside it, so
//! callers are served in order and a window of one second never holds more than rate + burst.
//! When the server says "slow down" (421, 451, 452, 454), the interval doubles for a while.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::edition::value::Rate;

/// How long the rate stays lowered after the server asked for it.
pub const SLOWDOWN: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct RateLimiter {
    /// `None` for an unlimited rate.
    interval: Option<Duration>,
    burst: u32,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// When the next message would be due at the configured rate.
    tat: Instant,
    /// While `Instant::now()` is before this, the interval is doubled.
    slow_until: Option<Instant>,
}

impl RateLimiter {
    pub fn new(rate: Rate, burst: u32) -> Self {
        let interval = match rate {
            Rate::Unlimited => None,
            Rate::PerSecond(r) => Some(Duration::from_secs_f64(1.0 / r)),
        };
        RateLimiter {
            interval,
            burst: burst.max(1),
            state: Mutex::new(State {
                tat: Instant::now(),
                slow_until: None,
            }),
        }
    }

    /// Waits until one more message may start.
    pub async fn acquire(&self) {
        if let Some(at) = self.reserve(Instant::now()) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Takes a slot if one is free right now; never waits.
    pub fn try_acquire(&self) -> bool {
        let now = Instant::now();
        self.reserve_if(now, false).is_none_or(|start| start <= now)
    }

    /// Reserves the next slot; returns when it starts if that is later than `now`.
    fn reserve(&self, now: Instant) -> Option<Instant> {
        self.reserve_if(now, true)
    }

    /// The next slot's start if later than `now`; reserved if `wait` or if it is free now.
    fn reserve_if(&self, now: Instant, wait: bool) -> Option<Instant> {
        let base = self.interval?;
        let mut state = self
            .state
            .lock()
            .expect("the limiter's lock is never poisoned");
        let interval = match state.slow_until {
            Some(until) if now < until => base * 2,
            _ => base,
        };
        let tolerance = interval * (self.burst - 1);
        let tat = state.tat.max(now);
        let start = tat.checked_sub(tolerance).unwrap_or(now).max(now);
        if start > now && !wait {
            return Some(start);
        }
        state.tat = tat + interval;
        (start > now).then_some(start)
    }

    /// Returns the last slot taken, unused: the message it was for is not sent after all.
    pub fn give_back(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let mut state = self
            .state
            .lock()
            .expect("the limiter's lock is never poisoned");
        let now = Instant::now();
        state.tat = state.tat.checked_sub(interval).unwrap_or(now).max(now);
    }

    /// The server asked us to slow down: halve the rate for [`SLOWDOWN`].
    pub fn slow_down(&self) {
        let mut state = self
            .state
            .lock()
            .expect("the limiter's lock is never poisoned");
        state.slow_until = Some(Instant::now() + SLOWDOWN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(limiter: &RateLimiter, n: usize, now: Instant) -> Vec<Duration> {
        (0..n)
            .map(|_| limiter.reserve(now).map_or(Duration::ZERO, |at| at - now))
            .collect()
    }

    #[test]
    fn a_slot_given_back_is_taken_by_the_next_message() {
        let now = Instant::now();
        let limiter = RateLimiter::new(Rate::PerSecond(10.0), 1);
        let ms = |at: Option<Instant>| at.map_or(0, |at| (at - now).as_millis());
        let first = ms(limiter.reserve(now));
        let second = ms(limiter.reserve(now));
        assert_eq!((first, second), (0, 100));
        limiter.give_back();
        assert_eq!(ms(limiter.reserve(now)), 100, "the slot given back, again");
        assert_eq!(ms(limiter.reserve(now)), 200);
    }

    #[test]
    fn even_pacing_without_burst() {
        let now = Instant::now();
        let limiter = RateLimiter::new(Rate::PerSecond(10.0), 1);
        let ms: Vec<_> = starts(&limiter, 4, now)
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert_eq!(ms, [0, 100, 200, 300]);
    }

    #[test]
    fn a_burst_starts_at_once_then_paces() {
        let now = Instant::now();
        let limiter = RateLimiter::new(Rate::PerSecond(10.0), 3);
        let ms: Vec<_> = starts(&limiter, 5, now)
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert_eq!(ms, [0, 0, 0, 100, 200]);
    }

    #[test]
    fn slowing_down_doubles_the_interval() {
        let limiter = RateLimiter::new(Rate::PerSecond(10.0), 1);
        limiter.slow_down();
        let ms: Vec<_> = starts(&limiter, 3, Instant::now())
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert!(ms[1] >= 199 && ms[2] >= 399, "{ms:?}");
    }

    #[test]
    fn try_acquire_takes_only_a_free_slot() {
        let limiter = RateLimiter::new(Rate::PerSecond(1.0), 1);
        assert!(limiter.try_acquire());
        assert!(!limiter.try_acquire(), "the next slot is a second away");
    }

    #[test]
    fn unlimited_never_waits() {
        let limiter = RateLimiter::new(Rate::Unlimited, 1);
        assert_eq!(limiter.reserve(Instant::now()), None);
    }
}
