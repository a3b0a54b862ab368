//! Helpers for the integration tests: run the real binary on files in a fresh folder.

pub(crate) mod dovecot;
pub(crate) mod postgres;
pub(crate) mod servers;

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const EPOCH: &str = "1671062400"; // 2022-12-15T00:00:00Z
/// The unsubscribe secret every test runs with.
pub(crate) const SECRET: &str = "test-secret-0123456789";

/// The repository's root (where `issues/` is).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of `courant` did.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `courant` in `dir` with a fixed `SOURCE_DATE_EPOCH`.
pub(crate) fn courant(dir: &Path, args: &[&str]) -> Run {
    courant_env(dir, args, &[])
}

/// `courant` in `dir` with a fixed `SOURCE_DATE_EPOCH` and the variables of `env`.
pub(crate) fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courant"));
    command
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env_remove("COURANT_SMTP_URL")
        .env_remove("COURANT_SMTP_PASSWORD")
        .env_remove("COURANT_LEDGER")
        .env_remove("COURANT_DKIM_KEY")
        .env("COURANT_UNSUBSCRIBE_SECRET", SECRET)
        .envs(env.iter().copied());
    command
}

/// Runs `courant` like [`courant`], with extra environment variables.
pub(crate) fn courant_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(dir, args, env)
        .output()
        .expect("the courant binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// `courant preview` of the seed edition for `list`, into `out/`.
pub(crate) fn preview_seed(dir: &Path, list: &str) -> Run {
    let args = [
        "preview",
        "issues/2022-12.toml",
        "--subscribers",
        list,
        "--out",
        "out",
    ];
    courant(dir, &args)
}

/// A temporary copy of a folder of `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&root().join("tests/fixtures").join(name), dir.path());
    dir
}

/// A temporary copy of the seed: `issues/` and `subscribers.example.toml`.
pub(crate) fn seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&root().join("issues"), &dir.path().join("issues"));
    std::fs::copy(
        root().join("subscribers.example.toml"),
        dir.path().join("subscribers.example.toml"),
    )
    .unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces `from` with `to` in a file, failing if `from` is not there.
pub(crate) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The .eml files of a folder, sorted by name.
pub(crate) fn emls(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A subscriber list of `n` readers `r0@example.org`, `r1@…`, with names.
pub(crate) fn write_list(path: &Path, n: usize) {
    let entries: String = (0..n)
        .map(|i| format!("[[subscriber]]\nemail = \"r{i}@example.org\"\nname = \"Reader {i}\"\n\n"))
        .collect();
    std::fs::write(path, entries).unwrap();
}

/// The arguments of `send` of the seed edition to `list.toml` through `url`, then `extra`.
pub(crate) fn send_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let args = [
        "send",
        "issues/2022-12.toml",
        "--subscribers",
        "list.toml",
        "--smtp",
        url,
        "--yes",
    ];
    [&args[..], extra].concat()
}
