//! `check` and `build` on the seed edition, as a new user runs them.

use crate::common::Test;
use crate::common::{contains, ends_with, lacks, starts_with, succeeded};

#[test]
fn the_seed_edition_checks_clean() {
    let dir = Test::seed();
    let run = dir.words("check issues/2022-12.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The seed cannot ship a private key, so only the DKIM warning remains.
    assert!(starts_with(
        &run.stderr,
        "warning[dkim-missing]: DKIM is not configured"
    ));
    assert!(ends_with(
        &run.stderr,
        "issues/2022-12.toml: 0 errors, 1 warning\n"
    ));
}

#[test]
fn a_broken_copy_of_the_seed_gets_file_line_column_and_exit_2() {
    let dir = Test::seed().revise(
        "[[section]]\ntitle = \"Uitgelicht\"",
        "[[section]]\ntitle = Uitgelicht",
    );
    let run = dir.words("check issues/2022-12.toml");
    assert_eq!(run.code, 2);
    assert!(starts_with(&run.stderr, "error: "));
    assert!(contains(&run.stderr, "--> issues/2022-12.toml:36:9\n"));
    assert!(contains(&run.stderr, "36 | title = Uitgelicht\n"));
}

#[test]
fn build_writes_a_web_version_without_personal_data() {
    let dir = Test::seed();
    let run = dir.words("build issues/2022-12.toml --out site");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let web = std::fs::read_to_string(dir.join("site/index.html")).unwrap();
    for landmark in ["<header>", "<main>", "<footer>", "<html lang=\"nl\""] {
        assert!(web.contains(landmark), "{landmark}");
    }
    for personal in ["Beste", "afmelden?email", "\u{e000}"] {
        assert!(
            !web.contains(personal),
            "the web version contains {personal:?}"
        );
    }
    for image in ["magazine.png", "brug.png", "logo.png"] {
        assert!(dir.join("site").join(image).is_file(), "{image} copied");
    }
}

#[test]
fn the_email_html_meets_the_layout_rules() {
    let dir = Test::seed();
    dir.words("build issues/2022-12.toml --out site");
    let html = std::fs::read_to_string(dir.join("site/email.html")).unwrap();
    // One <style> block, kept only for the at-rules; everything else is inlined.
    assert_eq!(
        html.matches("<style>").count(),
        2,
        "ours plus Outlook's conditional one"
    );
    assert!(
        html.contains("@media (max-width:620px)")
            && html.contains("@media (prefers-color-scheme:dark)")
    );
    assert!(
        html.contains("<!--[if mso]><table role=\"presentation\" align=\"center\" width=\"600\"")
    );
    assert!(
        html.contains("<style data-css-inline=\"keep\">[data-ogsb] .content{"),
        "Outlook.com dark rules"
    );
    assert!(!html.contains("<script") && !html.contains("<link"));
    let tables: Vec<&str> = html
        .split("<table")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap()])
        .collect();
    assert!(
        tables.iter().all(|t| t.contains("role=\"presentation\"")),
        "every layout table is presentational"
    );
    let tables = tables.len();
    let images = html.matches("<img ").count();
    assert_eq!(images, 8);
    assert_eq!(html.matches(" alt=\"").count(), images);
    assert_eq!(
        html.matches(" width=\"").count() - tables,
        images,
        "every image has a width"
    );
    assert_eq!(html.matches(" height=\"").count(), images);
    let headings: Vec<_> = ["<h1", "<h2", "<h3"]
        .iter()
        .map(|h| html.matches(h).count())
        .collect();
    assert_eq!(
        headings,
        [1, 4, 4],
        "h1 masthead, h2 intro/items/section, h3 the Uitgelicht items"
    );
}

#[test]
fn preview_writes_the_messages_then_exits_1_on_error_findings() {
    let dir = Test::seed().revise(
        "credit = \"Beeld: ©ESS / ESS\"",
        "credit = \"Beeld: ©ESS / ESS\", alt = \"\"",
    );
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(
        run.code, 2,
        "a duplicate key is unusable input: {}",
        run.stderr
    );
    let dir = Test::seed().revise(
        "subject = \"Nieuwsbrief WeerbaarNL – December 2022\"",
        "subject = \" \"",
    );
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(starts_with(
        &run.stderr,
        "error[subject-empty]: the subject is empty\n"
    ));
    assert_eq!(
        run.stdout,
        "wrote 4 messages to out; skipped 1 unsubscribed, 0 suppressed\n"
    );
    assert_eq!(crate::common::emls(&dir.join("out")).len(), 4);
}

