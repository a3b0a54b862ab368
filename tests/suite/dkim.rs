//! DKIM: signatures checked by dkimpy, an implementation we did not write, with its DNS lookup
//! answered by the record `courant dkim record` prints.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::servers::aiosmtpd;
use crate::common::{Test, courant, courant_env, emls, preview_seed, root};
use crate::common::{contains, ends_with, starts_with, succeeded};

const DKIM: &str =
    "\n[dkim]\nselector = \"nb2022\"\ndomain = \"weerbaarnl.example\"\nkey-file = \"dkim.pem\"\n";

/// A seed copy whose newsletter signs with a key made by openssl; returns the record file.
fn signed_seed() -> (Test, PathBuf) {
    let dir = Test::seed();
    let key = dir.join("issues/dkim.pem");
    let status = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    let settings = dir.join("issues/newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text + DKIM).unwrap();
    let record = dns_record(dir.path(), "nb2022", "issues/dkim.pem", "rsa");
    (dir, record)
}

/// Writes the record `courant dkim record` prints for `key` under `selector` to a file in
/// `dir`, asserting its key type; returns the file.
fn dns_record(dir: &Path, selector: &str, key: &str, kind: &str) -> PathBuf {
    let args = [
        "dkim",
        "record",
        "--selector",
        selector,
        "--domain",
        "weerbaarnl.example",
        "--key",
        key,
    ];
    let run = courant(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let start =
        format!("{selector}._domainkey.weerbaarnl.example. IN TXT ( \"v=DKIM1; k={kind}; p=");
    assert!(starts_with(&run.stdout, &start));
    let record = dir.join(format!("{selector}-record.txt"));
    std::fs::write(&record, &run.stdout).unwrap();
    record
}

/// dkimpy's verdict on a message file.
fn verify(message: &Path, record: &Path) -> (bool, String) {
    verify_all(message, &[record])
}

/// dkimpy's verdict on every signature of a message file, with these DNS records.
fn verify_all(message: &Path, records: &[&Path]) -> (bool, String) {
    let python = std::env::var("COURANT_TEST_PYTHON")
        .map_or_else(|_| root().join(".venv/bin/python"), PathBuf::from);
    let out = Command::new(python)
        .arg(root().join("tests/support/dkim_verify.py"))
        .arg(message)
        .args(records)
        .output()
        .expect("python with dkimpy runs");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        stdout == "pass" || stdout == "fail",
        "dkimpy: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn preview_messages_are_signed_and_verify_and_a_tampered_body_fails() {
    let (dir, record) = signed_seed();
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = emls(&dir.join("out"));
    assert_eq!(files.len(), 4);
    for (name, raw) in &files {
        let text = String::from_utf8_lossy(raw);
        // Unfolded: a fold is CRLF before a space or a tab (RFC 5322 §2.2.3).
        let signature = text
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        let signature = signature
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .expect("signed");
        assert!(
            signature.contains("c=relaxed/relaxed") && signature.contains("d=weerbaarnl.example"),
            "{signature}"
        );
        assert!(signature.contains("s=nb2022"), "{signature}");
        let signed = signature
            .split("h=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_ascii_lowercase();
        for header in [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "mime-version",
            "list-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ] {
            assert!(
                signed.split(':').any(|h| h.trim() == header),
                "{header} not signed: {signed}"
            );
        }
        assert!(!signed.split(':').any(|h| h.trim() == "content-type"));
        let (ok, why) = verify(&dir.join("out").join(name), &record);
        assert!(ok, "{name}: {why}");
    }
    let (name, raw) = &files[0];
    let tampered = String::from_utf8_lossy(raw).replacen("Beste Anne", "Beste Anna", 1);
    let path = dir.join("out").join(format!("tampered-{name}"));
    std::fs::write(&path, tampered).unwrap();
    let (ok, _) = verify(&path, &record);
    assert!(!ok, "a changed body must not verify");
}

#[test]
fn a_message_received_by_the_server_verifies_with_the_key_from_the_environment() {
    let (dir, record) = signed_seed();
    let pem = std::fs::read_to_string(dir.join("issues/dkim.pem")).unwrap();
    crate::common::edit(
        &dir.join("issues/newsletter.toml"),
        "key-file = \"dkim.pem\"\n",
        "",
    );
    let dir = dir.readers(2);
    let server = aiosmtpd(dir.path(), "mx", &[]);
    let url = server.url();
    let args = crate::common::send_args(&url, &["--rate", "unlimited"]);
    let run = courant_env(dir.path(), &args, &[("COURANT_DKIM_KEY", pem.as_str())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in server.messages() {
        // The server's file starts with two test headers; the message follows them.
        let text = std::fs::read_to_string(&file).unwrap();
        let message = text.splitn(3, "\r\n").nth(2).unwrap();
        let received = dir.join("received.eml");
        std::fs::write(&received, message).unwrap();
        let (ok, why) = verify(&received, &record);
        assert!(ok, "{why}");
    }
}

#[test]
fn an_ed25519_signature_goes_beside_the_rsa_one_and_dkimpy_verifies_both() {
    let (dir, rsa_record) = signed_seed();
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(dir.join("issues/ed.pem"))
        .status()
        .expect("openssl runs");
    assert!(status.success());
    ed25519_beside_rsa(dir.path(), &rsa_record);
}

#[test]
fn an_ed25519_key_from_dkim_generate_is_read_by_openssl_and_signs() {
    let (dir, rsa_record) = signed_seed();
    let run = dir.words("dkim generate --algorithm ed25519 --selector nb2022ed --domain weerbaarnl.example --out issues/ed.pem");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let key = dir.join("issues/ed.pem");
    assert_owner_only(&key);
    // OpenSSL reads the key, and its public key is the one in the printed record.
    let public = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .expect("openssl runs");
    assert!(succeeded(&public));
    let raw = &public.stdout[public.stdout.len() - 32..];
    use base64::Engine;
    let p = base64::engine::general_purpose::STANDARD.encode(raw);
    assert!(contains(&run.stdout, &format!("k=ed25519; p={p}\"")));
    ed25519_beside_rsa(dir.path(), &rsa_record);
}

/// A private key file only its owner can read or write.
fn assert_owner_only(key: &Path) {
    let mode = std::fs::metadata(key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", key.display());
}

/// With `issues/ed.pem` added as the Ed25519 key of a signed seed, every preview message has
/// both signatures, and dkimpy verifies both.
fn ed25519_beside_rsa(dir: &Path, rsa_record: &Path) {
    let settings = dir.join("issues/newsletter.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text += "ed25519-selector = \"nb2022ed\"\ned25519-key-file = \"ed.pem\"\n";
    std::fs::write(&settings, text).unwrap();
    let ed_record = dns_record(dir, "nb2022ed", "issues/ed.pem", "ed25519");

    let run = preview_seed(dir, "subscribers.example.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (name, raw) in emls(&dir.join("out")) {
        let text = String::from_utf8_lossy(&raw);
        let head = text.split("\r\n\r\n").next().unwrap();
        assert_eq!(head.matches("DKIM-Signature:").count(), 2, "{head}");
        assert!(head.contains("a=ed25519-sha256") && head.contains("a=rsa-sha256"));
        let path = dir.join("out").join(&name);
        let (ok, why) = verify_all(&path, &[rsa_record, &ed_record]);
        assert!(ok, "{name}: {why}");
        // Without the Ed25519 key in DNS its signature cannot verify: both are checked.
        let (ok, _) = verify_all(&path, &[rsa_record]);
        assert!(!ok, "{name}: the Ed25519 signature was not checked");
    }
}

#[test]
fn check_warns_without_dkim_and_refuses_a_domain_that_does_not_align() {
    let dir = Test::seed();
    let run = dir.words("check issues/2022-12.toml");
    assert_eq!(run.code, 0);
    assert!(starts_with(
        &run.stderr,
        "warning[dkim-missing]: DKIM is not configured"
    ));
    let settings = dir.join("issues/newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    // The From domain is weerbaarnl.example; `(domain, alignment, error)`.
    let cases = [
        ("mail.weerbaarnl.example", "", None),
        ("weerbaarnl.example", "alignment = \"strict\"\n", None),
        (
            "elders.example",
            "",
            Some(
                "error[dkim-not-aligned]: the DKIM domain `elders.example` (organization `elders.example`) does not \
                 align with the From domain `weerbaarnl.example` (organization \
                 `weerbaarnl.example`): DMARC fails; sign with `weerbaarnl.example` or a domain \
                 under `weerbaarnl.example`",
            ),
        ),
        (
            "example",
            "",
            Some(
                "error[dkim-not-aligned]: the DKIM domain `example` is a public suffix, which no one can sign for",
            ),
        ),
        (
            "mail.weerbaarnl.example",
            "alignment = \"strict\"\n",
            Some(
                "error[dkim-not-aligned]: with `alignment = \"strict\"` the DKIM domain `mail.weerbaarnl.example` \
                 must be the From domain `weerbaarnl.example`: DMARC fails",
            ),
        ),
    ];
    for (domain, alignment, error) in cases {
        let dkim = DKIM.replace(
            "domain = \"weerbaarnl.example\"\n",
            &format!("domain = \"{domain}\"\n{alignment}"),
        );
        std::fs::write(&settings, text.clone() + &dkim).unwrap();
        let run = dir.words("check issues/2022-12.toml");
        match error {
            None => assert_eq!(run.code, 0, "{domain} {alignment}: {}", run.stderr),
            Some(error) => {
                assert_eq!(run.code, 1, "{domain} {alignment}: {}", run.stderr);
                assert!(contains(&run.stderr, error));
            }
        }
    }
}

#[test]
fn a_key_file_written_with_a_windows_backslash_is_found() {
    let (dir, record) = signed_seed();
    let keys = dir.join("issues/keys");
    std::fs::create_dir(&keys).unwrap();
    std::fs::rename(dir.join("issues/dkim.pem"), keys.join("dkim.pem")).unwrap();
    crate::common::edit(
        &dir.join("issues/newsletter.toml"),
        "\nkey-file = \"dkim.pem\"",
        "\nkey-file = \"keys\\\\dkim.pem\"",
    );
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (name, _) = emls(&dir.join("out")).remove(0);
    let (ok, why) = verify(&dir.join("out").join(&name), &record);
    assert!(ok, "{why}");
}

#[test]
fn a_missing_key_stops_preview_with_status_2() {
    let dir = Test::seed();
    let settings = dir.join("issues/newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text + &DKIM.replace("key-file = \"dkim.pem\"\n", ""),
    )
    .unwrap();
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 2);
    assert!(ends_with(
        &run.stderr,
        "error: no DKIM key: set `key-file` in `[dkim]` or COURANT_DKIM_KEY to the PEM\n"
    ));
}

#[test]
fn generate_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    let dir = Test::empty();
    let generate = "dkim generate --selector s1 --domain example.nl --out k.pem";
    let run = dir.words(generate);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("s1._domainkey.example.nl. IN TXT ( \"v=DKIM1; k=rsa; p=MII")
    );
    let key = dir.join("k.pem");
    assert_owner_only(&key);
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    let again = dir.words(generate);
    assert_eq!(again.code, 2);
    assert!(contains(&again.stderr, "cannot create `k.pem`"));
    let record = dir.words("dkim record --selector s1 --domain example.nl --key k.pem");
    assert_eq!(
        record.stdout, run.stdout,
        "the record of the key just written"
    );
}
