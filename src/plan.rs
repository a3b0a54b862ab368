//! Who gets this edition now, and why the others do not: the list, the ledger's states for the
//! edition and the suppression list decide, before anything is sent.

use std::collections::HashMap;

pub use crate::ledger::Again;
use crate::ledger::{self, KeySet, State};
use crate::subscribers::{Status, Subscriber};

/// The recipients of one run, as indexes into the list, with the counts the plan shows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub active: usize,
    pub unsubscribed: usize,
    pub suppressed: usize,
    /// Active and not suppressed: who should have the edition when all is done.
    pub expected: Vec<usize>,
    pub already_sent: usize,
    pub failed_before: usize,
    pub unknown: usize,
    /// Who gets a message in this run, in list order.
    pub to_send: Vec<usize>,
}

impl Plan {
    /// `rows` are the ledger's states of this edition and `suppressed` the suppression list,
    /// both keyed by [`ledger::key`].
    pub fn new(
        list: &[Subscriber],
        rows: &HashMap<String, State>,
        suppressed: &KeySet,
        again: Again,
    ) -> Plan {
        let mut plan = Plan::default();
        for (i, s) in list.iter().enumerate() {
            if s.status != Status::Active {
                plan.unsubscribed += 1;
                continue;
            }
            plan.active += 1;
            let key = ledger::key(s.email.as_str());
            if suppressed.contains(&key) {
                plan.suppressed += 1;
                continue;
            }
            plan.expected.push(i);
            match rows.get(&key) {
                Some(State::Sent) => plan.already_sent += 1,
                Some(State::Failed) if !again.failed => plan.failed_before += 1,
                Some(State::Unknown | State::Sending) if !again.unknown => plan.unknown += 1,
                _ => plan.to_send.push(i),
            }
        }
        plan
    }

    /// Whether every expected recipient has the edition, by the ledger's `states` now.
    pub fn all_sent(&self, list: &[Subscriber], states: &HashMap<String, State>) -> bool {
        self.expected
            .iter()
            .all(|&i| state(list, states, i) == Some(State::Sent))
    }

    /// Whether every expected recipient has the edition or is being sent it (by another
    /// `send --join` run).
    pub fn all_sent_or_in_flight(
        &self,
        list: &[Subscriber],
        states: &HashMap<String, State>,
    ) -> bool {
        self.expected
            .iter()
            .all(|&i| matches!(state(list, states, i), Some(State::Sent | State::Sending)))
    }

    /// How many expected recipients are `sending` now.
    pub fn in_flight(&self, list: &[Subscriber], states: &HashMap<String, State>) -> usize {
        self.expected
            .iter()
            .filter(|&&i| state(list, states, i) == Some(State::Sending))
            .count()
    }
}

fn state(list: &[Subscriber], states: &HashMap<String, State>, i: usize) -> Option<State> {
    states.get(&ledger::key(list[i].email.as_str())).copied()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::source::SourceFile;

    fn list(addresses: &[(&str, Status)]) -> Vec<Subscriber> {
        let file = SourceFile::new("list.toml", "");
        addresses
            .iter()
            .map(|(email, status)| {
                let mut s = Subscriber::sample(&file);
                s.email = email.parse().unwrap();
                s.status = *status;
                s
            })
            .collect()
    }

    #[test]
    fn each_subscriber_is_counted_once_and_only_the_due_are_sent() {
        let list = list(&[
            ("a@example.nl", Status::Active),
            ("b@example.nl", Status::Unsubscribed),
            ("c@example.nl", Status::Active),
            ("d@example.nl", Status::Active),
            ("e@example.nl", Status::Active),
            ("f@example.nl", Status::Active),
            ("g@example.nl", Status::Active),
        ]);
        let rows = HashMap::from([
            ("c@example.nl".to_owned(), State::Sent),
            ("d@example.nl".to_owned(), State::Failed),
            ("e@example.nl".to_owned(), State::Unknown),
            ("f@example.nl".to_owned(), State::Deferred),
        ]);
        let suppressed = HashSet::from(["g@example.nl".to_owned()]);
        let plan = Plan::new(&list, &rows, &suppressed, Again::default());
        assert_eq!((plan.active, plan.unsubscribed, plan.suppressed), (6, 1, 1));
        assert_eq!(
            (plan.already_sent, plan.failed_before, plan.unknown),
            (1, 1, 1)
        );
        assert_eq!(plan.to_send, vec![0, 5]);
        assert_eq!(plan.expected, vec![0, 2, 3, 4, 5]);
        let again = Again {
            failed: true,
            unknown: true,
        };
        let plan = Plan::new(&list, &rows, &suppressed, again);
        assert_eq!(plan.to_send, vec![0, 3, 4, 5]);
    }

    #[test]
    fn all_sent_only_when_every_expected_recipient_is_sent() {
        let list = list(&[
            ("a@example.nl", Status::Active),
            ("b@example.nl", Status::Active),
        ]);
        let plan = Plan::new(&list, &HashMap::new(), &HashSet::new(), Again::default());
        let mut states = HashMap::from([("a@example.nl".to_owned(), State::Sent)]);
        assert!(!plan.all_sent(&list, &states));
        states.insert("b@example.nl".to_owned(), State::Sent);
        assert!(plan.all_sent(&list, &states));
    }
}
