//! `courant send`, `status` and `test-send` against real SMTP servers on loopback: Postfix's
//! `smtp-sink` and aiosmtpd. Each test starts its own servers on fresh ports.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::finished;
use crate::common::postgres::postgres;
use crate::common::servers::{Server, aiosmtpd, aiosmtpd_tls, smtp_sink};
use crate::common::tally;
use crate::common::{Run, Test, command, courant_env, send_args, wait_for};
use crate::common::{contains, ends_with, lacks, starts_with};

/// `send` of the seed edition to `list.toml`, with `extra` flags.
fn send(dir: &Path, url: &str, extra: &[&str]) -> Run {
    send_env(dir, url, extra, &[])
}

/// `send` like [`send`], with environment variables.
fn send_env(dir: &Path, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    courant_env(dir, &send_args(url, extra), env)
}

/// How often each address was received by all of `servers` together.
fn received(servers: &[&Server]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for rcpt in servers.iter().flat_map(|s| s.recipients()) {
        *counts.entry(rcpt).or_insert(0) += 1;
    }
    counts
}

/// Asserts that `n` addresses were received, each exactly once.
fn assert_each_once(counts: &HashMap<String, usize>, n: usize) {
    assert_eq!(counts.len(), n, "{counts:?}");
    assert!(counts.values().all(|&c| c == 1), "a duplicate: {counts:?}");
}

/// After a run against `failing`, sends again to a healthy sink (with `flags`, unlimited
/// rate) and asserts that the two servers together got each of the `n` recipients once.
fn deliver_the_rest(dir: &Path, failing: &Server, flags: &[&str], n: usize) {
    let healthy = smtp_sink(dir, "healthy", &[]);
    let run = send(
        dir,
        &healthy.url(),
        &[&["--rate", "unlimited"], flags].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_each_once(&received(&[failing, &healthy]), n);
}

/// Waits until `server` has received `n` messages.
fn wait_for_messages(server: &Server, n: usize) {
    wait_for("the run to progress", || server.messages().len() >= n);
}

#[test]
fn two_hundred_recipients_once_and_a_second_run_sends_nothing() {
    let dir = Test::seed().readers(200);
    let sink = dir.sink(&[]);
    let run = dir.send(&sink, "--rate unlimited");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(contains(&run.stdout, "to send now: 200 via"));
    assert!(ends_with(&run.stdout, &tally(200, 0, 0, 0)));
    let counts = received(&[&sink]);
    assert_each_once(&counts, 200);

    let again = dir.send(&sink, "--rate unlimited");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(contains(&again.stdout, "ledger: 200 already sent"));
    assert!(ends_with(&again.stdout, "nothing to send\n"));
    assert_eq!(sink.messages().len(), 200);
    assert_eq!(dir.status()["counts"]["sent"], 200);
}

#[test]
fn messages_are_paced_at_the_configured_rate() {
    let dir = Test::seed().readers(30);
    let sink = dir.sink(&[]);
    let start = Instant::now();
    let run = dir.send(&sink, "--rate 20/s");
    let took = start.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(sink.messages().len(), 30);
    // 30 starts at 20/s, the first at once: at least 29 intervals of 50 ms.
    assert!(
        took >= Duration::from_millis(1400),
        "30 messages at 20/s took {took:?}"
    );
}

#[test]
fn greylisting_is_retried_within_the_run_and_each_delivered_once() {
    let dir = Test::seed().readers(6);
    let server = aiosmtpd(dir.path(), "mx", &["--greylist"]);
    let run = dir.send(&server, "--rate unlimited --retry-delay 50ms");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(contains(
        &run.stderr,
        "deferred: r0@example.org: 451 4.7.1 Greylisted, try again"
    ));
    assert!(ends_with(&run.stdout, &tally(6, 0, 0, 0)));
    let counts = received(&[&server]);
    assert_each_once(&counts, 6);
    let status = dir.status();
    assert_eq!(status["counts"]["sent"], 6);
    assert!(
        status["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["attempts"] == 2)
    );
}

#[test]
fn soft_rejects_are_deferred_then_delivered_once_by_the_next_run() {
    let dir = Test::seed().readers(10);
    let rejecting = smtp_sink(dir.path(), "busy", &["-r", "RCPT"]);
    let run = dir.send(
        &rejecting,
        "--rate unlimited --concurrency 1 --max-consecutive-failures 3",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "stopped: 3 failures in a row; run `courant send` again to continue"
    ));
    let status = dir.status();
    assert_eq!(status["counts"]["deferred"], 3);
    let reply = status["recipients"][0]["reply"].as_str().unwrap();
    assert!(reply.starts_with("450"), "{reply}");
    assert!(rejecting.messages().is_empty());

    deliver_the_rest(dir.path(), &rejecting, &[], 10);
}

#[test]
fn permanent_rejects_are_recorded_with_code_and_text_and_the_rest_delivered() {
    let dir = Test::seed().file("list.toml", "[[subscriber]]\nemail = \"a@example.org\"\n[[subscriber]]\nemail = \"reject-b@example.org\"\n\
         [[subscriber]]\nemail = \"c@example.org\"\n[[subscriber]]\nemail = \"reject-d@example.org\"\n");
    let server = aiosmtpd(dir.path(), "mx", &["--reject", "reject-"]);
    let run = dir.send(&server, "--rate unlimited");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "failed: reject-b@example.org: 550 5.1.1 No such user"
    ));
    let delivered = server.sorted_recipients();
    assert_eq!(delivered, ["a@example.org", "c@example.org"]);
    let status = dir.words("status issues/2022-12.toml");
    assert!(contains(&status.stdout, "sent 2, failed 2"));
    assert!(contains(
        &status.stdout,
        "failed: reject-d@example.org (1 attempt): 550 5.1.1 No such user"
    ));
    // A 5.1.1 at RCPT says the address is dead: it is suppressed, with its evidence, and
    // not mailed again.
    let again = dir.send(&server, "--retry-failed");
    assert!(contains(
        &again.stdout,
        "recipients: 4 active, 0 unsubscribed, 2 suppressed"
    ));
    assert_eq!(server.recipients().len(), 2);
    let export = dir.words("suppressions export");
    assert!(contains(&export.stdout, "reject-b@example.org,"));
    assert!(contains(
        &export.stdout,
        ",bounce,2022-12,5.1.1,550 5.1.1 No such user"
    ));
}

