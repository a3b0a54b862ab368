//! The texts of an edition that the rules read, each with the file it is in, and where a
//! place inside a text is in that file.

use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use crate::diagnostic::{Location, SourceFile};
use crate::edition::{Edition, Text};

/// Every free text of both files, with the file it is in.
pub(super) fn texts(edition: &Edition) -> Vec<(&Arc<SourceFile>, &Text)> {
    let n = &edition.newsletter;
    let c = &edition.content;
    let mut settings: Vec<&Text> = vec![&n.description, &n.footer.organisation, &n.footer.why];
    settings.extend(n.footer.contact.as_ref());
    settings.extend(n.greeting.iter().flat_map(|g| [&g.text, &g.fallback]));
    settings.extend(n.theme.logo.iter().map(|l| &l.alt));
    let mut content: Vec<&Text> = vec![&c.title];
    content.extend(c.preheader.as_ref());
    content.extend(c.sections.iter().filter_map(|s| s.title.as_ref()));
    for item in edition.items() {
        content.extend(item.kicker.as_ref());
        content.extend([&item.title, &item.body]);
        content.extend(item.all_links().map(|l| &l.text));
        if let Some(image) = &item.image {
            content.extend(image.alt.iter().chain(image.credit.iter()));
        }
    }
    let settings = settings.into_iter().map(|t| (&edition.newsletter_file, t));
    settings
        .chain(content.into_iter().map(|t| (&edition.file, t)))
        .collect()
}

/// The texts that go into headers (the subject, the sender's name): checked like the others.
pub(super) fn header_texts(edition: &Edition) -> Vec<(&Arc<SourceFile>, Text)> {
    let as_text = |value: &Spanned<crate::edition::value::HeaderText>| {
        Spanned::new(value.span(), value.get_ref().to_string())
    };
    let n = &edition.newsletter;
    let mut out = vec![
        (&edition.file, as_text(&edition.content.subject)),
        (&edition.newsletter_file, as_text(&n.name)),
        (&edition.newsletter_file, as_text(&n.from.name)),
    ];
    out.extend(
        n.reply_to
            .iter()
            .map(|r| (&edition.newsletter_file, as_text(&r.name))),
    );
    out
}

/// Whether `text` is one of the Markdown texts: an item's body, the footer's `why` and
/// `contact`. Every other text is plain.
pub(super) fn is_markdown(edition: &Edition, text: &Text) -> bool {
    let footer = &edition.newsletter.footer;
    std::iter::once(&footer.why)
        .chain(footer.contact.as_ref())
        .chain(edition.items().map(|item| &item.body))
        .any(|markdown| std::ptr::eq(markdown, text))
}

/// The location of `inner` (a byte range of the value) in the file, exact when the value is
/// written without escapes, else the start of the value.
pub(super) fn inner_location(file: &Arc<SourceFile>, text: &Text, inner: Range<usize>) -> Location {
    let span = text.span();
    let raw = file.text.get(span.clone()).unwrap_or("");
    let value = text.get_ref();
    let mut start = ["\"\"\"", "'''", "\"", "'"]
        .iter()
        .find(|d| raw.starts_with(*d))
        .map_or(0, |d| d.len());
    if raw[start..].starts_with("\r\n") && start == 3 {
        start += 2;
    } else if raw[start..].starts_with('\n') && start == 3 {
        start += 1;
    }
    if raw.get(start..start + value.len()) == Some(value.as_str()) {
        let at = span.start + start;
        Location::new(file, at + inner.start..at + inner.end)
    } else {
        Location::new(file, span)
    }
}
