//! Faults found by trying to break a send: a second path to the same ledger, a ledger that
//! disappears mid-send, greylisting, retries that run out, absurd flags, a closed pipe.
//! Regression tests of issue 10, items 8 to 12.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::finished;
use crate::common::servers::{Server, aiosmtpd};
use crate::common::tally;
use crate::common::words;
use crate::common::{Test, wait_for};
use crate::common::{contains, ends_with, lacks};

fn send_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let fixed = ["--rate", "unlimited", "--concurrency", "1"];
    crate::common::send_args(url, &[&fixed[..], extra].concat())
}

/// `n` readers, and aiosmtpd with `options`.
fn readers_and_server(n: usize, options: &[&str]) -> (Test, Server) {
    let dir = Test::seed().readers(n);
    let server = aiosmtpd(dir.path(), "mx", options);
    (dir, server)
}

/// Three readers, and a server that holds each message for a second.
fn slow_server() -> (Test, Server) {
    readers_and_server(3, &["--hold", "1"])
}

#[test]
fn a_second_path_to_the_same_ledger_cannot_start_a_second_send() {
    let (dir, server) = slow_server();
    let (d, url) = (dir.path(), server.url());
    // The ledger exists before either send starts, as after any earlier run.
    let status = dir.run(&words(
        "unsubscribe --ledger issues/courant.sqlite nobody@example.org",
    ));
    assert_eq!(status.code, 0, "{}", status.stderr);
    std::os::unix::fs::symlink(d.join("issues/courant.sqlite"), d.join("other-name.sqlite"))
        .unwrap();
    let first = dir.spawn(&send_args(&url, &[]));
    wait_for("the first message", || !server.recipients().is_empty());
    let second = dir.run(&send_args(&url, &["--ledger", "other-name.sqlite"]));
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(contains(
        &second.stderr,
        "another `courant send` is running with this ledger"
    ));
    assert_eq!(finished(first).code, 0);
    let received = server.sorted_recipients();
    assert_eq!(
        received,
        ["r0@example.org", "r1@example.org", "r2@example.org"],
        "each once"
    );
}

#[test]
fn a_ledger_deleted_during_a_send_stops_it() {
    let (dir, server) = slow_server();
    let child = dir.spawn(&send_args(&server.url(), &[]));
    wait_for("the first message", || !server.recipients().is_empty());
    std::fs::remove_file(dir.join("issues/courant.sqlite")).unwrap();
    let run = finished(child);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let says = "was deleted or replaced during the send";
    assert!(contains(&run.stderr, says));
    let sent = server.recipients().len();
    assert_eq!(sent, 1, "nothing more is sent without a record");
}

#[test]
fn greylisting_does_not_count_as_failures_in_a_row() {
    let (dir, server) = readers_and_server(8, &["--greylist"]);
    let url = server.url();
    let run = dir.run(&send_args(
        &url,
        &["--max-consecutive-failures", "3", "--retry-delay", "20ms"],
    ));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(ends_with(&run.stdout, &tally(8, 0, 0, 0)));
    assert_eq!(server.recipients().len(), 8);
}

