//! Reading the two TOML files of an edition into the model.

use std::path::Path;
use std::sync::Arc;

use super::{Content, Edition, NEWSLETTER_FILE, Newsletter};
use crate::diagnostic::{Finding, Location};
use crate::source::{LoadError, SourceFile, parse, read_source};

impl Edition {
    /// Loads `path` and the `newsletter.toml` beside it.
    pub fn load(path: &Path) -> Result<Edition, LoadError> {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let slug = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            return Err(LoadError::invalid(Finding::error(
                "not-a-file",
                format!(
                    "`{}` is a folder; name an edition file, e.g. `{}`",
                    crate::diagnostic::display_path(path),
                    example_edition(path)
                ),
            )));
        }
        let settings = dir.join(NEWSLETTER_FILE);
        if !settings.exists() && path.exists() {
            return Err(LoadError::MissingSettings {
                settings,
                edition: path.to_path_buf(),
            });
        }
        let newsletter_file = read_source(&settings)?;
        let mut newsletter: Newsletter = parse(&newsletter_file)?;
        let file = read_source(path)?;
        let content: Content = parse(&file)?;
        check_date(&file, &content)?;
        // An edition in another language than the newsletter's (an English invitation of a
        // Dutch newsletter) says so itself; its words, pages and `lang` follow it.
        if let Some(language) = content.language {
            newsletter.language = language;
        }
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

/// An edition file in `folder` to name in a message, or the form of one.
fn example_edition(folder: &Path) -> String {
    let mut found: Vec<_> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name().is_some_and(|n| n != NEWSLETTER_FILE)
        })
        .collect();
    found.sort();
    found.last().map_or_else(
        || crate::diagnostic::display_path(&folder.join("<slug>.toml")),
        |p| crate::diagnostic::display_path(p),
    )
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
