//! `courant init`: a ready newsletter folder that previews straight away.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Outcome;
use crate::diagnostic::display_path;

const NEWSLETTER: &str = include_str!("init/newsletter.toml");
const EDITION: &str = include_str!("init/edition.toml");
const SUBSCRIBERS: &str = include_str!("init/subscribers.toml");
const HOWTO: &str = include_str!("init/HOWTO.md");

pub fn run(dir: &Path) -> Outcome {
    match create(dir) {
        Ok(edition) => {
            println!(
                "created a newsletter in {}; start with {}",
                display_path(dir),
                display_path(&dir.join("HOWTO.md"))
            );
            println!("first edition: {}", display_path(&edition));
            Outcome::Success
        }
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::BadInput
        }
    }
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

fn create(dir: &Path) -> Result<PathBuf, String> {
    let date = today();
    let slug = &date[..7];
    let edition = dir.join("issues").join(format!("{slug}.toml"));
    let files: [(PathBuf, String); 4] = [
        (dir.join("issues/newsletter.toml"), NEWSLETTER.to_owned()),
        (edition.clone(), EDITION.replace("DATE", &date)),
        (dir.join("subscribers.toml"), SUBSCRIBERS.to_owned()),
        (dir.join("HOWTO.md"), HOWTO.replace("EDITION", slug)),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| format!("`{}`", display_path(p)))
        .collect();
    if !existing.is_empty() {
        return Err(format!(
            "refusing to overwrite {}; nothing was written",
            existing.join(", ")
        ));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", display_path(parent)))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("cannot create `{}`: {e}", display_path(path)))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", display_path(path)))?;
    }
    Ok(edition)
}