#[test]
fn a_server_that_drops_the_connection_loses_nothing_and_duplicates_nothing() {
    let dir = Test::seed().readers(8);
    let dropping = smtp_sink(dir.path(), "drop", &["-q", "MAIL"]);
    let run = dir.send(&dropping, "--rate unlimited --retries 1 --retry-delay 10ms");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(&run.stderr, "incomplete response"));
    assert!(dropping.messages().is_empty());
    deliver_the_rest(dir.path(), &dropping, &["--retry-failed"], 8);
}

#[test]
fn a_server_that_aborts_after_data_is_not_counted_as_delivered() {
    let dir = Test::seed().readers(4);
    let aborting = smtp_sink(dir.path(), "abort", &["-A", "0"]);
    let run = dir.send(&aborting, "--rate unlimited --retries 0");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let status = dir.status();
    assert_eq!(status["counts"]["sent"], 0, "{status:#}");
    assert!(aborting.messages().is_empty());
    deliver_the_rest(
        dir.path(),
        &aborting,
        &["--retry-failed", "--resend-unknown"],
        4,
    );
}

#[test]
fn a_stalled_server_times_out_instead_of_hanging() {
    let dir = Test::seed().readers(3);
    let stalled = smtp_sink(dir.path(), "stalled", &["-w", "30"]);
    let run = dir.send(
        &stalled,
        "--rate unlimited --timeout 1s --concurrency 1 --max-consecutive-failures 1",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "deferred: r0@example.org: no reply within 1s"
    ));
    deliver_the_rest(dir.path(), &stalled, &[], 3);
}

