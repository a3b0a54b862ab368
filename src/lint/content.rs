//! Rules on the content of an edition: its subject, items and links, images, colours and
//! size.

use std::ops::Range;

use lettre::message::SinglePart;

use super::spam;
use super::texts::inner_location;
use super::words::GENERIC_LINK_TEXTS;
use crate::diagnostic::{Finding, Location};
use crate::edition::event::{Event, EventTime};
use crate::edition::value::{Color, LinkUrl};
use crate::edition::{Edition, Item, Text};
use crate::render::markdown::{self, ProblemKind};
use crate::render::{Personal, Rendered, Slot};
use toml::Spanned;

/// Gmail cuts off a message whose HTML exceeds about 102 KB.
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;
/// Above this, warn: there is little room left before Gmail clips.
pub const GMAIL_WARN_BYTES: usize = 80 * 1024;
/// Images larger than this slow the mail down on phones.
pub const IMAGE_WARN_BYTES: usize = 200 * 1024;
/// The longest subject that most inboxes show whole.
pub const SUBJECT_WARN_CHARS: usize = 78;
/// WCAG 2.1 AA for body text.
pub const MIN_CONTRAST: f64 = 4.5;

pub(super) fn subject(edition: &Edition, out: &mut Vec<Finding>) {
    let content = &edition.content;
    let subject = content.subject.get_ref().as_str();
    let at = edition.at(&content.subject);
    if subject.trim().is_empty() {
        out.push(Finding::error("subject-empty", "the subject is empty").at(at));
    } else if subject.chars().count() > SUBJECT_WARN_CHARS {
        let message = format!(
            "the subject has {} characters; inboxes cut it off after about {SUBJECT_WARN_CHARS}",
            subject.chars().count()
        );
        out.push(Finding::warning("subject-long", message).at(at));
    }
    if content
        .preheader
        .as_ref()
        .is_none_or(|p| p.get_ref().trim().is_empty())
    {
        let message = "no `preheader`: inboxes will show the first words of the body instead";
        out.push(Finding::warning("preheader-missing", message).at(edition.at(&content.title)));
    }
}

pub(super) fn items(edition: &Edition, out: &mut Vec<Finding>) {
    if edition.items().next().is_none() {
        let message = "the edition has no items: add an `[intro]`, or a `[[section]]` with a `[[section.item]]`";
        out.push(Finding::error("no-items", message).at(edition.at(&edition.content.title)));
    }
    for item in edition.items() {
        let body = markdown::parse(item.body.get_ref());
        for problem in &body.problems {
            out.push(markdown_problem(edition, item, problem));
        }
        for found in markdown::links(&body.blocks) {
            let (url, text) = link_spans(item.body.get_ref(), &found);
            let at = |range| inner_location(&edition.file, &item.body, range);
            link(&found.url, &found.text, at(url), at(text), out);
        }
        for l in item.all_links() {
            link_text(l.text.get_ref(), edition.at(&l.text), out);
            link_scheme(l.url.get_ref(), edition.at(&l.url), out);
        }
        if let Some(image) = &item.image {
            alt(edition, image, out);
        }
        if let Some(event) = &item.event {
            self::event(edition, event, out);
        }
    }
}

/// An event's time must exist and its end follow its start; an event before the edition's
/// date is most likely a date copied from last month.
fn event(edition: &Edition, event: &Event, out: &mut Vec<Finding>) {
    let zone = &edition.newsletter.time_zone;
    match event.when(zone) {
        Err(e) => {
            // Point at the value at fault: the start when it is itself impossible.
            let start_wrong = match event.start.get_ref() {
                EventTime::At(at) => zone.instant(*at).is_err(),
                EventTime::Day(_) => false,
            };
            let at = match (&event.end, start_wrong) {
                (Some(end), false) => edition.at(end),
                _ => edition.at(&event.start),
            };
            out.push(
                Finding::error(
                    "event-invalid",
                    format!("this event cannot be put in a calendar: {e}"),
                )
                .at(at),
            );
        }
        Ok(_) => {
            let published = edition.content.date.get_ref().date;
            let start = event.start.get_ref().date();
            if published.is_some_and(|d| {
                (d.year, d.month, d.day)
                    > (
                        start.year().unsigned_abs(),
                        start.month().unsigned_abs(),
                        start.day().unsigned_abs(),
                    )
            }) {
                let message = format!(
                    "the event starts on {start}, before the edition's date: is the date right?"
                );
                out.push(Finding::warning("event-past", message).at(edition.at(&event.start)));
            }
        }
    }
}

