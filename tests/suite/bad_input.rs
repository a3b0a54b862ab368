//! Bad input: every case gets a clear message with file:line:column, the right exit status, and
//! no panic. The whole stderr of each case is compared with its reviewed snapshot in
//! `tests/suite/snapshots/`, so a changed message or position fails the test.

use std::path::Path;

use crate::common::{Run, courant, edit, fixture};

const EDITION: &str = "edition.toml";
const SETTINGS: &str = "newsletter.toml";
const LIST: &str = "subscribers.toml";

/// Runs `check` on the minimal fixture after `change` has edited a copy of it.
fn check_after(change: impl FnOnce(&Path)) -> Run {
    let dir = fixture("minimal");
    change(dir.path());
    courant(dir.path(), &["check", EDITION])
}

/// Runs `preview` of the minimal fixture with a subscriber list written by `list`.
fn preview_with(name: &str, list: &str) -> Run {
    let dir = fixture("minimal");
    std::fs::write(dir.path().join(name), list).unwrap();
    courant(
        dir.path(),
        &["preview", EDITION, "--subscribers", name, "--out", "out"],
    )
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

#[test]
fn toml_syntax_error() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "subject = \"Testbrief januari\"",
            "subject = \"Testbrief januari",
        );
    });
    assert_case("toml_syntax_error", &run, 2);
}

#[test]
fn unknown_key_in_the_edition() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "preheader =",
            "colour = \"rood\"\npreheader =",
        );
    });
    assert_case("unknown_key_in_the_edition", &run, 2);
}

#[test]
fn unknown_key_in_the_settings() {
    let run = check_after(|d| edit(&d.join(SETTINGS), "why =", "reason ="));
    assert_case("unknown_key_in_the_settings", &run, 2);
}

#[test]
fn wrong_type() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "subject = \"Testbrief januari\"",
            "subject = 2023",
        );
    });
    assert_case("wrong_type", &run, 2);
}

#[test]
fn missing_subject() {
    let run = check_after(|d| edit(&d.join(EDITION), "subject = \"Testbrief januari\"\n", ""));
    assert_case("missing_subject", &run, 2);
}

#[test]
fn empty_subject() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "subject = \"Testbrief januari\"",
            "subject = \"\"",
        );
    });
    assert_case("empty_subject", &run, 1);
}

#[test]
fn bad_url() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "https://example.org/eerste",
            "htps//example.org/eerste",
        );
    });
    assert_case("bad_url", &run, 2);
}

#[test]
fn javascript_url() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "https://example.org/eerste",
            "javascript:alert(1)",
        );
    });
    assert_case("javascript_url", &run, 2);
}

#[test]
fn invalid_from_address() {
    let run = check_after(|d| {
        edit(
            &d.join(SETTINGS),
            "nieuws@example.org",
            "nieuws@@example.org",
        );
    });
    assert_case("invalid_from_address", &run, 2);
}

#[test]
fn crlf_in_subject() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "subject = \"Testbrief januari\"",
            "subject = \"Testbrief\\r\\nBcc: x@example.org\"",
        );
    });
    assert_case("crlf_in_subject", &run, 2);
}

#[test]
fn crlf_in_sender_name() {
    let run = check_after(|d| {
        edit(
            &d.join(SETTINGS),
            "name = \"Testbrief\"\nemail",
            "name = \"Test\\nbrief\"\nemail",
        );
    });
    assert_case("crlf_in_sender_name", &run, 2);
}

#[test]
fn raw_html_in_markdown() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "met *nadruk*",
            "met <b onclick=\"x()\">nadruk</b>",
        );
    });
    assert_case("raw_html_in_markdown", &run, 1);
}

#[test]
fn missing_image_file() {
    let run = check_after(|d| std::fs::remove_file(d.join("foto.png")).unwrap());
    assert_case("missing_image_file", &run, 1);
}

#[test]
fn missing_alt_text() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "alt = \"Tekening van een blauw vierkant.\", ",
            "",
        );
    });
    assert_case("missing_alt_text", &run, 1);
}

#[test]
fn alt_text_is_the_credit() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "Tekening van een blauw vierkant.",
            "Beeld: redactie",
        );
    });
    assert_case("alt_text_is_the_credit", &run, 1);
}

