//! Issue 21: what a system administrator meets. Here: lifting a suppression.

use courant::ledger::{Ledger, Location};

use crate::common::{Test, contains};

fn export(dir: &Test) -> String {
    let run = dir.words("suppressions export");
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// A reader who asks to come back: staff lift the suppression with a reason, which the export
/// shows and an import of that export does not undo; a hard bounce or a complaint needs
/// --force; a reader of the stored list is active again, their consent saying why.
#[test]
fn a_suppression_is_lifted_with_a_reason_that_is_kept() {
    let dir = Test::seed();
    assert_eq!(dir.words("unsubscribe anne@example.org").code, 0);
    let lifted = dir.run(&[
        "suppressions",
        "remove",
        "Anne@Example.org",
        "--reason",
        "belde op, wil de nieuwsbrief weer",
    ]);
    assert_eq!(lifted.code, 0, "{}", lifted.stderr);
    assert!(contains(
        &lifted.stdout,
        "Anne@Example.org: no longer suppressed (was: staff since "
    ));
    let csv = export(&dir);
    let row = csv
        .lines()
        .find(|l| l.starts_with("anne@example.org"))
        .unwrap();
    assert!(contains(row, ",staff,,,,"), "{row}");
    assert!(contains(row, "belde op, wil de nieuwsbrief weer"), "{row}");
    assert!(
        csv.starts_with("email,at,source,edition,status,diagnostic,lifted,lifted_reason\n"),
        "{csv}"
    );
    // The export read back suppresses no one it shows as lifted.
    dir.write("export.csv", &csv);
    assert_eq!(dir.words("suppressions import export.csv").code, 0);
    let preview = dir.preview("subscribers.example.toml");
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(
        contains(&preview.stdout, ", 0 suppressed"),
        "{}",
        preview.stdout
    );
    let person = dir.words("person export anne@example.org").stdout;
    assert!(contains(&person, "belde op"), "{person}");

    let again = dir.run(&[
        "suppressions",
        "remove",
        "anne@example.org",
        "--reason",
        "x",
    ]);
    assert_eq!(again.code, 2);
    assert!(contains(
        &again.stderr,
        "anne@example.org is not suppressed"
    ));
}

#[test]
fn a_hard_bounce_or_a_complaint_is_lifted_only_with_force() {
    let dir = Test::seed();
    let ledger = Ledger::open(Location::File(dir.join("issues/courant.sqlite"))).unwrap();
    ledger
        .suppress("bounced@example.org", "bounce", 1_700_000_000)
        .unwrap();
    ledger
        .suppress("spam@example.org", "complaint", 1_700_000_000)
        .unwrap();
    drop(ledger);
    for (address, why) in [
        (
            "bounced@example.org",
            "mail to it failed permanently (a hard bounce)",
        ),
        ("spam@example.org", "its owner marked a message as spam"),
    ] {
        let refused = dir.run(&["suppressions", "remove", address, "--reason", "vroeg erom"]);
        assert_eq!(refused.code, 2);
        assert!(contains(&refused.stderr, why), "{}", refused.stderr);
        assert!(
            contains(&refused.stderr, "pass --force"),
            "{}",
            refused.stderr
        );
        let args = [
            "suppressions",
            "remove",
            address,
            "--reason",
            "vroeg erom",
            "--force",
        ];
        let forced = dir.run(&args);
        assert_eq!(forced.code, 0, "{}", forced.stderr);
    }
    let empty = dir.run(&["suppressions", "remove", "x@example.org", "--reason", " "]);
    assert_eq!(empty.code, 2);
    assert!(contains(&empty.stderr, "--reason is empty"));
}

#[test]
fn a_stored_reader_who_unsubscribed_is_active_again_with_the_reason_as_consent() {
    let dir = Test::seed();
    let add = dir.words("subscribers add bert@example.org --name Bert --source ledenlijst");
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert_eq!(dir.words("subscribers remove bert@example.org").code, 0);
    let args = [
        "suppressions",
        "remove",
        "bert@example.org",
        "--reason",
        "wil weer",
    ];
    let lifted = dir.run(&args);
    assert_eq!(lifted.code, 0, "{}", lifted.stderr);
    assert!(
        contains(&lifted.stdout, "active again on 1 stored list"),
        "{}",
        lifted.stdout
    );
    let active = dir.words("subscribers list --status active").stdout;
    assert_eq!(active, "bert@example.org\tactive\tBert\n");
    let consent = dir.words("consent show bert@example.org").stdout;
    assert!(
        contains(&consent, "courant suppressions remove: wil weer"),
        "{consent}"
    );
}

/// A self-signed certificate made the usual way, `openssl req -x509` without more: it says
/// `CA:TRUE`, for `localhost` and 127.0.0.1. (cert, key)
fn usual_certificate(dir: &Test) -> (String, String) {
    let (cert, key) = crate::common::servers::usual_certificate(dir.path());
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(contains(&text, "CA:TRUE"), "made the usual way: {text}");
    let path = |p: std::path::PathBuf| p.to_str().unwrap().to_owned();
    (path(cert), path(key))
}

/// `test-send` through `url` with `flags`, from `dir`.
fn test_send(dir: &Test, url: &str, flags: &[&str]) -> crate::common::Run {
    let args = [
        "test-send",
        "issues/2022-12.toml",
        "--to",
        "t@example.org",
        "--smtp",
        url,
    ];
    dir.run(&[&args[..], flags].concat())
}

/// Issue 21, item 4: the server's own self-signed certificate, CA:TRUE as `openssl req -x509`
/// makes it, trusted when given (flag, variable or setting), over STARTTLS and implicit TLS;
/// without it, a message that names the option.
#[test]
fn a_self_signed_certificate_made_the_usual_way_is_trusted_when_given() {
    use crate::common::servers::aiosmtpd;
    let dir = Test::seed();
    let (cert, key) = usual_certificate(&dir);
    let starttls = aiosmtpd(dir.path(), "starttls", &["--starttls", &cert, &key]);
    let implicit = aiosmtpd(dir.path(), "implicit", &["--implicit", &cert, &key]);
    let plain = format!("smtp://localhost:{}", starttls.port);
    let tls = format!("smtps://localhost:{}", implicit.port);

    let flag = test_send(&dir, &plain, &["--smtp-ca", &cert]);
    assert_eq!(flag.code, 0, "{}", flag.stderr);
    let variable = Test::seed().env("COURANT_SMTP_CA", &cert);
    let run = test_send(&variable, &tls, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(starttls.messages().len() + implicit.messages().len(), 2);

    let setting = Test::seed().edit(
        "issues/newsletter.toml",
        "[sending]\n",
        "[sending]\nsmtp-ca = \"mailserver.pem\"\n",
    );
    std::fs::copy(&cert, setting.join("issues/mailserver.pem")).unwrap();
    let run = test_send(&setting, &tls, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    for (name, url) in [("starttls", &plain), ("implicit", &tls)] {
        let refused = test_send(&dir, url, &[]);
        let said = refused.stderr.replace(&starttls.port.to_string(), "PORT");
        let said = said.replace(&implicit.port.to_string(), "PORT");
        insta::assert_snapshot!(
            format!("untrusted_certificate_{name}"),
            format!("exit: {}\n{said}", refused.code)
        );
    }
}

/// The wrong scheme for a port, both ways: a plain client on the implicit-TLS port waits for
/// a greeting that never comes; a TLS client on the STARTTLS port reads plain text.
#[test]
fn the_wrong_scheme_for_a_port_says_which_one_is_right() {
    use crate::common::servers::aiosmtpd;
    let dir = Test::seed();
    let (cert, key) = usual_certificate(&dir);
    let starttls = aiosmtpd(dir.path(), "starttls", &["--starttls", &cert, &key]);
    let implicit = aiosmtpd(dir.path(), "implicit", &["--implicit", &cert, &key]);
    let cases = [
        (
            "plain_on_implicit",
            format!("smtp://localhost:{}", implicit.port),
        ),
        (
            "tls_on_starttls",
            format!("smtps://localhost:{}", starttls.port),
        ),
    ];
    for (name, url) in cases {
        let run = test_send(&dir, &url, &["--smtp-ca", &cert, "--timeout", "2s"]);
        let said = run.stderr.replace(&starttls.port.to_string(), "PORT");
        let said = said.replace(&implicit.port.to_string(), "PORT");
        insta::assert_snapshot!(
            format!("wrong_port_{name}"),
            format!("exit: {}\n{said}", run.code)
        );
    }
}

/// Issue 21, item 2: the units `courant systemd` writes pass `systemd-analyze verify`, run as
/// their own user in a read-only system, name the settings by an absolute path, and hold no
/// secret, only where systemd finds the credentials.
#[test]
fn the_units_pass_systemd_analyze_verify_and_hold_no_secret() {
    let dir = Test::seed();
    let binary = env!("CARGO_BIN_EXE_courant");
    let run = dir.run(&[
        "systemd",
        "issues/newsletter.toml",
        "--out",
        "units",
        "--binary",
        binary,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let units = [
        "courant-public.service",
        "courant-bounces.service",
        "courant-run-due.service",
        "courant-bounces.timer",
        "courant-run-due.timer",
    ];
    let paths: Vec<_> = units
        .iter()
        .map(|u| dir.join(&format!("units/{u}")))
        .collect();
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .expect("systemd-analyze runs");
    assert!(crate::common::succeeded(&verify));
    assert!(
        verify.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let settings = std::path::absolute(dir.join("issues/newsletter.toml")).unwrap();
    for path in &paths[..3] {
        let unit = std::fs::read_to_string(path).unwrap();
        for line in [
            "User=courant",
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=\n",
        ] {
            assert!(contains(&unit, line), "{line} in {unit}");
        }
        assert!(contains(&unit, &settings.display().to_string()), "{unit}");
        assert!(contains(
            &unit,
            "COURANT_UNSUBSCRIBE_SECRET_FILE=%d/unsubscribe-secret"
        ));
        assert!(!unit.contains(crate::common::SECRET), "no secret in {unit}");
    }
}

/// A password from the file `COURANT_SMTP_PASSWORD_FILE` names (a systemd credential).
#[test]
fn the_smtp_password_comes_from_a_credential_file() {
    use crate::common::servers::aiosmtpd;
    let cert_dir = Test::seed();
    let (cert, key) = usual_certificate(&cert_dir);
    std::fs::write(cert_dir.join("smtp-password"), "right\n").unwrap();
    let server = aiosmtpd(
        cert_dir.path(),
        "mx",
        &["--starttls", &cert, &key, "--auth", "news:right"],
    );
    let url = format!("smtp://news@localhost:{}", server.port);
    let credential = cert_dir.join("smtp-password");
    let dir = Test::seed().env("COURANT_SMTP_PASSWORD_FILE", credential.to_str().unwrap());
    let run = test_send(&dir, &url, &["--smtp-ca", &cert]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.messages().len(), 1);
}

/// Issue 21, item 2 and 3: SIGTERM stops `serve-public` with exit status 0, after a log line
/// per request that names the page and never the reader.
#[test]
fn serve_public_logs_each_unsubscribe_and_stops_on_sigterm_with_0() {
    let dir = Test::seed();
    let log = dir.join("serve.log");
    let mut serve = dir.listen_logged(&["serve-public", "issues/newsletter.toml"], &log);
    let key = courant::unsubscribe::TokenKey::new(
        crate::common::SECRET.as_bytes(),
        "nieuwsbrief.weerbaarnl.example",
    );
    let path = format!("/nieuwsbrief/afmelden/{}", key.token("r1@example.org"));
    let answer = crate::public::http(serve.port, "POST", &path, "List-Unsubscribe=One-Click");
    assert!(contains(&answer, "HTTP/1.1 200"), "{answer}");
    let pid = serve.child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = serve.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(contains(&log, "INFO POST unsubscribe 200"), "{log}");
    assert!(contains(&log, "INFO unsubscribed (one-click)"), "{log}");
    assert!(!log.contains("r1@") && !log.contains("afmelden/"), "{log}");
}

/// A timer or cron job starts in `/`: without the settings found, `bounces fetch` and
/// `run-due` say how to name them; `COURANT_SETTINGS` names them.
#[test]
fn commands_started_elsewhere_say_how_to_name_the_settings() {
    let elsewhere = Test::empty();
    for args in [
        &["bounces", "fetch"][..],
        &["run-due", "--smtp", "smtp://127.0.0.1:1?tls=none"],
    ] {
        let run = elsewhere.run(args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            contains(
                &run.stderr,
                "its issues/ folder: run this in the newsletter's folder, or name the settings with --settings FILE (or COURANT_SETTINGS)"
            ),
            "{}",
            run.stderr
        );
    }
    let seed = Test::seed();
    let settings = std::path::absolute(seed.join("issues/newsletter.toml")).unwrap();
    let named = Test::empty().env("COURANT_SETTINGS", settings.to_str().unwrap());
    let run = named.words("bounces fetch");
    assert_eq!(run.code, 2);
    assert!(
        contains(&run.stderr, "no mailbox to read"),
        "{}",
        run.stderr
    );
}

/// The ledger holds people's data: a new SQLite ledger (and its write-ahead log) is readable by
/// its owner only, whatever the umask.
#[cfg(unix)]
#[test]
fn a_new_ledger_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Test::seed();
    let add = dir.words("subscribers add anne@example.org --source ledenlijst");
    assert_eq!(add.code, 0, "{}", add.stderr);
    for name in ["courant.sqlite", "courant.sqlite-wal"] {
        let path = dir.join(&format!("issues/{name}"));
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        } else {
            assert_ne!(name, "courant.sqlite", "the ledger exists");
        }
    }
}

/// A refused login is said once, in words, and exits 2, as `send` and `bounces fetch` do.
#[test]
fn a_refused_smtp_login_exits_2_with_the_servers_words() {
    use crate::common::servers::aiosmtpd;
    let dir = Test::seed();
    let (cert, key) = usual_certificate(&dir);
    let auth = ["--starttls", &cert, &key, "--auth", "news:right"];
    let server = aiosmtpd(dir.path(), "mx", &auth);
    let url = format!("smtp://news@localhost:{}", server.port);
    let wrong = Test::seed().env("COURANT_SMTP_PASSWORD", "wrong-pw-4711");
    let run = test_send(&wrong, &url, &["--smtp-ca", &cert]);
    let said = run.stderr.replace(&server.port.to_string(), "PORT");
    insta::assert_snapshot!("smtp_login_refused", format!("exit: {}\n{said}", run.code));
    assert!(!run.stderr.contains("wrong-pw-4711"));
}
