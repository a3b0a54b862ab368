//! The set-up the end-to-end tests share, built in a line each (as `just`'s `Test`): a newsletter
//! folder, a list, a ledger, an SMTP server; then `courant` run in that folder.
//!
//! ```ignore
//! let dir = Test::seed().readers(3);
//! let sink = dir.sink(&[]);
//! let run = dir.send(&sink, "--rate unlimited");
//! assert_eq!(run.code, 0, "{}", run.stderr);
//! assert_eq!(dir.status()["counts"]["sent"], 3);
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::postgres::PASSWORD as PG_PASSWORD;
use super::servers::{Server, free_port, smtp_sink};
use super::{Run, fixture, seed, send_args, wrapped, write_list};

/// A newsletter folder of its own, and the environment `courant` runs with in it.
pub(crate) struct Test {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The edition `preview`, `send` and `status` work on.
    edition: &'static str,
    /// The program that runs courant, if any (`prlimit --nofile=… --`).
    wrapper: Vec<String>,
}

impl Test {
    fn in_folder(dir: tempfile::TempDir, edition: &'static str) -> Self {
        Test {
            dir,
            env: Vec::new(),
            edition,
            wrapper: Vec::new(),
        }
    }

    /// The seed newsletter: `issues/` with the December 2022 edition and the example list.
    pub(crate) fn seed() -> Self {
        Test::in_folder(seed(), "issues/2022-12.toml")
    }

    /// An empty folder.
    pub(crate) fn empty() -> Self {
        Test::in_folder(
            tempfile::tempdir().expect("a temporary folder"),
            "issues/2022-12.toml",
        )
    }

    /// A copy of a folder of `tests/fixtures/`, whose edition is `edition.toml`.
    pub(crate) fn fixture(name: &str) -> Self {
        Test::in_folder(fixture(name), "edition.toml")
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the folder.
    pub(crate) fn join(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    /// `list.toml` with `n` readers `r0@example.org` … named `Reader 0` ….
    pub(crate) fn readers(self, n: usize) -> Self {
        write_list(&self.join("list.toml"), n);
        self
    }

    /// `list.toml` with just these addresses.
    pub(crate) fn addresses(self, addresses: &[&str]) -> Self {
        let list: String = addresses
            .iter()
            .map(|a| format!("[[subscriber]]\nemail = \"{a}\"\n"))
            .collect();
        self.file("list.toml", list)
    }

    /// With `contents` written to `path` in the folder.
    pub(crate) fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.write(path, contents);
        self
    }

    /// Writes `contents` to `path` in the folder.
    pub(crate) fn write(&self, path: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.join(path), contents).unwrap();
    }

    /// Replaces `from` with `to` in `path`, failing if `from` is not there.
    pub(crate) fn edit(self, path: &str, from: &str, to: &str) -> Self {
        super::edit(&self.join(path), from, to);
        self
    }

    /// Replaces `from` with `to` in the edition, failing if `from` is not there.
    pub(crate) fn revise(self, from: &str, to: &str) -> Self {
        let edition = self.edition;
        self.edit(edition, from, to)
    }

    /// The seed's first picture made `bytes` larger (random bytes after its end, which image
    /// readers ignore): a message that large, for size limits.
    pub(crate) fn grown_image(self, bytes: usize) -> Self {
        let image = self.join("issues/2022-12/magazine.png");
        let mut png = std::fs::read(&image).unwrap();
        png.extend((0..bytes).map(|_| fastrand::u8(..)));
        std::fs::write(&image, png).unwrap();
        self
    }

    /// Runs every command with `key=value` in its environment.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs courant through `wrapper` (a program and its arguments, e.g. `prlimit … --`).
    pub(crate) fn through(mut self, wrapper: &[&str]) -> Self {
        self.wrapper = wrapper.iter().map(|w| (*w).to_owned()).collect();
        self
    }

    /// Keeps the ledger in the PostgreSQL database at `url` (of the test clusters).
    pub(crate) fn ledger(self, url: &str) -> Self {
        self.env("COURANT_LEDGER", url)
            .env("PGPASSWORD", PG_PASSWORD)
    }

    fn env_pairs(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// `courant ARGS` in the folder, not yet started.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let wrapper: Vec<&str> = self.wrapper.iter().map(String::as_str).collect();
        wrapped(&wrapper, self.path(), args, &self.env_pairs())
    }

    /// `courant ARGS` in the folder as if it were `time` (UTC, `2027-01-12 08:00:00`), by
    /// faketime; not yet started.
    pub(crate) fn command_at(&self, time: &str, args: &[&str]) -> Command {
        let mut env = self.env_pairs();
        env.push(("TZ", "UTC"));
        wrapped(&["faketime", time], self.path(), args, &env)
    }

    /// Runs `courant ARGS` in the folder as if it were `time` (UTC).
    pub(crate) fn run_at(&self, time: &str, args: &[&str]) -> Run {
        super::ran(self.command_at(time, args).output().expect("courant runs"))
    }

    /// Starts `courant ARGS` in the folder in the background, its output piped.
    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        let mut command = self.command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().unwrap()
    }

    /// Runs `courant ARGS` in the folder.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        super::ran(self.command(args).output().expect("courant runs"))
    }

    /// Runs `courant` with the words of `line` as its arguments (none may hold a space).
    pub(crate) fn words(&self, line: &str) -> Run {
        self.run(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// Postfix's `smtp-sink` with `options`, keeping what it receives in `sink/`.
    pub(crate) fn sink(&self, options: &[&str]) -> Server {
        smtp_sink(self.path(), "sink", options)
    }

    /// `send` of the seed edition to `list.toml` through `server`, then the words of `flags`.
    pub(crate) fn send(&self, server: &Server, flags: &str) -> Run {
        self.run(&send_args(&server.url(), &super::words(flags)))
    }

    /// `preview` of the edition for `list`, into `out/`.
    pub(crate) fn preview(&self, list: &str) -> Run {
        self.preview_into(list, "out", &[])
    }

    /// `preview` of the edition for `list`, into `out`, then `extra` flags.
    pub(crate) fn preview_into(&self, list: &str, out: &str, extra: &[&str]) -> Run {
        let args = ["preview", self.edition, "-s", list, "--out", out];
        self.run(&[&args[..], extra].concat())
    }

    /// `status --json` of the seed edition.
    pub(crate) fn status(&self) -> serde_json::Value {
        let run = self.run(&["status", "issues/2022-12.toml", "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    }

    /// Starts `courant ARGS --listen 127.0.0.1:PORT` and waits for the line saying it listens.
    pub(crate) fn listen(&self, args: &[&str]) -> Listening {
        self.listening(args, Stdio::inherit())
    }

    /// [`Test::listen`], its standard error (the log) written to the file `log`.
    pub(crate) fn listen_logged(&self, args: &[&str], log: &std::path::Path) -> Listening {
        self.listening(args, std::fs::File::create(log).unwrap().into())
    }

    fn listening(&self, args: &[&str], stderr: Stdio) -> Listening {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = self
            .command(&[args, &["--listen", &listen]].concat())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut said = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut said)
            .unwrap();
        Listening { child, port, said }
    }
}

/// A `courant` server running in the background, stopped when dropped.
pub(crate) struct Listening {
    pub child: Child,
    pub port: u16,
    /// The first line it printed.
    pub said: String,
}

impl Listening {
    /// `http://127.0.0.1:PORT`
    pub(crate) fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
