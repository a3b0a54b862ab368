//! `[[subscriber]]` tables: each parsed on its own when the file is only those, every key
//! besides `email`, `name` and `status` a field.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::reader::{Status, Subscriber, near_miss};
use crate::diagnostic::{Finding, Location, SourceFile};
use crate::edition::value::{EmailAddr, HeaderText, check_header_text};
use crate::source::{LoadError, parse};

/// The keys of a `[[subscriber]]` table.
const TOML_KNOWN: [&str; 3] = ["email", "name", "status"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlList {
    #[serde(default, rename = "subscriber")]
    subscribers: Vec<TomlSubscriber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TomlSubscriber {
    email: Spanned<EmailAddr>,
    #[serde(default)]
    name: Option<HeaderText>,
    #[serde(default)]
    status: Status,
    /// Every other key is a field.
    #[serde(flatten)]
    fields: BTreeMap<String, toml::Value>,
}

pub(super) fn from_toml(file: &Arc<SourceFile>) -> Result<Vec<Subscriber>, LoadError> {
    if let Some(subscribers) = from_toml_tables(file) {
        return Ok(subscribers);
    }
    let list: TomlList = parse(file)?;
    list.subscribers
        .into_iter()
        .map(|s| s.into_subscriber(file, 0))
        .collect()
}

/// Parses each `[[subscriber]]` table on its own: a list of 100,000 then needs a few MB
/// instead of the ~200 MB the whole document takes at once. `None` when the file is not
/// simply a run of such tables, or when any table does not parse: then the whole file is
/// parsed as usual, so errors are reported exactly as for any TOML file.
pub(super) fn from_toml_tables(file: &Arc<SourceFile>) -> Option<Vec<Subscriber>> {
    const HEADER: &str = "[[subscriber]]";
    let text = &file.text;
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed == HEADER {
            starts.push(offset + line.len());
        } else if starts.is_empty() && !(trimmed.is_empty() || trimmed.starts_with('#')) {
            return None;
        }
        offset += line.len();
    }
    let ends = starts
        .iter()
        .skip(1)
        .map(|&next| text[..next].trim_end().len() - HEADER.len());
    let mut subscribers = Vec::with_capacity(starts.len());
    for (&start, end) in starts.iter().zip(ends.chain([text.len()])) {
        let table: TomlSubscriber = toml::from_str(&text[start..end]).ok()?;
        subscribers.push(table.into_subscriber(file, start).ok()?);
    }
    Some(subscribers)
}

impl TomlSubscriber {
    /// `base`: where the text this was parsed from starts in the file.
    fn into_subscriber(self, file: &Arc<SourceFile>, base: usize) -> Result<Subscriber, LoadError> {
        let span = self.email.span();
        let location = Location::new(file, span.start + base..span.end + base);
        let mut fields = crate::fields::Fields::new();
        for (key, value) in self.fields {
            let at = key_location(file, location.span.start, &key).unwrap_or(location.clone());
            let refuse = |message: String| {
                LoadError::invalid(Finding::error("unknown-key", message).at(at.clone()))
            };
            if let Some(known) = near_miss(&key, &TOML_KNOWN) {
                return Err(refuse(format!(
                    "unknown key `{key}`: did you mean `{known}`? (Any other key is a field, but \
                     one this close to `{known}` is refused, so that a misspelt `status` cannot \
                     mail someone who unsubscribed.)"
                )));
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
                    value.to_string()
                }
                other => {
                    return Err(refuse(format!(
                        "the field `{key}` is {}; a field is one text, e.g. `{key} = \"Oost\"`",
                        other.type_str()
                    )));
                }
            };
            check_header_text(&text).map_err(|e| refuse(format!("the field `{key}`: {e}")))?;
            fields.insert(key.to_lowercase(), text);
        }
        Ok(Subscriber {
            location,
            email: self.email.into_inner(),
            name: self
                .name
                .map(|n| n.to_string())
                .filter(|n| !n.trim().is_empty()),
            status: self.status,
            fields,
        })
    }
}

/// Where `key` is written in the `[[subscriber]]` table around the offset `inside`.
fn key_location(file: &Arc<SourceFile>, inside: usize, key: &str) -> Option<Location> {
    let text = &file.text;
    let table = text[..inside].rfind("[[subscriber]]").unwrap_or(0);
    let end = text[inside..]
        .find("[[subscriber]]")
        .map_or(text.len(), |n| inside + n);
    let mut offset = table;
    for line in text[table..end].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with('=') {
            let start = offset + (line.len() - trimmed.len());
            return Some(Location::new(file, start..start + key.len()));
        }
        offset += line.len();
    }
    None
}
