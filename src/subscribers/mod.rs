//! The subscriber list: `[[subscriber]]` entries in TOML, or a CSV export (or a workbook's first
//! sheet) with a header row; every column or key besides the address, name and status is a field.
//!
//! Any problem in the list stops the run before anything is written or sent: an invalid address
//! or a duplicate names its file and line (both lines for a duplicate).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Finding, SourceFile};
use crate::source::{LoadError, read_source, read_spreadsheet, read_workbook};

mod csv;
mod reader;
mod toml;

pub use reader::{Status, Subscriber};

use csv::from_csv;
pub use csv::is_email_column;
use toml::from_toml;
#[cfg(test)]
use toml::from_toml_tables;

#[derive(Debug)]
pub struct SubscriberList {
    pub file: Arc<SourceFile>,
    pub subscribers: Vec<Subscriber>,
    /// What the command should warn about: a list read as Windows-1252, say.
    pub warnings: Vec<String>,
    /// The edition's audience, when it has one, and how many active readers it leaves out.
    pub audience: Option<(String, usize)>,
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
            audience: None,
        })
    }

    /// For each field the greeting `text` names that some active readers lack: a warning
    /// that says how many get the fallback greeting instead.
    pub fn greeting_gaps(&self, text: &str) -> Vec<String> {
        let active = self.active().count();
        crate::personal::fields_in(text)
            .into_iter()
            .filter_map(|field| {
                let lacking = self
                    .active()
                    .filter(|s| s.fields.get(&field).is_none_or(|v| v.trim().is_empty()))
                    .count();
                (lacking > 0).then(|| {
                    format!(
                        "the greeting uses `{{{field}}}`, which {lacking} of the {active} active \
                         readers lack: they get the fallback greeting"
                    )
                })
            })
            .collect()
    }

    /// Keeps only the readers in `audience`; the others are no recipients of this edition (not
    /// unsubscribed: they are simply not counted). Warns when no reader has a field it names.
    pub fn narrow(&mut self, audience: &crate::edition::audience::Audience) {
        let before = self.active().count();
        for field in audience.fields() {
            if !self
                .subscribers
                .iter()
                .any(|s| s.fields.contains_key(field))
            {
                self.warnings.push(format!(
                    "the audience names `{field}`, but no reader of the list has that field"
                ));
            }
        }
        self.subscribers.retain(|s| audience.includes(&s.fields));
        let outside = before - self.active().count();
        self.audience = Some((audience.to_string(), outside));
    }

    pub fn active(&self) -> impl Iterator<Item = &Subscriber> {
        self.subscribers
            .iter()
            .filter(|s| s.status == Status::Active)
    }
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
