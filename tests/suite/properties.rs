//! Property tests: arbitrary text, names, addresses and URLs thrown at the loader, the
//! renderer and the message builder. Whatever the input: no panic; what loads renders; the
//! personal slots cannot be forged or removed by content; every message parses with
//! mail-parser (a parser we did not write) with its headers intact.

use std::path::Path;

use courant::edition::Edition;
use courant::edition::value::{BaseUrl, EmailAddr, LinkUrl};
use courant::message::{Clock, Composer};
use courant::subscribers::Subscriber;
use courant::unsubscribe::TokenKey;
use mail_parser::MessageParser;
use proptest::prelude::*;

use crate::common::root;

/// Text with the characters that have broken things before: courant's own slot markers,
/// line breaks, markup, placeholders, bidi and invisible characters.
fn text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "\u{e000}",
        "\u{e001}",
        "G",
        "U",
        "\r",
        "\n",
        "\r\n",
        "<",
        ">",
        "&",
        "\"",
        "'",
        "{name}",
        "{token}",
        "{email}",
        "\u{202e}",
        "\u{200b}",
        "\u{feff}",
        "*",
        "[",
        "](",
        ")",
        "#",
        "`",
        "é",
        "ß",
        "日本",
        "\u{1f600}",
        "\\",
        "\t",
        "\u{85}",
    ]);
    let piece = prop_oneof![
        3 => "[a-zA-Z0-9 .,:;!?-]{0,12}".prop_map(String::from),
        2 => special.prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

/// A TOML basic string holding `s`, escaped by the toml crate itself.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The minimal fixture, unsigned, with the edition's texts replaced.
fn write_edition(dir: &Path, title: &str, subject: &str, body: &str) {
    for file in ["newsletter.toml", "foto.png"] {
        std::fs::copy(
            root().join("tests/fixtures/minimal").join(file),
            dir.join(file),
        )
        .unwrap();
    }
    let settings = std::fs::read_to_string(dir.join("newsletter.toml")).unwrap();
    let settings = &settings[..settings.find("[dkim]").unwrap()];
    std::fs::write(dir.join("newsletter.toml"), settings).unwrap();
    let edition = format!(
        "title = {}\nsubject = {}\ndate = 2023-01-15\n\n[[section]]\n[[section.item]]\ntitle = {}\nbody = {}\n",
        toml_string(title),
        toml_string(subject),
        toml_string(title),
        toml_string(body),
    );
    std::fs::write(dir.join("edition.toml"), edition).unwrap();
}

fn reader(edition: &Edition, email: &str, name: Option<String>) -> Subscriber {
    let mut s = Subscriber::sample(&edition.file);
    s.email = email.parse().unwrap();
    s.name = name;
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_loads_or_is_refused_and_what_loads_keeps_its_slots(
        title in text(), subject in text(), body in text(), name in text(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_edition(dir.path(), &title, &subject, &body);
        let Ok(edition) = Edition::load(&dir.path().join("edition.toml")) else {
            return Ok(());
        };
        let rendered = courant::render::render(&edition).expect("what loads renders");
        let key = TokenKey::new(b"property-secret-0123456789", "testbrief.example.org");
        let composer = Composer::new(&edition, &rendered, Clock::Fixed(std::time::UNIX_EPOCH))
            .with_tokens(Some(key.clone()));
        // Names as a list would give them: one line, no control characters.
        let name = Some(name).filter(|n| {
            !n.trim().is_empty() && !n.chars().any(|c| c.is_control() || ('\u{e000}'..='\u{f8ff}').contains(&c))
        });
        let subscriber = reader(&edition, "anne@example.org", name.clone());
        let message = composer.message(&subscriber).expect("a message is made");
        let bytes = message.formatted();
        let parsed = MessageParser::default().parse(&bytes).expect("mail-parser reads it");
        let to = parsed.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap();
        prop_assert_eq!(to, "anne@example.org");
        let token = key.token("anne@example.org");
        let unsubscribe = parsed.header_raw("List-Unsubscribe").unwrap();
        prop_assert!(unsubscribe.contains(&token));
        let text = parsed.body_text(0).unwrap();
        prop_assert!(text.contains(&token), "the unsubscribe link is in the text");
        let greeting = match &name {
            Some(n) => format!("Beste {n},"),
            None => "Beste lezer,".to_owned(),
        };
        prop_assert!(text.contains(&greeting), "the greeting is in the text: {:?}", greeting);
        let html = parsed.body_html(0).unwrap();
        prop_assert!(html.contains(&token), "the unsubscribe link is in the HTML");
        prop_assert!(!html.contains('\u{e000}') && !text.contains('\u{e000}'), "no marker left");
        prop_assert!(parsed.header_raw("Subject").is_some());
    }

    #[test]
    fn any_address_is_refused_or_makes_a_message_to_it(address in text(), user in "[a-z0-9.\u{e9}\u{f6}]{1,12}", host in "[a-z\u{fc}]{1,10}") {
        let _ = address.parse::<EmailAddr>();
        let candidate = format!("{user}@{host}.example");
        let Ok(email) = candidate.parse::<EmailAddr>() else { return Ok(()); };
        let to = email.to_address();
        prop_assert!(to.domain().is_ascii(), "the domain goes out as its A-label: {}", to);
        let dir = tempfile::tempdir().unwrap();
        write_edition(dir.path(), "Titel", "Onderwerp", "Tekst.");
        let edition = Edition::load(&dir.path().join("edition.toml")).unwrap();
        let rendered = courant::render::render(&edition).unwrap();
        let composer = Composer::new(&edition, &rendered, Clock::Fixed(std::time::UNIX_EPOCH));
        let subscriber = reader(&edition, email.as_str(), None);
        let bytes = composer.message(&subscriber).unwrap().formatted();
        let parsed = MessageParser::default().parse(&bytes).expect("mail-parser reads it");
        let parsed_to = parsed.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap();
        prop_assert_eq!(parsed_to.to_lowercase(), to.to_string().to_lowercase());
    }

    #[test]
    fn any_url_is_refused_or_kept(url in text(), path in "[a-z0-9/._~%-]{0,20}") {
        let _ = LinkUrl::try_from(url.clone());
        let _ = BaseUrl::try_from(url);
        let link = format!("https://example.org/{path}");
        if let Ok(parsed) = LinkUrl::try_from(link) {
            prop_assert!(parsed.as_str().starts_with("https://example.org/"));
        }
    }
}
