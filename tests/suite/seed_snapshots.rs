//! Snapshots of the seed edition: the email HTML, the plaintext and one complete .eml, all with
//! `SOURCE_DATE_EPOCH` set. A change in any byte shows up as a reviewable diff.

use crate::common::{Test, emls};

#[test]
fn seed_email_html_and_plaintext() {
    let dir = Test::seed();
    let run = dir.words("build issues/2022-12.toml --out build");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let read = |name: &str| std::fs::read_to_string(dir.join("build").join(name)).unwrap();
    let html = read("email.html");
    assert!(
        html.len() <= 30 * 1024,
        "the email HTML is {} bytes",
        html.len()
    );
    insta::assert_snapshot!("seed_email_html", html.replace("><", ">\n<"));
    insta::assert_snapshot!("seed_email_text", read("email.txt"));
    insta::assert_snapshot!("seed_web_html", read("index.html").replace("><", ">\n<"));
}

#[test]
fn seed_eml() {
    let dir = Test::seed();
    dir.preview("subscribers.example.toml");
    let (_, raw) = emls(&dir.join("out")).remove(1);
    let text = String::from_utf8(raw).expect("the message is 7-bit text");
    insta::assert_snapshot!("seed_eml", summarise_base64(&text));
}

/// Replaces the body of each base64 part (the images) by its length and checksum, to keep
/// the snapshot readable while still pinning every byte.
fn summarise_base64(eml: &str) -> String {
    let mut out = String::new();
    let (mut base64_part, mut in_body) = (false, false);
    let mut body = String::new();
    for line in eml.split("\r\n") {
        if base64_part && in_body && !line.starts_with("--") {
            body.push_str(line);
            continue;
        }
        if !body.is_empty() {
            out.push_str(&format!(
                "[base64: {} chars, fnv1a {:016x}]\n",
                body.len(),
                fnv1a(&body)
            ));
            body.clear();
        }
        if line.starts_with("--") {
            (base64_part, in_body) = (false, false);
        }
        base64_part |= line.eq_ignore_ascii_case("Content-Transfer-Encoding: base64");
        in_body |= base64_part && line.is_empty();
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
