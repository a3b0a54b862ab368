//! `courant send`, `status` and `test-send` against real SMTP servers on loopback: Postfix's
//! `smtp-sink` and aiosmtpd. Each test starts its own servers on fresh ports.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::postgres::{PASSWORD as PG_PASSWORD, postgres};
use crate::common::servers::{Server, aiosmtpd, smtp_sink, test_certificate};
use crate::common::{Run, command, courant, courant_env, seed, send_args, write_list};

/// `send` of the seed edition to `list.toml`, with `extra` flags.
fn send(dir: &Path, url: &str, extra: &[&str]) -> Run {
    send_env(dir, url, extra, &[])
}

/// `send` like [`send`], with environment variables.
fn send_env(dir: &Path, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    courant_env(dir, &send_args(url, extra), env)
}

fn status_json(dir: &Path) -> serde_json::Value {
    let run = courant(dir, &["status", "issues/2022-12.toml", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
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

/// Starts `send` at `rate` in the background, with piped output.
fn spawn_send(dir: &Path, url: &str, rate: &str) -> std::process::Child {
    spawn_send_env(dir, url, rate, &[])
}

/// Waits until `server` has received `n` messages.
fn wait_for_messages(server: &Server, n: usize) {
    let start = Instant::now();
    while server.messages().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the run does not progress"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn two_hundred_recipients_once_and_a_second_run_sends_nothing() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 200);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let run = send(dir.path(), &sink.url(), &["--rate", "unlimited"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("to send now: 200 via"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("sent 200, failed 0, deferred 0, unknown 0\n"),
        "{}",
        run.stdout
    );
    let counts = received(&[&sink]);
    assert_each_once(&counts, 200);

    let again = send(dir.path(), &sink.url(), &["--rate", "unlimited"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("ledger: 200 already sent"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.ends_with("nothing to send\n"),
        "{}",
        again.stdout
    );
    assert_eq!(sink.messages().len(), 200);
    assert_eq!(status_json(dir.path())["counts"]["sent"], 200);
}

#[test]
fn messages_are_paced_at_the_configured_rate() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 30);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let start = Instant::now();
    let run = send(dir.path(), &sink.url(), &["--rate", "20/s"]);
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
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 6);
    let server = aiosmtpd(dir.path(), "mx", &["--greylist"]);
    let run = send(
        dir.path(),
        &server.url(),
        &["--rate", "unlimited", "--retry-delay", "50ms"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("deferred: r0@example.org: 451 4.7.1 Greylisted, try again"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .ends_with("sent 6, failed 0, deferred 0, unknown 0\n"),
        "{}",
        run.stdout
    );
    let counts = received(&[&server]);
    assert_each_once(&counts, 6);
    let status = status_json(dir.path());
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
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 10);
    let rejecting = smtp_sink(dir.path(), "busy", &["-r", "RCPT"]);
    let run = send(
        dir.path(),
        &rejecting.url(),
        &[
            "--rate",
            "unlimited",
            "--concurrency",
            "1",
            "--max-consecutive-failures",
            "3",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("stopped: 3 failures in a row; run `courant send` again to continue"),
        "{}",
        run.stderr
    );
    let status = status_json(dir.path());
    assert_eq!(status["counts"]["deferred"], 3);
    let reply = status["recipients"][0]["reply"].as_str().unwrap();
    assert!(reply.starts_with("450"), "{reply}");
    assert!(rejecting.messages().is_empty());

    deliver_the_rest(dir.path(), &rejecting, &[], 10);
}

#[test]
fn permanent_rejects_are_recorded_with_code_and_text_and_the_rest_delivered() {
    let dir = seed();
    std::fs::write(
        dir.path().join("list.toml"),
        "[[subscriber]]\nemail = \"a@example.org\"\n[[subscriber]]\nemail = \"reject-b@example.org\"\n\
         [[subscriber]]\nemail = \"c@example.org\"\n[[subscriber]]\nemail = \"reject-d@example.org\"\n",
    )
    .unwrap();
    let server = aiosmtpd(dir.path(), "mx", &["--reject", "reject-"]);
    let run = send(dir.path(), &server.url(), &["--rate", "unlimited"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("failed: reject-b@example.org: 550 5.1.1 No such user"),
        "{}",
        run.stderr
    );
    let mut delivered = server.recipients();
    delivered.sort();
    assert_eq!(delivered, ["a@example.org", "c@example.org"]);
    let status = courant(dir.path(), &["status", "issues/2022-12.toml"]);
    assert!(
        status.stdout.contains("sent 2, failed 2"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("failed: reject-d@example.org (1 attempt): 550 5.1.1 No such user"),
        "{}",
        status.stdout
    );
    // A 5.1.1 at RCPT says the address is dead: it is suppressed, with its evidence, and
    // not mailed again.
    let again = send(dir.path(), &server.url(), &["--retry-failed"]);
    assert!(
        again
            .stdout
            .contains("recipients: 4 active, 0 unsubscribed, 2 suppressed"),
        "{}",
        again.stdout
    );
    assert_eq!(server.recipients().len(), 2);
    let export = courant(dir.path(), &["suppressions", "export"]);
    assert!(
        export.stdout.contains("reject-b@example.org,")
            && export
                .stdout
                .contains(",bounce,2022-12,5.1.1,550 5.1.1 No such user"),
        "{}",
        export.stdout
    );
}

#[test]
fn a_server_that_drops_the_connection_loses_nothing_and_duplicates_nothing() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 8);
    let dropping = smtp_sink(dir.path(), "drop", &["-q", "MAIL"]);
    let run = send(
        dir.path(),
        &dropping.url(),
        &[
            "--rate",
            "unlimited",
            "--retries",
            "1",
            "--retry-delay",
            "10ms",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("incomplete response"), "{}", run.stderr);
    assert!(dropping.messages().is_empty());
    deliver_the_rest(dir.path(), &dropping, &["--retry-failed"], 8);
}

#[test]
fn a_server_that_aborts_after_data_is_not_counted_as_delivered() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 4);
    let aborting = smtp_sink(dir.path(), "abort", &["-A", "0"]);
    let run = send(
        dir.path(),
        &aborting.url(),
        &["--rate", "unlimited", "--retries", "0"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let status = status_json(dir.path());
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
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 3);
    let stalled = smtp_sink(dir.path(), "stalled", &["-w", "30"]);
    let run = send(
        dir.path(),
        &stalled.url(),
        &[
            "--rate",
            "unlimited",
            "--timeout",
            "1s",
            "--concurrency",
            "1",
            "--max-consecutive-failures",
            "1",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("deferred: r0@example.org: no reply within 1s"),
        "{}",
        run.stderr
    );
    deliver_the_rest(dir.path(), &stalled, &[], 3);
}

#[test]
fn after_sigkill_the_next_run_completes_without_duplicates() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 120);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let mut child = spawn_send(dir.path(), &sink.url(), "100/s");
    // Kill it once some messages are through, in the middle of the run.
    wait_for_messages(&sink, 30);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = sink.messages().len();
    assert!(before < 120, "the run was killed before it finished");

    let run = send(dir.path(), &sink.url(), &["--rate", "unlimited"]);
    let status = status_json(dir.path());
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
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 60);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let child = spawn_send(dir.path(), &sink.url(), "20/s");
    wait_for_messages(&sink, 5);
    let second = send(dir.path(), &sink.url(), &[]);
    assert_eq!(second.code, 2);
    assert!(
        second
            .stderr
            .contains("error: another `courant send` is running with this ledger (process "),
        "{}",
        second.stderr
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped: interrupted; messages in flight were recorded"),
        "{stderr}"
    );
    let status = status_json(dir.path());
    assert_eq!(status["counts"]["sending"], 0);
    assert_eq!(status["counts"]["unknown"], 0);

    let run = send(dir.path(), &sink.url(), &["--rate", "unlimited"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let counts = received(&[&sink]);
    assert_each_once(&counts, 60);
}

#[test]
fn starttls_and_implicit_tls_with_a_private_ca_and_login() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 3);
    let (cert, key) = test_certificate(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let starttls = aiosmtpd(
        dir.path(),
        "starttls",
        &["--starttls", cert, key, "--auth", "news:s3cret-pw"],
    );
    let url = format!("smtp://news@localhost:{}", starttls.port);
    let flags = ["--smtp-ca", cert, "--rate", "unlimited"];
    let run = send_env(
        dir.path(),
        &url,
        &flags,
        &[("COURANT_SMTP_PASSWORD", "s3cret-pw")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(starttls.recipients().len(), 3);
    assert!(!run.stdout.contains("s3cret-pw") && !run.stderr.contains("s3cret-pw"));

    let implicit = aiosmtpd(dir.path(), "implicit", &["--implicit", cert, key]);
    let url = format!("smtps://localhost:{}", implicit.port);
    let ledger = ["--ledger", "other.sqlite"];
    let run = send(
        dir.path(),
        &url,
        &[&["--smtp-ca", cert, "--rate", "unlimited"][..], &ledger].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(implicit.recipients().len(), 3);
}

#[test]
fn an_untrusted_certificate_or_a_wrong_password_stops_the_run_with_status_2() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 2);
    let (cert, key) = test_certificate(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = aiosmtpd(
        dir.path(),
        "mx",
        &["--starttls", cert, key, "--auth", "news:right"],
    );
    let url = format!("smtp://news@localhost:{}", server.port);
    let run = send_env(dir.path(), &url, &[], &[("COURANT_SMTP_PASSWORD", "right")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("STARTTLS failed"), "{}", run.stderr);
    let wrong = [("COURANT_SMTP_PASSWORD", "wrong-pw")];
    let run = send_env(dir.path(), &url, &["--smtp-ca", cert], &wrong);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("login as `news` refused"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong-pw"), "{}", run.stderr);
    assert!(server.messages().is_empty());
}

#[test]
fn login_over_plain_text_is_refused_before_connecting() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 1);
    let args = send_args("smtp://news@127.0.0.1:1?tls=none", &[]);
    let run = courant_env(dir.path(), &args, &[("COURANT_SMTP_PASSWORD", "geheim")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.ends_with(
            "error: refusing to log in as `news` over an unencrypted connection (smtp://news@127.0.0.1:1?tls=none); \
             use STARTTLS (`smtp://`) or `smtps://`\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("geheim"));
}

#[test]
fn without_a_terminal_or_yes_send_refuses() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 1);
    let run = courant(
        dir.path(),
        &[
            "send",
            "issues/2022-12.toml",
            "--subscribers",
            "list.toml",
            "--smtp",
            "smtp://127.0.0.1:1?tls=none",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.ends_with(
            "error: refusing to send without confirmation: no terminal to ask on; pass --yes\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreachable_server_stops_the_run_resumably() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 2);
    let port = crate::common::servers::free_port();
    let run = send(
        dir.path(),
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("stopped: the server cannot be reached: cannot connect to smtp://127.0.0.1:{port}?tls=none")), "{}", run.stderr);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    assert_eq!(send(dir.path(), &sink.url(), &[]).code, 0);
    assert_eq!(sink.recipients().len(), 2);
}

#[test]
fn test_send_reaches_exactly_one_address_and_leaves_the_ledger_alone() {
    let dir = seed();
    let sink = smtp_sink(dir.path(), "sink", &[]);
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
    let run = courant(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("sent to editor@example.org as omer.karaca@example.nl: 250"),
        "{}",
        run.stdout
    );
    assert_eq!(sink.recipients(), ["editor@example.org"]);
    let message = std::fs::read_to_string(&sink.messages()[0]).unwrap();
    assert!(
        message.contains("Subject: [TEST] Nieuwsbrief WeerbaarNL"),
        "{message}"
    );
    assert!(message.contains("Beste =C3=96mer Karaca,"));
    assert!(
        !dir.path().join("issues/courant.sqlite").exists(),
        "the ledger was not created"
    );
}

#[test]
fn the_daily_limit_counts_across_runs() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 5);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let run = send(
        dir.path(),
        &sink.url(),
        &["--rate", "unlimited", "--daily-limit", "3"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("daily limit: 3 more today"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("stopped: the daily limit is reached"),
        "{}",
        run.stderr
    );
    assert_eq!(sink.messages().len(), 3);
    let again = send(
        dir.path(),
        &sink.url(),
        &["--rate", "unlimited", "--daily-limit", "3"],
    );
    assert_eq!(again.code, 1);
    assert!(
        again.stdout.contains("daily limit: 0 more today"),
        "{}",
        again.stdout
    );
    assert_eq!(sink.messages().len(), 3, "nothing more today");
    let raised = send(
        dir.path(),
        &sink.url(),
        &["--rate", "unlimited", "--daily-limit", "10"],
    );
    assert_eq!(raised.code, 0, "{}", raised.stderr);
    assert_each_once(&received(&[&sink]), 5);
}

#[test]
fn max_per_connection_opens_a_new_connection_after_that_many_messages() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 6);
    let server = aiosmtpd(dir.path(), "mx", &[]);
    let run = send(
        dir.path(),
        &server.url(),
        &[
            "--rate",
            "unlimited",
            "--concurrency",
            "1",
            "--max-per-connection",
            "2",
        ],
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
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 1);
    // The server takes the whole message, then is silent: it may or may not deliver it.
    let silent = smtp_sink(dir.path(), "silent", &["-W", ".:5"]);
    let run = send(dir.path(), &silent.url(), &["--timeout", "1s"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown: r0@example.org: no reply to the message data within 1s"),
        "{}",
        run.stderr
    );
    assert_eq!(status_json(dir.path())["counts"]["unknown"], 1);
    let healthy = smtp_sink(dir.path(), "healthy", &[]);
    let again = send(dir.path(), &healthy.url(), &[]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stdout
            .contains("1 unknown (--resend-unknown to send again)"),
        "{}",
        again.stdout
    );
    assert!(
        healthy.messages().is_empty(),
        "an unknown is not sent again by itself"
    );
    let resent = send(dir.path(), &healthy.url(), &["--resend-unknown"]);
    assert_eq!(resent.code, 0, "{}", resent.stderr);
    assert_eq!(healthy.recipients(), ["r0@example.org"]);
}

#[test]
fn a_ledger_that_cannot_be_written_after_sending_started_exits_3() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 3);
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
    let ledger = rusqlite::Connection::open(dir.path().join("issues/courant.sqlite")).unwrap();
    ledger.busy_timeout(Duration::from_secs(10)).unwrap();
    ledger.execute_batch("DROP TABLE deliveries").unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("error: the ledger could not be written after sending started: "),
        "{stderr}"
    );
    assert_eq!(
        server.recipients(),
        ["r0@example.org"],
        "no message starts once the ledger cannot record it"
    );
}

/// `send` in `dir` at `rate` in the background, with `env`.
fn spawn_send_env(dir: &Path, url: &str, rate: &str, env: &[(&str, &str)]) -> std::process::Child {
    command(dir, &send_args(url, &["--rate", rate]), env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn on_a_shared_postgres_ledger_a_second_machine_is_refused_and_resumes_after_a_kill() {
    let url = postgres().database();
    let env = [
        ("COURANT_LEDGER", url.as_str()),
        ("PGPASSWORD", PG_PASSWORD),
    ];
    // Two working folders stand for two machines with the same list.
    let (one, two) = (seed(), seed());
    write_list(&one.path().join("list.toml"), 120);
    write_list(&two.path().join("list.toml"), 120);
    let sink = smtp_sink(one.path(), "sink", &[]);
    let mut child = spawn_send_env(one.path(), &sink.url(), "100/s", &env);
    wait_for_messages(&sink, 20);

    let second = send_env(two.path(), &sink.url(), &[], &env);
    assert_eq!(second.code, 2, "{}", second.stderr);
    let expected =
        format!("another `courant send` of 2022-12 is running with the ledger `{url}`: on ");
    assert!(second.stderr.contains(&expected), "{}", second.stderr);
    assert!(
        second.stderr.contains(&format!("(process {})", child.id())),
        "{}",
        second.stderr
    );

    child.kill().unwrap();
    child.wait().unwrap();
    assert!(sink.messages().len() < 120, "killed before the end");
    // The other machine takes over: the lock died with the process's connection.
    resume_and_check_each_once(two.path(), &sink, &env, 120);
}

#[test]
fn postgres_stopped_during_a_send_stops_it_cleanly_and_the_resumed_run_doubles_nothing() {
    // A cluster of its own: stopping the shared one would pull it from under other tests.
    let pg = crate::common::postgres::private();
    let url = pg.database();
    let env = [
        ("COURANT_LEDGER", url.as_str()),
        ("PGPASSWORD", PG_PASSWORD),
    ];
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 150);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let child = spawn_send_env(dir.path(), &sink.url(), "100/s", &env);
    wait_for_messages(&sink, 20);
    pg.stop_now();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&url),
        "the message names the ledger: {stderr}"
    );
    assert!(sink.messages().len() < 150, "stopped before the end");

    pg.start();
    resume_and_check_each_once(dir.path(), &sink, &env, 150);
}

/// Sends the rest from `dir` with `env` (a resumed run), then asserts that each of the `n`
/// recipients reached `sink` at most once, and each one that did not is reported `unknown`
/// (at most one per connection).
fn resume_and_check_each_once(dir: &Path, sink: &Server, env: &[(&str, &str)], n: u64) {
    let run = send_env(dir, &sink.url(), &["--rate", "unlimited"], env);
    let status = courant_env(dir, &["status", "issues/2022-12.toml", "--json"], env);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let unknown = status["counts"]["unknown"].as_u64().unwrap();
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

/// Starts `send --join` in `dir` through `sink` at `rate`, with `env`.
fn spawn_join(dir: &Path, sink: &Server, rate: &str, env: &[(&str, &str)]) -> std::process::Child {
    command(
        dir,
        &send_args(&sink.url(), &["--rate", rate, "--join"]),
        env,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Two `send --join` runs from `one` and `two` (each with `list.toml` of `n`), each through a
/// sink of its own: the list is split between them and each recipient gets one message; a
/// plain `send` meanwhile is refused and told about --join.
fn two_joined_senders_send_each_recipient_once(
    one: &Path,
    two: &Path,
    env: &[(&str, &str)],
    n: usize,
) {
    let (sink_one, sink_two) = (smtp_sink(one, "one", &[]), smtp_sink(two, "two", &[]));
    // Started together: one of them holds the edition alone for a moment, and the other
    // waits for it to share rather than take it for a plain `send`.
    let first = spawn_join(one, &sink_one, "100/s", env);
    let second = spawn_join(two, &sink_two, "100/s", env);
    wait_for_messages(&sink_one, 10);
    wait_for_messages(&sink_two, 10);

    let plain = send_env(two, &sink_two.url(), &[], env);
    assert_eq!(plain.code, 2, "{}", plain.stderr);
    assert!(
        plain.stderr.contains("`courant send --join`")
            && plain.stderr.contains("add --join to send beside it"),
        "{}",
        plain.stderr
    );

    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_each_once(&received(&[&sink_one, &sink_two]), n);
    let (a, b) = (sink_one.messages().len(), sink_two.messages().len());
    assert!(a >= 10 && b >= 10, "both senders sent part: {a} + {b}");
    let status = courant_env(one, &["status", "issues/2022-12.toml", "--json"], env);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        status["counts"]["sent"].as_u64(),
        Some(n as u64),
        "{status}"
    );
}

#[test]
fn two_senders_joined_on_a_postgres_ledger_split_the_list_and_send_each_once() {
    let url = postgres().database();
    let env = [
        ("COURANT_LEDGER", url.as_str()),
        ("PGPASSWORD", PG_PASSWORD),
    ];
    let (one, two) = (seed(), seed());
    write_list(&one.path().join("list.toml"), 300);
    write_list(&two.path().join("list.toml"), 300);
    two_joined_senders_send_each_recipient_once(one.path(), two.path(), &env, 300);
}

#[test]
fn two_senders_joined_on_one_sqlite_ledger_split_the_list_and_send_each_once() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 300);
    two_joined_senders_send_each_recipient_once(dir.path(), dir.path(), &[], 300);
}

#[test]
fn quiet_prints_only_the_result_and_verbose_each_message() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 3);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let quiet = send(dir.path(), &sink.url(), &["--rate", "unlimited", "-q"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "no warning, plan or progress");
    assert_eq!(
        quiet.stdout, "sent 3, failed 0, deferred 0, unknown 0\n",
        "only the result"
    );

    let dir = seed();
    write_list(&dir.path().join("list.toml"), 3);
    let verbose = send(
        dir.path(),
        &sink.url(),
        &["--rate", "unlimited", "--verbose"],
    );
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    for i in 0..3 {
        assert!(
            verbose
                .stderr
                .contains(&format!("sent: r{i}@example.org\n")),
            "{}",
            verbose.stderr
        );
    }
    assert!(
        verbose.stdout.contains("recipients: 3 active"),
        "the plan: {}",
        verbose.stdout
    );

    let check = courant(dir.path(), &["check", "-q", "issues/2022-12.toml"]);
    assert_eq!(
        (check.code, check.stderr.as_str()),
        (0, ""),
        "the DKIM warning is not shown"
    );
    let both = courant(dir.path(), &["check", "-q", "-v", "issues/2022-12.toml"]);
    assert_eq!(
        both.code, 2,
        "-q and -v together are refused: {}",
        both.stderr
    );
}

#[test]
fn someone_who_unsubscribes_during_a_send_is_left_out_of_it() {
    let dir = seed();
    write_list(&dir.path().join("list.toml"), 60);
    let sink = smtp_sink(dir.path(), "sink", &[]);
    let child = spawn_send(dir.path(), &sink.url(), "40/s");
    wait_for_messages(&sink, 5);
    let unsubscribe = courant(dir.path(), &["unsubscribe", "r59@example.org"]);
    assert_eq!(unsubscribe.code, 0, "{}", unsubscribe.stderr);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "all who still want it have it: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("sent 59, failed 0, deferred 0, unknown 0, left out 1"),
        "{stdout}"
    );
    let counts = received(&[&sink]);
    assert_each_once(&counts, 59);
    assert!(!counts.contains_key("r59@example.org"));
}
