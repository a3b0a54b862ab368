//! What `check` looks for in an edition that loaded: problems a reader, a screen reader or an
//! inbox provider would meet. Each finding points at the value it is about.

use std::ops::Range;
use std::sync::LazyLock;

use lettre::message::SinglePart;
use toml::Spanned;

use crate::diagnostic::{Finding, Location, SourceFile};
use crate::edition::value::{Color, LinkUrl};
use crate::edition::{Edition, Text};
use crate::render::markdown::{self, ProblemKind};
use crate::render::{Personal, Rendered, Slot};

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

mod spam;
mod words;

use words::GENERIC_LINK_TEXTS;

/// Every rule of `check` by id, and whether it reports warnings, which `[check] allow` can
/// silence. Rules that report only errors cannot be allowed: the message would be broken,
/// unreadable to some, or not allowed to be sent.
pub const RULES: &[(&str, bool)] = &[
    ("alt-empty", true),
    ("alt-is-credit", false),
    ("alt-missing", false),
    ("bad-shortlink", true),
    ("contrast", false),
    ("dkim-missing", true),
    ("dkim-not-aligned", false),
    ("generic-alt", true),
    ("gmail-clipping", true),
    ("greeting-no-name", true),
    ("image-large", true),
    ("image-unusable", false),
    ("invisible-character", false),
    ("link-invalid", false),
    ("link-not-https", true),
    ("link-text-empty", false),
    ("link-text-generic", true),
    ("markdown-heading", false),
    ("markdown-image", false),
    ("markdown-in-plain-text", true),
    ("markdown-unsupported", true),
    ("no-items", false),
    ("preheader-missing", true),
    ("raw-html", false),
    ("spam-all-caps", true),
    ("spam-exclamation", true),
    ("spam-image-heavy", true),
    ("spam-suspicious-phrases", true),
    ("subject-empty", false),
    ("subject-long", true),
    ("unsubscribe-missing", false),
    ("unsubscribe-no-token", true),
    ("word-too-long", true),
];

/// The rules `[check] allow` names in the settings and the edition; an error for a name that
/// is no rule, or one that cannot be allowed.
fn allowed(edition: &Edition, out: &mut Vec<Finding>) -> Vec<String> {
    let lists = [
        (&edition.newsletter_file, &edition.newsletter.check.allow),
        (&edition.file, &edition.content.check.allow),
    ];
    let mut allowed = Vec::new();
    for (file, list) in lists {
        for name in list {
            let at = Location::new(file, name.span());
            match RULES.iter().find(|(id, _)| id == name.get_ref()) {
                Some((id, true)) => allowed.push((*id).to_owned()),
                Some((id, false)) => {
                    let message = format!(
                        "`{id}` reports errors, which cannot be allowed: fix what it finds"
                    );
                    out.push(Finding::error("check-allow", message).at(at));
                }
                None => {
                    let known: Vec<&str> = RULES
                        .iter()
                        .filter(|(_, a)| *a)
                        .map(|(id, _)| *id)
                        .collect();
                    let message = format!(
                        "no rule `{}`; the rules that can be allowed are: {}",
                        name.get_ref(),
                        known.join(", ")
                    );
                    out.push(Finding::error("check-allow", message).at(at));
                }
            }
        }
    }
    allowed
}

/// Every finding for a loaded and rendered edition, in file order.
pub fn lint(edition: &Edition, rendered: &Rendered) -> Vec<Finding> {
    let mut findings = Vec::new();
    subject(edition, &mut findings);
    unsubscribe(edition, &mut findings);
    let headers = header_texts(edition);
    let header_refs = headers.iter().map(|(file, text)| (*file, text));
    let mut content = texts(edition);
    for (file, text) in content.iter().copied().chain(header_refs.clone()) {
        characters(file, text, &mut findings);
        if !is_markdown(edition, text) {
            markdown_in_plain_text(file, text, &mut findings);
        }
    }
    // What readers read: the texts and the subject (the first header text).
    content.extend(header_refs.take(1));
    for &(file, text) in &content {
        spam::shouting(file, text, &mut findings);
    }
    spam::phrases(&content, &mut findings);
    spam::image_heavy(edition, &mut findings);
    items(edition, &mut findings);
    long_words(edition, &mut findings);
    images(edition, rendered, &mut findings);
    contrast(edition, &mut findings);
    size(rendered, &mut findings);
    let allowed = allowed(edition, &mut findings);
    findings.retain(|f| f.is_error() || !allowed.iter().any(|id| id == f.code));
    for finding in &mut findings {
        finding.rule = true;
    }
    findings.sort_by_key(|f| {
        f.location.as_ref().map(|l| {
            (
                !std::sync::Arc::ptr_eq(&l.file, &edition.file),
                l.span.start,
            )
        })
    });
    findings
}

