//! Unit tests of the parent module.

use super::connection::{DotStuffed, Extensions};

#[test]
fn dot_stuffing_doubles_leading_dots_and_ends_the_data() {
    let data = DotStuffed::new(b"a\r\n.b\r\n..c\r\nd.\r\n", false).unwrap();
    assert_eq!(data.to_string(), "a\r\n..b\r\n...c\r\nd.\r\n.\r\n");
    assert_eq!(
        DotStuffed::new(b".", false).unwrap().to_string(),
        "..\r\n.\r\n"
    );
    assert!(DotStuffed::new("é".as_bytes(), false).is_none());
    let utf8 = DotStuffed::new("To: ömer@example.nl\r\n".as_bytes(), true).unwrap();
    assert_eq!(utf8.to_string(), "To: ömer@example.nl\r\n.\r\n");
}

/// RFC 5321 §4.5.2 said line by line: every line that starts with a dot gets one more.
fn by_lines(text: &str) -> String {
    let mut out: Vec<String> = text
        .split("\r\n")
        .map(|line| match line.strip_prefix('.') {
            Some(_) => format!(".{line}"),
            None => line.to_owned(),
        })
        .collect();
    if !text.ends_with("\r\n") {
        out.push(String::new());
    }
    out.join("\r\n") + ".\r\n"
}

proptest::proptest! {
    #[test]
    fn dot_stuffing_agrees_with_the_rule_line_by_line(text in "[.a\r\n]{0,40}") {
        let stuffed = DotStuffed::new(text.as_bytes(), false).unwrap().to_string();
        proptest::prop_assert_eq!(stuffed, by_lines(&text));
    }
}

#[test]
fn ehlo_lines_say_pipelining_and_the_size_limit() {
    let lines = ["mail.example.nl", "PIPELINING", "SIZE 33554432", "8BITMIME"];
    let offered = Extensions::of(lines.into_iter());
    assert!(offered.pipelining);
    assert_eq!(offered.size_limit, Some(33_554_432));
    // `SIZE 0` and a bare `SIZE` announce no limit.
    for size in ["SIZE 0", "SIZE", "size"] {
        assert_eq!(
            Extensions::of([size].into_iter()).size_limit,
            None,
            "{size}"
        );
    }
    assert_eq!(Extensions::of(std::iter::empty()), Extensions::default());
}
