//! `courant init`: a folder that checks and previews straight away, and is never overwritten.

use crate::common::Test;
use crate::common::starts_with;
use crate::common::words;
use crate::common::{courant, emls};

#[test]
fn init_makes_a_newsletter_that_previews_and_never_overwrites_it() {
    let dir = Test::empty();
    let run = dir.words("init nieuwsbrief");
    assert_eq!(
        run.said(),
        (
            0,
            "created a newsletter in nieuwsbrief; start with nieuwsbrief/HOWTO.md\nfirst edition: nieuwsbrief/issues/2022-12.toml\n"
        )
    );
    let folder = dir.join("nieuwsbrief");
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
        &words("preview issues/2022-12.toml --subscribers subscribers.toml --out preview"),
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

    // Git leaves out what courant writes and what is secret, and keeps the rest.
    std::fs::write(folder.join("issues/dkim.pem"), "secret").unwrap();
    let ledger = courant(&folder, &["unsubscribe", "x@example.org"]);
    assert_eq!(ledger.code, 0, "{}", ledger.stderr);
    assert!(folder.join("issues/courant.sqlite").exists());
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&folder)
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    let untracked = git(&["status", "--porcelain", "--untracked-files=all"]);
    for kept in [
        ".gitignore",
        "HOWTO.md",
        "issues/2022-12.toml",
        "issues/newsletter.toml",
        "subscribers.toml",
    ] {
        assert!(untracked.contains(kept), "{kept} is not kept: {untracked}");
    }
    for ignored in ["courant.sqlite", "preview/", ".eml", "dkim.pem"] {
        assert!(
            !untracked.contains(ignored),
            "{ignored} is not ignored: {untracked}"
        );
    }

    let settings = std::fs::read_to_string(folder.join("issues/newsletter.toml")).unwrap();
    let again = dir.words("init nieuwsbrief");
    assert_eq!(again.code, 2);
    assert!(starts_with(
        &again.stderr,
        "error: refusing to overwrite `nieuwsbrief/issues/newsletter.toml`"
    ));
    assert_eq!(
        std::fs::read_to_string(folder.join("issues/newsletter.toml")).unwrap(),
        settings
    );
}