#[test]
fn a_temporary_refusal_that_outlasts_the_retries_stays_deferred_for_the_next_run() {
    let (dir, server) = readers_and_server(2, &["--greylist"]);
    let url = server.url();
    let run = dir.run(&send_args(&url, &["--retries", "0"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(ends_with(&run.stdout, &tally(0, 0, 2, 0)));
    let status = dir.run(&["status", "issues/2022-12.toml"]);
    assert!(contains(&status.stdout, "deferred 2"));
    let again = dir.run(&send_args(&url, &["--retries", "0"]));
    assert_eq!(
        again.code, 0,
        "a plain re-run delivers them: {}",
        again.stderr
    );
    assert!(ends_with(&again.stdout, &tally(2, 0, 0, 0)));
}

#[test]
fn absurd_flags_get_an_error_not_a_panic() {
    let dir = Test::seed().readers(1);
    let sink = dir.sink(&[]);
    let url = sink.url();
    let mut args = send_args(&url, &[]);
    let at = args.iter().position(|a| *a == "unlimited").unwrap();
    args[at] = "0.000000000000000000001/s";
    let slow = dir.run(&args);
    assert_eq!(slow.code, 2, "{}", slow.stderr);
    assert!(contains(&slow.stderr, "too slow"));
    assert!(lacks(&slow.stderr, "panicked"));
    let ca = dir.run(&send_args(&url, &["--smtp-ca", "list.toml"]));
    assert_eq!(ca.code, 2, "{}", ca.stderr);
    assert!(contains(&ca.stderr, "no certificate in `list.toml`"));
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let dir = Test::seed().readers(3);
    let sink = dir.sink(&[]);
    let url = sink.url();
    assert_eq!(dir.run(&send_args(&url, &[])).code, 0);
    let mut child = dir
        .command(&["status", "issues/2022-12.toml", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -c 1`: read a byte, then close the pipe.
    drop(child.stdout.take());
    let run = finished(child);
    assert!(lacks(&run.stderr, "panicked"));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Readers with international addresses: a non-ASCII local part, and an IDN domain.
fn international_list() -> Test {
    Test::seed().addresses(&["ömer@example.nl", "jan@bücher.example", "anne@example.nl"])
}

#[test]
fn international_addresses_go_out_with_smtputf8_and_idn_domains_as_a_labels() {
    let dir = international_list();
    let d = dir.path();
    let server = aiosmtpd(d, "mx", &["--smtputf8"]);
    let run = dir.run(&send_args(&server.url(), &[]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let received = server.sorted_recipients();
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
    let dir = international_list();
    let d = dir.path();
    let server = aiosmtpd(d, "mx", &[]);
    let started = Instant::now();
    let run = dir.run(&send_args(&server.url(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no retries for an address the server cannot take"
    );
    assert!(contains(
        &run.stderr,
        "failed: ömer@example.nl: the server does not accept international addresses (SMTPUTF8)"
    ));
    assert!(ends_with(&run.stdout, &tally(2, 1, 0, 0)));
    let received = server.sorted_recipients();
    assert_eq!(received, ["anne@example.nl", "jan@xn--bcher-kva.example"]);
}

#[test]
fn a_quoted_local_part_is_refused_where_it_is_written() {
    let dir = Test::seed().addresses(&["\\\"a b\\\"@example.nl"]);
    let run = dir.preview("list.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "--> list.toml:2:9"));
    assert!(contains(&run.stderr, "quoted"));
}

#[test]
fn smtps_to_a_port_without_tls_says_to_try_starttls() {
    let dir = Test::seed().readers(1);
    let sink = dir.sink(&[]);
    let url = format!("smtps://127.0.0.1:{}", sink.port);
    let mut args = send_args(&url, &[]);
    args.retain(|a| *a != "--concurrency" && *a != "1");
    let run = dir.run(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "does not speak TLS from the first byte"
    ));
    assert!(contains(&run.stderr, "smtp://"));
}

// Issue 17, item 2: two spellings of one mailbox are one reader.

#[test]
fn two_spellings_of_an_international_domain_are_one_reader_in_the_list() {
    let idn = Test::seed().addresses(&["jan@bücher.example", "jan@xn--bcher-kva.example"]);
    let run = idn.preview("list.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    let says = "duplicate subscriber `jan@xn--bcher-kva.example`";
    assert!(contains(&run.stderr, says));
    assert!(contains(&run.stderr, "first listed here"));
    let nfd = Test::seed().addresses(&["jos\u{e9}@example.nl", "jose\u{301}@example.nl"]);
    let run = nfd.preview("list.toml");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "duplicate subscriber"));
}

#[test]
fn suppressing_one_spelling_skips_the_other_and_a_respelt_list_is_not_sent_again() {
    let (dir, server) = readers_and_server(0, &["--smtputf8"]);
    let dir = dir.addresses(&[
        "jan@bücher.example",
        "jose\u{301}@example.nl",
        "anne@example.nl",
    ]);
    let run = dir.words("unsubscribe jan@xn--bcher-kva.example");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = dir.run(&send_args(&server.url(), &[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(contains(&run.stdout, "1 suppressed"));
    assert_eq!(
        server.sorted_recipients(),
        ["anne@example.nl", "jos\u{e9}@example.nl"]
    );

    // The same readers, spelt the other way: nothing is sent twice.
    sends_nothing_more(dir.addresses(&["jos\u{e9}@EXAMPLE.nl"]), &server, 2);
}

/// Sends again to the list of `dir`, and asserts that nothing more went out than the `sent`
/// messages `server` has.
fn sends_nothing_more(dir: Test, server: &Server, sent: usize) {
    let again = dir.run(&send_args(&server.url(), &[]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(contains(&again.stdout, "nothing to send"));
    assert_eq!(server.recipients().len(), sent);
}

#[test]
fn a_ledger_of_an_older_courant_is_rekeyed_so_an_earlier_send_still_counts() {
    let (dir, server) = readers_and_server(0, &["--smtputf8"]);
    let dir = dir.addresses(&["jan@bücher.example"]);
    assert_eq!(dir.run(&send_args(&server.url(), &[])).code, 0);
    // As an older courant wrote it: the address in lower case as it was spelt, version 1.
    let ledger = rusqlite::Connection::open(dir.join("issues/courant.sqlite")).unwrap();
    let old = "UPDATE deliveries SET email = 'jan@bücher.example'; PRAGMA user_version = 1;";
    ledger.execute_batch(old).unwrap();
    drop(ledger);

    sends_nothing_more(dir.addresses(&["jan@xn--bcher-kva.example"]), &server, 1);
}

// Issue 17, items 7 and 8: a ledger emptied, damaged or made unwritable during a send.

/// A send of `n` readers at 100/s to a fresh sink, started; returns once 20 went out.
fn sending(n: usize) -> (Test, Server, std::process::Child) {
    let dir = Test::seed().readers(n);
    let sink = dir.sink(&[]);
    let child = dir.spawn(&crate::common::send_args(&sink.url(), &["--rate", "100/s"]));
    wait_for("20 messages", || sink.messages().len() >= 20);
    (dir, sink, child)
}

#[test]
fn a_ledger_emptied_during_a_send_stops_it_and_the_next_send_refuses() {
    let (dir, sink, child) = sending(600);
    std::fs::File::create(dir.join("issues/courant.sqlite")).unwrap();
    let run = finished(child);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "was emptied or damaged during the send"
    ));
    let sent = sink.messages().len();
    assert!(
        sent < 600,
        "stopped at the next commit, not at the end: {sent}"
    );

    // Nothing is done, so 2, as for any ledger that cannot be used.
    let again = dir.run(&send_args(&sink.url(), &[]));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(contains(
        &again.stderr,
        "a send found the ledger emptied or damaged at "
    ));
    assert!(contains(&again.stderr, "restore the ledger from a backup"));
    assert_eq!(sink.messages().len(), sent, "nothing sent again");
}

#[test]
fn a_ledger_with_broken_pages_is_refused_before_anything_is_sent() {
    let (dir, server) = readers_and_server(300, &[]);
    assert_eq!(dir.run(&send_args(&server.url(), &[])).code, 0);
    let path = dir.join("issues/courant.sqlite");
    // Checkpointed into the file, then a page in the middle overwritten, as a copy taken
    // while a send wrote can be.
    let ledger = rusqlite::Connection::open(&path).unwrap();
    ledger
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(ledger);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 4096 / 2 * 4096;
    bytes[middle + 8..middle + 4096].fill(0x5a);
    std::fs::write(&path, bytes).unwrap();

    let again = dir.run(&send_args(&server.url(), &[]));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(contains(&again.stderr, "the file is damaged ("));
    assert_eq!(server.recipients().len(), 300, "nothing sent again");
}

/// SQLite maps the `-shm` file of a WAL ledger; made immutable mid-send, a write to it was a
/// bus error that ended courant silently with 135.
#[test]
fn an_unwritable_ledger_mapping_ends_the_send_with_status_3_and_a_message() {
    let (dir, sink, child) = sending(600);
    let shm = dir.join("issues/courant.sqlite-shm");
    let chattr = |flag: &str| {
        let status = std::process::Command::new("chattr")
            .arg(flag)
            .arg(&shm)
            .status();
        assert!(status.unwrap().success(), "chattr {flag}");
    };
    chattr("+i");
    let run = finished(child);
    chattr("-i");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "error: a file of the ledger could not be written any more"
    ));
    assert!(sink.messages().len() < 600);
}
