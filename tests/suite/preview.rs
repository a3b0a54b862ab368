//! `courant preview` on the seed edition: every .eml is parsed by mail-parser (a parser we did
//! not write) and its structure, headers and decoded text are checked.

use std::collections::HashSet;

use crate::common::{SECRET, Test, emls};
use crate::common::{contains, lacks, starts_with};
use courant::unsubscribe::TokenKey;
use mail_parser::{Message, MessageParser, MimeHeaders};

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(raw)
        .expect("mail-parser reads the message")
}

/// The MIME tree as `type[children]`, e.g. `multipart/related[multipart/alternative[…],image/png]`.
fn tree(message: &Message, id: u32) -> String {
    let part = message.part(id).unwrap();
    let ct = part.content_type().unwrap();
    let name = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
    match part.sub_parts() {
        Some(children) => {
            let inner: Vec<_> = children.iter().map(|&c| tree(message, c)).collect();
            format!("{name}[{}]", inner.join(","))
        }
        None => name,
    }
}

#[test]
fn writes_one_message_per_active_subscriber() {
    let dir = Test::seed();
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(
        run.said(),
        (
            0,
            "wrote 4 messages to out; skipped 1 unsubscribed, 0 suppressed\n"
        )
    );
    let names: Vec<_> = emls(&dir.join("out")).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "0001-anne.devries@example.nl.eml",
            "0002-omer.karaca@example.nl.eml",
            "0003-chloe.mulder@example.org.eml",
            "0004-redactie.gemeente@example.nl.eml",
        ]
    );
}