#[test]
fn generic_link_text_and_http() {
    let run = check_after(|d| {
        edit(&d.join(EDITION), "Lees het eerste bericht", "Lees meer");
        edit(
            &d.join(EDITION),
            "https://example.org/verslag",
            "http://example.org/verslag",
        );
    });
    assert_case("generic_link_text_and_http", &run, 0);
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
    assert!(
        run.stderr
            .contains(&format!("edition.toml:12:{text_column}\n")),
        "{}",
        run.stderr
    );
    // Each link's own URL, not the first place the same URL appears.
    assert!(
        run.stderr
            .contains(&format!("edition.toml:12:{second_url}\n")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_br_tag_is_refused_with_the_markdown_line_break_that_works() {
    let run = check_after(|d| {
        edit(&d.join(EDITION), "*nadruk* en", "*nadruk*<br/> en");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("end the line with a backslash, written `\\\\` inside `\"\"\"`"),
        "{}",
        run.stderr
    );
    // What it advises loads and passes.
    let run = check_after(|d| {
        edit(&d.join(EDITION), "*nadruk* en", "*nadruk*\\\\\nen");
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn low_contrast() {
    let run = check_after(|d| {
        edit(
            &d.join(SETTINGS),
            "muted = \"#4d535a\"",
            "muted = \"#9aa0a6\"",
        );
    });
    assert_case("low_contrast", &run, 1);
}

#[test]
fn invisible_character() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "title = \"Eerste bericht\"",
            "title = \"Eerste\u{200b} bericht\"",
        );
    });
    assert_case("invisible_character", &run, 1);
}

#[test]
fn c1_control_character() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "Een korte vooruitblik.",
            "Een korte\u{85} vooruitblik.",
        );
    });
    assert_case("c1_control_character", &run, 1);
}

#[test]
fn no_unsubscribe() {
    let run = check_after(|d| {
        edit(
            &d.join(SETTINGS),
            "[unsubscribe]\nurl = \"https://example.org/afmelden/{token}\"\n",
            "",
        );
    });
    assert_case("no_unsubscribe", &run, 1);
}

#[test]
fn unsubscribe_url_without_placeholder() {
    let run = check_after(|d| edit(&d.join(SETTINGS), "afmelden/{token}", "afmelden"));
    assert_case("unsubscribe_url_without_placeholder", &run, 2);
}

#[test]
fn invalid_colour() {
    let run = check_after(|d| {
        edit(
            &d.join(SETTINGS),
            "brand = \"#154273\"",
            "brand = \"blauw\"",
        );
    });
    assert_case("invalid_colour", &run, 2);
}

#[test]
fn date_with_a_time() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "date = 2023-01-15",
            "date = 2023-01-15T10:00:00",
        );
    });
    assert_case("date_with_a_time", &run, 2);
}

#[test]
fn missing_settings_file() {
    let run = check_after(|d| std::fs::remove_file(d.join(SETTINGS)).unwrap());
    assert_case("missing_settings_file", &run, 2);
}

#[test]
fn not_utf8() {
    let run = check_after(|d| std::fs::write(d.join(EDITION), b"title = \"caf\xe9\"\n").unwrap());
    assert_case("not_utf8", &run, 2);
}

#[test]
fn private_use_character() {
    let run = check_after(|d| {
        edit(
            &d.join(EDITION),
            "Eerste bericht",
            "Eerste \u{e000}G\u{e001} bericht",
        );
    });
    assert_case("private_use_character", &run, 2);
}

#[test]
fn invalid_subscriber_address() {
    let run = preview_with(
        LIST,
        "[[subscriber]]\nemail = \"anne@example.org\"\n\n[[subscriber]]\nemail = \"bert.example.org\"\n",
    );
    assert_case("invalid_subscriber_address", &run, 2);
}

#[test]
fn duplicate_subscriber() {
    let run = preview_with(
        LIST,
        "[[subscriber]]\nemail = \"anne@example.org\"\n\n[[subscriber]]\nemail = \"bert@example.org\"\n\n[[subscriber]]\nemail = \"Anne@Example.org\"\n",
    );
    assert_case("duplicate_subscriber", &run, 2);
}

#[test]
fn crlf_in_subscriber_name() {
    let run = preview_with(
        LIST,
        "[[subscriber]]\nemail = \"anne@example.org\"\nname = \"Anne\\r\\nBcc: x@example.org\"\n",
    );
    assert_case("crlf_in_subscriber_name", &run, 2);
}

#[test]
fn unknown_subscriber_key() {
    let run = preview_with(
        LIST,
        "[[subscriber]]\nemail = \"anne@example.org\"\nnaam = \"Anne\"\n",
    );
    assert_case("unknown_subscriber_key", &run, 2);
}

#[test]
fn empty_subscriber_list() {
    let run = preview_with(LIST, "# nobody yet\n");
    assert_case("empty_subscriber_list", &run, 2);
}

#[test]
fn bad_csv_row() {
    let run = preview_with(
        "list.csv",
        "email;name\nanne@example.org;Anne\nbert@example.org;Bert;extra\n",
    );
    assert_case("bad_csv_row", &run, 2);
}

#[test]
fn unknown_csv_column() {
    let run = preview_with("list.csv", "email,naam\nanne@example.org,Anne\n");
    assert_case("unknown_csv_column", &run, 2);
}

#[test]
fn invalid_csv_address() {
    let run = preview_with(
        "list.csv",
        "email,name\nanne@example.org,Anne\n\"bert@\",Bert\n",
    );
    assert_case("invalid_csv_address", &run, 2);
}

#[test]
fn check_json_reports_positions() {
    let dir = fixture("minimal");
    edit(
        &dir.path().join(EDITION),
        "subject = \"Testbrief januari\"",
        "subject = \"\"",
    );
    let run = courant(dir.path(), &["check", EDITION, "--json"]);
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
