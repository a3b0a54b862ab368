//! The ledger's promises, one set of tests run against each backend: a SQLite file and a
//! real PostgreSQL database (a cluster started once for this test binary).

use courant::ledger::{
    Again, Claim, Evidence, Ledger, Location, Op, Outcome, Return, State, Suppression,
};

use crate::common::postgres::{PASSWORD, postgres};
use crate::common::{Test, courant_env, send_args};
use crate::common::{contains, lacks};

/// A new, empty ledger of each kind, opened the way the commands open one.
fn backends() -> Vec<(tempfile::TempDir, Location)> {
    let sqlite = tempfile::tempdir().unwrap();
    let file = Location::File(sqlite.path().join("ledger.sqlite"));
    vec![(sqlite, file), (tempfile::tempdir().unwrap(), database())]
}

/// A new ledger of each kind with a run of edition 2022-12 started, and where it is.
fn started() -> Vec<(tempfile::TempDir, Location, Ledger, i64)> {
    let open = |(dir, location): (tempfile::TempDir, Location)| {
        let ledger = Ledger::open(location.clone()).unwrap();
        let run = ledger.start_run("2022-12").unwrap();
        (dir, location, ledger, run)
    };
    backends().into_iter().map(open).collect()
}

/// A new database of the test cluster, with its password.
fn database() -> Location {
    database_named().1
}

/// A new database of the test cluster: its name, and where it is with its password.
fn database_named() -> (String, Location) {
    let url = postgres().database();
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    match url.parse().unwrap() {
        Location::Postgres(target) => (
            name.to_owned(),
            Location::Postgres(target.with_password(PASSWORD)),
        ),
        Location::File(_) => unreachable!("a postgres:// URL"),
    }
}

fn begin(email: &str, run: i64) -> Op {
    Op::Begin {
        edition: "2022-12".into(),
        email: email.into(),
        run,
        verp: Some(format!("tok-{email}")),
        again: Again::default(),
    }
}

fn finish(email: &str, outcome: Outcome) -> Op {
    Op::Finish {
        edition: "2022-12".into(),
        email: email.into(),
        outcome,
    }
}

fn sent(id: &str) -> Outcome {
    Outcome::Sent {
        reply: "250 2.0.0 Ok".into(),
        message_id: format!("<{id}@weerbaarnl.example>"),
    }
}

/// A temporary refusal with `reply`, to be tried again at `next_attempt`.
fn deferred(reply: &str, next_attempt: i64) -> Outcome {
    Outcome::Deferred {
        code: Some(451),
        reply: reply.into(),
        next_attempt,
    }
}

#[test]
fn sending_is_recorded_before_the_outcome_and_a_crash_leaves_unknown() {
    for (_dir, location, mut ledger, run) in started() {
        ledger
            .apply(&[begin("a@x.example", run), begin("b@x.example", run)])
            .unwrap();
        ledger.apply(&[finish("a@x.example", sent("1"))]).unwrap();
        // Another process (another machine) sees the same record.
        let other = Ledger::open(location.clone()).unwrap();
        let rows = other.rows("2022-12").unwrap();
        assert_eq!(rows["a@x.example"].state, State::Sent, "{location}");
        assert_eq!(rows["b@x.example"].state, State::Sending, "{location}");
        assert_eq!(other.sent_since(0).unwrap(), 1, "{location}");
        assert_eq!(other.mark_unknown("2022-12").unwrap(), 1, "{location}");
        assert_eq!(
            ledger.states("2022-12").unwrap()["b@x.example"],
            State::Unknown,
            "{location}"
        );
        ledger.finish_run(run, "1 sent, 1 unknown").unwrap();
        let runs = other.runs("2022-12").unwrap();
        assert_eq!(runs.len(), 1, "{location}");
        assert_eq!(runs[0].summary.as_deref(), Some("1 sent, 1 unknown"));
    }
}

