//! `courant archive`: every edition's web version, an index newest first, and an Atom feed.

use std::path::{Path, PathBuf};

use crate::checked::Checked;
use crate::diagnostic::display_path;
use crate::edition::NEWSLETTER_FILE;
use crate::error::{Error, ExitStatus};
use crate::files::write;
use crate::render::archive;
use crate::term::{Term, plural};

/// Write the web archive: every edition's web version at the URL its emails link to, an
/// index newest first, and an Atom feed. No personal data.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The folder of the editions.
    #[arg(default_value = "issues")]
    issues: PathBuf,
    /// The folder to write the site to (created if needed).
    #[arg(long, short)]
    out: PathBuf,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let mut checked = edition_files(&args.issues)
        .iter()
        .map(|path| Checked::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    if checked.is_empty() {
        return Err(Error::Refused(format!(
            "no editions in `{}`",
            display_path(&args.issues)
        )));
    }
    checked.sort_by_key(|c| std::cmp::Reverse((archive::date(&c.edition), c.edition.slug.clone())));
    write_site(&checked, &args.out)?;
    term.say(format!(
        "wrote {} {} with an index and feed.xml to {}",
        checked.len(),
        plural(checked.len(), "edition", "editions"),
        display_path(&args.out)
    ))?;
    Ok(ExitStatus::Success)
}

/// The edition files of a folder: every `.toml` but the settings, in name order.
fn edition_files(issues: &Path) -> Vec<PathBuf> {
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

fn write_site(checked: &[Checked], out: &Path) -> Result<(), Error> {
    let editions: Vec<_> = checked.iter().map(|c| &c.edition).collect();
    for c in checked {
        let folder = out.join(&c.edition.slug);
        write(&folder.join("index.html"), &c.rendered.web)?;
        for asset in c.rendered.assets.all() {
            write(&folder.join(&asset.name), &asset.bytes)?;
        }
        for file in &c.rendered.calendars {
            write(&folder.join(&file.name), &file.text)?;
        }
    }
    let newsletter = &editions[0].newsletter;
    write(
        &out.join("index.html"),
        archive::index(newsletter, &editions),
    )?;
    write(&out.join("feed.xml"), archive::feed(newsletter, &editions))
}
