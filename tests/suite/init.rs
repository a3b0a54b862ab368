//! `courant init`: a folder that checks and previews straight away, and is never overwritten.

use crate::common::{courant, emls};

#[test]
fn init_makes_a_newsletter_that_previews_and_never_overwrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = courant(dir.path(), &["init", "nieuwsbrief"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "created a newsletter in nieuwsbrief; start with nieuwsbrief/HOWTO.md\nfirst edition: nieuwsbrief/issues/2022-12.toml\n"
    );
    let folder = dir.path().join("nieuwsbrief");
    let check = courant(&folder, &["check", "issues/2022-12.toml"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check
            .stderr
            .ends_with("issues/2022-12.toml: 0 errors, 1 warning\n"),
        "only the DKIM warning: {}",
        check.stderr
    );
    let preview = courant(
        &folder,
        &[
            "preview",
            "issues/2022-12.toml",
            "--subscribers",
            "subscribers.toml",
            "--out",
            "preview",
        ],
    );
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    let files = emls(&folder.join("preview"));
    assert_eq!(files.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&files[0].1)
        .unwrap();
    assert_eq!(message.subject(), Some("Mijn nieuwsbrief – eerste editie"));
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("Beste Eerste Lezer,")
    );

    let settings = std::fs::read_to_string(folder.join("issues/newsletter.toml")).unwrap();
    let again = courant(dir.path(), &["init", "nieuwsbrief"]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .starts_with("error: refusing to overwrite `nieuwsbrief/issues/newsletter.toml`"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("issues/newsletter.toml")).unwrap(),
        settings
    );
}