fn subject(edition: &Edition, out: &mut Vec<Finding>) {
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

fn unsubscribe(edition: &Edition, out: &mut Vec<Finding>) {
    let newsletter = &edition.newsletter;
    let unsubscribe = &newsletter.unsubscribe;
    if unsubscribe.url.is_none() && unsubscribe.mailto.is_none() {
        let message = "no unsubscribe configured: set `unsubscribe.url` and/or `unsubscribe.mailto` in newsletter.toml";
        let at = Location::new(&edition.newsletter_file, 0..0);
        out.push(Finding::error("unsubscribe-missing", message).at(at));
    }
    if let Some(url) = &unsubscribe.url
        && url.has_email()
        && !url.has_token()
    {
        let message = "the unsubscribe URL shows the address: anyone could unsubscribe anyone, and spam filters flag addresses in links; use `{token}`";
        out.push(
            Finding::warning("unsubscribe-no-token", message)
                .at(Location::new(&edition.newsletter_file, 0..0)),
        );
    }
    if !newsletter.web_base_url.get_ref().is_https() {
        let message = "`web-base-url` does not use https";
        out.push(
            Finding::warning("link-not-https", message)
                .at(edition.at_settings(&newsletter.web_base_url)),
        );
    }
    match &newsletter.dkim {
        None => {
            let message = "DKIM is not configured: Gmail, Yahoo and Microsoft junk or refuse bulk mail without it; add `[dkim]` to newsletter.toml";
            let at = Location::new(&edition.newsletter_file, 0..0);
            out.push(Finding::warning("dkim-missing", message).at(at));
        }
        Some(dkim) => {
            use crate::edition::value::{Misaligned, aligned};
            let from = newsletter.from.email.get_ref().domain();
            let signing = dkim.domain.get_ref().as_str();
            let why = match aligned(from, signing, dkim.alignment) {
                Ok(()) => None,
                Err(Misaligned::PublicSuffix) => Some(format!(
                    "the DKIM domain `{signing}` is a public suffix, which no one can sign for: \
                     DMARC fails; use the From domain `{from}` or your own domain above it"
                )),
                Err(Misaligned::Organization {
                    from: from_org,
                    signing: signing_org,
                }) => Some(format!(
                    "the DKIM domain `{signing}` (organization `{signing_org}`) does not align \
                     with the From domain `{from}` (organization `{from_org}`): DMARC fails; \
                     sign with `{from}` or a domain under `{from_org}`"
                )),
                Err(Misaligned::NotIdentical) => Some(format!(
                    "with `alignment = \"strict\"` the DKIM domain `{signing}` must be the From \
                     domain `{from}`: DMARC fails"
                )),
            };
            if let Some(message) = why {
                out.push(
                    Finding::error("dkim-not-aligned", message)
                        .at(edition.at_settings(&dkim.domain)),
                );
            }
        }
    }
    if let Some(greeting) = &newsletter.greeting
        && !greeting.text.get_ref().contains("{name}")
    {
        let message = "the greeting has no `{name}` placeholder";
        let at = edition.at_settings(&greeting.text);
        out.push(Finding::warning("greeting-no-name", message).at(at));
    }
}

/// Every free text of both files, with the file it is in.
fn texts(edition: &Edition) -> Vec<(&std::sync::Arc<SourceFile>, &Text)> {
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
        content.extend(item.link.as_ref().map(|l| &l.text));
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
fn header_texts(edition: &Edition) -> Vec<(&std::sync::Arc<SourceFile>, Text)> {
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
fn is_markdown(edition: &Edition, text: &Text) -> bool {
    let footer = &edition.newsletter.footer;
    std::iter::once(&footer.why)
        .chain(footer.contact.as_ref())
        .chain(edition.items().map(|item| &item.body))
        .any(|markdown| std::ptr::eq(markdown, text))
}

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
fn markdown_in_plain_text(file: &std::sync::Arc<SourceFile>, text: &Text, out: &mut Vec<Finding>) {
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
fn characters(file: &std::sync::Arc<SourceFile>, text: &Text, out: &mut Vec<Finding>) {
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
const PHONE_TEXT_PX: f64 = 343.0;
const LETTER_EM: f64 = 0.62;

/// Words too long for a phone's width at their size: the email breaks them mid-word rather
/// than overflow, but a reader sees `arbeidsongeschiktheidsverze-` / `kering`. A URL written
/// out in a text is broken the same way; link text reads better.
fn long_words(edition: &Edition, out: &mut Vec<Finding>) {
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
            if letters <= fits {
                continue;
            }
            let message = if shown.contains("://") || shown.starts_with("www.") {
                format!(
                    "a URL written out ({letters} characters) is broken over lines on a phone; write link text instead: [what it is]({shown})"
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

fn items(edition: &Edition, out: &mut Vec<Finding>) {
    if edition.items().next().is_none() {
        let message = "the edition has no items: add an `[intro]`, or a `[[section]]` with a `[[section.item]]`";
        out.push(Finding::error("no-items", message).at(edition.at(&edition.content.title)));
    }
    for item in edition.items() {
        let body = markdown::parse(item.body.get_ref());
        for problem in &body.problems {
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
                    "headings in a body break the heading order; use an item or a section"
                        .to_owned(),
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
            out.push(finding.at(at));
        }
        for found in markdown::links(&body.blocks) {
            let (url, text) = link_spans(item.body.get_ref(), &found);
            let at = |range| inner_location(&edition.file, &item.body, range);
            link(&found.url, &found.text, at(url), at(text), out);
        }
        if let Some(l) = &item.link {
            link_text(l.text.get_ref(), edition.at(&l.text), out);
            link_scheme(l.url.get_ref(), edition.at(&l.url), out);
        }
        if let Some(image) = &item.image {
            alt(edition, image, out);
        }
    }
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

fn images(edition: &Edition, rendered: &Rendered, out: &mut Vec<Finding>) {
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

fn contrast(edition: &Edition, out: &mut Vec<Finding>) {
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

fn size(rendered: &Rendered, out: &mut Vec<Finding>) {
    let sample = Personal {
        greeting: "x".repeat(40),
        unsubscribe: "x".repeat(200),
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

/// The location of `inner` (a byte range of the value) in the file, exact when the value is
/// written without escapes, else the start of the value.
fn inner_location(file: &std::sync::Arc<SourceFile>, text: &Text, inner: Range<usize>) -> Location {
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

#[cfg(test)]
mod tests {
    use super::RULES;

    /// The ids the rules' code reports, read from the source: `RULES` must list each.
    #[test]
    fn every_rule_in_the_code_is_listed_and_every_listed_rule_is_in_the_code() {
        // The code without its tests, and without the list itself.
        let code = |file: &'static str| file.split("#[cfg(test)]\nmod tests").next().unwrap();
        let whole = [code(include_str!("mod.rs")), code(include_str!("spam.rs"))].concat();
        let start = whole.find("pub const RULES").unwrap();
        let end = start + whole[start..].find("];").unwrap();
        let source = format!("{}{}", &whole[..start], &whole[end..]);
        let reported: Vec<&str> = source
            .split("Finding::")
            .skip(1)
            .filter_map(|rest| {
                let rest = rest
                    .strip_prefix("warning(\"")
                    .or_else(|| rest.strip_prefix("error(\""))?;
                rest.split('"').next()
            })
            .collect();
        assert!(reported.len() > 20, "{reported:?}");
        for id in reported.iter().filter(|id| **id != "check-allow") {
            assert!(RULES.iter().any(|(r, _)| r == id), "`{id}` is not in RULES");
        }
        for (id, _) in RULES {
            assert!(
                source.contains(&format!("\"{id}\"")),
                "`{id}` is reported nowhere"
            );
        }
    }
}
