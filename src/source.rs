//! Reading the files people write — TOML and CSV — with positions, shared by the edition and
//! the subscriber list: a UTF-8 check, the byte-order mark dropped, and the parser's errors turned
//! into findings that point at `file:line:column`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

pub use crate::diagnostic::SourceFile;
use crate::diagnostic::{Finding, Location, display_path};

/// Why an input file could not be used; commands exit 2 on any of these.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{}`: {source}", display_path(path))]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "no `{}` beside `{}`: the newsletter's settings must be in the edition's folder",
        display_path(settings),
        display_path(edition)
    )]
    MissingSettings { settings: PathBuf, edition: PathBuf },
    #[error("{0}")]
    Invalid(Box<Finding>),
}

impl LoadError {
    pub(crate) fn invalid(finding: Finding) -> Self {
        LoadError::Invalid(Box::new(finding))
    }
}

/// Reads a UTF-8 file (TOML must be UTF-8) and refuses characters that the renderer reserves
/// for itself. A byte-order mark is dropped and CRLF line ends become LF: Notepad and Git for
/// Windows write both, and they are line ends, not content.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, LoadError> {
    let bytes = read_bytes(path)?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Err(not_utf8(path, e.as_bytes(), e.utf8_error().valid_up_to())),
    };
    checked(SourceFile::new(path, normalize(&text)))
}

/// Reads a text file that may come from a spreadsheet: UTF-8 when it is, else Windows-1252,
/// Excel's "CSV" encoding on Dutch and other Western European Windows, with a warning to show,
/// as a name could have been another encoding's.
pub fn read_spreadsheet(path: &Path) -> Result<(Arc<SourceFile>, Option<String>), LoadError> {
    let bytes = read_bytes(path)?;
    // Excel's "Unicode Text" is UTF-16 with a byte-order mark.
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(&bytes)
        && encoding != encoding_rs::UTF_8
    {
        let (text, _) = encoding.decode_with_bom_removal(&bytes);
        return Ok((checked(SourceFile::new(path, normalize(&text)))?, None));
    }
    let (text, warning) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            // By the bytes, not the byte-order mark: Excel's "CSV UTF-8" of a sheet pasted
            // from a Windows-1252 file has a UTF-8 mark before Windows-1252 bytes. (`decode`
            // would trust the mark and turn `ü` into U+FFFD.)
            let bytes = e.as_bytes();
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            let warning = format!(
                "`{}` is not UTF-8; read as Windows-1252, the encoding of Excel's \"CSV\" \
                 (if names look wrong, save it as \"CSV UTF-8\")",
                display_path(path)
            );
            (text.into_owned(), Some(warning))
        }
    };
    Ok((checked(SourceFile::new(path, normalize(&text)))?, warning))
}

/// The field separator and where the header row starts. A first line `sep=;` (which Excel
/// reads and some exports write) names it; otherwise the header row tells: Dutch spreadsheet
/// exports separate fields with `;`, "Unicode Text" with tabs, most others with `,`.
pub fn csv_layout(text: &str) -> (u8, usize) {
    let first = text.lines().next().unwrap_or("");
    if let Some(sep) = first.strip_prefix("sep=").or(first.strip_prefix("SEP="))
        && let [byte] = sep.as_bytes()
    {
        return (*byte, (first.len() + 1).min(text.len()));
    }
    let count = |c: char| first.matches(c).count();
    let mut best = (b',', count(','));
    for (byte, n) in [(b';', count(';')), (b'\t', count('\t'))] {
        if n > best.1 {
            best = (byte, n);
        }
    }
    (best.0, 0)
}

/// Text in a CSV file that staff open in Excel or LibreOffice. A cell that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is read there as a formula (a link that sends the sheet
/// away, a command), so it gets a leading `'`, as OWASP advises: spreadsheets show such a
/// cell as the text after it. [`from_spreadsheet_cell`] undoes it.
pub fn spreadsheet_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The text of a cell that [`spreadsheet_cell`] wrote: without the `'` it added.
pub fn from_spreadsheet_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The largest file courant reads as an edition or a list: a list of a million readers is
/// about 60 MB. A device such as `/dev/zero` given by mistake would otherwise be read without
/// end.
pub const MAX_TEXT_BYTES: u64 = 100_000_000;

