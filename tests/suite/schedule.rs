//! Issue 21, item 1: an edition scheduled with `courant schedule` goes out when `courant
//! run-due` finds it due, exactly once, on a fake clock (faketime, UTC; the newsletter's clock
//! is Europe/Amsterdam, an hour ahead in winter).

use crate::common::{Test, contains};

fn scheduled(dir: &Test, at: &str) -> crate::common::Run {
    let args = [
        "schedule",
        "issues/2022-12.toml",
        "--at",
        at,
        "-s",
        "list.toml",
    ];
    dir.run_at("2027-01-10 12:00:00", &args)
}

fn run_due(dir: &Test, time: &str, sink: &crate::common::servers::Server) -> crate::common::Run {
    dir.run_at(time, &["run-due", "--smtp", &sink.url()])
}

fn listed(dir: &Test) -> String {
    dir.words("schedule list").stdout
}

#[test]
fn a_scheduled_edition_goes_out_at_its_time_exactly_once_even_with_two_runners() {
    let dir = Test::seed().readers(20);
    let sink = dir.sink(&[]);
    let add = scheduled(&dir, "2027-01-12 09:00");
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(contains(
        &add.stdout,
        "for 2027-01-12 09:00 Europe/Amsterdam (2027-01-12T08:00:00Z)"
    ));

    let early = run_due(&dir, "2027-01-12 07:59:00", &sink);
    assert_eq!(early.code, 0, "{}", early.stderr);
    assert!(
        contains(&early.stderr, "INFO run-due: nothing due"),
        "{}",
        early.stderr
    );
    assert!(!early.stderr.contains("DEBUG"), "{}", early.stderr);
    // -v says what it looked at.
    let verbose = dir.run_at(
        "2027-01-12 07:59:00",
        &["run-due", "-v", "--smtp", &sink.url()],
    );
    assert!(
        contains(
            &verbose.stderr,
            "DEBUG run-due: 2022-12 scheduled at 2027-01-12T08:00:00Z"
        ),
        "{}",
        verbose.stderr
    );
    assert_eq!(sink.messages().len(), 0, "before its time, nothing");
    assert!(contains(&listed(&dir), "\tscheduled\t"));

    // Two timers fire at once: one claims the edition, the other finds it taken.
    let args = ["run-due", "--smtp", &sink.url()];
    let children: Vec<_> = (0..2)
        .map(|_| {
            let mut c = dir.command_at("2027-01-12 08:00:05", &args);
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(crate::common::succeeded(&out));
    }
    let again = run_due(&dir, "2027-01-12 08:10:00", &sink);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let recipients = sink.sorted_recipients();
    let mut unique = recipients.clone();
    unique.dedup();
    assert_eq!(recipients.len(), 20, "each reader once");
    assert_eq!(unique.len(), 20);
    assert!(contains(&listed(&dir), "\tdone\t"), "{}", listed(&dir));
}

#[test]
fn an_edition_changed_since_it_was_scheduled_is_refused_with_what_changed() {
    let dir = Test::seed().readers(3).edit(
        "issues/newsletter.toml",
        "[sending]\n",
        "[report]\nto = [\"redactie@weerbaarnl.example\"]\n\n[sending]\n",
    );
    let sink = dir.sink(&[]);
    assert_eq!(scheduled(&dir, "2027-01-12 09:00").code, 0);
    let dir = dir.revise(
        "subject = \"Nieuwsbrief WeerbaarNL – December 2022\"",
        "subject = \"Nieuwsbrief WeerbaarNL – December 2022 (herzien)\"",
    );
    let run = run_due(&dir, "2027-01-12 08:00:30", &sink);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        contains(
            &run.stderr,
            "`2022-12` changed since it was scheduled (the subject was “Nieuwsbrief WeerbaarNL – December 2022”, now “Nieuwsbrief WeerbaarNL – December 2022 (herzien)”): not sent. Check it, then schedule it again: courant schedule "
        ),
        "{}",
        run.stderr
    );
    // Nothing to the readers; a report to the editors.
    assert_eq!(sink.recipients(), ["redactie@weerbaarnl.example"]);
    let report = std::fs::read_to_string(&sink.messages()[0]).unwrap();
    assert!(
        contains(&report, "Subject: courant: 2022-12 refused"),
        "{report}"
    );
    assert!(contains(&listed(&dir), "\trefused\t"));
}

#[test]
fn the_hour_the_clocks_skip_is_refused_and_the_hour_they_repeat_is_the_first() {
    let dir = Test::seed().readers(1);
    let skipped = scheduled(&dir, "2027-03-28 02:30");
    assert_eq!(skipped.code, 2);
    assert!(contains(
        &skipped.stderr,
        "error: --at: 2027-03-28 02:30 does not exist in Europe/Amsterdam: the clocks go forward that night; choose a time an hour later"
    ));
    let twice = scheduled(&dir, "2027-10-31 02:30");
    assert_eq!(twice.code, 0, "{}", twice.stderr);
    assert!(contains(
        &twice.stderr,
        "2027-10-31 02:30 happens twice in Europe/Amsterdam (the clocks go back that night): scheduled for the first, 00:30 UTC"
    ));
    assert!(contains(
        &listed(&dir),
        "2022-12\t2027-10-31T00:30:00Z\tscheduled"
    ));
    let cancel = dir.words("schedule cancel 2022-12");
    assert_eq!(cancel.code, 0, "{}", cancel.stderr);
    assert!(contains(&listed(&dir), "\tcancelled\t"));
}

/// `[sending] window`: a send still going when the window closes pauses after the messages in
/// flight; outside the window run-due waits; inside it the next day it goes on, and every
/// reader has the edition once.
#[test]
fn a_send_that_crosses_the_window_pauses_and_goes_on_inside_it_without_duplicates() {
    let dir = Test::seed().readers(30).edit(
        "issues/newsletter.toml",
        "rate = \"10/s\"\n",
        "rate = \"5/s\"\nwindow = \"ma-vr 08:00-18:00\"\n",
    );
    let sink = dir.sink(&[]);
    assert_eq!(scheduled(&dir, "2027-01-12 17:59").code, 0);
    // 17:59:57 on a Tuesday: three seconds of window left, six seconds of readers.
    let first = run_due(&dir, "2027-01-12 16:59:57", &sink);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let sent = sink.messages().len();
    assert!(sent > 0 && sent < 30, "paused part-way: {sent}");
    assert!(contains(&listed(&dir), "\tpaused\t"), "{}", listed(&dir));
    let evening = run_due(&dir, "2027-01-12 19:00:00", &sink);
    assert_eq!(evening.code, 0, "{}", evening.stderr);
    assert_eq!(sink.messages().len(), sent, "outside the window, nothing");
    let morning = run_due(&dir, "2027-01-13 07:00:10", &sink);
    assert_eq!(morning.code, 0, "{}", morning.stderr);
    let recipients = sink.sorted_recipients();
    let mut unique = recipients.clone();
    unique.dedup();
    assert_eq!(
        (recipients.len(), unique.len()),
        (30, 30),
        "each reader once"
    );
    assert!(contains(&listed(&dir), "\tdone\t"), "{}", listed(&dir));
}
