//! What `check` looks for in an edition that loaded: problems a reader, a screen reader or an
//! inbox provider would meet. Each finding points at the value it is about.

use crate::diagnostic::{Finding, Location};
use crate::edition::Edition;
use crate::render::Rendered;

pub use content::{
    GMAIL_CLIP_BYTES, GMAIL_WARN_BYTES, IMAGE_WARN_BYTES, MIN_CONTRAST, SUBJECT_WARN_CHARS,
};

mod content;
mod settings;
mod spam;
mod texts;
mod words;
mod writing;

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
    ("event-invalid", false),
    ("event-past", true),
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
    ("message-too-large", false),
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
/// Every finding for a loaded and rendered edition, in file order.
pub fn lint(edition: &Edition, rendered: &Rendered) -> Vec<Finding> {
    let mut findings = Vec::new();
    content::subject(edition, &mut findings);
    settings::check(edition, &mut findings);
    let headers = texts::header_texts(edition);
    let header_refs = headers.iter().map(|(file, text)| (*file, text));
    let mut content = texts::texts(edition);
    for (file, text) in content.iter().copied().chain(header_refs.clone()) {
        writing::characters(file, text, &mut findings);
        if !texts::is_markdown(edition, text) {
            writing::markdown_in_plain_text(file, text, &mut findings);
        }
    }
    // What readers read: the texts and the subject (the first header text).
    content.extend(header_refs.take(1));
    for &(file, text) in &content {
        spam::shouting(file, text, &mut findings);
    }
    spam::phrases(&content, &mut findings);
    spam::image_heavy(edition, &mut findings);
    content::items(edition, &mut findings);
    writing::long_words(edition, &mut findings);
    content::images(edition, rendered, &mut findings);
    content::contrast(edition, &mut findings);
    content::size(rendered, &mut findings);
    content::message_size(edition, rendered, &mut findings);
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

#[cfg(test)]
mod tests {
    use super::RULES;

    /// The ids the rules' code reports, read from the source: `RULES` must list each.
    #[test]
    fn every_rule_in_the_code_is_listed_and_every_listed_rule_is_in_the_code() {
        // The code without its tests, and without the list itself.
        let code = |file: &'static str| file.split("#[cfg(test)]\nmod tests").next().unwrap();
        let whole = [
            code(include_str!("mod.rs")),
            code(include_str!("content.rs")),
            code(include_str!("settings.rs")),
            code(include_str!("spam.rs")),
            code(include_str!("writing.rs")),
        ]
        .concat();
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
