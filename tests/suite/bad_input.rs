//! Bad input: every case gets a clear message with file:line:column, the right exit status, and
//! no panic. The whole stderr of each case is compared with its reviewed snapshot in
//! `tests/suite/snapshots/`, so a changed message or position fails the test.

use std::path::Path;

use crate::common::Test;
use crate::common::contains;
use crate::common::{Run, edit};

const EDITION: &str = "edition.toml";
const SETTINGS: &str = "newsletter.toml";
const LIST: &str = "subscribers.toml";

/// Runs `check` on the minimal fixture after `change` has edited a copy of it.
fn check_after(change: impl FnOnce(&Path)) -> Run {
    let dir = Test::fixture("minimal");
    change(dir.path());
    dir.run(&["check", EDITION])
}

/// Runs `preview` of the minimal fixture with a subscriber list written by `list`.
fn preview_with(name: &str, list: &str) -> Run {
    let dir = Test::fixture("minimal");
    std::fs::write(dir.path().join(name), list).unwrap();
    dir.run(&["preview", EDITION, "--subscribers", name, "--out", "out"])
}

/// Runs `check` on the minimal fixture after replacing `from` with `to` in `file`.
fn edited(file: &str, from: &str, to: &str) -> Run {
    check_after(|d| edit(&d.join(file), from, to))
}

/// One test per `name: status => run;`: the run exits with that status, and its stderr is
/// the reviewed snapshot named after the test.
macro_rules! cases {
    ($($name:ident: $code:literal => $run:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_case(stringify!($name), &$run, $code);
            }
        )*
    };
}

fn assert_case(name: &str, run: &Run, code: i32) {
    assert_eq!(run.code, code, "exit status of {name}\n{}", run.stderr);
    assert!(
        !run.stderr.contains("panicked"),
        "{name} panicked:\n{}",
        run.stderr
    );
    insta::assert_snapshot!(name, format!("exit: {}\n{}", run.code, run.stderr));
}

#[test]
fn the_minimal_fixture_is_clean() {
    let run = check_after(|_| {});
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "edition.toml: no problems found\n");
}

// Each case is a test of its own: its exit status, and its stderr as the reviewed snapshot
// named after it.
cases! {
    toml_syntax_error: 2 => edited(EDITION, "subject = \"Testbrief januari\"", "subject = \"Testbrief januari");
    unknown_key_in_the_edition: 2 => edited(EDITION, "preheader =", "colour = \"rood\"\npreheader =");
    unknown_key_in_the_settings: 2 => edited(SETTINGS, "why =", "reason =");
    wrong_type: 2 => edited(EDITION, "subject = \"Testbrief januari\"", "subject = 2023");
    missing_subject: 2 => edited(EDITION, "subject = \"Testbrief januari\"\n", "");
    empty_subject: 1 => edited(EDITION, "subject = \"Testbrief januari\"", "subject = \"\"");
    bad_url: 2 => edited(EDITION, "https://example.org/eerste", "htps//example.org/eerste");
    javascript_url: 2 => edited(EDITION, "https://example.org/eerste", "javascript:alert(1)");
    invalid_from_address: 2 => edited(SETTINGS, "nieuws@example.org", "nieuws@@example.org");
    crlf_in_subject: 2 => edited(EDITION, "subject = \"Testbrief januari\"", "subject = \"Testbrief\\r\\nBcc: x@example.org\"");
    crlf_in_sender_name: 2 => edited(SETTINGS, "name = \"Testbrief\"\nemail", "name = \"Test\\nbrief\"\nemail");
    raw_html_in_markdown: 1 => edited(EDITION, "met *nadruk*", "met <b onclick=\"x()\">nadruk</b>");
    missing_image_file: 1 => check_after(|d| std::fs::remove_file(d.join("foto.png")).unwrap());
    missing_alt_text: 1 => edited(EDITION, "alt = \"Tekening van een blauw vierkant.\", ", "");
    alt_text_is_the_credit: 1 => edited(EDITION, "Tekening van een blauw vierkant.", "Beeld: redactie");
    generic_link_text_and_http: 0 => check_after(|d| {
        edit(&d.join(EDITION), "Lees het eerste bericht", "Lees meer");
        edit(&d.join(EDITION), "https://example.org/verslag", "http://example.org/verslag");
    });
    low_contrast: 1 => edited(SETTINGS, "muted = \"#4d535a\"", "muted = \"#9aa0a6\"");
    invisible_character: 1 => edited(EDITION, "title = \"Eerste bericht\"", "title = \"Eerste\u{200b} bericht\"");
    c1_control_character: 1 => edited(EDITION, "Een korte vooruitblik.", "Een korte\u{85} vooruitblik.");
    no_unsubscribe: 1 => edited(SETTINGS, "[unsubscribe]\nurl = \"https://example.org/afmelden/{token}\"\n", "");
    unsubscribe_url_without_placeholder: 2 => edited(SETTINGS, "afmelden/{token}", "afmelden");
    invalid_colour: 2 => edited(SETTINGS, "brand = \"#154273\"", "brand = \"blauw\"");
    date_with_a_time: 2 => edited(EDITION, "date = 2023-01-15", "date = 2023-01-15T10:00:00");
    missing_settings_file: 2 => check_after(|d| std::fs::remove_file(d.join(SETTINGS)).unwrap());
    not_utf8: 2 => check_after(|d| std::fs::write(d.join(EDITION), b"title = \"caf\xe9\"\n").unwrap());
    private_use_character: 2 => edited(EDITION, "Eerste bericht", "Eerste \u{e000}G\u{e001} bericht");
    invalid_subscriber_address: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\n\n[[subscriber]]\nemail = \"bert.example.org\"\n");
    duplicate_subscriber: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\n\n[[subscriber]]\nemail = \"bert@example.org\"\n\n[[subscriber]]\nemail = \"Anne@Example.org\"\n");
    straight_quote_inside_a_text: 2 => edited(EDITION, "Een korte vooruitblik.", "Een korte \"vooruitblik\" op de receptie.");
    line_separator_in_subject: 2 => edited(EDITION, "subject = \"Testbrief januari\"", "subject = \"Testbrief\\u2028januari\"");
    paragraph_separator_in_subscriber_name: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\nname = \"Anne\\u2029Bcc: x@example.org\"\n");
    crlf_in_subscriber_name: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\nname = \"Anne\\r\\nBcc: x@example.org\"\n");
    unknown_subscriber_key: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\nnaam = \"Anne\"\n");
    empty_subscriber_list: 2 => preview_with(LIST, "# nobody yet\n");
    bad_csv_row: 2 => preview_with("list.csv", "email;name\nanne@example.org;Anne\nbert@example.org;Bert;extra\n");
    misspelt_csv_column: 2 => preview_with("list.csv", "email,naam,stauts\nanne@example.org,Anne,afgemeld\n");
    misspelt_subscriber_key: 2 => preview_with(LIST, "[[subscriber]]\nemail = \"anne@example.org\"\n\n[[subscriber]]\nemail = \"bert@example.org\"\nstatsu = \"unsubscribed\"\n");
    audience_value_not_quoted: 2 => edited(EDITION, "preheader =", "audience = 'regio = Oost'\npreheader =");
    event_at_an_hour_that_does_not_exist: 1 => edited(EDITION, "image = {", "event = { start = \"2023-03-26 02:30\", place = \"Stadhuis\" }\nimage = {");
    event_ending_before_it_starts: 1 => edited(EDITION, "image = {", "event = { start = \"2023-02-01 20:00\", end = \"2023-02-01 19:00\" }\nimage = {");
    event_time_not_a_time: 2 => edited(EDITION, "image = {", "event = { start = \"1 februari, 20 uur\" }\nimage = {");
    event_before_the_edition: 0 => edited(EDITION, "image = {", "event = { start = \"2022-01-19\" }\nimage = {");
    unknown_time_zone: 2 => edited(SETTINGS, "language = ", "time-zone = \"Europe/Utrecht\"\nlanguage = ");
    invalid_csv_address: 2 => preview_with("list.csv", "email,name\nanne@example.org,Anne\n\"bert@\",Bert\n");
}

