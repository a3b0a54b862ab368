//! The record: who was sent which edition, who must not be sent anything again, what came
//! back; a SQLite file, or a PostgreSQL database a team shares.
//!
//! A delivery goes `queued → sending → sent | failed | deferred`. It is marked `sending` (and
//! committed) before its SMTP transaction starts, and its outcome is committed as soon as the
//! server answers; a worker starts its next message only after that commit. So after a crash at
//! most one row per connection is left in `sending`: the next run reports those as `unknown`
//! and does not send them again unless asked to.
//!
//! The parts, each on its own:
//! - [`record`]: the types the rest of courant sees (states, rows, outcomes, the writes);
//! - `schema`: the tables and their migrations; `db` (over `value` and `pg`): the one place
//!   where SQLite and PostgreSQL differ; `store`: an open ledger;
//! - one module per concern: `deliveries` (and the claims of several senders), `runs`,
//!   `suppressions`, `returns` (bounces and complaints), `list` (each newsletter's subscribers
//!   and the consent on record), `person` (everything about one address: export, erase),
//!   `copy` (between ledgers);
//! - [`lock`]: one `send` per edition at a time, or several that agreed to share it;
//! - `writer`: the send loop's group-commit writer, which `integrity` keeps from writing on
//!   into a ledger file that was emptied, replaced or damaged.
//!
//! It knows nothing of HTML, SMTP or the edition.

mod copy;
mod db;
mod deliveries;
mod integrity;
mod list;
mod location;
pub mod lock;
mod person;
mod pg;
pub mod record;
mod returns;
mod runs;
pub mod schedules;
mod schema;
mod signup;
mod store;
mod suppressions;
mod value;
mod writer;

pub use copy::{CopyError, Counts, TABLES as COPIED};
pub use deliveries::Others;
pub use list::{Change, Consent, Entry, Expired, ListStatus, Member, sha256_hex, text_hash};
pub use location::{Location, PgTarget, PgTls};
pub use lock::{EditionLock, Holder, LockError};
pub use person::{Erased, IMPERSONAL, PERSONAL};
pub use record::{
    Again, Evidence, KeySet, Op, Outcome, Row, RunRecord, State, Suppression, default_location,
    key, now, time,
};
pub use returns::{Listed, Return, ReturnCounts, ReturnVerdict};
pub use runs::{EarlierSend, RunColumn};
pub use schedules::Schedule;
pub use signup::Requested;
pub use store::{Ledger, LedgerError};
pub use suppressions::{Lift, Lifted};
pub use writer::{Claim, WriteError, Writer};
