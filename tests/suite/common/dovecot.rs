//! A real IMAP server for the bounce tests: Dovecot from Debian (`dovecot-imapd`), started once
//! per test binary in a temporary folder, on a free loopback port, with implicit TLS and a
//! self-signed certificate. Each test gets a mail user of its own.

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::servers::{free_port, usual_certificate};

/// `nobody`, who owns the mail.
const UID: u32 = 65534;
pub(crate) const PASSWORD: &str = "imap-secret-4711";

pub(crate) struct Dovecot {
    /// IMAP over TLS from the first byte (as 993).
    pub(crate) port: u16,
    /// IMAP that starts plain and upgrades with STARTTLS (as 143).
    pub(crate) starttls_port: u16,
    pub(crate) cert: PathBuf,
    dir: PathBuf,
    users: AtomicUsize,
    /// Stops Dovecot when this process ends; never waited for.
    _watchdog: std::process::Child,
}

/// The one Dovecot of this test binary; it stops when the binary ends.
pub(crate) fn dovecot() -> &'static Dovecot {
    static DOVECOT: OnceLock<Dovecot> = OnceLock::new();
    DOVECOT.get_or_init(start)
}

fn start() -> Dovecot {
    let dir = super::kept_dir("courant-dovecot");
    std::fs::create_dir_all(dir.join("run/state")).unwrap();
    std::fs::create_dir_all(dir.join("mail")).unwrap();
    std::fs::write(dir.join("users"), "").unwrap();
    // Made as an administrator makes one (CA:TRUE): every fetch trusts it as `--imap-ca`.
    let (cert, key) = usual_certificate(&dir);
    let (port, starttls_port) = (free_port(), free_port());
    let conf =
        config(&dir, &cert, &key, port).replace("port = 0", &format!("port = {starttls_port}"));
    std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
    // The server lives as long as this process: a watchdog stops it when the tests end, and
    // removes its folder.
    let script = format!(
        "dovecot -c {conf} -F & d=$!; while kill -0 {me} 2>/dev/null; do sleep 0.5; done; \
         kill $d; wait $d; rm -rf {dir}",
        conf = dir.join("dovecot.conf").display(),
        me = std::process::id(),
        dir = dir.display(),
    );
    let watchdog = Command::new("sh")
        .args(["-c", &script])
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dovecot runs (apt install dovecot-imapd)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "dovecot did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Dovecot {
        port,
        starttls_port,
        cert,
        dir,
        users: AtomicUsize::new(0),
        _watchdog: watchdog,
    }
}

fn config(dir: &Path, cert: &Path, key: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "base_dir = {d}/run
state_dir = {d}/run/state
log_path = {d}/log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
disable_plaintext_auth = yes
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=SHA512-CRYPT {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
",
        cert = cert.display(),
        key = key.display()
    )
}

/// One mailbox on the server.
pub(crate) struct MailUser {
    pub(crate) name: String,
    maildir: PathBuf,
    delivered: AtomicUsize,
}

impl Dovecot {
    /// A new user with an empty Maildir.
    pub(crate) fn user(&self) -> MailUser {
        let n = self.users.fetch_add(1, Ordering::SeqCst);
        let name = format!("bounces{n}");
        let home = self.dir.join("mail").join(&name);
        let maildir = home.join("Maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for path in [
            &home,
            &maildir,
            &maildir.join("new"),
            &maildir.join("cur"),
            &maildir.join("tmp"),
        ] {
            chown(path, Some(UID), Some(UID)).unwrap();
        }
        let hash = Command::new("doveadm")
            .args(["pw", "-s", "SHA512-CRYPT", "-p", PASSWORD])
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .expect("doveadm runs");
        let hash = String::from_utf8(hash.stdout).unwrap();
        let line = format!("{name}:{}:{UID}:{UID}::{}\n", hash.trim(), home.display());
        let mut users = std::fs::read_to_string(self.dir.join("users")).unwrap();
        users.push_str(&line);
        std::fs::write(self.dir.join("users"), users).unwrap();
        MailUser {
            name,
            maildir,
            delivered: AtomicUsize::new(0),
        }
    }

    /// `imaps://user@localhost:PORT/INBOX`.
    pub(crate) fn url(&self, user: &MailUser) -> String {
        format!("imaps://{}@localhost:{}/INBOX", user.name, self.port)
    }
}

impl MailUser {
    /// Puts a message in the INBOX, as a delivery agent would.
    pub(crate) fn deliver(&self, message: &[u8]) {
        let n = self.delivered.fetch_add(1, Ordering::SeqCst);
        let name = format!("{}.M{n}P{}.test", 1_700_000_000 + n, std::process::id());
        let tmp = self.maildir.join("tmp").join(&name);
        std::fs::write(&tmp, message).unwrap();
        chown(&tmp, Some(UID), Some(UID)).unwrap();
        std::fs::rename(&tmp, self.maildir.join("new").join(&name)).unwrap();
    }

    /// The messages in a folder (`""` for the INBOX, else e.g. `courant.processed`).
    pub(crate) fn messages(&self, folder: &str) -> Vec<Vec<u8>> {
        let dir = if folder.is_empty() {
            self.maildir.clone()
        } else {
            self.maildir.join(format!(".{folder}"))
        };
        ["new", "cur"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(dir.join(sub))
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect()
    }
}
