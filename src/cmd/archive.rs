//! `courant archive`: every edition's web version, an index newest first, and an Atom feed.

use std::path::Path;

use super::{Checked, Outcome, bad_input, plural, write};
use crate::diagnostic::display_path;
use crate::edition::load::NEWSLETTER_FILE;
use crate::render::archive;

pub fn run(issues: &Path, out: &Path) -> Outcome {
    let mut checked = Vec::new();
    for path in edition_files(issues) {
        match Checked::load(&path) {
            Ok(c) => checked.push(c),
            Err(error) => return bad_input(&error),
        }
    }
    if checked.is_empty() {
        eprintln!("error: no editions in `{}`", display_path(issues));
        return Outcome::BadInput;
    }
    checked.sort_by_key(|c| std::cmp::Reverse((archive::date(&c.edition), c.edition.slug.clone())));
    match write_site(&checked, out) {
        Ok(()) => {
            println!(
                "wrote {} {} with an index and feed.xml to {}",
                checked.len(),
                plural(checked.len(), "edition", "editions"),
                display_path(out)
            );
            Outcome::Success
        }
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::Failed
        }
    }
}

/// The edition files of a folder: every `.toml` but the settings, in name order.
fn edition_files(issues: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(issues)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name().is_some_and(|n| n != NEWSLETTER_FILE)
        })
        .collect();
    files.sort();
    files
}

fn write_site(checked: &[Checked], out: &Path) -> Result<(), String> {
    let editions: Vec<_> = checked.iter().map(|c| &c.edition).collect();
    for c in checked {
        let folder = out.join(&c.edition.slug);
        write(&folder.join("index.html"), &c.rendered.web)?;
        for asset in c.rendered.assets.all() {
            write(&folder.join(&asset.name), &asset.bytes)?;
        }
    }
    let newsletter = &editions[0].newsletter;
    write(
        &out.join("index.html"),
        archive::index(newsletter, &editions),
    )?;
    write(&out.join("feed.xml"), archive::feed(newsletter, &editions))
}
