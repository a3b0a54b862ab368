//! The list kept in the ledger, as staff and sends use it: importing a file into it (all or
//! nothing, row by row reported), adding and removing one person, exporting it for Excel, and
//! reading it as the [`SubscriberList`] a send plans from.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Location, SourceFile, display_path};
use crate::error::Error;
use crate::ledger::{self, Change, Consent, Entry, Ledger, ListStatus, Member};
use crate::source::spreadsheet_cell;
use crate::subscribers::{Status, Subscriber, SubscriberList};
use crate::unsubscribe::TokenKey;

/// One newsletter's list: its `list-id` in a ledger, and how erased addresses are hashed.
pub struct List<'a> {
    pub ledger: &'a Ledger,
    pub list_id: &'a str,
    /// Makes the keyed hash an erased address leaves (see [`TokenKey::erased`]).
    pub key: &'a TokenKey,
    /// The text the people agreed to (a form's consent line, a membership form's box), kept
    /// once per version with their consent rows.
    pub agreed: Option<String>,
}

/// What an import or an add did, row by row.
pub struct Report {
    /// The row's line in the file (0 for the command line), its address and what was done.
    pub rows: Vec<(usize, String, Change)>,
    /// What to warn about the file: read as Windows-1252, say.
    pub warnings: Vec<String>,
}

/// Who runs the command, for the consent row: the account name.
pub fn actor() -> Option<String> {
    ["USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

impl List<'_> {
    /// Imports the list file at `path` (TOML, CSV, or a workbook's first sheet): every row
    /// valid or nothing written; each address added, updated (name), left unchanged, or
    /// refused when it unsubscribed, was suppressed or erased. An entry marked `unsubscribed`
    /// in the file unsubscribes that address.
    pub fn import(&self, path: &Path, source: &str) -> Result<Report, Error> {
        let file = SubscriberList::load(path)?;
        let bytes = std::fs::read(path).map_err(|e| Error::Failed(format!("{e}")))?;
        let name = path
            .file_name()
            .map_or_else(|| display_path(path), |n| n.to_string_lossy().into_owned());
        let consent = self.consent(
            "import",
            format!(
                "file {name} (SHA-256 {}): {source}",
                ledger::sha256_hex(&bytes)
            ),
            self.agreed.clone(),
        );
        let source = format!("import {name}");
        let (active, gone): (Vec<&Subscriber>, Vec<&Subscriber>) = file
            .subscribers
            .iter()
            .partition(|s| s.status == Status::Active);
        let members: Vec<Entry<'_>> = active.iter().map(|s| entry(s, &source)).collect();
        let erased = |a: &str| self.key.erased(a);
        let changes = (self.ledger).write_members(self.list_id, &members, &consent, &erased)?;
        let lines = Lines::of(&file.file.text);
        let line = |s: &Subscriber| lines.line(s.location.span.start);
        let mut rows: Vec<(usize, String, Change)> = active
            .iter()
            .zip(changes)
            .map(|(s, c)| (line(s), s.email.as_str().to_owned(), c))
            .collect();
        for s in gone {
            let removed = self.ledger.unsubscribe_member(
                self.list_id,
                s.email.as_str(),
                &format!("marked unsubscribed in {name}"),
                consent.at,
            )?;
            let change = match removed {
                true => Change::Updated,
                false => Change::Unchanged,
            };
            rows.push((line(s), s.email.as_str().to_owned(), change));
        }
        rows.sort_by_key(|(line, _, _)| *line);
        Ok(Report {
            rows,
            warnings: file.warnings.clone(),
        })
    }

    /// Adds one person by staff, with their consent on record: how they asked (`source`).
    pub fn add(
        &self,
        address: &str,
        name: Option<String>,
        fields: crate::fields::Fields,
        source: &str,
    ) -> Result<Change, Error> {
        let email: crate::edition::value::EmailAddr = address
            .parse()
            .map_err(|e| Error::Refused(format!("{e}")))?;
        let consent = self.consent(
            "staff",
            format!("courant subscribers add: {source}"),
            self.agreed.clone(),
        );
        let member = Member {
            address: email.as_str().to_owned(),
            name,
            fields,
            status: ListStatus::Active,
            created: consent.at,
            updated: consent.at,
            source: format!("staff: {source}"),
        };
        let erased = |a: &str| self.key.erased(a);
        let mut changes =
            (self.ledger).write_members(self.list_id, &[member.entry()], &consent, &erased)?;
        Ok(changes.pop().unwrap_or(Change::Unchanged))
    }

    /// A consent row of this command, run now by the account running it.
    fn consent(&self, method: &str, detail: impl Into<String>, text: Option<String>) -> Consent {
        Consent {
            at: ledger::now(),
            method: method.into(),
            detail: detail.into(),
            actor: actor(),
            text_hash: None,
            text,
            ip: None,
        }
    }

    /// Writes a changed name or fields of someone on the list.
    pub fn edit(&self, member: &Member) -> Result<Change, Error> {
        let consent = self.consent("staff", "courant subscribers edit", None);
        let erased = |a: &str| self.key.erased(a);
        let mut changes =
            (self.ledger).write_members(self.list_id, &[member.entry()], &consent, &erased)?;
        Ok(changes.pop().unwrap_or(Change::Unchanged))
    }
}

/// The stored list as a send reads it: the active readers (and, for the counts, who
/// unsubscribed); an error when it is empty, naming the way to fill it.
pub fn stored(ledger: &Ledger, list_id: &str) -> Result<SubscriberList, Error> {
    let members = ledger.members(list_id, None)?;
    let file = SourceFile::new(format!("the list in {}", ledger.location()), "");
    let subscribers: Vec<Subscriber> = members
        .into_iter()
        .filter(|m| m.status != ListStatus::Pending)
        .filter_map(|m| {
            Some(Subscriber {
                email: m.address.parse().ok()?,
                name: m.name,
                status: match m.status {
                    ListStatus::Active => Status::Active,
                    _ => Status::Unsubscribed,
                },
                fields: m.fields,
                location: Location::new(&file, 0..0),
            })
        })
        .collect();
    if subscribers.is_empty() {
        return Err(Error::Refused(format!(
            "the list of `{}` in {} is empty: add readers with `courant subscribers import \
             FILE` (or `subscribers add`), or name a list file with --subscribers",
            list_id,
            ledger.location()
        )));
    }
    Ok(SubscriberList {
        file: Arc::clone(&file),
        subscribers,
        warnings: Vec::new(),
        audience: None,
    })
}

/// The suppressed addresses (keys), with every reader of `list` whose address was erased:
/// an erased person who is still in a list file is not mailed. Their addresses are found by
/// the keyed hash they left, made with the secret of `edition`'s folder.
pub fn suppressed(
    ledger: &Ledger,
    list: &[Subscriber],
    edition: &crate::edition::Edition,
) -> Result<ledger::KeySet, Error> {
    let mut suppressed = ledger.suppressed()?;
    if !suppressed.iter().any(|k| k.starts_with("erased:")) {
        return Ok(suppressed);
    }
    let dir = crate::edition::dir_of(&edition.newsletter_file.path);
    let key = TokenKey::find(edition.newsletter.list_id.as_str(), Some(dir))?;
    for s in list {
        if suppressed.contains(&key.erased(s.email.as_str())) {
            suppressed.insert(ledger::key(s.email.as_str()));
        }
    }
    Ok(suppressed)
}

/// `s` as an entry to write to the list.
fn entry<'a>(s: &'a Subscriber, source: &'a str) -> Entry<'a> {
    Entry {
        address: s.email.as_str(),
        name: s.name.as_deref(),
        fields: &s.fields,
        status: ListStatus::Active,
        source,
    }
}

/// Where each line of a text starts, to name the line of many offsets at once (naming each
/// by counting from the start would take quadratic time over a list of 100,000).
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Lines {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts.collect())
    }

    /// The 1-based line of the byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// The list as CSV for Excel (`email,name,status,created,source`), every cell formula-safe.
