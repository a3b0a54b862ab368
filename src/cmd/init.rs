//! `courant init`: a ready newsletter folder that previews straight away.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::diagnostic::display_path;
use crate::error::{Error, ExitStatus};
use crate::term::Term;

/// Create a newsletter folder: settings with every key explained, a first edition, a
/// subscriber list, a short how-to and a `.gitignore` that keeps the ledger, previews and keys
/// out of Git. Never overwrites a file.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The folder to create it in.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

const NEWSLETTER: &str = include_str!("init/newsletter.toml");
const EDITION: &str = include_str!("init/edition.toml");
const SUBSCRIBERS: &str = include_str!("init/subscribers.toml");
const HOWTO: &str = include_str!("init/HOWTO.md");
const GITIGNORE: &str = include_str!("init/gitignore");

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let dir = &args.dir;
    let edition = create(dir)?;
    term.say(format!(
        "created a newsletter in {}; start with {}",
        display_path(dir),
        display_path(&dir.join("HOWTO.md"))
    ))?;
    term.say(format!("first edition: {}", display_path(&edition)))?;
    Ok(ExitStatus::Success)
}

/// Today (or `SOURCE_DATE_EPOCH`) as `YYYY-MM-DD`.
fn today() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map_or_else(SystemTime::now, |secs| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
        });
    humantime::format_rfc3339_seconds(now).to_string()[..10].to_owned()
}

/// 32 random bytes, base64: as `openssl rand -base64 32` makes one.
fn random_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn create(dir: &Path) -> Result<PathBuf, Error> {
    let date = today();
    let slug = &date[..7];
    let edition = dir.join("issues").join(format!("{slug}.toml"));
    let files: [(PathBuf, String); 5] = [
        (dir.join("issues/newsletter.toml"), NEWSLETTER.to_owned()),
        (edition.clone(), EDITION.replace("DATE", &date)),
        (dir.join("subscribers.toml"), SUBSCRIBERS.to_owned()),
        (dir.join("HOWTO.md"), HOWTO.replace("EDITION", slug)),
        (dir.join(".gitignore"), GITIGNORE.to_owned()),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| format!("`{}`", display_path(p)))
        .collect();
    if !existing.is_empty() {
        return Err(Error::Refused(format!(
            "refusing to overwrite {}; nothing was written",
            existing.join(", ")
        )));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::create(parent, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::create(path, e))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Error::write(path, e))?;
    }
    // The secret that signs the unsubscribe links: every command in this folder finds it.
    let secret_file = dir.join("issues").join(crate::unsubscribe::SECRET_FILE);
    if !secret_file.exists() {
        crate::files::write_private(&secret_file, &(random_secret() + "\n"))?;
    }
    Ok(edition)
}
