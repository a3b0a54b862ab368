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

/// Reads a UTF-8 file and refuses characters that the renderer reserves for itself.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::Read {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ),
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    let file = SourceFile::new(path, text);
    if let Some((offset, c)) = file.text.char_indices().find(|&(_, c)| is_private_use(c)) {
        let finding = Finding::error(
            "private-use-character",
            format!("private-use character U+{:04X} is not allowed", c as u32),
        )
        .at(Location::new(&file, offset..offset + c.len_utf8()));
        return Err(LoadError::invalid(finding));
    }
    Ok(file)
}

/// The renderer marks personal slots with private-use characters (see `render::slots`).
pub fn is_private_use(c: char) -> bool {
    ('\u{e000}'..='\u{f8ff}').contains(&c)
}

/// Parses TOML into `T`, turning the parser's message and span into a finding.
pub fn parse<T: DeserializeOwned>(file: &Arc<SourceFile>) -> Result<T, LoadError> {
    toml::from_str(&file.text).map_err(|e| {
        // TOML says "key" where serde says "field".
        let message = e.message().trim_end();
        let (code, message) = if let Some(rest) = message.strip_prefix("unknown field") {
            ("unknown-key", format!("unknown key{rest}"))
        } else if let Some(rest) = message.strip_prefix("missing field") {
            ("missing-key", format!("missing key{rest}"))
        } else {
            ("invalid-toml", message.to_owned())
        };
        let span = e.span().unwrap_or(0..0);
        LoadError::invalid(Finding::error(code, message).at(Location::new(file, span)))
    })
}