#[test]
fn after_sigkill_the_next_run_completes_without_duplicates() {
    let dir = Test::seed().readers(120);
    let sink = dir.sink(&[]);
    let mut child = spawn_send(&dir, &sink, "100/s");
    // Kill it once some messages are through, in the middle of the run.
    wait_for_messages(&sink, 30);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = sink.messages().len();
    assert!(before < 120, "the run was killed before it finished");

    let run = dir.send(&sink, "--rate unlimited");
    let status = dir.status();
    let unknown = status["counts"]["unknown"].as_u64().unwrap() as usize;
    assert!(
        unknown <= 4,
        "at most one unknown per connection, got {unknown}"
    );
    assert_eq!(run.code, if unknown == 0 { 0 } else { 1 }, "{}", run.stderr);
    let counts = received(&[&sink]);
    assert!(counts.values().all(|&n| n == 1), "a duplicate: {counts:?}");
    let unknowns: Vec<&str> = status["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "unknown")
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    for i in 0..120 {
        let address = format!("r{i}@example.org");
        assert!(
            counts.contains_key(&address) || unknowns.contains(&address.as_str()),
            "{address} lost"
        );
    }
}

#[test]
fn sigterm_stops_cleanly_and_a_second_send_is_refused_meanwhile() {
    let dir = Test::seed().readers(60);
    let sink = dir.sink(&[]);
    let child = spawn_send(&dir, &sink, "20/s");
    wait_for_messages(&sink, 5);
    let second = dir.send(&sink, "");
    assert_eq!(second.code, 2);
    assert!(contains(
        &second.stderr,
        "error: another `courant send` is running with this ledger (process "
    ));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = finished(child);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let says = "stopped: interrupted; messages in flight were recorded";
    assert!(contains(&run.stderr, says));
    let status = dir.status();
    assert_eq!(status["counts"]["sending"], 0);
    assert_eq!(status["counts"]["unknown"], 0);
    // Issue 18, item 7: the record says the run was interrupted.
    let summary = status["runs"][0]["summary"].as_str().unwrap();
    assert!(contains(summary, "; stopped: interrupted"));

    let run = dir.send(&sink, "--rate unlimited");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let counts = received(&[&sink]);
    assert_each_once(&counts, 60);
}

#[test]
fn starttls_and_implicit_tls_with_a_private_ca_and_login() {
    let dir = Test::seed().readers(3);
    let auth = ["--auth", "news:s3cret-pw"];
    let (starttls, cert) = aiosmtpd_tls(dir.path(), "starttls", "--starttls", &auth);
    let url = format!("smtp://news@localhost:{}", starttls.port);
    let flags = ["--smtp-ca", &cert, "--rate", "unlimited"];
    let run = send_env(
        dir.path(),
        &url,
        &flags,
        &[("COURANT_SMTP_PASSWORD", "s3cret-pw")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(starttls.recipients().len(), 3);
    assert!(!run.stdout.contains("s3cret-pw") && !run.stderr.contains("s3cret-pw"));

    let (implicit, cert) = aiosmtpd_tls(dir.path(), "implicit", "--implicit", &[]);
    let url = format!("smtps://localhost:{}", implicit.port);
    let flags = [
        "--smtp-ca",
        &cert,
        "--rate",
        "unlimited",
        "--ledger",
        "other.sqlite",
    ];
    let run = send(dir.path(), &url, &flags);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(implicit.recipients().len(), 3);
}

#[test]
fn an_untrusted_certificate_or_a_wrong_password_stops_the_run_with_status_2() {
    let dir = Test::seed().readers(2);
    let auth = ["--auth", "news:right"];
    let (server, cert) = aiosmtpd_tls(dir.path(), "mx", "--starttls", &auth);
    let url = format!("smtp://news@localhost:{}", server.port);
    let run = send_env(dir.path(), &url, &[], &[("COURANT_SMTP_PASSWORD", "right")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "the server's certificate is not signed by a CA courant trusts: if it is your own \
         server, give its certificate or its CA's (PEM) with --smtp-ca FILE"
    ));
    let wrong = [("COURANT_SMTP_PASSWORD", "wrong-pw")];
    let run = send_env(dir.path(), &url, &["--smtp-ca", &cert], &wrong);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "login as `news` refused"));
    assert!(lacks(&run.stderr, "wrong-pw"));
    assert!(server.messages().is_empty());
}

#[test]
fn login_over_plain_text_is_refused_before_connecting() {
    let dir = Test::seed().readers(1);
    let args = send_args("smtp://news@127.0.0.1:1?tls=none", &[]);
    let run = courant_env(dir.path(), &args, &[("COURANT_SMTP_PASSWORD", "geheim")]);
    assert_eq!(run.code, 2);
    assert!(ends_with(
        &run.stderr,
        "error: refusing to log in as `news` over an unencrypted connection (smtp://news@127.0.0.1:1?tls=none); \
             use STARTTLS (`smtp://`) or `smtps://`\n"
    ));
    assert!(!run.stderr.contains("geheim"));
}

#[test]
fn without_a_terminal_or_yes_send_refuses() {
    let dir = Test::seed().readers(1);
    let run = dir.words(
        "send issues/2022-12.toml --subscribers list.toml --smtp smtp://127.0.0.1:1?tls=none",
    );
    assert_eq!(run.code, 2);
    assert!(ends_with(
        &run.stderr,
        "error: refusing to send without confirmation: no terminal to ask on; pass --yes\n"
    ));
}

#[test]
fn an_unreachable_server_stops_the_run_resumably() {
    let dir = Test::seed().readers(2);
    let port = crate::common::servers::free_port();
    let run = send(
        dir.path(),
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        &format!(
            "stopped: the server cannot be reached: cannot connect to smtp://127.0.0.1:{port}?tls=none"
        )
    ));
    let sink = dir.sink(&[]);
    assert_eq!(dir.send(&sink, "").code, 0);
    assert_eq!(sink.recipients().len(), 2);
}

