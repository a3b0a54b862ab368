//! CPU per DKIM signature, in one process: signs one message of the edition N times with the
//! newsletter's key and prints the time per signature (compare `openssl speed rsa2048`).
//!
//!     cargo run --release --example dkim_sign -- EDITION MESSAGE.eml [N]
//!
//! MESSAGE.eml is a message `courant preview` wrote; its DKIM-Signature headers are dropped
//! and the rest signed again.

use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, edition, message, ..] = &args[..] else {
        eprintln!("usage: dkim_sign EDITION MESSAGE.eml [N]");
        std::process::exit(2);
    };
    let n: u32 = args.get(3).map_or(3000, |n| n.parse().expect("a count"));
    let edition = courant::edition::Edition::load(Path::new(edition)).expect("the edition loads");
    let dir = Path::new(&args[1]).parent().expect("a folder");
    let signer = courant::dkim::load(&edition.newsletter, dir)
        .expect("the key loads")
        .expect("[dkim] in the settings");
    let raw = std::fs::read(message).expect("the message reads");
    let unsigned = strip_signatures(&raw);
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            signer
                .sign(std::hint::black_box(&unsigned))
                .expect("signed"),
        );
    }
    let per = start.elapsed().as_secs_f64() * 1e3 / f64::from(n);
    println!(
        "{n} signatures of {} bytes: {per:.3} ms each",
        unsigned.len()
    );
}

/// The message without its `DKIM-Signature` headers (each with its folded lines).
fn strip_signatures(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers and a body");
    let mut kept = String::new();
    let mut skipping = false;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if !skipping {
                kept.push_str(line);
                kept.push_str("\r\n");
            }
            continue;
        }
        skipping = line.to_ascii_lowercase().starts_with("dkim-signature:");
        if !skipping {
            kept.push_str(line);
            kept.push_str("\r\n");
        }
    }
    format!("{kept}\r\n{body}").into_bytes()
}
