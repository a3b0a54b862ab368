//! The subscriber list: `[[subscriber]]` entries in TOML, or a CSV export with a header row.
//!
//! Any problem in the list stops the run before anything is written or sent: an invalid address
//! or a duplicate names its file and line (both lines for a duplicate).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Finding, Location, SourceFile};
use crate::edition::value::{EmailAddr, HeaderText, ValueError, check_header_text};
use crate::source::{LoadError, csv_layout, parse, read_source, read_spreadsheet, read_workbook};

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
            location: Location::new(file, 0..0),
        }
    }
}

#[derive(Debug)]
pub struct SubscriberList {
    pub file: Arc<SourceFile>,
    pub subscribers: Vec<Subscriber>,
    /// What the command should warn about: a list read as Windows-1252, say.
    pub warnings: Vec<String>,
}

impl SubscriberList {
    /// Loads a `.csv` file as CSV, a workbook's first sheet (`.xlsx`, `.xls`, `.ods`) as its
    /// CSV would read, and anything else as TOML.
    pub fn load(path: &Path) -> Result<SubscriberList, LoadError> {
        let has = |kinds: &[&str]| {
            path.extension()
                .is_some_and(|e| kinds.iter().any(|known| e.eq_ignore_ascii_case(known)))
        };
        // Excel saves "CSV" as `.csv` and "Unicode Text" (tab-separated) as `.txt`.
        let workbook = has(&["xlsx", "xlsm", "xls", "ods"]);
        let is_csv = workbook || has(&["csv", "tsv", "txt"]);
        let (file, warning) = if workbook {
            (read_workbook(path)?, None)
        } else if is_csv {
            read_spreadsheet(path)?
        } else {
            (read_source(path)?, None)
        };
        let subscribers = if is_csv {
            from_csv(&file)?
        } else {
            from_toml(&file)?
        };
        if subscribers.is_empty() {
            let message = format!(
                "the subscriber list `{}` is empty",
                crate::diagnostic::display_path(path)
            );
            return Err(LoadError::invalid(Finding::error("empty-list", message)));
        }
        check_duplicates(&subscribers)?;
        Ok(SubscriberList {
            file,
            subscribers,
            warnings: warning.into_iter().collect(),
        })
    }