#[test]
fn messages_have_the_structure_and_headers_of_a_bulk_mail() {
    let dir = Test::seed();
    dir.preview("subscribers.example.toml");
    let files = emls(&dir.join("out"));
    let mut ids = HashSet::new();
    for (name, raw) in &files {
        let m = parse(raw);
        let images = ["image/png"; 8].join(",");
        assert_eq!(
            tree(&m, 0),
            format!("multipart/related[multipart/alternative[text/plain,text/html],{images}]"),
            "{name}"
        );
        assert!(m.parts.iter().all(|p| !p.is_encoding_problem), "{name}");
        let from = m.from().unwrap().first().unwrap();
        assert_eq!(
            (from.name(), from.address()),
            (Some("WeerbaarNL"), Some("nieuwsbrief@weerbaarnl.example"))
        );
        assert_eq!(m.subject(), Some("Nieuwsbrief WeerbaarNL – December 2022"));
        assert_eq!(m.date().unwrap().to_rfc3339(), "2022-12-15T00:00:00Z");
        let id = m.message_id().unwrap();
        assert!(id.ends_with("@weerbaarnl.example"), "{id}");
        assert!(ids.insert(id.to_owned()), "Message-ID {id} repeated");
        assert_eq!(m.header_raw("MIME-Version").map(str::trim), Some("1.0"));
        assert_eq!(
            m.header_raw("List-Id").map(str::trim),
            Some("WeerbaarNL <nieuwsbrief.weerbaarnl.example>")
        );
        assert_eq!(
            m.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        let to = m
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_owned();
        let token = TokenKey::new(SECRET.as_bytes(), "nieuwsbrief.weerbaarnl.example").token(&to);
        let unsubscribe = m
            .header_raw("List-Unsubscribe")
            .unwrap()
            .replace("\r\n ", " ");
        assert_eq!(
            unsubscribe.trim(),
            format!(
                "<https://www.weerbaarnl.example/nieuwsbrief/afmelden/{token}>, \
                 <mailto:afmelden@weerbaarnl.example?subject=afmelden%20{token}>"
            )
        );
        let html = m.body_html(0).unwrap();
        assert!(
            html.contains(&format!("afmelden/{token}\"")),
            "{name}: personal unsubscribe link"
        );
        for image in m.attachments() {
            let cid = image.content_id().unwrap();
            assert!(
                html.contains(&format!("src=\"cid:{cid}\"")),
                "{name}: image {cid} is referenced"
            );
        }
    }
    assert_eq!(ids.len(), 4);
}

#[test]
fn the_text_and_html_greet_each_subscriber_by_name() {
    let dir = Test::seed();
    dir.preview("subscribers.example.toml");
    let files = emls(&dir.join("out"));
    let expected = [
        ("Anne de Vries", "Beste Anne de Vries,"),
        ("Ömer Karaca", "Beste Ömer Karaca,"),
        ("Chloë Müller-Jansen", "Beste Chloë Müller-Jansen,"),
    ];
    for ((_, raw), (name, greeting)) in files.iter().zip(expected) {
        let m = parse(raw);
        assert_eq!(m.to().unwrap().first().unwrap().name(), Some(name));
        assert!(m.body_text(0).unwrap().contains(greeting));
        assert!(m.body_html(0).unwrap().contains(greeting));
    }
    let last = parse(&files[3].1);
    assert_eq!(last.to().unwrap().first().unwrap().name(), None);
    assert!(last.body_text(0).unwrap().contains("Beste lezer,"));
}

#[test]
fn the_plaintext_wraps_at_72_and_numbers_its_links() {
    let dir = Test::seed();
    dir.preview_into("subscribers.example.toml", "out", &["--limit", "1"]);
    let files = emls(&dir.join("out"));
    assert_eq!(files.len(), 1);
    let m = parse(&files[0].1);
    let text = m.body_text(0).unwrap().replace("\r\n", "\n");
    for line in text.lines().filter(|l| !l.contains("https://")) {
        assert!(line.chars().count() <= 72, "too long: {line:?}");
    }
    assert!(text.contains("[1] https://www.weerbaarnl.example/magazine/werken-aan-vertrouwen\n"));
    assert!(text.contains("Beeld: ©ESS"));
    let token = TokenKey::new(SECRET.as_bytes(), "nieuwsbrief.weerbaarnl.example")
        .token("anne.devries@example.nl");
    assert!(text.contains(&format!(
        "https://www.weerbaarnl.example/nieuwsbrief/afmelden/{token}\n"
    )));
    assert!(text.contains("Uitgelicht".to_uppercase().as_str()));
}

#[test]
fn preview_is_byte_for_byte_repeatable_with_source_date_epoch() {
    let dir = Test::seed();
    dir.preview_into("subscribers.example.toml", "a", &[]);
    dir.preview_into("subscribers.example.toml", "b", &[]);
    let a = emls(&dir.join("a"));
    assert_eq!(a, emls(&dir.join("b")));
    assert_eq!(a.len(), 4);
}

#[test]
fn names_with_markup_are_escaped_in_the_html() {
    let dir = Test::seed().file(
        "list.toml",
        "[[subscriber]]\nemail = \"x@example.org\"\nname = \"<script>alert(1)</script> & Co\"\n",
    );
    let run = dir.preview("list.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, raw) = &emls(&dir.join("out"))[0];
    let m = parse(raw);
    let html = m.body_html(0).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("Beste &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co,"));
    assert!(
        m.body_text(0)
            .unwrap()
            .contains("Beste <script>alert(1)</script> & Co,")
    );
}

#[test]
fn a_csv_list_with_semicolons_and_a_bom_previews_too() {
    let dir = Test::seed().file("export.csv", "\u{feff}email;name;status\r\n\"jan@example.nl\";\"Jansen, Jan\";active\r\nweg@example.nl;;unsubscribed\r\n");
    let run = dir.preview("export.csv");
    assert_eq!(
        run.said(),
        (
            0,
            "wrote 1 message to out; skipped 1 unsubscribed, 0 suppressed\n"
        )
    );
    let (_, raw) = &emls(&dir.join("out"))[0];
    assert_eq!(
        parse(raw).to().unwrap().first().unwrap().name(),
        Some("Jansen, Jan")
    );
}

#[test]
fn linked_images_point_at_the_web_version() {
    let dir = Test::seed().edit(
        "issues/newsletter.toml",
        "images = \"embed\"",
        "images = \"link\"",
    );
    dir.preview("subscribers.example.toml");
    let (_, raw) = &emls(&dir.join("out"))[0];
    let m = parse(raw);
    assert_eq!(tree(&m, 0), "multipart/alternative[text/plain,text/html]");
    let html = m.body_html(0).unwrap();
    assert!(
        html.contains("src=\"https://www.weerbaarnl.example/nieuwsbrief/2022-12/magazine.png\"")
    );
}

/// Issue 18, item 6: `check`'s five-line DKIM advice was printed again by every `preview`,
/// `test-send` and `send`. After `check`, they name the warnings in one line and say where the
/// advice is; an error is still shown whole, since it stops them.
#[test]
fn preview_names_check_warnings_in_one_line_and_shows_errors_whole() {
    let dir = Test::seed();
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = "issues/2022-12.toml: 1 warning (dkim-missing); `courant check issues/2022-12.toml` \
                shows where and what to do\n";
    assert!(starts_with(&run.stderr, line));
    assert!(lacks(&run.stderr, "Gmail, Yahoo and Microsoft"));
    assert!(contains(
        &dir.words("check issues/2022-12.toml").stderr,
        "Gmail, Yahoo and Microsoft"
    ));

    let dir = dir.revise("subject = \"", "subject = \"\"\n# \"");
    let run = dir.preview("subscribers.example.toml");
    assert!(contains(
        &run.stderr,
        "error[subject-empty]: the subject is empty\n --> "
    ));
    assert!(contains(
        &run.stderr,
        "warning[dkim-missing]: DKIM is not configured"
    ));
}