#[test]
fn test_send_reaches_exactly_one_address_and_leaves_the_ledger_alone() {
    let dir = Test::seed();
    let sink = dir.sink(&[]);
    let args = [
        "test-send",
        "issues/2022-12.toml",
        "--to",
        "editor@example.org",
        "--as",
        "omer.karaca@example.nl",
        "--subscribers",
        "subscribers.example.toml",
        "--smtp",
        &sink.url(),
    ];
    let run = dir.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(starts_with(
        &run.stdout,
        "sent to editor@example.org as omer.karaca@example.nl: 250"
    ));
    assert_eq!(sink.recipients(), ["editor@example.org"]);
    let message = std::fs::read_to_string(&sink.messages()[0]).unwrap();
    assert!(
        message.contains("Subject: [TEST] Nieuwsbrief WeerbaarNL"),
        "{message}"
    );
    assert!(message.contains("Beste =C3=96mer Karaca,"));
    assert!(
        !dir.join("issues/courant.sqlite").exists(),
        "the ledger was not created"
    );
}

#[test]
fn the_daily_limit_counts_across_runs() {
    let dir = Test::seed().readers(5);
    let sink = dir.sink(&[]);
    let run = dir.send(&sink, "--rate unlimited --daily-limit 3");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(&run.stdout, "daily limit: 3 more today"));
    assert!(contains(&run.stderr, "stopped: the daily limit is reached"));
    assert_eq!(sink.messages().len(), 3);
    let again = dir.send(&sink, "--rate unlimited --daily-limit 3");
    assert_eq!(again.code, 1);
    assert!(contains(&again.stdout, "daily limit: 0 more today"));
    assert_eq!(sink.messages().len(), 3, "nothing more today");
    let raised = dir.send(&sink, "--rate unlimited --daily-limit 10");
    assert_eq!(raised.code, 0, "{}", raised.stderr);
    assert_each_once(&received(&[&sink]), 5);
}

#[test]
fn max_per_connection_opens_a_new_connection_after_that_many_messages() {
    let dir = Test::seed().readers(6);
    let server = aiosmtpd(dir.path(), "mx", &[]);
    let run = dir.send(
        &server,
        "--rate unlimited --concurrency 1 --max-per-connection 2",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let peers: std::collections::HashSet<String> = server
        .messages()
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .find(|l| l.starts_with("X-Peer: "))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(peers.len(), 3, "6 messages, 2 per connection: {peers:?}");
}

#[test]
fn no_reply_after_the_data_is_unknown_and_not_sent_again_unless_asked() {
    let dir = Test::seed().readers(1);
    // The server takes the whole message, then is silent: it may or may not deliver it.
    let silent = smtp_sink(dir.path(), "silent", &["-W", ".:5"]);
    let run = dir.send(&silent, "--timeout 1s");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "unknown: r0@example.org: no reply to the message data within 1s"
    ));
    assert_eq!(dir.status()["counts"]["unknown"], 1);
    let healthy = smtp_sink(dir.path(), "healthy", &[]);
    let again = dir.send(&healthy, "");
    assert_eq!(again.code, 1);
    assert!(contains(
        &again.stdout,
        "1 unknown (--resend-unknown to send again)"
    ));
    assert!(
        healthy.messages().is_empty(),
        "an unknown is not sent again by itself"
    );
    let resent = dir.send(&healthy, "--resend-unknown");
    assert_eq!(resent.code, 0, "{}", resent.stderr);
    assert_eq!(healthy.recipients(), ["r0@example.org"]);
}