#[test]
fn retries_count_attempts_and_deferrals_keep_their_time() {
    for (_dir, location, mut ledger, run) in started() {
        let later = deferred("451 4.7.1 try later", 1_700_000_000);
        ledger
            .apply(&[begin("a@x.example", run), finish("a@x.example", later)])
            .unwrap();
        let row = &ledger.rows("2022-12").unwrap()["a@x.example"];
        assert_eq!(
            (row.state, row.attempts, row.code, row.next_attempt),
            (State::Deferred, 1, Some(451), Some(1_700_000_000)),
            "{location}"
        );
        ledger.apply(&[begin("a@x.example", run)]).unwrap();
        let row = &ledger.rows("2022-12").unwrap()["a@x.example"];
        assert_eq!((row.attempts, row.next_attempt), (2, None), "{location}");
    }
}

#[test]
fn the_first_suppression_keeps_its_time_source_and_evidence() {
    for (_dir, location) in backends() {
        let mut ledger = Ledger::open(location.clone()).unwrap();
        assert!(
            ledger
                .suppress("Anne@X.example", "one-click", 1_000)
                .unwrap()
        );
        assert!(!ledger.suppress("anne@x.example", "staff", 2_000).unwrap());
        let evidence = Evidence {
            edition: Some("2022-12".into()),
            status: Some("5.1.1".into()),
            diagnostic: Some("550 5.1.1 no such user".into()),
        };
        ledger
            .apply(&[Op::Suppress(Suppression {
                email: "b@x.example".into(),
                at: 3_000,
                source: "bounce".into(),
                evidence: evidence.clone(),
            })])
            .unwrap();
        let list = Ledger::open(location.clone())
            .unwrap()
            .suppressions()
            .unwrap();
        assert_eq!(list.len(), 2, "{location}");
        assert_eq!(
            (list[0].email.as_str(), list[0].at, list[0].source.as_str()),
            ("anne@x.example", 1_000, "one-click"),
            "{location}"
        );
        assert_eq!(list[1].evidence, evidence, "{location}");
        assert!(
            ledger.is_suppressed("ANNE@x.example").unwrap(),
            "{location}"
        );
    }
}

#[test]
fn a_message_that_came_back_is_recorded_once_and_ties_by_verp_and_message_id() {
    for (_dir, location, mut ledger, run) in started() {
        ledger
            .apply(&[begin("a@x.example", run), finish("a@x.example", sent("7"))])
            .unwrap();
        assert_eq!(
            ledger.sent_with_verp("TOK-a@x.example").unwrap(),
            Some(("2022-12".into(), "a@x.example".into())),
            "{location}"
        );
        assert_eq!(
            ledger
                .sent_with_message_id("7@weerbaarnl.example")
                .unwrap()
                .map(|(_, email)| email),
            Some("a@x.example".into()),
            "{location}"
        );
        let ret = Return {
            digest: "d1".into(),
            received: 5,
            source: "imap:INBOX/1".into(),
            subject: Some("Undelivered".into()),
            understood: false,
            raw: Some(b"\x00raw\xff".to_vec()),
            verdicts: vec![],
        };
        assert!(ledger.record_return(&ret, &[]).unwrap(), "{location}");
        assert!(!ledger.record_return(&ret, &[]).unwrap(), "{location}");
        assert_eq!(ledger.read_before("d1").unwrap(), Some(false), "{location}");
        assert_eq!(ledger.read_before("d2").unwrap(), None, "{location}");
        let listed = ledger.returns().unwrap();
        assert_eq!(listed.len(), 1, "{location}");
        assert!(!listed[0].understood, "{location}");
        assert_eq!(
            ledger.soft_history("a@x.example", &["policy"]).unwrap(),
            vec![("2022-12".to_owned(), false)],
            "{location}"
        );
    }
}

#[test]
fn the_send_loop_writer_commits_from_its_own_connection() {
    for (_dir, location, ledger, run) in started() {
        let writer = ledger.writer().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(writer.write(vec![begin("a@x.example", run)]))
            .unwrap();
        runtime
            .block_on(writer.write(vec![finish("a@x.example", sent("9"))]))
            .unwrap();
        assert_eq!(
            ledger.states("2022-12").unwrap()["a@x.example"],
            State::Sent,
            "{location}"
        );
    }
}