#[test]
fn preview_without_the_unsubscribe_secret_refuses_with_status_2() {
    let dir = Test::seed();
    let args = [
        "preview",
        "issues/2022-12.toml",
        "--subscribers",
        "subscribers.example.toml",
        "--out",
        "out",
    ];
    let output = crate::common::command(dir.path(), &args, &[])
        .env_remove("COURANT_UNSUBSCRIBE_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.ends_with("error: no unsubscribe secret: the unsubscribe links carry a token signed with it. `courant init` writes one to `issues/unsubscribe-secret`; on another machine copy that file there (mode 600, kept out of Git), or set COURANT_UNSUBSCRIBE_SECRET_FILE to a file that holds it (a systemd credential, a container secret), or COURANT_UNSUBSCRIBE_SECRET to the secret itself. Make one with `openssl rand -base64 32`\n"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn completions_load_in_bash_and_name_every_command_and_flag() {
    let dir = Test::empty();
    let run = dir.words("completions bash");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = dir.join("courant.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    // Sourced by a real bash, then asked what follows `courant send --j`.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(courant send --j); COMP_CWORD=2; COMP_LINE='courant send --j'; \
             COMP_POINT=${{#COMP_LINE}}; _courant courant --j send; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("bash runs");
    assert!(succeeded(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "--join");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = dir.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("serve-public"), "{shell}");
    }
}

#[test]
fn the_manual_has_a_page_per_command_that_groff_renders_without_warnings() {
    let dir = Test::empty();
    let run = dir.words("man man");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(dir.join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for command in [
        "courant.1",
        "courant-send.1",
        "courant-check.1",
        "courant-bounces.1",
    ] {
        assert!(pages.iter().any(|p| p == command), "{command}: {pages:?}");
    }
    let out = std::process::Command::new("groff")
        .args(["-man", "-T", "utf8", "-ww"])
        .arg(dir.join("man/courant-send.1"))
        .output()
        .expect("groff runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--join") && text.contains("Examples:"),
        "{text}"
    );
}

#[test]
fn findings_are_coloured_on_a_terminal_and_plain_with_no_color_or_through_a_pipe() {
    let dir = Test::seed().revise("subject = \"", "subject = \"日本語 🎉\u{200b} ");
    // `script` runs the command on a pseudo-terminal, as a person at a terminal would.
    let on_terminal = |no_color: Option<&str>| {
        let courant = env!("CARGO_BIN_EXE_courant");
        let mut command = std::process::Command::new("script");
        command
            .args([
                "-qec",
                &format!("{courant} check issues/2022-12.toml"),
                "/dev/null",
            ])
            .current_dir(dir.path())
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        String::from_utf8_lossy(&command.output().expect("script runs").stdout).into_owned()
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert!(coloured.contains("invisible-character"), "{coloured}");
    let no_color = on_terminal(Some("1"));
    assert!(!no_color.contains('\u{1b}'), "{no_color}");
    assert!(
        no_color.contains("error[invisible-character]: "),
        "{no_color}"
    );
    let piped = dir.words("check issues/2022-12.toml");
    assert!(lacks(&piped.stderr, "\u{1b}"));
    // The caret stands under the invisible character by display width: the CJK characters
    // and the emoji before it take two columns each.
    let line = piped
        .stderr
        .lines()
        .find(|l| l.contains("日本語"))
        .expect("the source line");
    let caret = piped
        .stderr
        .lines()
        .skip_while(|l| !l.contains("日本語"))
        .nth(1)
        .unwrap();
    let before = line.split('\u{200b}').next().unwrap();
    let width: usize = before
        .chars()
        .map(|c| {
            if c == '🎉' || ('\u{3040}'..='\u{9fff}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum();
    assert_eq!(caret.find('^'), Some(width), "{line}\n{caret}");
}
