//! `courant systemd`: the unit files that run courant on a server by itself, hardened, each
//! naming the newsletter's settings so that nothing depends on the folder it starts in.

use std::path::{Path, PathBuf};

use crate::error::{Error, ExitStatus};
use crate::term::Term;

/// Write systemd units for a server: `courant-public.service` (serve-public),
/// `courant-bounces.service` with `courant-bounces.timer` (bounces fetch, hourly), and
/// `courant-run-due.service` with `courant-run-due.timer` (scheduled sends, every five
/// minutes). They run as
/// their own user, see the file system read-only but for the newsletter's folder, take their
/// secrets as systemd credentials (files under /etc/courant, readable by root only) and log to
/// the journal. Check them with `systemd-analyze verify`, then copy them to
/// /etc/systemd/system.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The newsletter's settings, e.g. `/srv/nieuwsbrief/issues/newsletter.toml`; made absolute.
    settings: PathBuf,
    /// Where to write the units.
    #[arg(long, default_value = "systemd")]
    out: PathBuf,
    /// The account the services run as.
    #[arg(long, default_value = "courant")]
    user: String,
    /// The courant binary the units start [default: this one].
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// Where `serve-public` listens, behind the reverse proxy.
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: std::net::SocketAddr,
    /// The folder of the credential files (`unsubscribe-secret`, `smtp-password`,
    /// `imap-password`) and of `courant.env` (the variables that are not secret).
    #[arg(long, default_value = "/etc/courant")]
    secrets: PathBuf,
}

/// What every unit shares: who runs it, where, and what it may touch.
struct Common {
    binary: String,
    settings: String,
    dir: String,
    user: String,
    secrets: String,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| Error::Read {
            path: p.to_owned(),
            source: e,
        })
    };
    let settings = absolute(&args.settings)?;
    if !settings.is_file() {
        return Err(Error::Refused(format!(
            "`{}` is not a file: name the newsletter's settings, e.g. \
             /srv/nieuwsbrief/issues/newsletter.toml",
            settings.display()
        )));
    }
    let binary = match &args.binary {
        Some(binary) => absolute(binary)?,
        None => std::env::current_exe().map_err(Error::Runtime)?,
    };
    let common = Common {
        binary: binary.display().to_string(),
        dir: crate::edition::dir_of(&settings).display().to_string(),
        settings: settings.display().to_string(),
        user: args.user.clone(),
        secrets: args.secrets.display().to_string(),
    };
    std::fs::create_dir_all(&args.out).map_err(|e| Error::create(&args.out, e))?;
    let units = [
        ("courant-public.service", public(&common, args.listen)),
        ("courant-bounces.service", bounces(&common)),
        (
            "courant-bounces.timer",
            timer("read the bounce mailbox", "hourly"),
        ),
        ("courant-run-due.service", run_due(&common)),
        (
            "courant-run-due.timer",
            timer("send what is scheduled", "*:0/5"),
        ),
    ];
    for (name, text) in units {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| Error::write(&path, e))?;
        term.say(format!("wrote {}", crate::diagnostic::display_path(&path)))?;
    }
    Ok(ExitStatus::Success)
}

/// The sandbox every unit runs in: nothing but the network and the newsletter's folder.
fn hardening(common: &Common) -> String {
    format!(
        "User={user}
Group={user}
WorkingDirectory={dir}
EnvironmentFile=-{secrets}/courant.env
StateDirectory=courant
ReadWritePaths={dir}
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
CapabilityBoundingSet=
AmbientCapabilities=
",
        user = common.user,
        dir = common.dir,
        secrets = common.secrets,
    )
}

fn public(common: &Common, listen: std::net::SocketAddr) -> String {
    format!(
        "# courant serve-public: the unsubscribe links, the signup form and the readers' pages.
# Written by `courant systemd`. Secrets are credentials: put them in {secrets} (mode 600,
# root); drop the smtp-password line for a relay that needs no login. The variables that are
# not secret (COURANT_SMTP_URL, COURANT_LEDGER) go in {secrets}/courant.env.
[Unit]
Description=courant: the public pages of the newsletter
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
ExecStart={binary} serve-public {settings} --listen {listen}
LoadCredential=unsubscribe-secret:{secrets}/unsubscribe-secret
LoadCredential=smtp-password:{secrets}/smtp-password
Environment=COURANT_UNSUBSCRIBE_SECRET_FILE=%d/unsubscribe-secret
Environment=COURANT_SMTP_PASSWORD_FILE=%d/smtp-password
Restart=on-failure
RestartSec=5s
{hardening}
[Install]
WantedBy=multi-user.target
",
        binary = common.binary,
        settings = common.settings,
        secrets = common.secrets,
        hardening = hardening(common),
    )
}

/// A service a timer starts: `courant ARGS --settings …`, the password of `password`
/// (`imap`, `smtp`) as a credential; `about` is its comment.
fn oneshot(common: &Common, what: &str, args: &str, password: &str, about: &str) -> String {
    let variable = password.to_uppercase();
    format!(
        "# {about}
# Written by `courant systemd`.
[Unit]
Description=courant: {what}
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart={binary} {args} --settings {settings}
LoadCredential=unsubscribe-secret:{secrets}/unsubscribe-secret
LoadCredential={password}-password:{secrets}/{password}-password
Environment=COURANT_UNSUBSCRIBE_SECRET_FILE=%d/unsubscribe-secret
Environment=COURANT_{variable}_PASSWORD_FILE=%d/{password}-password
{hardening}",
        binary = common.binary,
        settings = common.settings,
        secrets = common.secrets,
        hardening = hardening(common),
    )
}

fn bounces(common: &Common) -> String {
    let about = format!(
        "courant bounces fetch: reads the bounce mailbox and keeps the list clean; started by
# courant-bounces.timer. COURANT_IMAP_URL (or `imap` in [bounces]) says where; the password
# is the credential {}/imap-password.",
        common.secrets
    );
    oneshot(
        common,
        "read the bounce mailbox",
        "bounces fetch",
        "imap",
        &about,
    )
}

fn run_due(common: &Common) -> String {
    let about = format!(
        "courant run-due: sends the editions scheduled with `courant schedule` when they are
# due, inside [sending] window; started by courant-run-due.timer. COURANT_SMTP_URL (in
# {}/courant.env) says where through.",
        common.secrets
    );
    oneshot(common, "send what is scheduled", "run-due", "smtp", &about)
}

/// A timer that starts the service of its name `when` (a systemd calendar), and after a boot
/// that missed a start.
fn timer(what: &str, when: &str) -> String {
    format!(
        "# Written by `courant systemd`.
[Unit]
Description=courant: {what} ({when})

[Timer]
OnCalendar={when}
RandomizedDelaySec=30s
Persistent=true

[Install]
WantedBy=timers.target
"
    )
}