/// The finding for a problem of an item's Markdown body.
fn markdown_problem(edition: &Edition, item: &Item, problem: &markdown::Problem) -> Finding {
    let (code, message) = match problem.kind {
        ProblemKind::RawHtml => {
            let tag = item
                .body
                .get_ref()
                .get(problem.range.clone())
                .unwrap_or("")
                .to_ascii_lowercase();
            let remedy = if tag.starts_with("<br") {
                "for a line break, end the line with a backslash, written `\\\\` inside `\"\"\"`"
            } else {
                "write the text without tags"
            };
            (
                "raw-html",
                format!("raw HTML in Markdown is not allowed; {remedy}"),
            )
        }
        ProblemKind::Image => (
            "markdown-image",
            "images in a body are not supported; use the item's `image`".to_owned(),
        ),
        ProblemKind::Heading => (
            "markdown-heading",
            "headings in a body break the heading order; use an item or a section".to_owned(),
        ),
        ProblemKind::Other(what) => (
            "markdown-unsupported",
            format!("{what} is not supported in a body and is shown as plain text"),
        ),
    };
    let at = inner_location(&edition.file, &item.body, problem.range.clone());
    let finding = match problem.kind {
        ProblemKind::Other(_) => Finding::warning(code, message),
        _ => Finding::error(code, message),
    };
    finding.at(at)
}

/// Where a body link's URL and its text are in the body: `[text](url)` gives both; any other
/// form of link (an autolink, a reference) is pointed at whole.
fn link_spans(source: &str, link: &markdown::BodyLink) -> (Range<usize>, Range<usize>) {
    let whole = link.range.clone();
    let Some(written) = source.get(whole.clone()) else {
        return (whole.clone(), whole);
    };
    let url = written.rfind(link.url.as_str()).map_or(whole.clone(), |i| {
        whole.start + i..whole.start + i + link.url.len()
    });
    let text = match (written.strip_prefix('['), written.rfind("](")) {
        (Some(_), Some(end)) => whole.start + 1..whole.start + end,
        _ => whole,
    };
    (url, text)
}

fn link(url: &str, text: &str, url_at: Location, text_at: Location, out: &mut Vec<Finding>) {
    match LinkUrl::try_from(url.to_owned()) {
        Ok(parsed) => link_scheme(&parsed, url_at, out),
        Err(e) => out.push(Finding::error("link-invalid", e.to_string()).at(url_at)),
    }
    link_text(text, text_at, out);
}

fn link_scheme(url: &LinkUrl, at: Location, out: &mut Vec<Finding>) {
    spam::shortener(url, at.clone(), out);
    if url.scheme() == "http" {
        let message = format!("link `{}` does not use https", url.as_str());
        out.push(Finding::warning("link-not-https", message).at(at));
    }
}

fn link_text(text: &str, at: Location, out: &mut Vec<Finding>) {
    // `Lees meer »`, `Klik hier!` and `lees meer` are the same text.
    let normalized = spam::normalized(text);
    let normalized = normalized.trim();
    if GENERIC_LINK_TEXTS.contains(&normalized) {
        let message = format!(
            "link text `{}` does not say where the link goes; screen readers list links out of context",
            text.trim()
        );
        out.push(Finding::warning("link-text-generic", message).at(at));
    } else if normalized.is_empty() {
        out.push(Finding::error("link-text-empty", "a link has no text").at(at));
    }
}

fn alt(edition: &Edition, image: &crate::edition::Image, out: &mut Vec<Finding>) {
    let Some(alt) = &image.alt else {
        let message = "image without `alt` text; describe what the picture shows (or `alt = \"\"` if it is decorative)";
        return out.push(Finding::error("alt-missing", message).at(edition.at(&image.src)));
    };
    let text = alt.get_ref().trim();
    if text.is_empty() {
        let message = "empty `alt` text: screen readers skip this image as decorative";
        out.push(Finding::warning("alt-empty", message).at(edition.at(alt)));
    } else if spam::generic_alt(text) {
        let message = format!(
            "`alt = \"{text}\"` says nothing about the picture; describe what it shows, as you \
             would to someone on the phone"
        );
        out.push(Finding::warning("generic-alt", message).at(edition.at(alt)));
    } else if image
        .credit
        .as_ref()
        .is_some_and(|c| c.get_ref().trim() == text)
    {
        let message = "the `alt` text repeats the credit; describe what the picture shows";
        out.push(Finding::error("alt-is-credit", message).at(edition.at(alt)));
    }
}

