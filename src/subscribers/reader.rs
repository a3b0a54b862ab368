//! One reader of a list, as every list form gives it.

use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostic::{Location, SourceFile};
use crate::edition::value::EmailAddr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    Active,
    Unsubscribed,
}

#[derive(Debug, Clone)]
pub struct Subscriber {
    pub email: EmailAddr,
    pub name: Option<String>,
    pub status: Status,
    /// Any other column or key, by its name in lower case: `regio = "Oost"`, `tags = "pers"`.
    pub fields: crate::fields::Fields,
    /// Where the entry is, for messages.
    pub location: Location,
}

impl Subscriber {
    /// A reader without a name, for review copies and test sends.
    pub fn sample(file: &Arc<SourceFile>) -> Subscriber {
        Subscriber {
            email: "lezer@example.org".parse().expect("a valid address"),
            name: None,
            status: Status::Active,
            fields: crate::fields::Fields::new(),
            location: Location::new(file, 0..0),
        }
    }
}

/// The column or key `name` (lower case) is most likely meant to be, when it is not that one
/// but close: `stauts`, `e-mial`, `naaam`.
pub(super) fn near_miss(name: &str, known: &[&'static str]) -> Option<&'static str> {
    let name = name.to_lowercase();
    if known.contains(&name.as_str()) {
        return None;
    }
    known.iter().copied().find(|k| {
        strsim::damerau_levenshtein(&name, k) <= 2 || (name.contains("status") && *k == "status")
    })
}
