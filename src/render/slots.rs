//! Compile once, personalise cheaply: the edition is rendered with markers where personal
//! values go, split once at those markers, and filled in per subscriber.
//!
//! The same goes for the transfer encoding: each literal part is quoted-printable encoded
//! once, ending in a soft line break, so a subscriber's message costs only the encoding of
//! their few values. A decoder joins soft line breaks, so the decoded text is exactly the
//! filled-in document.

use std::fmt::Write;

use crate::personal::{CLOSE, OPEN};
pub use crate::personal::{Personal, Slot};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Slot(Slot),
}

/// How values are written into the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    Html,
    None,
}

/// A rendered document split at its slots.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
    escape: Escape,
    literal_len: usize,
    /// `parts` with each literal already quoted-printable encoded.
    encoded: Vec<Encoded>,
}

#[derive(Debug, Clone)]
enum Encoded {
    Literal(Vec<u8>),
    Slot(Slot),
}

impl Template {
    pub fn parse(rendered: &str, escape: Escape) -> Template {
        let mut parts = Vec::new();
        let mut rest = rendered;
        while let Some(start) = rest.find(OPEN) {
            let after = &rest[start + OPEN.len_utf8()..];
            let Some(end) = after.find(CLOSE) else { break };
            let Some(slot) = Slot::from_tag(&after[..end]) else {
                break;
            };
            parts.push(Part::Literal(rest[..start].to_owned()));
            parts.push(Part::Slot(slot));
            rest = &after[end + CLOSE.len_utf8()..];
        }
        parts.push(Part::Literal(rest.to_owned()));
        let literal_len = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Slot(_) => 0,
            })
            .sum();
        let encoded = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => Encoded::Literal(quoted_printable_segment(s)),
                Part::Slot(slot) => Encoded::Slot(*slot),
            })
            .collect();
        Template {
            parts,
            escape,
            literal_len,
            encoded,
        }
    }

    /// The document for one subscriber, quoted-printable encoded with CRLF line ends: the
    /// body of a `Content-Transfer-Encoding: quoted-printable` part.
    pub fn fill_quoted_printable(&self, personal: &Personal) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.literal_len * 11 / 10 + 512);
        for part in &self.encoded {
            match part {
                Encoded::Literal(bytes) => out.extend_from_slice(bytes),
                Encoded::Slot(slot) => {
                    let mut value = String::new();
                    self.write_value(&mut value, personal.get(*slot));
                    out.extend_from_slice(&quoted_printable_segment(&value));
                }
            }
        }
        out
    }

    /// The document for one subscriber.
    pub fn fill(&self, personal: &Personal) -> String {
        let mut out = String::with_capacity(self.literal_len + 256);
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Slot(slot) => self.write_value(&mut out, personal.get(*slot)),
            }
        }
        out
    }

    fn write_value(&self, out: &mut String, value: &str) {
        match self.escape {
            Escape::None => out.push_str(value),
            Escape::Html => {
                write!(maud::Escaper::new(out), "{value}").expect("writing to a String");
            }
        }
    }

    pub fn has_slot(&self, slot: Slot) -> bool {
        self.parts.contains(&Part::Slot(slot))
    }
}

/// One piece of a quoted-printable body: CRLF line ends, and a soft line break at the end
/// unless it ends with a hard one, so that the next piece starts on a line of its own.
fn quoted_printable_segment(text: &str) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut encoded = quoted_printable::encode(crlf.as_bytes());
    if !encoded.ends_with(b"\r\n") {
        encoded.extend_from_slice(b"=\r\n");
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoded_fill_decodes_to_the_plain_fill() {
        let long = "é ".repeat(60);
        let rendered = format!(
            "<p>{long}{}</p>\n<a href=\"{}\">x</a>\n",
            Slot::Greeting.marker(),
            Slot::Unsubscribe.marker()
        );
        let t = Template::parse(&rendered, Escape::Html);
        let p = Personal {
            greeting: "Beste Ömer & co,".into(),
            unsubscribe: "https://x.example/?a=1&b=2".into(),
            ..Personal::default()
        };
        let encoded = t.fill_quoted_printable(&p);
        assert!(
            encoded.split(|&b| b == b'\n').all(|line| line.len() <= 77),
            "lines of at most 76 + CR"
        );
        let decoded =
            quoted_printable::decode(&encoded, quoted_printable::ParseMode::Strict).unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            t.fill(&p).replace('\n', "\r\n")
        );
    }

    #[test]
    fn fills_and_escapes_values() {
        let rendered = format!(
            "<p>{}</p><a href=\"{}\">x</a>",
            Slot::Greeting.marker(),
            Slot::Unsubscribe.marker()
        );
        let t = Template::parse(&rendered, Escape::Html);
        let p = Personal {
            greeting: "Beste <Ömer>,".into(),
            unsubscribe: "https://x.example/?a=1&b=2".into(),
            ..Personal::default()
        };
        assert_eq!(
            t.fill(&p),
            "<p>Beste &lt;Ömer&gt;,</p><a href=\"https://x.example/?a=1&amp;b=2\">x</a>"
        );
    }

    #[test]
    fn plain_templates_do_not_escape() {
        let t = Template::parse(&format!("{}\n", Slot::Greeting.marker()), Escape::None);
        let p = Personal {
            greeting: "Beste A&B,".into(),
            ..Personal::default()
        };
        assert_eq!(t.fill(&p), "Beste A&B,\n");
        assert!(t.has_slot(Slot::Greeting) && !t.has_slot(Slot::Unsubscribe));
    }
}