#[test]
fn a_ledger_that_cannot_be_written_after_sending_started_exits_3() {
    let dir = Test::seed().readers(3);
    let server = aiosmtpd(dir.path(), "mx", &["--hold", "1"]);
    let url = server.url();
    let args = send_args(&url, &["--rate", "unlimited", "--concurrency", "1"]);
    let child = command(dir.path(), &args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.recipients().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20), "nothing arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first message is at the server, its reply held back: the ledger breaks now.
    let ledger = rusqlite::Connection::open(dir.join("issues/courant.sqlite")).unwrap();
    ledger.busy_timeout(Duration::from_secs(10)).unwrap();
    ledger.execute_batch("DROP TABLE deliveries").unwrap();
    let run = finished(child);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let says = "error: the ledger could not be written after sending started: ";
    assert!(contains(&run.stderr, says));
    assert_eq!(
        server.recipients(),
        ["r0@example.org"],
        "no message starts once the ledger cannot record it"
    );
}

/// `send` from `t` through `sink` at `rate` in the background.
fn spawn_send(t: &Test, sink: &Server, rate: &str) -> std::process::Child {
    t.spawn(&send_args(&sink.url(), &["--rate", rate]))
}

#[test]
fn on_a_shared_postgres_ledger_a_second_machine_is_refused_and_resumes_after_a_kill() {
    let url = postgres().database();
    // Two working folders stand for two machines with the same list.
    let one = Test::seed().ledger(&url).readers(120);
    let two = Test::seed().ledger(&url).readers(120);
    let sink = one.sink(&[]);
    let mut child = spawn_send(&one, &sink, "100/s");
    wait_for_messages(&sink, 20);

    let second = two.send(&sink, "");
    assert_eq!(second.code, 2, "{}", second.stderr);
    let expected =
        format!("another `courant send` of 2022-12 is running with the ledger `{url}`: on ");
    assert!(contains(&second.stderr, &expected));
    let process = format!("(process {})", child.id());
    assert!(contains(&second.stderr, &process));

    child.kill().unwrap();
    child.wait().unwrap();
    assert!(sink.messages().len() < 120, "killed before the end");
    // The other machine takes over: the lock died with the process's connection.
    resume_and_check_each_once(&two, &sink, 120);
}

#[test]
fn postgres_stopped_during_a_send_stops_it_cleanly_and_the_resumed_run_doubles_nothing() {
    // A cluster of its own: stopping the shared one would pull it from under other tests.
    let pg = crate::common::postgres::private();
    let url = pg.database();
    let dir = Test::seed().ledger(&url).readers(150);
    let sink = dir.sink(&[]);
    let child = spawn_send(&dir, &sink, "100/s");
    wait_for_messages(&sink, 20);
    pg.stop_now();
    let run = finished(child);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(contains(&run.stderr, &url), "the message names the ledger");
    assert!(sink.messages().len() < 150, "stopped before the end");

    pg.start();
    resume_and_check_each_once(&dir, &sink, 150);
}

/// Sends the rest from `t` (a resumed run), then asserts that each of the `n` recipients
/// reached `sink` at most once, and each one that did not is reported `unknown` (at most one
/// per connection).
fn resume_and_check_each_once(t: &Test, sink: &Server, n: u64) {
    let run = t.send(sink, "--rate unlimited");
    let unknown = t.status()["counts"]["unknown"].as_u64().unwrap();
    assert!(
        unknown <= 4,
        "at most one unknown per connection: {unknown}"
    );
    assert_eq!(run.code, if unknown == 0 { 0 } else { 1 }, "{}", run.stderr);
    let counts = received(&[sink]);
    assert!(counts.values().all(|&c| c == 1), "a duplicate: {counts:?}");
    let sent = counts.len() as u64;
    assert!(
        sent <= n && sent + unknown >= n,
        "every recipient sent once or reported unknown: {sent} + {unknown}"
    );
}

