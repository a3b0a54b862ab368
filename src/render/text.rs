//! The edition as plain text, from the same model as the HTML (never converted from it).
//!
//! Paragraphs are wrapped at 72 columns, only at spaces, so a URL is never broken; links
//! become numbered references listed after the item they appear in.

use textwrap::{Options, WordSeparator, WordSplitter};

use super::calendar;
use super::markdown::{self, Block, Inline};
use super::slots::Slot;
use super::strings::strings;
use crate::edition::event::Event;
use crate::edition::{Edition, Item};

/// Line width of the plaintext body.
pub const WIDTH: usize = 72;

#[derive(Default)]
struct Writer {
    out: String,
    /// Links referenced since the last flush, numbered from `next`.
    pending: Vec<(usize, String)>,
    next: usize,
    /// Items written so far: the next item's number in reading order.
    items: usize,
}

/// Renders the plaintext body, with slots for personal values.
pub fn render(edition: &Edition) -> String {
    let mut w = Writer {
        next: 1,
        ..Writer::default()
    };
    let content = &edition.content;
    let newsletter = &edition.newsletter;
    w.heading(content.title.get_ref(), '=');
    w.wrap(newsletter.description.get_ref(), "", "");
    if newsletter.greeting.is_some() {
        w.line(&Slot::Greeting.marker());
        w.blank();
    }
    if let Some(intro) = &content.intro {
        w.item(edition, intro, 2);
    }
    for section in &content.sections {
        if let Some(title) = &section.title {
            w.heading(&title.get_ref().to_uppercase(), '=');
        }
        if let Some(intro) = &section.intro {
            w.markdown(intro.get_ref());
        }
        let level = if section.title.is_some() { 3 } else { 2 };
        for item in &section.items {
            w.item(edition, item, level);
        }
    }
    if let Some(sign_off) = &content.sign_off {
        w.markdown(sign_off.get_ref());
    }
    w.footer(edition);
    w.out.truncate(w.out.trim_end().len());
    w.out.push('\n');
    w.out
}

impl Writer {
    fn item(&mut self, edition: &Edition, item: &Item, level: u8) {
        let n = self.items;
        self.items += 1;
        if let Some(kicker) = &item.kicker {
            self.line(kicker.get_ref());
        }
        match level {
            2 => self.heading(item.title.get_ref(), '-'),
            _ => {
                self.wrap(&format!("» {}", item.title.get_ref()), "", "  ");
            }
        }
        if let Some(credit) = item.image.as_ref().and_then(|i| i.credit.as_ref()) {
            self.wrap(&format!("({})", credit.get_ref()), "", "");
        }
        self.blocks(&markdown::parse(item.body.get_ref()).blocks);
        if let Some(event) = &item.event {
            self.event(edition, event, n);
        }
        for link in item.all_links() {
            let mark = if link.button { "» " } else { "" };
            let text = format!(
                "{mark}{} {}",
                link.text.get_ref(),
                self.reference(link.url.get_ref().as_str())
            );
            self.wrap(&text, "", "");
        }
        self.flush_references();
    }

    /// When and where, and the calendar file's address.
    fn event(&mut self, edition: &Edition, event: &Event, n: usize) {
        let words = strings(edition.newsletter.language);
        let when = calendar::when_text(event, edition, words);
        let lines = [
            when.as_ref().map(|w| format!("{}: {w}", words.when)),
            event.place_line().map(|p| format!("{}: {p}", words.place)),
        ];
        for line in lines.iter().flatten() {
            self.out.push_str(&fill(line, "", "  "));
        }
        if when.is_some() {
            let url = format!("{}{}", edition.web_url(), calendar::file_name(n));
            let reference = self.reference(&url);
            self.line(&format!("{} {reference}", words.add_to_calendar));
        }
        self.blank();
    }