/// Reads the first sheet of a workbook (`.xlsx`, `.xls`, `.ods`) as CSV text, one line per
/// row, so that a list kept in Excel or LibreOffice reads as its CSV export would, and a
/// problem in row 7 is reported at line 7 of the workbook.
pub fn read_workbook(path: &Path) -> Result<Arc<SourceFile>, LoadError> {
    use calamine::{Data, Reader};
    let unreadable = |e: &dyn std::fmt::Display| {
        let message = format!(
            "cannot read the workbook `{}`: {e}; save it again from Excel or LibreOffice, or \
             export it as \"CSV UTF-8\"",
            display_path(path)
        );
        LoadError::invalid(Finding::error("workbook-unreadable", message))
    };
    let mut book = calamine::open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(source) => LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
        e => unreadable(&e),
    })?;
    let range = match book.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| unreadable(&e))?,
        None => return Err(unreadable(&"it has no sheet")),
    };
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in range.rows() {
        let cells = row.iter().map(|cell| match cell {
            Data::Empty => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            other => other.to_string(),
        });
        csv.write_record(cells).map_err(|e| unreadable(&e))?;
    }
    let bytes = csv.into_inner().map_err(|e| unreadable(&e))?;
    let text = String::from_utf8(bytes).expect("cells are text");
    checked(SourceFile::new(path, normalize(&text)))
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let read_error = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        let message = format!(
            "`{}` is larger than {} MB: courant reads editions and lists up to that size; is it \
             the right file?",
            display_path(path),
            MAX_TEXT_BYTES / 1_000_000
        );
        return Err(LoadError::invalid(Finding::error("too-large", message)));
    }
    // A workbook is a ZIP (.xlsx, .ods) or an OLE2 compound file (.xls): reading it as text
    // would only complain about its bytes.
    let workbook =
        bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1");
    if workbook {
        let message = format!(
            "`{}` is a spreadsheet workbook (Excel or LibreOffice), not a text file: give it \
             its own name (`.xlsx`, `.ods`, `.xls`), which courant reads as a workbook, or save \
             the sheet as CSV (Excel: File, Save As, \"CSV UTF-8 (Comma delimited) (*.csv)\"; \
             LibreOffice: File, Save As, \"Text CSV\") and give that file",
            display_path(path)
        );
        return Err(LoadError::invalid(Finding::error("not-text", message)));
    }
    Ok(bytes)
}

/// Without a byte-order mark, and with LF line ends.
fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    }
}

/// The first invalid byte's line and column, and what to do about it.
fn not_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> LoadError {
    let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line_end = bytes[valid_up_to..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| valid_up_to + n);
    let lossy = String::from_utf8_lossy(&bytes[..line_end]).into_owned();
    let file = SourceFile::new(path, normalize(&lossy));
    let offset = normalize(&before).len();
    let finding = Finding::error(
        "not-utf8",
        "this file is not UTF-8 (the byte here is not valid UTF-8); save the file as UTF-8 \
         (Notepad: File, Save as, Encoding: UTF-8)",
    )
    .at(Location::new(&file, offset..offset + 1));
    LoadError::invalid(finding)
}

/// Refuses the private-use characters the renderer marks personal slots with.
/// The text of a quoted value where TOML wants a date: `invalid type: string "15-01-2023",
/// expected a TOML datetime`.
fn quoted_date(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("invalid type: string \"")?;
    let (text, tail) = rest.split_once('"')?;
    tail.contains("datetime").then_some(text)
}

/// What to do when a straight quote inside a `"…"` text ended it early: the parser stops at the
/// words after it (`body = "… de "receptie" …"`), and says only that it expected a new line.
fn quote_advice(text: &str, at: usize) -> Option<String> {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let (_, value) = text[line_start..line_end].split_once('=')?;
    let value = value.trim_start();
    // A basic string opened on this line, with more quotes after its end than a closing one.
    let quotes = value.matches('"').count() - value.matches("\\\"").count();
    if !value.starts_with('"') || value.starts_with("\"\"\"") || quotes < 3 {
        return None;
    }
    Some(
        "a straight quote `\"` inside a text ends the text there: write typographic quotes \
         (“receptie” or ‘receptie’), or put the text between `'''` and `'''` (or `\"\"\"` and \
         `\"\"\"`), where straight quotes are allowed"
            .to_owned(),
    )
}

