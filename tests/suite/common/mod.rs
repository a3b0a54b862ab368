//! Helpers for the integration tests: run the real binary on files in a fresh folder.

pub(crate) mod dovecot;
pub(crate) mod postgres;
pub(crate) mod servers;
mod test;

pub(crate) use test::{Listening, Test};

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const EPOCH: &str = "1671062400"; // 2022-12-15T00:00:00Z
/// The unsubscribe secret every test runs with.
pub(crate) const SECRET: &str = "test-secret-0123456789";

/// Waits (up to 30 s, else fails naming `what`) until `done` holds.
pub(crate) fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        let waited = start.elapsed();
        assert!(waited.as_secs() < 30, "waited {waited:?} for {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A folder that outlives the test binary's own clean-up (for servers that run as another
/// user and are shared by all tests), readable by everyone.
pub(crate) fn kept_dir(prefix: &str) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap()
        .keep();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

/// Whether `haystack` contains `needle`; when not, prints both, so that the failing
/// `assert!(contains(…))` shows what was there instead.
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    explained(haystack.contains(needle), "is not in", haystack, needle)
}

/// Whether `haystack` lacks `needle`; when not, prints both.
pub(crate) fn lacks(haystack: &str, needle: &str) -> bool {
    explained(!haystack.contains(needle), "is in", haystack, needle)
}

/// Whether `haystack` starts with `needle`; when not, prints both.
pub(crate) fn starts_with(haystack: &str, needle: &str) -> bool {
    explained(
        haystack.starts_with(needle),
        "does not start",
        haystack,
        needle,
    )
}

/// Whether `haystack` ends with `needle`; when not, prints both.
pub(crate) fn ends_with(haystack: &str, needle: &str) -> bool {
    explained(haystack.ends_with(needle), "does not end", haystack, needle)
}

/// Whether a finished process succeeded; when not, prints its status and stderr.
pub(crate) fn succeeded(output: &std::process::Output) -> bool {
    let stderr = String::from_utf8_lossy(&output.stderr);
    explained(
        output.status.success(),
        "is not a success",
        &stderr,
        &output.status.to_string(),
    )
}

fn explained(holds: bool, otherwise: &str, haystack: &str, needle: &str) -> bool {
    if !holds {
        eprintln!("{needle:?} {otherwise}:\n{haystack}");
    }
    holds
}

/// The last line of a `send`: how many were sent, failed, deferred, and are unknown.
pub(crate) fn tally(sent: u32, failed: u32, deferred: u32, unknown: u32) -> String {
    format!("sent {sent}, failed {failed}, deferred {deferred}, unknown {unknown}\n")
}

/// The words of `line`, as arguments: `words("--rate unlimited")`.
pub(crate) fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The Nu HTML Checker's (vnu) report on `files`, errors only, as JSON.
pub(crate) fn vnu(files: &[PathBuf]) -> serde_json::Value {
    let vnu = Command::new("java")
        .arg("-jar")
        .arg(root().join("node_modules/vnu-jar/build/dist/vnu.jar"))
        .args(["--errors-only", "--format", "json"])
        .args(files)
        .output()
        .expect("java runs vnu");
    serde_json::from_slice(&vnu.stderr).expect("vnu's JSON report")
}

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

impl Run {
    /// Its exit status and stdout, to compare with `(status, stdout)`; shown with its stderr
    /// when they differ.
    pub(crate) fn said(&self) -> Said<'_> {
        Said {
            code: self.code,
            stdout: &self.stdout,
            stderr: &self.stderr,
        }
    }
}

/// What a [`Run`] said; equal to `(status, stdout)` whatever its stderr.
#[derive(Debug)]
pub(crate) struct Said<'a> {
    code: i32,
    stdout: &'a str,
    #[allow(dead_code, reason = "shown by Debug when an assertion fails")]
    stderr: &'a str,
}

impl PartialEq<(i32, &str)> for Said<'_> {
    fn eq(&self, (code, stdout): &(i32, &str)) -> bool {
        self.code == *code && self.stdout == *stdout
    }
}

/// Runs `courant` in `dir` with a fixed `SOURCE_DATE_EPOCH`.
pub(crate) fn courant(dir: &Path, args: &[&str]) -> Run {
    courant_env(dir, args, &[])
}

/// `courant` in `dir` with a fixed `SOURCE_DATE_EPOCH` and the variables of `env`.
pub(crate) fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    wrapped(&[], dir, args, env)
}

/// `courant ARGS` like [`command`], run by the program and arguments of `wrapper` (`prlimit
/// …`), when there is one.
pub(crate) fn wrapped(
    wrapper: &[&str],
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let courant = env!("CARGO_BIN_EXE_courant");
    let mut command = match wrapper {
        [] => Command::new(courant),
        [program, rest @ ..] => {
            let mut command = Command::new(program);
            command.args(rest).arg(courant);
            command
        }
    };
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
    ran(output)
}

/// What a `courant` started in the background did, once it has ended.
pub(crate) fn finished(child: std::process::Child) -> Run {
    ran(child.wait_with_output().expect("courant ran"))
}

pub(crate) fn ran(output: std::process::Output) -> Run {
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