    /// A Markdown text of its own (a section's intro, the sign-off), with its links' list.
    fn markdown(&mut self, source: &str) {
        self.blocks(&markdown::parse(source).blocks);
        self.flush_references();
    }

    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            match block {
                Block::Paragraph(inlines) => {
                    let text = self.inlines(inlines);
                    self.wrap(&text, "", "");
                }
                Block::List { ordered, items } => self.list(*ordered, items),
                Block::Table { head, rows } => self.table(head, rows),
                Block::Quote(paragraphs) => {
                    for p in paragraphs {
                        let text = self.inlines(p);
                        match markdown::is_attribution(p) {
                            true => self.wrap(&text, "  ", "  "),
                            false => self.wrap(&text, "> ", "> "),
                        }
                    }
                }
            }
        }
    }

    fn list(&mut self, ordered: bool, items: &[Vec<Inline>]) {
        for (i, item) in items.iter().enumerate() {
            let marker = if ordered {
                format!("{}. ", i + 1)
            } else {
                "- ".to_owned()
            };
            let text = self.inlines(item);
            let indent = " ".repeat(marker.chars().count());
            self.out.push_str(&fill(&text, &marker, &indent));
        }
        self.blank();
    }

    /// A table as columns when it fits the width, else each row as `Header: cell` lines, rows
    /// apart by a blank line: readable in any mail client and by a screen reader.
    fn table(&mut self, head: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) {
        let head: Vec<String> = head.iter().map(|c| self.inlines(c)).collect();
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| self.inlines(c)).collect())
            .collect();
        let width = |s: &str| textwrap::core::display_width(s);
        let mut widths: Vec<usize> = head.iter().map(|h| width(h)).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        let one_line = |cells: &[String]| !cells.iter().any(|c| c.contains('\n'));
        if total <= WIDTH && one_line(&head) && rows.iter().all(|r| one_line(r)) {
            let line = |cells: &[String]| {
                let padded: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(width(c)))))
                    .collect();
                padded.join("  ").trim_end().to_owned()
            };
            self.line(&line(&head));
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            self.line(&rule.join("  "));
            for row in &rows {
                self.line(&line(row));
            }
            self.blank();
            return;
        }
        for row in &rows {
            for (label, cell) in head.iter().zip(row).filter(|(_, c)| !c.is_empty()) {
                self.out
                    .push_str(&fill(&format!("{label}: {cell}"), "", "  "));
            }
            self.blank();
        }
    }

    fn inlines(&mut self, inlines: &[Inline]) -> String {
        let mut out = String::new();
        for inline in inlines {
            match inline {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Emphasis(c) | Inline::Strong(c) => out.push_str(&self.inlines(c)),
                Inline::Link { url, children, .. } => {
                    let text = self.inlines(children);
                    if text == *url || format!("mailto:{text}") == *url {
                        out.push_str(&text);
                    } else {
                        out.push_str(&format!("{text} {}", self.reference(url)));
                    }
                }
                Inline::Break => out.push('\n'),
            }
        }
        out
    }

    fn reference(&mut self, url: &str) -> String {
        let n = self.next;
        self.next += 1;
        self.pending.push((n, url.to_owned()));
        format!("[{n}]")
    }

    fn flush_references(&mut self) {
        for (n, url) in std::mem::take(&mut self.pending) {
            self.line(&format!("[{n}] {url}"));
        }
        if !self.out.ends_with("\n\n") {
            self.blank();
        }
    }

    fn footer(&mut self, edition: &Edition) {
        let words = strings(edition.newsletter.language);
        let footer = &edition.newsletter.footer;
        self.line(&"-".repeat(WIDTH));
        self.blank();
        let why = self.inlines_of(footer.why.get_ref());
        self.wrap(&why, "", "");
        self.line(&format!("{}:", words.unsubscribe));
        self.line(&Slot::Unsubscribe.marker());
        self.blank();
        if edition.newsletter.manage.is_some() {
            self.line(&format!("{}:", words.manage));
            self.line(&Slot::Manage.marker());
            self.blank();
        }
        self.line(&format!("{}:", words.web_version));
        self.line(&edition.web_url());
        self.blank();
        self.wrap(footer.organisation.get_ref(), "", "");
        if let Some(contact) = &footer.contact {
            let contact = self.inlines_of(contact.get_ref());
            self.wrap(&contact, "", "");
        }
        self.flush_references();
    }

    fn inlines_of(&mut self, source: &str) -> String {
        let body = markdown::parse(source);
        let parts: Vec<String> = body
            .blocks
            .iter()
            .map(|b| {
                b.parts()
                    .iter()
                    .map(|i| self.inlines(i))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        parts.join("\n")
    }

    fn heading(&mut self, text: &str, underline: char) {
        let wrapped = fill(text, "", "");
        let width = wrapped
            .lines()
            .map(textwrap::core::display_width)
            .max()
            .unwrap_or(0);
        self.out.push_str(&wrapped);
        self.line(&underline.to_string().repeat(width));
        self.blank();
    }

    /// A paragraph, wrapped, then a blank line.
    fn wrap(&mut self, text: &str, first: &str, rest: &str) {
        self.out.push_str(&fill(text, first, rest));
        self.blank();
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }
}

/// Wraps at [`WIDTH`] columns, breaking only at ASCII spaces and never inside a word or URL.
fn fill(text: &str, first: &str, rest: &str) -> String {
    let options = Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(WordSeparator::AsciiSpace)
        .word_splitter(WordSplitter::NoHyphenation);
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        let indent = if i == 0 {
            options.clone()
        } else {
            options.clone().initial_indent(rest)
        };
        for wrapped in textwrap::wrap(line.trim(), indent) {
            out.push_str(wrapped.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_72_without_breaking_urls() {
        let url = format!("https://example.nl/{}", "a".repeat(90));
        let text = format!("{} {url} einde", "woord ".repeat(20));
        let out = fill(&text, "", "");
        assert!(out.lines().any(|l| l == url), "{out}");
        for line in out.lines().filter(|l| !l.contains("https://")) {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }

    #[test]
    fn list_items_hang_under_their_marker() {
        let out = fill(&"lang ".repeat(20), "- ", "  ");
        let lines: Vec<_> = out.lines().collect();
        assert!(lines[0].starts_with("- lang") && lines[1].starts_with("  lang"));
    }

    #[test]
    fn a_table_too_wide_for_columns_becomes_labelled_lines_per_row() {
        let mut w = Writer::default();
        let body = markdown::parse(&format!(
            "| Wat | Toelichting |\n|---|---|\n| Receptie | {} |\n| Lezing | |\n",
            "een lange uitleg ".repeat(5)
        ));
        w.blocks(&body.blocks);
        let expected = "Wat: Receptie\nToelichting: een lange uitleg een lange uitleg een lange uitleg een\n  lange uitleg een lange uitleg\n\nWat: Lezing\n\n";
        assert_eq!(w.out, expected);
    }
}