pub(super) fn images(edition: &Edition, rendered: &Rendered, out: &mut Vec<Finding>) {
    let mut sources: Vec<(&Text, Location)> = Vec::new();
    if let Some(logo) = &edition.newsletter.theme.logo {
        sources.push((&logo.src, edition.at_settings(&logo.src)));
    }
    sources.extend(
        edition
            .items()
            .filter_map(|i| i.image.as_ref())
            .map(|i| (&i.src, edition.at(&i.src))),
    );
    for (path, problem) in &rendered.assets.problems {
        let at = sources
            .iter()
            .find(|(src, _)| std::path::Path::new(src.get_ref()) == path);
        let message = match problem {
            crate::render::assets::AssetProblem::Missing(m)
            | crate::render::assets::AssetProblem::Unreadable(m)
            | crate::render::assets::AssetProblem::Refused(m) => m.clone(),
        };
        out.push(Finding::error("image-unusable", message).at_opt(at.map(|(_, l)| l.clone())));
    }
    for asset in rendered.assets.all() {
        if asset.bytes.len() > IMAGE_WARN_BYTES {
            let at = sources
                .iter()
                .find(|(src, _)| asset.path.ends_with(src.get_ref()))
                .map(|(_, l)| l.clone());
            let message = format!(
                "image `{}` is {} KB; keep images under {} KB so the mail loads quickly on phones",
                asset.name,
                asset.bytes.len() / 1024,
                IMAGE_WARN_BYTES / 1024
            );
            out.push(Finding::warning("image-large", message).at_opt(at));
        }
    }
}

pub(super) fn contrast(edition: &Edition, out: &mut Vec<Finding>) {
    let t = &edition.newsletter.theme;
    let d = &t.dark;
    type Pair<'a> = (&'a str, &'a Spanned<Color>, &'a Spanned<Color>);
    let pairs: [Pair; 12] = [
        ("text on background", &t.text, &t.background),
        ("link on background", &t.link, &t.background),
        ("muted on background", &t.muted, &t.background),
        ("muted on canvas", &t.muted, &t.canvas),
        ("link on canvas", &t.link, &t.canvas),
        ("on-brand on brand", &t.on_brand, &t.brand),
        ("dark text on dark background", &d.text, &d.background),
        ("dark link on dark background", &d.link, &d.background),
        ("dark muted on dark background", &d.muted, &d.background),
        ("dark muted on dark canvas", &d.muted, &d.canvas),
        ("dark link on dark canvas", &d.link, &d.canvas),
        ("dark on-brand on dark brand", &d.on_brand, &d.brand),
    ];
    for (name, fg, bg) in pairs {
        let ratio = fg.get_ref().contrast(*bg.get_ref());
        if ratio < MIN_CONTRAST {
            let message = format!(
                "contrast of {name} ({} on {}) is {ratio:.2}:1; at least {MIN_CONTRAST}:1 is needed",
                fg.get_ref(),
                bg.get_ref()
            );
            let spanned = if fg.span().is_empty() { bg } else { fg };
            out.push(Finding::error("contrast", message).at(edition.at_settings(spanned)));
        }
    }
}

/// How large one message of the edition will be, about: its HTML and plaintext, and its
/// images in base64 (4 bytes for 3, and a line end every 76), with room for the headers.
fn message_bytes(rendered: &Rendered, html: usize) -> u64 {
    let text = rendered.text.fill(&Personal::default()).len();
    let images: usize = rendered
        .assets
        .all()
        .map(|a| a.bytes.len().div_ceil(3) * 4 * 78 / 76)
        .sum();
    (html + text + images + 8 * 1024) as u64
}

pub(super) fn message_size(edition: &Edition, rendered: &Rendered, out: &mut Vec<Finding>) {
    let limit = edition.newsletter.sending.max_message_size;
    let html = rendered.html.fill(&Personal::default()).len();
    let estimate = crate::edition::value::Size(message_bytes(rendered, html));
    if estimate.0 <= limit.0 {
        return;
    }
    let largest = rendered.assets.all().max_by_key(|a| a.bytes.len());
    let advice = largest.map_or_else(String::new, |a| {
        format!(
            " (the largest, `{}`, is {} KB)",
            a.name,
            a.bytes.len() / 1000
        )
    });
    let message = format!(
        "each message will be about {estimate}, more than `[sending] max-message-size` \
         ({limit}): Gmail, Outlook.com and Yahoo refuse messages over 25 MB, and many servers \
         take less; make the images smaller{advice}"
    );
    out.push(Finding::error("message-too-large", message));
}

pub(super) fn size(rendered: &Rendered, out: &mut Vec<Finding>) {
    let sample = Personal {
        greeting: "x".repeat(40),
        unsubscribe: "x".repeat(200),
        manage: "x".repeat(200),
    };
    let encoded = SinglePart::html(rendered.html.fill(&sample))
        .formatted()
        .len();
    let kb = encoded / 1024;
    if encoded >= GMAIL_CLIP_BYTES {
        let message = format!(
            "the encoded HTML is {kb} KB; Gmail clips messages at 102 KB and hides the rest, the unsubscribe link included"
        );
        out.push(Finding::error("gmail-clipping", message));
    } else if encoded >= GMAIL_WARN_BYTES {
        let message = format!("the encoded HTML is {kb} KB; Gmail clips at 102 KB");
        out.push(Finding::warning("gmail-clipping", message));
    }
    debug_assert!(rendered.html.has_slot(Slot::Unsubscribe));
}
