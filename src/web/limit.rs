//! How often one client may ask the public pages to send a mail: a sliding hour per IP
//! address, kept in memory (a restart forgets it; the per-address limits live in the ledger).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// At most `per_hour` requests per client address in any hour.
pub struct Limiter {
    per_hour: u32,
    recent: Mutex<HashMap<IpAddr, VecDeque<i64>>>,
}

impl Limiter {
    pub fn new(per_hour: u32) -> Limiter {
        Limiter {
            per_hour,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` may ask once more at `now` (unix seconds), counting this one.
    pub fn allow(&self, client: Option<IpAddr>, now: i64) -> bool {
        let Some(client) = client else { return true };
        let Ok(mut recent) = self.recent.lock() else {
            return false;
        };
        // Forget what is older than an hour, for every address, now and then.
        if recent.len() > 10_000 {
            recent.retain(|_, times| times.back().is_some_and(|t| *t > now - 3600));
        }
        let times = recent.entry(client).or_default();
        while times.front().is_some_and(|t| *t <= now - 3600) {
            times.pop_front();
        }
        if times.len() >= self.per_hour as usize {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Limiter;

    #[test]
    fn a_client_gets_its_hour_and_then_waits() {
        let limiter = Limiter::new(2);
        let a = Some("192.0.2.1".parse().unwrap());
        let b = Some("192.0.2.2".parse().unwrap());
        assert!(limiter.allow(a, 1_000) && limiter.allow(a, 1_001));
        assert!(!limiter.allow(a, 1_002), "the third in the hour");
        assert!(limiter.allow(b, 1_002), "another client has its own hour");
        assert!(limiter.allow(a, 4_601), "an hour after the first");
    }
}