pub fn to_csv(members: &[Member]) -> Result<String, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::Failed(format!("cannot write the CSV: {e}"));
    let mut fields: Vec<&str> = members.iter().flat_map(|m| m.fields.names()).collect();
    fields.sort();
    fields.dedup();
    let mut header = vec!["email", "name", "status", "created", "source"];
    header.extend(fields.iter().copied());
    writer.write_record(&header).map_err(failed)?;
    for m in members {
        let created = ledger::time(m.created);
        let mut cells = vec![
            m.address.as_str(),
            m.name.as_deref().unwrap_or(""),
            m.status.as_str(),
            created.as_str(),
            m.source.as_str(),
        ];
        cells.extend(fields.iter().map(|f| m.fields.get(f).unwrap_or("")));
        writer
            .write_record(cells.iter().map(|c| spreadsheet_cell(c).into_owned()))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Failed(e.to_string()))?;
    Ok(String::from_utf8(bytes).expect("written from strings"))
}

/// The list as `[[subscriber]]` tables, the form `--subscribers` and `import` read back.
pub fn to_toml(members: &[Member]) -> String {
    let mut out = String::new();
    for m in members {
        let mut table = toml::Table::new();
        table.insert("email".into(), m.address.clone().into());
        if let Some(name) = &m.name {
            table.insert("name".into(), name.clone().into());
        }
        if m.status == ListStatus::Unsubscribed {
            table.insert("status".into(), "unsubscribed".into());
        }
        out.push_str("[[subscriber]]\n");
        out.push_str(&toml::to_string(&table).expect("strings serialise"));
        out.push('\n');
    }
    out
}