/// How to write `text` as a TOML date, reading day-month-year as the Dutch write it.
fn date_advice(text: &str) -> String {
    let parts: Vec<&str> = text
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let number = |p: &str| p.parse::<u32>().ok();
    let example = match parts.as_slice() {
        [d, m, y] if y.len() == 4 => number(d).zip(number(m)).zip(number(y)),
        [y, m, d] if y.len() == 4 => number(d).zip(number(m)).zip(number(y)),
        _ => None,
    }
    .map_or("2023-01-19".to_owned(), |((d, m), y)| {
        format!("{y:04}-{m:02}-{d:02}")
    });
    format!(
        "`{text}` is text, not a date: write the date without quotes, year first: `date = {example}`"
    )
}

fn checked(file: Arc<SourceFile>) -> Result<Arc<SourceFile>, LoadError> {
    if let Some((offset, c)) = file.text.char_indices().find(|&(_, c)| is_private_use(c)) {
        return Err(private_use(&file, offset..offset + c.len_utf8(), c));
    }
    Ok(file)
}

fn private_use(file: &Arc<SourceFile>, span: std::ops::Range<usize>, c: char) -> LoadError {
    let finding = Finding::error(
        "private-use-character",
        format!("private-use character U+{:04X} is not allowed", c as u32),
    )
    .at(Location::new(file, span));
    LoadError::invalid(finding)
}

/// A private-use character in any TOML value, written as an escape (`\uE000`) as well.
fn private_use_in_values(file: &Arc<SourceFile>) -> Result<(), LoadError> {
    let Ok(table) = toml::de::DeTable::parse(&file.text) else {
        return Ok(());
    };
    let mut stack: Vec<&toml::Spanned<toml::de::DeValue>> = table.get_ref().values().collect();
    while let Some(value) = stack.pop() {
        match value.get_ref() {
            toml::de::DeValue::String(s) => {
                if let Some(c) = s.chars().find(|&c| is_private_use(c)) {
                    return Err(private_use(file, value.span(), c));
                }
            }
            toml::de::DeValue::Array(items) => stack.extend(items.iter()),
            toml::de::DeValue::Table(table) => stack.extend(table.values()),
            _ => {}
        }
    }
    Ok(())
}

/// The renderer marks personal slots with private-use characters (see `render::slots`).
pub fn is_private_use(c: char) -> bool {
    ('\u{e000}'..='\u{f8ff}').contains(&c)
}

/// Parses TOML into `T`, turning the parser's message and span into a finding.
pub fn parse<T: DeserializeOwned>(file: &Arc<SourceFile>) -> Result<T, LoadError> {
    private_use_in_values(file)?;
    toml::from_str(&file.text).map_err(|e| {
        // TOML says "key" where serde says "field".
        let message = e.message().trim_end();
        let (code, message) = if let Some(rest) = message.strip_prefix("unknown field") {
            ("unknown-key", format!("unknown key{rest}"))
        } else if let Some(rest) = message.strip_prefix("missing field") {
            ("missing-key", format!("missing key{rest}"))
        } else if let Some(text) = quoted_date(message) {
            ("invalid-date", date_advice(text))
        } else if let Some(advice) = e.span().and_then(|s| quote_advice(&file.text, s.start)) {
            ("quote-in-text", advice)
        } else {
            ("invalid-toml", message.to_owned())
        };
        let span = e.span().unwrap_or(0..0);
        LoadError::invalid(Finding::error(code, message).at(Location::new(file, span)))
    })
}

/// A path written in an edition or the settings, relative to their folder. A backslash, as
/// written on Windows, is taken as `/`: the same text names the same file on every system (and
/// no name an edition shares between machines contains one).
pub fn written_path(text: &str) -> PathBuf {
    PathBuf::from(text.replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::{from_spreadsheet_cell, spreadsheet_cell};

    #[test]
    fn cells_a_spreadsheet_would_run_become_text_and_read_back() {
        for text in ["=1+1", "+31 6 12345678", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let cell = spreadsheet_cell(text);
            assert_eq!(cell, format!("'{text}"));
            assert_eq!(from_spreadsheet_cell(&cell), text);
        }
        assert_eq!(spreadsheet_cell("anne@example.nl"), "anne@example.nl");
        assert_eq!(from_spreadsheet_cell("'t Hooft"), "'t Hooft");
    }
}
