//! What the ledger knows of an edition: counts per state, the recipients that need a look,
//! the runs, and what came back.

use crate::plan::{Again, Plan};
use crate::subscribers::SubscriberList;
use std::collections::BTreeMap;

use crate::error::Error;
use crate::ledger::{Ledger, Location, ReturnCounts, Row, RunRecord, State};
use crate::transport::reply::reason::SENDER_SIDE;

/// An edition's record.
pub struct Status {
    pub slug: String,
    pub counts: BTreeMap<State, usize>,
    /// Every recipient, in address order.
    pub rows: Vec<Row>,
    pub runs: Vec<RunRecord>,
    pub returns: Returns,
    /// With a list: how many of its readers are still to be sent the edition, and how many
    /// the list holds that may get it.
    pub to_send: Option<(usize, usize)>,
}

impl Status {
    /// Reads the record of edition `slug`, and with `list` how many of it are still to send
    /// (as `send` would plan them); an error when there is no ledger yet.
    pub fn read(
        location: Location,
        slug: &str,
        list: Option<&SubscriberList>,
    ) -> Result<Status, Error> {
        if let Some(path) = location.file().filter(|p| !p.exists()) {
            return Err(Error::Refused(format!(
                "no ledger at `{}`: nothing was sent yet",
                crate::diagnostic::display_path(path)
            )));
        }
        let ledger = Ledger::open(location)?;
        let (rows, runs) = (ledger.rows(slug)?, ledger.runs(slug)?);
        let mut rows: Vec<Row> = rows.into_values().collect();
        rows.sort_by(|a, b| a.email.cmp(&b.email));
        let counts: BTreeMap<State, usize> = State::ALL
            .iter()
            .map(|&s| (s, rows.iter().filter(|r| r.state == s).count()))
            .collect();
        let returns = Returns::of(&ledger, slug, counts[&State::Sent])?;
        let to_send = match list {
            Some(list) => {
                let states = ledger.states(slug)?;
                let suppressed = ledger.suppressed()?;
                let plan = Plan::new(&list.subscribers, &states, &suppressed, Again::default());
                Some((plan.to_send.len(), plan.active))
            }
            None => None,
        };
        Ok(Status {
            to_send,
            slug: slug.to_owned(),
            counts,
            rows,
            runs,
            returns,
        })
    }
}

/// What came back about the edition, and whether the sender should look at itself.
pub struct Returns {
    pub counts: ReturnCounts,
    /// Reports not tied to a message courant sent.
    pub untied: u64,
    /// A plain sentence when more than 2 % of the recipients were refused for reasons that
    /// point at the sender.
    pub sender_warning: Option<String>,
}

impl Returns {
    pub fn of(ledger: &Ledger, slug: &str, sent: usize) -> Result<Returns, Error> {
        let counts = ledger.return_counts(slug, &SENDER_SIDE)?;
        let sender_warning = (sent > 0 && counts.sender_side * 50 > sent as u64).then(|| {
            let cause = ledger
                .top_sender_reason(slug, &SENDER_SIDE)
                .ok()
                .flatten()
                .map_or("", likely_cause);
            format!(
                "warning: {} of {sent} recipients ({:.1} %) were refused for reasons that point at the sender, not at them{cause}",
                counts.sender_side,
                counts.sender_side as f64 * 100.0 / sent as f64
            )
        });
        Ok(Returns {
            counts,
            untied: ledger.untied_count()?,
            sender_warning,
        })
    }
}

/// What a sender-side refusal most likely means, to end the warning with.
fn likely_cause(reason: &str) -> &'static str {
    match reason {
        "blocked" => "; most likely the sending server's IP address is on a block list",
        "badreputation" => "; most likely the sending IP address or domain has a poor reputation",
        "authfailure" => {
            "; most likely the messages fail SPF, DKIM or DMARC: check the DNS records and `[dkim]`"
        }
        "requireptr" => {
            "; most likely the sending server's IP address has no reverse DNS (PTR) record"
        }
        "policyviolation" => "; most likely a provider's policy refuses the messages",
        "securityerror" => {
            "; most likely the receiving servers require TLS or authentication that the relay does not give"
        }
        "norelaying" => "; most likely the relay refuses to pass the messages on: check `--smtp`",
        _ => "",
    }
}