/// Two `send --join` runs from `one` and `two` (each with `list.toml` of `n`), each through a
/// sink of its own: the list is split between them and each recipient gets one message; a
/// plain `send` meanwhile is refused and told about --join.
fn two_joined_senders_send_each_recipient_once(one: &Test, two: &Test, n: usize) {
    let (sink_one, sink_two) = (
        smtp_sink(one.path(), "one", &[]),
        smtp_sink(two.path(), "two", &[]),
    );
    // Started together: one of them holds the edition alone for a moment, and the other
    // waits for it to share rather than take it for a plain `send`.
    let join = ["--rate", "100/s", "--join"];
    let first = one.spawn(&send_args(&sink_one.url(), &join));
    let second = two.spawn(&send_args(&sink_two.url(), &join));
    wait_for_messages(&sink_one, 10);
    wait_for_messages(&sink_two, 10);

    let plain = two.send(&sink_two, "");
    assert_eq!(plain.code, 2, "{}", plain.stderr);
    assert!(contains(&plain.stderr, "`courant send --join`"));
    assert!(contains(&plain.stderr, "add --join to send beside it"));

    for child in [first, second] {
        let run = finished(child);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_each_once(&received(&[&sink_one, &sink_two]), n);
    let (a, b) = (sink_one.messages().len(), sink_two.messages().len());
    assert!(a >= 10 && b >= 10, "both senders sent part: {a} + {b}");
    let status = one.status();
    assert_eq!(
        status["counts"]["sent"].as_u64(),
        Some(n as u64),
        "{status}"
    );
}

#[test]
fn two_senders_joined_on_a_postgres_ledger_split_the_list_and_send_each_once() {
    // 1,000 at 100/s: the first sender alone would need 10 s, so the second, however slowly
    // it starts on a loaded machine, joins while most of the list is left (with 300, the wait
    // for the second sender's first messages once timed out under the whole suite's load).
    let url = postgres().database();
    let one = Test::seed().ledger(&url).readers(1000);
    let two = Test::seed().ledger(&url).readers(1000);
    two_joined_senders_send_each_recipient_once(&one, &two, 1000);
}

#[test]
fn two_senders_joined_on_one_sqlite_ledger_split_the_list_and_send_each_once() {
    let dir = Test::seed().readers(300);
    two_joined_senders_send_each_recipient_once(&dir, &dir, 300);
}

#[test]
fn quiet_prints_only_the_result_and_verbose_each_message() {
    let dir = Test::seed().readers(3);
    let sink = dir.sink(&[]);
    let quiet = dir.send(&sink, "--rate unlimited -q");
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "no warning, plan or progress");
    assert_eq!(
        quiet.stdout, "sent 3, failed 0, deferred 0, unknown 0\n",
        "only the result"
    );

    let dir = Test::seed().readers(3);
    let verbose = dir.send(&sink, "--rate unlimited --verbose");
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    for i in 0..3 {
        assert!(contains(
            &verbose.stderr,
            &format!("sent: r{i}@example.org\n")
        ));
    }
    assert!(
        verbose.stdout.contains("recipients: 3 active"),
        "the plan: {}",
        verbose.stdout
    );

    let check = dir.words("check -q issues/2022-12.toml");
    assert_eq!(
        (check.code, check.stderr.as_str()),
        (0, ""),
        "the DKIM warning is not shown"
    );
    let both = dir.words("check -q -v issues/2022-12.toml");
    assert_eq!(
        both.code, 2,
        "-q and -v together are refused: {}",
        both.stderr
    );
}

#[test]
fn someone_who_unsubscribes_during_a_send_is_left_out_of_it() {
    let dir = Test::seed().readers(60);
    let sink = dir.sink(&[]);
    let child = spawn_send(&dir, &sink, "40/s");
    wait_for_messages(&sink, 5);
    let unsubscribe = dir.words("unsubscribe r59@example.org");
    assert_eq!(unsubscribe.code, 0, "{}", unsubscribe.stderr);
    let run = finished(child);
    assert_eq!(run.code, 0, "all who still want it have it: {run:?}");
    assert!(
        run.stdout
            .contains("sent 59, failed 0, deferred 0, unknown 0, left out 1"),
        "{}",
        run.stdout
    );
    let counts = received(&[&sink]);
    assert_each_once(&counts, 59);
    assert!(!counts.contains_key("r59@example.org"));
}

/// Issue 17, item 4: against a server announcing `SIZE`, a larger message was uploaded to each
/// recipient before its `552`. Now nothing is uploaded, the run stops with status 2 and says
/// why, and the next run, through a server that takes it, sends each reader once.
#[test]
fn a_message_larger_than_the_server_takes_is_not_uploaded_and_the_run_stops() {
    let dir = Test::seed().readers(5).grown_image(2_000_000);
    let small = aiosmtpd(dir.path(), "small", &["--size", "1000000"]);
    let run = dir.send(&small, "--rate unlimited");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "and the server takes at most 1.0 MB (its SIZE)"
    ));
    assert!(small.messages().is_empty());
    assert_eq!(dir.status()["counts"]["sent"], 0);

    let large = aiosmtpd(dir.path(), "large", &["--size", "50000000"]);
    let again = dir.send(&large, "--rate unlimited");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_each_once(&received(&[&large]), 5);
}

