//! Why a run stopped before its end.

/// Why the run ended before the queue was empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Interrupted,
    Unreachable(String),
    /// Configuration or TLS problem: retrying will not help (exit status 2).
    Fatal(String),
    TooManyFailures(u32),
    DailyLimit,
    Ledger(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Interrupted => f.write_str("interrupted; messages in flight were recorded"),
            Stop::Unreachable(why) => write!(f, "the server cannot be reached: {why}"),
            Stop::Fatal(why) => f.write_str(why),
            Stop::TooManyFailures(n) => write!(f, "{n} failures in a row"),
            Stop::DailyLimit => f.write_str("the daily limit is reached"),
            Stop::Ledger(why) => write!(f, "cannot write the ledger: {why}"),
        }
    }
}
