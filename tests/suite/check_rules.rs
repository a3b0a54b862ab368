//! `check`'s rules against spam-looking content and misplaced Markdown: each fires on a small
//! edition written for it and stays silent on the seed; `[check] allow` silences exactly the
//! rule it names.

use std::path::Path;

use crate::common::{Test, courant};
use crate::common::{contains, lacks};

/// A short edition in the seed's folder, with `item` as its one item's TOML and `extra` at the
/// top (before any table).
fn edition(dir: &Test, extra: &str, item: &str) -> String {
    let text = format!(
        "{extra}title = \"Nieuwsbrief\"\nsubject = \"De nieuwsbrief van december\"\n\
         preheader = \"Wat er deze maand speelt.\"\ndate = 2022-12-15\n\n[intro]\n{item}\n"
    );
    dir.write("issues/test.toml", text);
    "issues/test.toml".to_owned()
}

/// A plain item: enough words, a described picture, a descriptive link.
const PLAIN: &str = "title = \"Oefenen met een cyberincident\"\n\
    body = \"\"\"\nIn december oefenden twaalf gemeenten samen wat zij doen als hun systemen \
    uitvallen. Zij spraken af wie wie belt, welke diensten eerst terug moeten komen en hoe zij \
    inwoners op de hoogte houden. De verslagen staan op onze website, met de lessen die de \
    deelnemers zelf trokken en de vragen die nog openstaan voor het nieuwe jaar.\n\"\"\"\n\
    image = { src = \"2022-12/gesprek.png\", alt = \"Twee mensen in gesprek aan een tafel.\" }\n\
    link = { text = \"Het verslag van de oefening\", url = \"https://www.example.nl/oefening\" }";

