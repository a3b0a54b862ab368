//! Reading the two TOML files of an edition into the model.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{Content, Edition, Newsletter};
use crate::diagnostic::{Finding, Location, SourceFile, display_path};

/// The settings file, looked for in the edition file's folder.
pub const NEWSLETTER_FILE: &str = "newsletter.toml";

/// Why an edition could not be loaded; `check` exits 2 on any of these.
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

impl Edition {
    /// Loads `path` and the `newsletter.toml` beside it.
    pub fn load(path: &Path) -> Result<Edition, LoadError> {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let slug = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let settings = dir.join(NEWSLETTER_FILE);
        if !settings.exists() && path.exists() {
            return Err(LoadError::MissingSettings {
                settings,
                edition: path.to_path_buf(),
            });
        }
        let newsletter_file = read_source(&settings)?;
        let newsletter: Newsletter = parse(&newsletter_file)?;
        let file = read_source(path)?;
        let content: Content = parse(&file)?;
        check_date(&file, &content)?;
        Ok(Edition {
            slug,
            dir,
            newsletter,
            content,
            newsletter_file,
            file,
        })
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

/// The renderer marks personal slots with private-use characters (see `render::template`).
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

fn check_date(file: &Arc<SourceFile>, content: &Content) -> Result<(), LoadError> {
    let date = content.date.get_ref();
    if date.date.is_some() && date.time.is_none() {
        return Ok(());
    }
    let finding = Finding::error(
        "invalid-date",
        format!("invalid date `{date}`; expected a date such as `2022-12-15`"),
    )
    .at(Location::new(file, content.date.span()));
    Err(LoadError::invalid(finding))
}
