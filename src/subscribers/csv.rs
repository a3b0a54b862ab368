//! A CSV export with a header row: Excel's and Dutch address exports' column names, the name
//! in parts, and every other column a field.

use std::sync::Arc;

use super::reader::{Status, Subscriber, near_miss};
use crate::diagnostic::{Finding, Location, SourceFile};
use crate::edition::value::{EmailAddr, ValueError, check_header_text};
use crate::source::{LoadError, csv_layout};

/// The columns a CSV list may name the address, the name and the status with.
const CSV_KNOWN: [&str; 6] = ["email", "e-mail", "e-mailadres", "name", "naam", "status"];
pub(super) fn from_csv(file: &Arc<SourceFile>) -> Result<Vec<Subscriber>, LoadError> {
    let (delimiter, base) = csv_layout(&file.text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(&file.text.as_bytes()[base..]);
    let columns = csv_columns(file, base, &mut reader)?;
    let mut subscribers = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, base, &e))?;
        let offset = base + record.position().map_or(0, |p| p.byte() as usize);
        let at = Location::new(file, offset..offset);
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let invalid = |e: ValueError| {
            LoadError::invalid(Finding::error("invalid-subscriber", e.to_string()).at(at.clone()))
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let email: EmailAddr = field(Some(columns.email)).parse().map_err(invalid)?;
        let name = columns.name(&record);
        check_header_text(&name).map_err(invalid)?;
        let status = match field(columns.status).to_ascii_lowercase().as_str() {
            "" | "active" | "actief" => Status::Active,
            "unsubscribed" | "afgemeld" => Status::Unsubscribed,
            other => {
                return Err(invalid(ValueError::new(format!(
                    "unknown status `{other}`; expected `active` or `unsubscribed` (`actief`, `afgemeld`)"
                ))));
            }
        };
        let name = (!name.is_empty()).then_some(name);
        let mut fields = crate::fields::Fields::new();
        for (i, key) in &columns.fields {
            let value = field(Some(*i));
            check_header_text(value).map_err(invalid)?;
            if !value.is_empty() {
                fields.insert(key.clone(), value.to_owned());
            }
        }
        subscribers.push(Subscriber {
            email,
            name,
            status,
            fields,
            location: at,
        });
    }
    Ok(subscribers)
}

/// Whether a (lowercased) header names the address column, as spreadsheets and Dutch address
/// exports name it.
pub fn is_email_column(header: &str) -> bool {
    matches!(
        header,
        "email" | "e-mail" | "e-mailadres" | "emailadres" | "email address" | "e-mail address"
    )
}

struct Columns {
    email: usize,
    name: Option<usize>,
    /// The name in parts, as address exports give it: first name, `tussenvoegsel` (`de`,
    /// `van der`), last name; joined with spaces when there is no `name` column.
    parts: [Option<usize>; 3],
    status: Option<usize>,
    /// Every other column, a field: its index and its name in lower case.
    fields: Vec<(usize, String)>,
}

impl Columns {
    /// The reader's name in `record`: the `name` column, or the parts joined.
    fn name(&self, record: &csv::StringRecord) -> String {
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        match self.name {
            Some(_) => field(self.name).to_owned(),
            None => self
                .parts
                .iter()
                .map(|&part| field(part))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The column of a part of the name (0 first, 1 between, 2 last), by its lowercased header.
fn name_part(header: &str) -> Option<usize> {
    match header {
        "voornaam" | "first name" | "firstname" | "given name" => Some(0),
        "tussenvoegsel" | "middle name" => Some(1),
        "achternaam" | "last name" | "lastname" | "surname" | "family name" => Some(2),
        _ => None,
    }
}

fn csv_columns(
    file: &Arc<SourceFile>,
    base: usize,
    reader: &mut csv::Reader<&[u8]>,
) -> Result<Columns, LoadError> {
    let headers = reader
        .headers()
        .map_err(|e| csv_error(file, base, &e))?
        .clone();
    let mut columns = Columns {
        email: usize::MAX,
        name: None,
        parts: [None; 3],
        status: None,
        fields: Vec::new(),
    };
    let at = |header: &str| {
        let offset = file.text[base..].find(header).map_or(base, |at| base + at);
        Location::new(file, offset..offset + header.len())
    };
    for (i, header) in headers.iter().enumerate() {
        // The names spreadsheets and Dutch address exports give these columns, too.
        match header.to_lowercase().as_str() {
            h if is_email_column(h) => columns.email = i,
            "name" | "naam" => columns.name = Some(i),
            "status" => columns.status = Some(i),
            h => match name_part(h) {
                Some(part) => columns.parts[part] = Some(i),
                // Excel writes `;;` after the last column when a row once had more.
                None if h.is_empty() => {}
                None => match near_miss(h, &CSV_KNOWN) {
                    None => columns.fields.push((i, h.to_owned())),
                    Some(known) => return Err(misspelt(header, known, at(header))),
                },
            },
        }
    }
    if let (Some(name), true) = (columns.name, columns.parts.iter().any(Option::is_some)) {
        let header = &headers[name];
        let message = format!(
            "both a `{header}` column and the name in parts (`voornaam`, `achternaam`): \
             which one is the name? Delete one of them in the spreadsheet"
        );
        return Err(LoadError::invalid(
            Finding::error("unknown-key", message).at(at(header)),
        ));
    }
    if columns.email == usize::MAX {
        let finding = Finding::error("missing-key", "the header row has no `email` column")
            .at(Location::new(file, base..base));
        return Err(LoadError::invalid(finding));
    }
    Ok(columns)
}

/// The error for a column within two letters of a known one.
fn misspelt(header: &str, known: &str, at: Location) -> LoadError {
    let message = format!(
        "unknown column `{header}`: did you mean `{known}`? Rename it in the spreadsheet (any \
         other column is a field, but one this close to `{known}` is refused, so that a \
         misspelt `status` cannot mail someone who unsubscribed)"
    );
    LoadError::invalid(Finding::error("unknown-key", message).at(at))
}

fn csv_error(file: &Arc<SourceFile>, base: usize, error: &csv::Error) -> LoadError {
    let offset = base + error.position().map_or(0, |p| p.byte() as usize);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!(
                "this row has {len} fields, but the header row has {expected_len}; a name that \
                 contains the separator must be in double quotes (\"Jansen; Piet\")"
            )
        }
        _ => format!("invalid CSV: {error}"),
    };
    LoadError::invalid(
        Finding::error("invalid-csv", message).at(Location::new(file, offset..offset)),
    )
}
