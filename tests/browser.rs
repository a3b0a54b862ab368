//! The seed edition in a real browser: headless Chromium (Debian's package) driven by
//! playwright-core through `tests/browser/measure.mjs`, which prints what it measured.

mod common;

use std::process::Command;

use common::{courant, root, seed};

#[test]
fn the_seed_reads_well_on_a_phone_on_a_desktop_in_dark_mode_and_passes_axe() {
    let dir = seed();
    let run = courant(dir.path(), &["build", "issues/2022-12.toml", "--out", "b"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = Command::new("node")
        .arg(root().join("tests/browser/measure.mjs"))
        .arg(dir.path().join("b"))
        .current_dir(root())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("measured: {m}");

    assert!(
        m["phone"]["scrollWidth"].as_f64().unwrap() <= 375.0,
        "horizontal overflow at 375 px: {m}"
    );
    assert_eq!(
        m["phone"]["imagesLoaded"], m["phone"]["images"],
        "every image loads"
    );
    assert_eq!(m["phone"]["images"], 8);
    assert!(
        m["phone"]["minFontPx"].as_f64().unwrap() >= 14.0,
        "text under 14 px: {m}"
    );
    assert_eq!(
        m["desktop"]["columnWidth"].as_f64(),
        Some(600.0),
        "the content column at desktop width"
    );
    assert!(
        m["dark"]["minContrast"].as_f64().unwrap() >= 4.5,
        "dark-mode contrast: {m}"
    );
    assert_eq!(
        m["dark"]["background"], "rgb(24, 33, 44)",
        "the edition's dark background applies"
    );
    let serious: Vec<_> = m["axe"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
        .collect();
    assert!(serious.is_empty(), "axe: {serious:#?}");
}
