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

/// Issue 18, item 4: the secret lived in an environment variable only, so every new terminal
/// failed until it was exported again. `init` writes one beside the settings (mode 600, not in
/// Git) that every command in the folder finds; a file named by
/// `COURANT_UNSUBSCRIBE_SECRET_FILE` (a systemd credential) works too, and signs alike.
#[test]
fn the_unsubscribe_secret_comes_from_the_folder_or_a_file_without_a_variable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Test::empty();
    assert_eq!(dir.words("init nieuwsbrief").code, 0);
    let folder = dir.join("nieuwsbrief");
    let secret = folder.join("issues/unsubscribe-secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    let without = |dir: &std::path::Path, list: &str, env: &[(&str, &str)]| {
        let preview = ["preview", "issues/2022-12.toml", "-s", list, "--out", "p"];
        let mut command = crate::common::command(dir, &preview, env);
        command.env_remove("COURANT_UNSUBSCRIBE_SECRET");
        crate::common::ran(command.output().unwrap())
    };
    let run = without(&folder, "subscribers.toml", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // In the seed (no file beside it), a file named by the variable signs as the variable.
    let list = "subscribers.example.toml";
    let seed = Test::seed().file("secret.txt", format!("{}\n", crate::common::SECRET));
    let file = seed.join("secret.txt");
    let run = without(
        seed.path(),
        list,
        &[("COURANT_UNSUBSCRIBE_SECRET_FILE", file.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let by_variable = seed.preview_into(list, "q", &[]);
    assert_eq!(by_variable.code, 0, "{}", by_variable.stderr);
    assert_eq!(
        emls(&seed.join("p")),
        emls(&seed.join("q")),
        "the same links"
    );
    let none = without(seed.path(), list, &[]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(crate::common::contains(
        &none.stderr,
        "`courant init` writes one to `issues/unsubscribe-secret`"
    ));
}
