//! A real PostgreSQL for the ledger tests: Debian's `postgresql` (15), a throwaway cluster
//! made with `initdb` in a temporary folder and started once per test binary on a free
//! loopback port, with password authentication. Each test gets a database of its own.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::servers::free_port;

pub(crate) const PASSWORD: &str = "pg-secret-4711";

pub(crate) struct Postgres {
    pub(crate) port: u16,
    /// The server's certificate when it offers TLS (a private CA for the client).
    pub(crate) cert: Option<PathBuf>,
    /// Server options beyond the port and address (`-c ssl=on …`).
    options: String,
    dir: PathBuf,
    bin: PathBuf,
    databases: AtomicUsize,
    /// Stops the cluster when this process ends; never waited for.
    _watchdog: std::process::Child,
}

/// The one PostgreSQL of this test binary.
pub(crate) fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(start)
}

/// A cluster for one test alone (one that stops and starts it); it stops when the binary
/// ends.
pub(crate) fn private() -> Postgres {
    start()
}

/// A cluster of its own that offers TLS with a self-signed certificate for `localhost`.
pub(crate) fn private_tls() -> Postgres {
    create(true)
}

fn bin_dir() -> PathBuf {
    let root = PathBuf::from("/usr/lib/postgresql");
    let mut versions: Vec<_> = std::fs::read_dir(&root)
        .expect("PostgreSQL is installed (apt install postgresql)")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    versions.sort_unstable();
    root.join(versions.last().expect("a PostgreSQL version").to_string())
        .join("bin")
}

/// Runs a command as the `postgres` user: `initdb` refuses to run as root.
fn as_postgres(program: &std::path::Path) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(program);
    command
}

fn start() -> Postgres {
    create(false)
}

fn create(tls: bool) -> Postgres {
    let bin = bin_dir();
    let dir = super::kept_dir("courant-pg");
    std::fs::write(dir.join("pw"), PASSWORD).unwrap();
    let chown = |p: &std::path::Path| {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(p)
            .status()
            .unwrap();
        assert!(status.success());
    };
    let (cert, options) = if tls {
        let (cert, key) = super::servers::test_certificate(&dir);
        let options = format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            cert.display(),
            key.display()
        );
        (Some(cert), options)
    } else {
        (None, String::new())
    };
    chown(&dir);
    if let Some(cert) = &cert {
        // PostgreSQL refuses a key that others can read.
        let key = cert.with_file_name("tls.key");
        std::fs::set_permissions(key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    let out = as_postgres(&bin.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", "postgres", "--auth=scram-sha-256", "--no-sync"])
        .arg(format!("--pwfile={}", dir.join("pw").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "initdb: {out:?}");
    let port = free_port();
    // The cluster lives as long as this process: a watchdog stops it when the tests end, and
    // removes its folder (some 100 MB).
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; \
         runuser -u postgres -- {ctl} -D {data} -m immediate stop; rm -rf {dir}",
        me = std::process::id(),
        ctl = bin.join("pg_ctl").display(),
        data = dir.join("data").display(),
        dir = dir.display(),
    );
    let pg = Postgres {
        port,
        cert,
        options,
        dir,
        bin,
        databases: AtomicUsize::new(0),
        _watchdog: Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    pg.start();
    pg.psql(
        "postgres",
        &format!("CREATE USER courant PASSWORD '{PASSWORD}'"),
    );
    pg
}

impl Postgres {
    /// Starts the cluster (again, after [`Postgres::stop_now`]) and waits until it answers.
    pub(crate) fn start(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "start", "-o"])
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}",
                self.port,
                self.dir.display(),
                self.options
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {out:?}\n{}",
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "postgres did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the cluster as a crash would (`pg_ctl stop -m immediate`).
    pub(crate) fn stop_now(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }

    /// Runs one statement as the superuser.
    pub(crate) fn psql(&self, database: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["-p", &self.port.to_string(), "-d", database, "-c", sql])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql {sql}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new empty database owned by `courant`, and its URL (without the password).
    pub(crate) fn database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}_{n}", std::process::id());
        self.psql("postgres", &format!("CREATE DATABASE {name} OWNER courant"));
        format!(
            "postgres://courant@127.0.0.1:{}/{name}?sslmode=disable",
            self.port
        )
    }
}
