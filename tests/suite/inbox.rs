//! What inbox providers and validators make of the seed edition: SpamAssassin's score with its
//! own rules (offline: no DNS checks), and the W3C's Nu HTML Checker (vnu) on the email HTML
//! and the web version.

use std::process::{Command, Stdio};

use crate::common::{Test, emls, root};

#[test]
fn the_seed_message_scores_at_most_one_point_with_spamassassin() {
    let dir = Test::seed();
    let run = dir.preview("subscribers.example.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, raw) = emls(&dir.join("out")).remove(0);
    let mut child = Command::new("spamassassin")
        .args([
            "-t",
            "-L",
            "-x",
            "--cf=use_bayes 0",
            "--cf=bayes_auto_learn 0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spamassassin runs (apt install spamassassin)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &raw).unwrap();
    let out = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
    let status = out
        .split("X-Spam-Status: ")
        .nth(1)
        .expect("a status header")
        .replace("\n\t", " ");
    let score: f64 = status
        .split("score=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let report = out.split("Content analysis details:").nth(1).unwrap_or("");
    eprintln!(
        "SpamAssassin: {}\n{report}",
        status.lines().next().unwrap_or("")
    );
    assert!(score <= 1.0, "score {score}:\n{report}");
}

#[test]
fn the_email_html_and_the_web_version_have_no_vnu_errors() {
    let dir = Test::seed();
    let run = dir.words("build issues/2022-12.toml --out site");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let jar = root().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "json"])
        .arg(dir.join("site/email.html"))
        .arg(dir.join("site/index.html"))
        .output()
        .expect("java runs vnu (npm install)");
    // vnu writes its JSON report to stderr.
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).expect("vnu's JSON report");
    let messages = report["messages"].as_array().unwrap();
    assert!(messages.is_empty(), "{messages:#?}");
    assert!(out.status.success());
}
