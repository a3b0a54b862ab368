//! Rules on how the texts are written: characters that do not belong, Markdown where the text
//! is plain, words too long for a phone.

use std::sync::{Arc, LazyLock};

use super::texts::inner_location;
use crate::diagnostic::{Finding, SourceFile};
use crate::edition::{Edition, Text};

/// Markdown in a plain text: `**Nieuw**`, `*let op*`, `[site](https://…)`, `` `code` ``,
/// `# Kop`; one group per kind, so that what is shown is the Markdown alone.
static PLAIN_MARKDOWN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?P<strong>(?:\*\*|__)\S(?:.*?\S)?(?:\*\*|__))",
        r"|(?:^|[\s(])(?P<emphasis>\*[^\s*](?:[^*]*?[^\s*])?\*)(?:$|[\s.,;:!?)])",
        r"|(?P<link>\[[^\]]+\]\([^)\s]+\))",
        r"|(?P<code>`[^`]+`)",
        r"|^(?P<heading>#{1,6} )",
    ))
    .expect("a valid pattern")
});

/// Markdown written in a text that is plain (a title, a link text, the subject): it is shown
/// as typed, asterisks and brackets included.
pub(super) fn markdown_in_plain_text(file: &Arc<SourceFile>, text: &Text, out: &mut Vec<Finding>) {
    let value = text.get_ref();
    let Some(found) = PLAIN_MARKDOWN.captures(value).and_then(|c| {
        ["strong", "emphasis", "link", "code", "heading"]
            .iter()
            .find_map(|kind| c.name(kind))
    }) else {
        return;
    };
    let message = format!(
        "`{}` is Markdown, but this text is plain and shows it as typed; write it without the \
         marks (only an item's `body` and the footer's `why` and `contact` are Markdown)",
        found.as_str().trim_end()
    );
    let at = inner_location(file, text, found.range());
    out.push(Finding::warning("markdown-in-plain-text", message).at(at));
}

/// Control characters and invisible characters hide text from some readers and show as boxes
/// to others; they usually arrive by copy and paste.
/// Control characters and invisible characters hide text from some readers and show as boxes
/// to others; they usually arrive by copy and paste.
pub(super) fn characters(file: &Arc<SourceFile>, text: &Text, out: &mut Vec<Finding>) {
    let value = text.get_ref();
    for (i, c) in value.char_indices() {
        let what = match c {
            '\n' | '\t' => continue,
            '\u{80}'..='\u{9f}' => "C1 control character",
            c if c.is_control() => "control character",
            '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{180e}' => {
                "invisible character"
            }
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "bidirectional control character",
            _ => continue,
        };
        let message = format!("{what} U+{:04X} in text", c as u32);
        let at = inner_location(file, text, i..i + c.len_utf8());
        out.push(Finding::error("invisible-character", message).at(at));
    }
}

/// The width a phone leaves for text (375 px less the padding), and how wide a letter is on
/// average, as a share of the font size, in the wide fonts newsletters use (Verdana: ~0.62).
/// The width a phone leaves for text (375 px less the padding), and how wide a letter is on
/// average, as a share of the font size, in the wide fonts newsletters use (Verdana: ~0.62).
const PHONE_TEXT_PX: f64 = 343.0;
const LETTER_EM: f64 = 0.62;

/// Words too long for a phone's width at their size: the email breaks them mid-word rather
/// than overflow, but a reader sees `arbeidsongeschiktheidsverze-` / `kering`. A URL written
/// out in a text is broken the same way; link text reads better.
pub(super) fn long_words(edition: &Edition, out: &mut Vec<Finding>) {
    let c = &edition.content;
    let mut texts: Vec<(&Text, f64)> = vec![(&c.title, 24.0)];
    texts.extend(
        c.sections
            .iter()
            .filter_map(|s| s.title.as_ref())
            .map(|t| (t, 22.0)),
    );
    for item in edition.items() {
        texts.push((&item.title, 19.0));
        texts.push((&item.body, 16.0));
        texts.extend(item.kicker.as_ref().map(|k| (k, 14.0)));
    }
    for (text, size) in texts {
        let fits = (PHONE_TEXT_PX / (size * LETTER_EM)).floor() as usize;
        let value = text.get_ref();
        let mut offset = 0;
        for word in value.split_whitespace() {
            let at = offset + value[offset..].find(word).unwrap_or(0);
            offset = at + word.len();
            // A Markdown link's target is not shown.
            let shown = word.split("](").next().unwrap_or(word);
            let shown = shown.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
            let letters = shown.chars().count();
            // A browser may break at a hyphen, a soft hyphen (U+00AD, which `check` advises),
            // a zero-width space or `<wbr>`: what matters is the longest piece between them.
            let longest = shown
                .split(['-', '\u{ad}', '\u{200b}'])
                .flat_map(|piece| piece.split("<wbr>"))
                .map(|piece| piece.chars().count())
                .max()
                .unwrap_or(0);
            if longest <= fits {
                continue;
            }
            let message = if shown.contains("://") || shown.starts_with("www.") {
                format!(
                    "a URL written out ({letters} characters) is shown cut short as a link; link text says what it is: [what it is]({shown})"
                )
            } else {
                format!(
                    "the word `{shown}` ({letters} letters) is wider than a phone screen at this size and will be broken mid-word; a hyphen where it may break reads better"
                )
            };
            let at = inner_location(&edition.file, text, at..at + word.len());
            out.push(Finding::warning("word-too-long", message).at(at));
        }
    }
}
