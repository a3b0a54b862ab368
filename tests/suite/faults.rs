//! Faults found by trying to break a send: a second path to the same ledger, a ledger that
//! disappears mid-send, greylisting, retries that run out, absurd flags, a closed pipe.
//! Regression tests of issue 10, items 8 to 12.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::servers::{aiosmtpd, smtp_sink};
use crate::common::{command, courant, seed, write_list};

fn send_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let fixed = ["--rate", "unlimited", "--concurrency", "1"];
    crate::common::send_args(url, &[&fixed[..], extra].concat())
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited too long for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_path_to_the_same_ledger_cannot_start_a_second_send() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 3);
    let server = aiosmtpd(d, "mx", &["--hold", "1"]);
    let url = server.url();
    // The ledger exists before either send starts, as after any earlier run.
    let status = courant(
        d,
        &[
            "unsubscribe",
            "--ledger",
            "issues/courant.sqlite",
            "nobody@example.org",
        ],
    );
    assert_eq!(status.code, 0, "{}", status.stderr);
    std::os::unix::fs::symlink(d.join("issues/courant.sqlite"), d.join("other-name.sqlite"))
        .unwrap();
    let first = command(d, &send_args(&url, &[]), &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the first message", || !server.recipients().is_empty());
    let second = courant(d, &send_args(&url, &["--ledger", "other-name.sqlite"]));
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("another `courant send` is running with this ledger"),
        "{}",
        second.stderr
    );
    let out = first.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut received = server.recipients();
    received.sort();
    assert_eq!(
        received,
        ["r0@example.org", "r1@example.org", "r2@example.org"],
        "each once"
    );
}

#[test]
fn a_ledger_deleted_during_a_send_stops_it() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 3);
    let server = aiosmtpd(d, "mx", &["--hold", "1"]);
    let url = server.url();
    let child = command(d, &send_args(&url, &[]), &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the first message", || !server.recipients().is_empty());
    std::fs::remove_file(d.join("issues/courant.sqlite")).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("was deleted or replaced during the send"),
        "{stderr}"
    );
    assert_eq!(
        server.recipients().len(),
        1,
        "nothing more is sent without a record"
    );
}

#[test]
fn greylisting_does_not_count_as_failures_in_a_row() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 8);
    let server = aiosmtpd(d, "mx", &["--greylist"]);
    let url = server.url();
    let run = courant(
        d,
        &send_args(
            &url,
            &["--max-consecutive-failures", "3", "--retry-delay", "20ms"],
        ),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .ends_with("sent 8, failed 0, deferred 0, unknown 0\n"),
        "{}",
        run.stdout
    );
    assert_eq!(server.recipients().len(), 8);
}

#[test]
fn a_temporary_refusal_that_outlasts_the_retries_stays_deferred_for_the_next_run() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 2);
    let server = aiosmtpd(d, "mx", &["--greylist"]);
    let url = server.url();
    let run = courant(d, &send_args(&url, &["--retries", "0"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("sent 0, failed 0, deferred 2, unknown 0\n"),
        "{}",
        run.stdout
    );
    let status = courant(d, &["status", "issues/2022-12.toml"]);
    assert!(status.stdout.contains("deferred 2"), "{}", status.stdout);
    let again = courant(d, &send_args(&url, &["--retries", "0"]));
    assert_eq!(
        again.code, 0,
        "a plain re-run delivers them: {}",
        again.stderr
    );
    assert!(
        again
            .stdout
            .ends_with("sent 2, failed 0, deferred 0, unknown 0\n"),
        "{}",
        again.stdout
    );
}

#[test]
fn absurd_flags_get_an_error_not_a_panic() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 1);
    let sink = smtp_sink(d, "mx", &[]);
    let url = sink.url();
    let mut args = send_args(&url, &[]);
    let at = args.iter().position(|a| *a == "unlimited").unwrap();
    args[at] = "0.000000000000000000001/s";
    let slow = courant(d, &args);
    assert_eq!(slow.code, 2, "{}", slow.stderr);
    assert!(slow.stderr.contains("too slow"), "{}", slow.stderr);
    assert!(!slow.stderr.contains("panicked"), "{}", slow.stderr);
    let ca = courant(d, &send_args(&url, &["--smtp-ca", "list.toml"]));
    assert_eq!(ca.code, 2, "{}", ca.stderr);
    assert!(
        ca.stderr.contains("no certificate in `list.toml`"),
        "{}",
        ca.stderr
    );
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 3);
    let sink = smtp_sink(d, "mx", &[]);
    let url = sink.url();
    assert_eq!(courant(d, &send_args(&url, &[])).code, 0);
    let mut child = command(d, &["status", "issues/2022-12.toml", "--json"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -c 1`: read a byte, then close the pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Readers with international addresses: a non-ASCII local part, and an IDN domain.
fn international_list(dir: &std::path::Path) {
    std::fs::write(
        dir.join("list.toml"),
        "[[subscriber]]\nemail = \"ömer@example.nl\"\nname = \"Ömer\"\n\n\
         [[subscriber]]\nemail = \"jan@bücher.example\"\n\n\
         [[subscriber]]\nemail = \"anne@example.nl\"\n",
    )
    .unwrap();
}

#[test]
fn international_addresses_go_out_with_smtputf8_and_idn_domains_as_a_labels() {
    let dir = seed();
    let d = dir.path();
    international_list(d);
    let server = aiosmtpd(d, "mx", &["--smtputf8"]);
    let run = courant(d, &send_args(&server.url(), &[]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut received = server.recipients();
    received.sort();
    assert_eq!(
        received,
        [
            "anne@example.nl",
            "jan@xn--bcher-kva.example",
            "ömer@example.nl"
        ]
    );
}

#[test]
fn without_smtputf8_a_non_ascii_local_part_fails_at_once_and_the_rest_go_out() {
    let dir = seed();
    let d = dir.path();
    international_list(d);
    let server = aiosmtpd(d, "mx", &[]);
    let started = Instant::now();
    let run = courant(d, &send_args(&server.url(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no retries for an address the server cannot take"
    );
    assert!(
        run.stderr.contains(
            "failed: ömer@example.nl: the server does not accept international addresses (SMTPUTF8)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .ends_with("sent 2, failed 1, deferred 0, unknown 0\n"),
        "{}",
        run.stdout
    );
    let mut received = server.recipients();
    received.sort();
    assert_eq!(received, ["anne@example.nl", "jan@xn--bcher-kva.example"]);
}

#[test]
fn a_quoted_local_part_is_refused_where_it_is_written() {
    let dir = seed();
    let d = dir.path();
    std::fs::write(
        d.join("list.toml"),
        "[[subscriber]]\nemail = \"\\\"a b\\\"@example.nl\"\n",
    )
    .unwrap();
    let run = courant(
        d,
        &[
            "preview",
            "issues/2022-12.toml",
            "--subscribers",
            "list.toml",
            "--out",
            "out",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--> list.toml:2:9"), "{}", run.stderr);
    assert!(run.stderr.contains("quoted"), "{}", run.stderr);
}

#[test]
fn smtps_to_a_port_without_tls_says_to_try_starttls() {
    let dir = seed();
    let d = dir.path();
    write_list(&d.join("list.toml"), 1);
    let sink = smtp_sink(d, "mx", &[]);
    let url = format!("smtps://127.0.0.1:{}", sink.port);
    let mut args = send_args(&url, &[]);
    args.retain(|a| *a != "--concurrency" && *a != "1");
    let run = courant(d, &args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("does not speak TLS from the first byte"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("smtp://"), "{}", run.stderr);
}