    pub fn active(&self) -> impl Iterator<Item = &Subscriber> {
        self.subscribers
            .iter()
            .filter(|s| s.status == Status::Active)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlList {
    #[serde(default, rename = "subscriber")]
    subscribers: Vec<TomlSubscriber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TomlSubscriber {
    email: Spanned<EmailAddr>,
    #[serde(default)]
    name: Option<HeaderText>,
    #[serde(default)]
    status: Status,
}

fn from_toml(file: &Arc<SourceFile>) -> Result<Vec<Subscriber>, LoadError> {
    if let Some(subscribers) = from_toml_tables(file) {
        return Ok(subscribers);
    }
    let list: TomlList = parse(file)?;
    Ok(list
        .subscribers
        .into_iter()
        .map(|s| s.into_subscriber(file, 0))
        .collect())
}

/// Parses each `[[subscriber]]` table on its own: a list of 100,000 then needs a few MB
/// instead of the ~200 MB the whole document takes at once. `None` when the file is not
/// simply a run of such tables, or when any table does not parse: then the whole file is
/// parsed as usual, so errors are reported exactly as for any TOML file.
fn from_toml_tables(file: &Arc<SourceFile>) -> Option<Vec<Subscriber>> {
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
        subscribers.push(table.into_subscriber(file, start));
    }
    Some(subscribers)
}

impl TomlSubscriber {
    /// `base`: where the text this was parsed from starts in the file.
    fn into_subscriber(self, file: &Arc<SourceFile>, base: usize) -> Subscriber {
        let span = self.email.span();
        Subscriber {
            location: Location::new(file, span.start + base..span.end + base),
            email: self.email.into_inner(),
            name: self
                .name
                .map(|n| n.to_string())
                .filter(|n| !n.trim().is_empty()),
            status: self.status,
        }
    }
}

fn from_csv(file: &Arc<SourceFile>) -> Result<Vec<Subscriber>, LoadError> {
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
        subscribers.push(Subscriber {
            email,
            name,
            status,
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
                None => {
                    let message = format!(
                        "unknown column `{header}`, expected `email`, `name` (or `voornaam`, \
                         `tussenvoegsel`, `achternaam`) or `status`; delete or rename it in the \
                         spreadsheet (columns courant does not read are refused, so that a \
                         misspelt `status` cannot mail someone who unsubscribed)"
                    );
                    let finding = Finding::error("unknown-key", message).at(at(header));
                    return Err(LoadError::invalid(finding));
                }
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

/// Refuses a list that names a reader twice: the first duplicate with where it was first
/// listed, and how many more there are, with the lines of the next few, so that a list
/// exported twice over is mended in one go rather than one run per line.
fn check_duplicates(subscribers: &[Subscriber]) -> Result<(), LoadError> {
    let mut seen: HashMap<String, &Subscriber> = HashMap::with_capacity(subscribers.len());
    let mut duplicates: Vec<(&Subscriber, &Subscriber)> = Vec::new();
    for s in subscribers {
        match seen.entry(crate::address::key(s.email.as_str())) {
            std::collections::hash_map::Entry::Occupied(first) => duplicates.push((s, first.get())),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(s);
            }
        }
    }
    let Some(&(s, first)) = duplicates.first() else {
        return Ok(());
    };
    let mut message = format!("duplicate subscriber `{}`", s.email);
    if duplicates.len() > 1 {
        let next: Vec<String> = duplicates[1..]
            .iter()
            .take(5)
            .map(|(d, _)| format!("`{}` (line {})", d.email, d.location.line_col().0))
            .collect();
        let more = duplicates.len() - 1 - next.len();
        let rest = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        message.push_str(&format!(
            "; {} duplicates in all, the next: {}{rest}",
            duplicates.len(),
            next.join(", ")
        ));
    }
    let finding = Finding::error("duplicate-subscriber", message)
        .at(s.location.clone())
        .note("first listed here", first.location.clone());
    Err(LoadError::invalid(finding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<SubscriberList, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        SubscriberList::load(&path)
    }

    #[test]
    fn semicolon_csv_with_bom_and_quotes() {
        let list = load("l.csv", "\u{feff}email;name;status\n\"a@x.example\";\"Jansen; Ömer\";\nb@x.example;;unsubscribed\n").unwrap();
        assert_eq!(list.subscribers.len(), 2);
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Jansen; Ömer"));
        assert_eq!(list.subscribers[1].status, Status::Unsubscribed);
        assert_eq!(list.active().count(), 1);
    }

    #[test]
    fn a_name_in_parts_is_joined_and_a_second_name_column_refused() {
        // An address export: columns in any order, the tussenvoegsel often empty.
        let csv = "Achternaam;E-mailadres;Voornaam;Tussenvoegsel;\r\n\
                   Vries;anne@x.example;Anne;de;\r\n\
                   Karaca;omer@x.example;Ömer;;\r\n\
                   ;redactie@x.example;;;\r\n";
        let list = load("export.csv", csv).unwrap();
        let names: Vec<_> = list.subscribers.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(names, [Some("Anne de Vries"), Some("Ömer Karaca"), None]);

        let err = load("l.csv", "email;naam;voornaam\na@x.example;A;B\n").unwrap_err();
        assert!(err.to_string().contains("both a `naam` column"), "{err}");
    }

    #[test]
    fn excel_unicode_text_is_utf16_with_tabs() {
        // Excel's "Unicode Text (*.txt)": UTF-16LE with a byte-order mark, tab-separated, CRLF.
        let text = "email\tname\r\nanne@x.example\tAnne Ö\r\nb@x.example\t\r\n";
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lijst.txt");
        std::fs::write(&path, bytes).unwrap();
        let list = SubscriberList::load(&path).unwrap();
        assert_eq!(list.subscribers.len(), 2);
        assert_eq!(list.subscribers[0].email.as_str(), "anne@x.example");
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Anne Ö"));
    }

    #[test]
    fn dutch_column_names_are_understood() {
        let list = load(
            "l.csv",
            "E-mailadres;Naam;Status\na@x.example;Anne;Afgemeld\n",
        )
        .unwrap();
        assert_eq!(list.subscribers[0].email.as_str(), "a@x.example");
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Anne"));
        assert_eq!(list.subscribers[0].status, Status::Unsubscribed);
    }

    #[test]
    fn excel_separator_line_is_obeyed() {
        let list = load(
            "l.csv",
            "sep=;\r\nemail;name\r\na@x.example;Jansen, Piet\r\n",
        )
        .unwrap();
        assert_eq!(list.subscribers.len(), 1);
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Jansen, Piet"));
        let err = load("l.csv", "sep=;\nemail;name\na@x.example;A;extra\n").unwrap_err();
        assert!(err.to_string().contains("l.csv:3:1"), "{err}");
    }

    #[test]
    fn every_duplicate_is_counted_and_the_next_ones_named() {
        let mut csv = String::from("email\n");
        for i in 0..10_000 {
            csv.push_str(&format!("r{}@x.example\n", i % 5_000));
        }
        let text = load("l.csv", &csv).unwrap_err().to_string();
        assert!(
            text.contains("duplicate subscriber `r0@x.example`"),
            "{text}"
        );
        assert!(text.contains("5000 duplicates in all"), "{text}");
        assert!(
            text.contains("the next: `r1@x.example` (line 5003), `r2@x.example` (line 5004)"),
            "{text}"
        );
        assert!(text.contains("and 4994 more"), "{text}");
    }

    #[test]
    fn duplicate_names_both_lines() {
        let err = load(
            "l.csv",
            "email,name\nA@x.example,A\nb@x.example,B\na@X.example,C\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("duplicate subscriber `a@X.example`"),
            "{text}"
        );
        assert!(
            text.contains("l.csv:4:1") && text.contains("l.csv:2:1"),
            "{text}"
        );
    }

    #[test]
    fn tables_parsed_one_by_one_keep_their_positions() {
        let text = "# list\n[[subscriber]]\nemail = \"a@x.example\"\n\n[[subscriber]]\nemail = \"b@x.example\"\nname = \"B\"\n";
        let file = SourceFile::new("s.toml", text);
        let list = from_toml_tables(&file).expect("a plain run of tables");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].location.line_col(), (6, 9));
        assert_eq!(list[1].name.as_deref(), Some("B"));
        let odd = SourceFile::new(
            "s.toml",
            "title = 1\n[[subscriber]]\nemail = \"a@x.example\"\n",
        );
        assert!(
            from_toml_tables(&odd).is_none(),
            "anything else goes to the full parser"
        );
    }

    #[test]
    fn toml_list_reads_names_and_status() {
        let list = load("s.toml", "[[subscriber]]\nemail = \"a@x.example\"\nname = \"Zoë\"\n[[subscriber]]\nemail = \"b@x.example\"\nstatus = \"unsubscribed\"\n").unwrap();
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Zoë"));
        assert_eq!(list.active().count(), 1);
    }
}