/// The codes and printed findings of `check` on `file` in `dir`.
fn check(dir: &Path, file: &str) -> (Vec<String>, String) {
    let json = courant(dir, &["check", file, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", json.stdout, json.stderr));
    let codes = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect();
    (codes, courant(dir, &["check", file]).stderr)
}

#[test]
fn each_spam_rule_fires_on_an_edition_written_for_it_and_not_on_the_seed() {
    let dir = Test::seed();
    let (seed_codes, _) = check(dir.path(), "issues/2022-12.toml");
    assert_eq!(
        seed_codes,
        ["dkim-missing"],
        "the seed has only the DKIM warning"
    );
    let (plain, _) = check(dir.path(), &edition(&dir, "", PLAIN));
    assert_eq!(plain, ["dkim-missing"], "the plain item passes");

    // (rule, a text of the plain item, what it becomes)
    let alt = "Twee mensen in gesprek aan een tafel.";
    let link = "Het verslag van de oefening";
    let edits = [
        ("spam-all-caps", "Oefenen met", "GRATIS KLIK NU"),
        ("spam-exclamation", "cyberincident", "cyberincident!!"),
        (
            "spam-suspicious-phrases",
            "In december",
            "Gratis en gegarandeerd: in december",
        ),
        (
            "bad-shortlink",
            "https://www.example.nl/oefening",
            "https://bit.ly/3xYz",
        ),
        ("generic-alt", alt, "foto"),
        ("generic-alt", alt, "x"),
        ("link-text-generic", link, "Lees verder »"),
        ("link-text-generic", link, "Klik hier!"),
        ("link-text-generic", link, "Meer informatie"),
        // Issue 18, item 5: a table is a table now, but one inside a quote is not.
        (
            "markdown-unsupported",
            "In december",
            "> | Wat | Wanneer |\n> |---|---|\n> | Oefening | december |\n\nIn december",
        ),
    ];
    let mut cases: Vec<(&str, String)> = edits
        .iter()
        .map(|(rule, from, to)| (*rule, PLAIN.replace(from, to)))
        .collect();
    cases.push((
        "spam-image-heavy",
        "title = \"Beeld\"\nbody = \"Kijk.\"\n\
         image = { src = \"2022-12/gesprek.png\", alt = \"Twee mensen in gesprek.\" }"
            .to_owned(),
    ));
    for (rule, item) in cases {
        let file = edition(&dir, "", &item);
        let (codes, printed) = check(dir.path(), &file);
        assert!(
            codes.contains(&rule.to_owned()),
            "{rule}: {codes:?}\n{printed}"
        );
        assert!(
            printed.contains(&format!("warning[{rule}]: ")),
            "the id is shown: {printed}"
        );
        assert!(printed.contains("--> issues/test.toml:"), "{printed}");
    }
}

#[test]
fn markdown_in_a_plain_text_is_reported_where_it_is_and_not_in_a_body() {
    let dir = Test::seed();
    let link = "Het verslag van de oefening";
    // (a plain text of the item, what it becomes, what the finding shows)
    let cases = [
        (
            "title = \"Oefenen",
            "title = \"**Nieuw**: oefenen",
            "`**Nieuw**`",
        ),
        (
            "title = \"Oefenen",
            "kicker = \"*Let op*\"\ntitle = \"Oefenen",
            "`*Let op*`",
        ),
        (
            link,
            "[Het verslag](https://www.example.nl/v)",
            "`[Het verslag](",
        ),
        ("Twee mensen", "Twee `mensen`", "``mensen``"),
        ("title = \"Oefenen", "title = \"# Oefenen", "`#`"),
    ];
    for (from, to, shown) in cases {
        let file = edition(&dir, "", &PLAIN.replace(from, to));
        let (mut codes, printed) = check(dir.path(), &file);
        codes.sort();
        assert_eq!(
            codes,
            ["dkim-missing", "markdown-in-plain-text"],
            "{to}: {printed}"
        );
        assert!(printed.contains(shown), "{to}: {printed}");
    }
    // Arithmetic is no emphasis, and a body is Markdown.
    let quiet = PLAIN
        .replace("title = \"Oefenen", "title = \"5 * 3 * 2 keer oefenen")
        .replace("In december", "In **december**");
    let (codes, printed) = check(dir.path(), &edition(&dir, "", &quiet));
    assert_eq!(codes, ["dkim-missing"], "{printed}");
}

#[test]
fn allow_silences_exactly_the_rule_it_names_for_the_newsletter_or_one_edition() {
    let dir = Test::seed();
    let shouting = PLAIN
        .replace("Oefenen met een", "OEFENEN MET EEN")
        .replace("cyberincident", "cyberincident!!");
    let file = edition(&dir, "", &shouting);
    let (codes, _) = check(dir.path(), &file);
    assert!(
        codes.contains(&"spam-all-caps".to_owned())
            && codes.contains(&"spam-exclamation".to_owned())
    );

    // In the edition: its own `[check]`, before the tables.
    let file = edition(&dir, "check = { allow = [\"spam-all-caps\"] }\n", &shouting);
    let (codes, _) = check(dir.path(), &file);
    assert!(!codes.contains(&"spam-all-caps".to_owned()), "{codes:?}");
    assert!(codes.contains(&"spam-exclamation".to_owned()), "{codes:?}");

    // In the settings: every edition.
    let settings = dir.join("issues/newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("{text}\n[check]\nallow = [\"spam-exclamation\", \"dkim-missing\"]\n"),
    )
    .unwrap();
    let file = edition(&dir, "", &shouting);
    let (codes, _) = check(dir.path(), &file);
    assert_eq!(codes, ["spam-all-caps"], "only the rule not allowed");

    // A name that is no rule, or an error's rule, is itself an error at its place.
    let file = edition(
        &dir,
        "check = { allow = [\"spam-caps\", \"alt-missing\"] }\n",
        &shouting,
    );
    let run = dir.run(&["check", &file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(contains(
        &run.stderr,
        "error[check-allow]: no rule `spam-caps`; the rules that can be allowed are: "
    ));
    assert!(contains(&run.stderr, "--> issues/test.toml:1:"));
    assert!(contains(
        &run.stderr,
        "`alt-missing` reports errors, which cannot be allowed"
    ));
}

/// Issue 17, item 4: a 40 MB image made a 56 MB message that `check` only warned about, and
/// that Gmail, Outlook.com and Yahoo refuse. Above `[sending] max-message-size` (25 MB by
/// default) it is an error, which `send` refuses; the limit can be raised for a relay that
/// takes more.
#[test]
fn a_message_over_the_size_limit_is_an_error_and_the_limit_can_be_raised() {
    let dir = Test::seed().grown_image(20_000_000);
    let run = dir.words("check issues/2022-12.toml");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let says = "error[message-too-large]: each message will be about 27.";
    assert!(contains(&run.stderr, says));
    assert!(contains(
        &run.stderr,
        "more than `[sending] max-message-size` (25.0 MB)"
    ));
    assert!(contains(&run.stderr, "the largest, `magazine.png`, is 20"));

    let settings = dir.join("issues/newsletter.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    let raised = text.replacen("[sending]", "[sending]\nmax-message-size = \"40 MB\"", 1);
    assert_ne!(raised, text, "the seed has a [sending] table");
    std::fs::write(&settings, raised).unwrap();
    let run = dir.words("check issues/2022-12.toml");
    assert!(lacks(&run.stderr, "message-too-large"));
}