#[test]
fn a_claim_takes_only_a_recipient_no_sender_has_sent_or_holds() {
    for (_dir, location, mut ledger, run) in started() {
        let failed = Outcome::Failed {
            code: Some(550),
            reply: "550 5.1.1 no such user".into(),
        };
        let unknown = Outcome::Unknown {
            reply: "no reply after the data".into(),
        };
        let deferred = deferred("451 later", 0);
        for (email, outcome) in [
            ("sent@x.example", Some(sent("1"))),
            ("held@x.example", None),
            ("failed@x.example", Some(failed)),
            ("unknown@x.example", Some(unknown)),
            ("deferred@x.example", Some(deferred)),
        ] {
            ledger.apply(&[begin(email, run)]).unwrap();
            if let Some(outcome) = outcome {
                ledger.apply(&[finish(email, outcome)]).unwrap();
            }
        }
        ledger
            .suppress("withdrew@x.example", "one-click", 1_000)
            .unwrap();
        // A second sender's writer, as `send --join` on another machine has.
        let other = Ledger::open(location.clone()).unwrap();
        let writer = other.writer().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let claim = |email: &str, again: Again| {
            let op = Op::Begin {
                edition: "2022-12".into(),
                email: email.into(),
                run,
                verp: None,
                again,
            };
            runtime.block_on(writer.write(vec![op])).unwrap()
        };
        let plain = Again::default();
        for email in [
            "sent@x.example",
            "held@x.example",
            "failed@x.example",
            "unknown@x.example",
            "withdrew@x.example",
        ] {
            assert_eq!(claim(email, plain), Claim::Refused, "{email} {location}");
        }
        assert_eq!(claim("new@x.example", plain), Claim::Taken, "{location}");
        assert_eq!(
            claim("new@x.example", plain),
            Claim::Refused,
            "once: {location}"
        );
        assert_eq!(
            claim("deferred@x.example", plain),
            Claim::Taken,
            "{location}"
        );
        let failed = Again {
            failed: true,
            unknown: false,
        };
        assert_eq!(
            claim("unknown@x.example", failed),
            Claim::Refused,
            "{location}"
        );
        assert_eq!(
            claim("failed@x.example", failed),
            Claim::Taken,
            "{location}"
        );
        let unknown = Again {
            failed: false,
            unknown: true,
        };
        assert_eq!(
            claim("unknown@x.example", unknown),
            Claim::Taken,
            "{location}"
        );
        let states = ledger.states("2022-12").unwrap();
        assert_eq!(states["held@x.example"], State::Sending, "{location}");
        assert_eq!(
            states["sent@x.example"],
            State::Sent,
            "untouched: {location}"
        );
        assert!(!states.contains_key("withdrew@x.example"), "{location}");
        let rows = ledger.rows("2022-12").unwrap();
        assert_eq!(rows["deferred@x.example"].attempts, 2, "{location}");
        // An outcome and a refused claim in one commit: the outcome is kept.
        let both = vec![
            finish("new@x.example", sent("2")),
            begin("sent@x.example", run),
        ];
        assert_eq!(
            runtime.block_on(writer.write(both)).unwrap(),
            Claim::Refused
        );
        assert_eq!(
            ledger.states("2022-12").unwrap()["new@x.example"],
            State::Sent,
            "{location}"
        );
    }
}

#[test]
fn a_ledger_from_a_newer_courant_is_refused() {
    let (_dir, file) = backends().remove(0);
    drop(Ledger::open(file.clone()).unwrap());
    let conn = rusqlite::Connection::open(file.file().unwrap()).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Ledger::open(file).err().expect("refused").to_string();
    assert!(
        err.contains("version 99") && err.contains("newer courant"),
        "{err}"
    );

    let pg = database();
    drop(Ledger::open(pg.clone()).unwrap());
    let Location::Postgres(target) = &pg else {
        unreachable!()
    };
    postgres().psql(
        &target.database,
        "INSERT INTO courant_schema (version) VALUES (99)",
    );
    let err = Ledger::open(pg).err().expect("refused").to_string();
    assert!(
        err.contains("version 99") && err.contains("newer courant"),
        "{err}"
    );
}

