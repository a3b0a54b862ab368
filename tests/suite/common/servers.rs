//! Real SMTP servers on loopback for the send tests: Postfix's `smtp-sink` and an aiosmtpd
//! script. Each gets a fresh port and is stopped by its own PID when dropped.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::root;

pub(crate) struct Server {
    child: Child,
    pub port: u16,
    /// Where the server writes what it received.
    pub dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `smtp://127.0.0.1:PORT?tls=none`
    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The envelope recipient of every message received, in no particular order.
    pub(crate) fn recipients(&self) -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            for line in text.lines() {
                if let Some(rcpt) = line.strip_prefix("X-Rcpt-Args: ") {
                    out.push(rcpt.trim_matches(|c| c == '<' || c == '>').to_owned());
                }
                if let Some(rcpts) = line.strip_prefix("X-Envelope-To: ") {
                    out.extend(rcpts.split(", ").map(str::to_owned));
                }
            }
        }
        out
    }

    /// The envelope recipients, sorted.
    pub(crate) fn sorted_recipients(&self) -> Vec<String> {
        let mut recipients = self.recipients();
        recipients.sort();
        recipients
    }

    /// The files of the messages received.
    pub(crate) fn messages(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("`id` runs");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server on port {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A folder the server (which drops to `nobody`) can write to.
fn dump_dir(parent: &Path, name: &str) -> PathBuf {
    std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// Postfix's `smtp-sink`, one file per message in `parent/name/`; `options` as its flags.
pub(crate) fn smtp_sink(parent: &Path, name: &str, options: &[&str]) -> Server {
    let dir = dump_dir(parent, name);
    let port = free_port();
    let mut command = Command::new("smtp-sink");
    if is_root() {
        command.args(["-u", "nobody"]);
    }
    let template = format!("{}/%Y%m%d%H%M%S.", dir.display());
    let child = command
        .args(options)
        .args(["-d", &template, &format!("127.0.0.1:{port}"), "256"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("smtp-sink runs (apt install postfix)");
    wait_for_port(port);
    Server { child, port, dir }
}

/// The Python interpreter with aiosmtpd: `COURANT_TEST_PYTHON`, else `.venv/bin/python`.
pub(crate) fn python() -> PathBuf {
    if let Ok(python) = std::env::var("COURANT_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// `tests/support/smtpd.py` with `options`, messages in `parent/name/`.
pub(crate) fn aiosmtpd(parent: &Path, name: &str, options: &[&str]) -> Server {
    let dir = dump_dir(parent, name);
    let port = free_port();
    let mut child = Command::new(python())
        .arg(root().join("tests/support/smtpd.py"))
        .arg(port.to_string())
        .arg(&dir)
        .args(options)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python with aiosmtpd runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
    Server { child, port, dir }
}

/// aiosmtpd speaking TLS (`mode` is `--starttls` or `--implicit`) with a fresh self-signed
/// certificate for `localhost`, and `extra` options; with the certificate to trust.
pub(crate) fn aiosmtpd_tls(
    parent: &Path,
    name: &str,
    mode: &str,
    extra: &[&str],
) -> (Server, String) {
    let keys = parent.join(format!("{name}-tls"));
    std::fs::create_dir_all(&keys).unwrap();
    let (cert, key) = test_certificate(&keys);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = aiosmtpd(parent, name, &[&[mode, cert, key][..], extra].concat());
    (server, cert.to_owned())
}

/// A self-signed certificate for `localhost` and 127.0.0.1 made the usual way, `openssl req
/// -x509` with no more than the names: OpenSSL marks it `CA:TRUE`, which webpki refuses as a
/// server's own unless it is given as the CA file. As (cert, key).
pub(crate) fn usual_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    self_signed(dir, "usual", &[])
}

/// A self-signed certificate for `localhost` and 127.0.0.1 that says `CA:FALSE`, as a
/// server's own certificate should, as (cert, key).
pub(crate) fn test_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    self_signed(
        dir,
        "tls",
        &["-addext", "basicConstraints=critical,CA:FALSE"],
    )
}

/// `openssl req -x509` for `localhost` and 127.0.0.1 with the options `more`, into
/// `NAME.crt` and `NAME.key` in `dir`.
fn self_signed(dir: &Path, name: &str, more: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(more)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    (cert, key)
}