/// Issue 17, item 3: a server whose greeting never ends its line grew a send to gigabytes
/// before the timeout. Run with 2 GB of address space, courant stops reading at a megabyte.
#[test]
fn a_greeting_that_never_ends_its_line_is_cut_off() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            std::thread::spawn(move || {
                let mut client = client.unwrap();
                let endless = [b'x'; 64 * 1024];
                let _ = std::io::Write::write_all(&mut client, b"220 ");
                while std::io::Write::write_all(&mut client, &endless).is_ok() {}
            });
        }
    });
    let dir = Test::seed()
        .readers(2)
        .through(&["prlimit", "--as=2000000000", "--"]);
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let run = dir.run(&send_args(&url, &["--timeout", "20s"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "more than 1024 KB without a command to answer"
    ));
    assert_eq!(dir.status()["counts"]["sent"], 0);
}

// Issue 18, item 1: double sends stopped before they start.

#[test]
fn a_sent_edition_saved_under_another_name_is_refused_unless_sent_again() {
    let dir = Test::seed().readers(3);
    let sink = dir.sink(&[]);
    let first = dir.send(&sink, "--rate unlimited");
    assert_eq!(first.code, 0, "{}", first.stderr);
    // A fresh ledger says what that means before anything goes out.
    let plan = "ledger issues/courant.sqlite: records no send yet";
    assert!(contains(&first.stdout, plan));
    let warning = "records no earlier send: if this newsletter was sent";
    assert!(contains(&first.stderr, warning));

    let copy = std::fs::read(dir.join("issues/2022-12.toml")).unwrap();
    dir.write("issues/2022-12-correctie.toml", &copy);
    let args = [
        "send",
        "issues/2022-12-correctie.toml",
        "-s",
        "list.toml",
        "--yes",
    ];
    let smtp = sink.url();
    let again = dir.run(&[&args[..], &["--smtp", &smtp]].concat());
    assert_eq!(again.code, 2, "{}", again.stderr);
    let says = "`2022-12-correctie` has the subject and content of `2022-12`, which this ledger \
                (issues/courant.sqlite) records as sent to 3 readers on ";
    assert!(contains(&again.stderr, says));
    assert_eq!(sink.messages().len(), 3, "nothing sent twice");

    let meant = dir.run(&[&args[..], &["--smtp", &smtp, "--again"]].concat());
    assert_eq!(meant.code, 0, "{}", meant.stderr);
    let plan = "ledger issues/courant.sqlite: last sent 2022-12 on ";
    assert!(contains(&meant.stdout, plan));
    let warning = "`2022-12` went out with the same subject on ";
    assert!(contains(&meant.stderr, warning));
    assert_eq!(sink.messages().len(), 6);
}

/// Issue 18, item 7: `status` could not say how many readers are still to send, and after
/// an edit of a sent edition `send` said "nothing to send" without a word that readers keep
/// the old text.
#[test]
fn status_with_the_list_counts_who_is_left_and_an_edited_sent_edition_says_readers_keep_it() {
    let dir = Test::seed().readers(4);
    let sink = dir.sink(&[]);
    let run = dir.send(&sink, "--rate unlimited");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = "[[subscriber]]\nemail = \"new@example.org\"\n";
    let bigger = std::fs::read_to_string(dir.join("list.toml")).unwrap() + list;
    dir.write("bigger.toml", bigger);
    let status = dir.words("status issues/2022-12.toml --subscribers bigger.toml");
    assert_eq!(status.code, 0, "{}", status.stderr);
    let says = "still to send: 1 of the 5 active readers on the list (`courant send` sends them)";
    assert!(contains(&status.stdout, says));

    let dir = dir.revise(
        "Nieuwsbrief WeerbaarNL – December 2022\"",
        "Nieuwsbrief – december\"",
    );
    let again = dir.send(&sink, "--rate unlimited");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(ends_with(&again.stdout, "nothing to send\n"));
    let keep = "`2022-12` changed since it was sent: its 4 readers keep the text they were sent";
    assert!(contains(&again.stderr, keep));
}