#[test]
fn a_wrong_password_or_one_in_the_url_is_refused_without_showing_it() {
    let url = postgres().database();
    let output = crate::common::command(
        std::path::Path::new("."),
        &["suppressions", "export", "--ledger", &url],
        &[("PGPASSWORD", "not-the-password-123")],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password-123"), "{stderr}");
    assert!(stderr.contains(&url), "the ledger is named: {stderr}");

    // A password written into the URL is refused, and not repeated.
    let with_password = url.replace("courant@", "courant:leaked-4711@");
    for (args, env) in [
        (
            vec!["suppressions", "export", "--ledger", &with_password],
            vec![],
        ),
        (
            vec!["suppressions", "export"],
            vec![("COURANT_LEDGER", with_password.as_str())],
        ),
    ] {
        let run = crate::common::courant_env(std::path::Path::new("."), &args, &env);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(contains(&run.stderr, "holds a password"));
        assert!(lacks(&run.stderr, "leaked-4711"));
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

#[test]
fn a_sqlite_ledger_with_history_copied_to_postgres_reads_the_same() {
    let dir = Test::seed();
    let dir = dir.readers(12);
    let sink = dir.sink(&[]);
    let sink_url = sink.url();
    let send = send_args(&sink_url, &["--rate", "unlimited"]);
    assert_eq!(dir.run(&send).code, 0);
    assert_eq!(dir.words("unsubscribe r3@example.org").code, 0);
    dir.write("leden.csv", "email,name\nanne@example.org,Anne\n");
    let import = dir.words("subscribers import leden.csv --source ledenregister");
    assert_eq!(import.code, 0, "{}", import.stderr);
    let url = postgres().database();
    let env = [("PGPASSWORD", PASSWORD)];
    let file = "issues/courant.sqlite";

    let copy = courant_env(dir.path(), &["ledger", "copy", file, &url], &env);
    assert_eq!(copy.code, 0, "{}", copy.stderr);
    assert!(contains(&copy.stdout, "deliveries"));
    let on = |ledger: &str, args: &[&str]| {
        let run = courant_env(dir.path(), &[args, &["--ledger", ledger]].concat(), &env);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let status = ["status", "issues/2022-12.toml", "--json"];
    let export = ["suppressions", "export"];
    assert_eq!(on(file, &status), on(&url, &status));
    assert_eq!(on(file, &export), on(&url, &export));
    assert!(on(&url, &export).contains("r3@example.org,"));
    // The list and its consent, and what the runs sent (which stops a second send).
    for args in [
        &["subscribers", "export"][..],
        &["consent", "show", "anne@example.org"],
        &["person", "export", "r5@example.org"],
    ] {
        assert_eq!(on(file, args), on(&url, args), "{args:?}");
    }
    let copy = std::fs::read(dir.join("issues/2022-12.toml")).unwrap();
    dir.write("issues/2022-12-kopie.toml", &copy);
    let twice = [
        "send",
        "issues/2022-12-kopie.toml",
        "-s",
        "list.toml",
        "--smtp",
        &sink_url,
        "--yes",
    ];
    let twice = courant_env(
        dir.path(),
        &[&twice[..], &["--ledger", &url]].concat(),
        &env,
    );
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(contains(
        &twice.stderr,
        "has the subject and content of `2022-12`"
    ));
    let check = on(&url, &["ledger", "check"]);
    assert!(check.contains("tables of version 2"), "{check}");
    assert!(
        check.contains("deliveries") && check.contains("12"),
        "{check}"
    );

    // A second copy would mix two records: refused unless asked to replace.
    let again = courant_env(dir.path(), &["ledger", "copy", file, &url], &env);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(contains(&again.stderr, "is not empty"));
    let replace = ["ledger", "copy", file, &url, "--replace"];
    assert_eq!(courant_env(dir.path(), &replace, &env).code, 0);
    assert_eq!(on(file, &status), on(&url, &status));

    // And back: a new run on the copy continues the record (new ids after the copied ones).
    let back = courant_env(dir.path(), &["ledger", "copy", &url, "back.sqlite"], &env);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(on("back.sqlite", &status), on(file, &status));
    let dir = dir.readers(13);
    let more = courant_env(dir.path(), &[&send[..], &["--ledger", &url]].concat(), &env);
    assert_eq!(more.code, 0, "{}", more.stderr);
    assert!(contains(&more.stdout, "sent 1,"));
}

#[test]
fn tls_to_postgres_is_verified_against_the_ca_given() {
    let pg = crate::common::postgres::private_tls();
    let cert = pg.cert.clone().unwrap();
    // By name, as a certificate is issued: TLS is the default, and verified.
    let url = pg
        .database()
        .replace("127.0.0.1", "localhost")
        .replace("?sslmode=disable", "");
    let cert_text = cert.to_str().unwrap();
    let here = std::path::Path::new(".");
    let trusted = [("PGPASSWORD", PASSWORD), ("PGSSLROOTCERT", cert_text)];
    let run = courant_env(
        here,
        &["unsubscribe", "a@x.example", "--ledger", &url],
        &trusted,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = courant_env(here, &["ledger", "check", "--ledger", &url], &trusted);
    assert!(contains(&run.stdout, "suppressions"));

    // Without the CA the self-signed certificate is refused: nothing is sent in the clear.
    let run = courant_env(
        here,
        &["ledger", "check", "--ledger", &url],
        &[("PGPASSWORD", PASSWORD)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "certificate"));
}

/// Issue 17, item 2: a ledger an older courant wrote keeps each address as it was spelt, in
/// lower case. Opened by this one, its rows get the key of their mailbox, on both backends.
#[test]
fn an_older_ledger_gets_one_key_per_mailbox() {
    let old_rows = "UPDATE suppressions SET email = 'jan@bücher.example';";
    let sqlite = tempfile::tempdir().unwrap();
    let file = Location::File(sqlite.path().join("ledger.sqlite"));
    let url = postgres().database();
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let pg = match url.parse().unwrap() {
        Location::Postgres(target) => Location::Postgres(target.with_password(PASSWORD)),
        Location::File(_) => unreachable!("a postgres:// URL"),
    };
    for location in [file.clone(), pg] {
        let ledger = Ledger::open(location.clone()).unwrap();
        ledger.suppress("jan@bücher.example", "staff", 1).unwrap();
        drop(ledger);
        match &location {
            Location::File(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(&format!("{old_rows} PRAGMA user_version = 1;"))
                .unwrap(),
            Location::Postgres(_) => {
                let version = "DELETE FROM courant_schema; INSERT INTO courant_schema VALUES (1);";
                postgres().psql(&name, &format!("{old_rows} {version}"));
            }
        }
        let ledger = Ledger::open(location.clone()).unwrap();
        assert!(
            ledger.is_suppressed("JAN@xn--bcher-kva.example").unwrap(),
            "{location}"
        );
        assert_eq!(
            ledger.suppressions().unwrap()[0].email,
            "jan@xn--bcher-kva.example"
        );
    }
}

/// Issue 17: after the clock stepped back during a send, its run ended before it started.
#[test]
fn a_run_never_ends_before_it_started() {
    for (_dir, location) in backends() {
        let ledger = Ledger::open(location.clone()).unwrap();
        let later = courant::ledger::now() + 3_600;
        // As if the clock was an hour ahead when the run started, and was set right since.
        let run = ledger.start_run_at("2022-12", later).unwrap();
        ledger.finish_run(run, "sent 1").unwrap();
        let runs = ledger.runs("2022-12").unwrap();
        assert_eq!(runs[0].started, later, "{location}");
        assert_eq!(runs[0].finished, Some(later), "{location}");
    }
}

/// Issue 19: a new table must be named as personal (exported and erased by `person`) or not:
/// a fresh ledger's tables on both databases are each in one of the two lists. And `ledger
/// copy` copies each one but the lock and version tables.
#[test]
fn every_table_of_the_ledger_is_exported_and_erased_or_named_impersonal() {
    use courant::ledger::{COPIED, IMPERSONAL, PERSONAL};
    for (_dir, location) in backends() {
        let tables = Ledger::open(location.clone()).unwrap().tables().unwrap();
        assert!(tables.len() >= 8, "{tables:?}");
        for table in &tables {
            let personal = PERSONAL.iter().any(|(t, _, _)| t == table);
            let known = personal || IMPERSONAL.contains(&table.as_str());
            assert!(
                known,
                "`{table}` is in neither PERSONAL nor IMPERSONAL ({location})"
            );
            let copied = COPIED.iter().any(|(t, _)| t == table);
            let own = ["send_locks", "courant_schema"].contains(&table.as_str());
            assert!(copied || own, "`ledger copy` leaves out `{table}`");
        }
    }
}

/// Issue 20: the ledger's side of double opt-in, on both databases. A signup makes a new
/// address pending and asks for one mail, at most three per address a day, none to an active
/// reader; only the confirmation makes them active, with the consent on record; a reader who
/// unsubscribed comes back only that way.
#[test]
fn a_signup_is_pending_until_confirmed_and_mails_are_limited() {
    use courant::ledger::{Consent, ListStatus, Requested};
    let list = "nieuwsbrief.example";
    let consent = |at: i64| Consent {
        at,
        method: "signup".into(),
        detail: "signup form".into(),
        actor: None,
        text_hash: None,
        text: Some("Ja, stuur mij de nieuwsbrief.".into()),
        ip: Some("192.0.2.0/24".into()),
    };
    for (_dir, location) in backends() {
        let ledger = Ledger::open(location.clone()).unwrap();
        let at = 1_800_000_000;
        let ask = |n: i64| {
            ledger
                .request_signup(list, "Anne@Example.org", Some("Anne"), at + n, 3)
                .unwrap()
        };
        assert_eq!(
            [ask(0), ask(1), ask(2), ask(3)],
            [
                Requested::Mail,
                Requested::Mail,
                Requested::Mail,
                Requested::Quiet
            ],
            "{location}"
        );
        let pending = ledger.members(list, Some(ListStatus::Pending)).unwrap();
        assert_eq!(pending.len(), 1);
        assert!(
            ledger
                .consents(list, "anne@example.org")
                .unwrap()
                .is_empty(),
            "no consent before confirming"
        );
        // A day later the limit starts again.
        assert_eq!(
            ledger
                .request_signup(list, "anne@example.org", None, at + 86_401, 3)
                .unwrap(),
            Requested::Mail
        );

        assert!(
            !ledger
                .confirm_signup(list, "bert@example.org", &consent(at), "erased:x")
                .unwrap(),
            "nothing asked"
        );
        assert!(
            ledger
                .confirm_signup(list, "anne@example.org", &consent(at + 90_000), "erased:x")
                .unwrap()
        );
        let anne = ledger.member(list, "anne@example.org").unwrap().unwrap();
        assert_eq!(
            (anne.status, anne.name.as_deref()),
            (ListStatus::Active, Some("Anne"))
        );
        let rows = ledger.consents(list, "anne@example.org").unwrap();
        assert_eq!(rows.len(), 1);
        let hash = courant::ledger::text_hash("Ja, stuur mij de nieuwsbrief.");
        assert_eq!(rows[0].text_hash.as_deref(), Some(hash.as_str()));
        assert_eq!(rows[0].ip.as_deref(), Some("192.0.2.0/24"));
        assert_eq!(
            ledger
                .request_signup(list, "anne@example.org", None, at + 200_000, 3)
                .unwrap(),
            Requested::Quiet
        );

        // Unsubscribed, she may sign up again: a mail, still unsubscribed until she confirms.
        assert!(
            ledger
                .unsubscribe_member(list, "anne@example.org", "web", at + 300_000)
                .unwrap()
        );
        assert_eq!(
            ledger
                .request_signup(list, "anne@example.org", None, at + 400_000, 3)
                .unwrap(),
            Requested::Mail
        );
        assert!(ledger.is_suppressed("anne@example.org").unwrap());
        assert!(
            ledger
                .confirm_signup(list, "anne@example.org", &consent(at + 400_100), "erased:x")
                .unwrap()
        );
        assert!(!ledger.is_suppressed("anne@example.org").unwrap());
        assert_eq!(
            ledger
                .member(list, "anne@example.org")
                .unwrap()
                .unwrap()
                .status,
            ListStatus::Active
        );
    }
}