#[test]
fn a_vague_link_in_a_body_is_shown_at_its_text_not_at_an_earlier_link() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "[link naar het verslag](https://example.org/verslag)",
            "[het verslag](http://example.org/verslag), [hier](http://example.org/verslag)",
        );
    });
    let line = "Een alinea met *nadruk* en een [het verslag](http://example.org/verslag), [hier]";
    let text_column = line.find("[hier]").unwrap() + 2;
    let second_url = line.len() + 2;
    assert!(contains(
        &run.stderr,
        &format!("edition.toml:12:{text_column}\n")
    ));
    // Each link's own URL, not the first place the same URL appears.
    assert!(contains(
        &run.stderr,
        &format!("edition.toml:12:{second_url}\n")
    ));
}

#[test]
fn a_br_tag_is_refused_with_the_markdown_line_break_that_works() {
    let run = check_after(|d| {
        edit(&d.join(EDITION), "*nadruk* en", "*nadruk*<br/> en");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "end the line with a backslash, written `\\\\` inside `\"\"\"`"
    ));
    // What it advises loads and passes.
    let run = check_after(|d| {
        edit(&d.join(EDITION), "*nadruk* en", "*nadruk*\\\\\nen");
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn check_json_reports_positions() {
    let dir = Test::fixture("minimal");
    edit(
        &dir.path().join(EDITION),
        "subject = \"Testbrief januari\"",
        "subject = \"\"",
    );
    let run = dir.run(&["check", EDITION, "--json"]);
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["errors"], 1);
    let finding = &value["findings"][0];
    assert_eq!(finding["code"], "subject-empty");
    assert_eq!(
        finding["location"],
        serde_json::json!({"file": "edition.toml", "line": 2, "column": 11})
    );
}

/// Issue 17: `/dev/zero` given as the list was read without end (5.7 GB in 4 s).
#[test]
fn a_device_given_as_the_list_is_refused_at_its_size() {
    let dir = Test::fixture("minimal");
    let run = dir.run(&[
        "preview",
        EDITION,
        "--subscribers",
        "/dev/zero",
        "--out",
        "out",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(contains(&run.stderr, "`/dev/zero` is larger than 100 MB"));
}
