//! The rules that keep an edition from looking like spam, to filters and to readers: shouting
//! in capitals, exclamation marks, trigger phrases, link shorteners, pictures with little text,
//! and `alt` texts that say nothing.

use std::sync::Arc;

use super::texts::inner_location;
use super::words::{GENERIC_ALTS, SHORTENERS, SPAM_PHRASES};
use crate::diagnostic::{Finding, Location, SourceFile};
use crate::edition::Edition;
use crate::edition::Text;
use crate::edition::value::LinkUrl;

/// This many words in capitals in a row read as shouting (acronyms rarely come three at once).
const CAPS_RUN: usize = 3;
/// Fewer words of text than this per picture: filters score mail that is mostly pictures (a
/// picture and a line of text is the classic form) as spam.
const WORDS_PER_IMAGE: usize = 15;

/// A text as compared against the word lists: lower case, words separated by single spaces,
/// punctuation other than `%` and `-` taken off, with a space at each end.
pub(super) fn normalized(text: &str) -> String {
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '%' || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// `spam-all-caps` and `spam-exclamation` in one text.
pub(super) fn shouting(file: &Arc<SourceFile>, text: &Text, out: &mut Vec<Finding>) {
    let value = text.get_ref();
    if let Some(run) = caps_run(value) {
        let message = format!(
            "`{}` is written in capitals: it reads as shouting, and spam filters score it; \
             write it in ordinary case",
            &value[run.clone()]
        );
        out.push(Finding::warning("spam-all-caps", message).at(inner_location(file, text, run)));
    }
    let marks = value.matches('!').count();
    if let Some(at) = value
        .find("!!")
        .or((marks > 2).then(|| value.find('!')).flatten())
    {
        let message = "several exclamation marks: they read as pressure, and spam filters \
                       score them; one is enough, or none";
        let at = inner_location(file, text, at..at + 1);
        out.push(Finding::warning("spam-exclamation", message).at(at));
    }
}

/// The byte range of the first run of [`CAPS_RUN`] words in capitals, each of two letters or
/// more.
fn caps_run(text: &str) -> Option<std::ops::Range<usize>> {
    let mut run: Vec<std::ops::Range<usize>> = Vec::new();
    let mut offset = 0;
    for word in text.split_whitespace() {
        let at = offset + text[offset..].find(word).unwrap_or(0);
        offset = at + word.len();
        let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
        let shouting = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
        if !shouting {
            run.clear();
            continue;
        }
        run.push(at..offset);
        if run.len() >= CAPS_RUN {
            return Some(run[0].start..offset);
        }
    }
    None
}

/// `spam-suspicious-phrases`: two or more different trigger phrases in the edition's texts.
pub(super) fn phrases(texts: &[(&Arc<SourceFile>, &Text)], out: &mut Vec<Finding>) {
    let mut found: Vec<&str> = Vec::new();
    let mut first: Option<Location> = None;
    for (file, text) in texts {
        let words = normalized(text.get_ref());
        for phrase in SPAM_PHRASES {
            if !found.contains(phrase) && words.contains(&format!(" {phrase} ")) {
                found.push(phrase);
                first.get_or_insert_with(|| Location::new(file, text.span()));
            }
        }
    }
    if found.len() >= 2 {
        let message = format!(
            "words spam filters score: {}; say what the edition offers in plain words",
            found
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out.push(Finding::warning("spam-suspicious-phrases", message).at_opt(first));
    }
}

/// `bad-shortlink`: a link through a shortener.
pub(super) fn shortener(url: &LinkUrl, at: Location, out: &mut Vec<Finding>) {
    let host = url
        .as_str()
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#', ':']).next())
        .unwrap_or("")
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if SHORTENERS.contains(&host) {
        let message = format!(
            "`{host}` is a link shortener: readers cannot see where the link goes, and spam \
             filters distrust shortened links; link to the page itself"
        );
        out.push(Finding::warning("bad-shortlink", message).at(at));
    }
}

/// `generic-alt`: an `alt` text that names the kind of thing, a file, or a single character.
pub(super) fn generic_alt(alt: &str) -> bool {
    let words = normalized(alt);
    let words = words.trim();
    let lower = alt.trim().to_lowercase();
    let file_name = [".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || lower.starts_with("img_")
        || lower.starts_with("dsc_");
    GENERIC_ALTS.contains(&words) || alt.trim().chars().count() == 1 || file_name
}

/// `spam-image-heavy`: few words of text for the number of pictures.
pub(super) fn image_heavy(edition: &Edition, out: &mut Vec<Finding>) {
    let images = edition.items().filter(|i| i.image.is_some()).count();
    if images == 0 {
        return;
    }
    let words: usize = edition
        .items()
        .map(|i| {
            i.title.get_ref().split_whitespace().count()
                + i.body.get_ref().split_whitespace().count()
        })
        .sum();
    if words < images * WORDS_PER_IMAGE {
        let message = format!(
            "{images} pictures and {words} words of text: spam filters score mail that is \
             mostly pictures, and readers with pictures off see little; write at least \
             {WORDS_PER_IMAGE} words per picture"
        );
        let at = edition.at(&edition.content.title);
        out.push(Finding::warning("spam-image-heavy", message).at(at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_words_in_capitals_shout_and_acronyms_do_not() {
        assert_eq!(caps_run("GRATIS!!! KLIK NU!!!"), Some(0..20));
        assert_eq!(caps_run("Het NCSC en de AIVD over ICT"), None);
        assert_eq!(caps_run("FREE, WINNER, URGENT offer"), Some(0..20));
        assert_eq!(
            caps_run("A B C"),
            None,
            "single letters are not words in capitals"
        );
    }

    #[test]
    fn phrases_match_whole_words_in_any_case_and_punctuation() {
        let text = normalized("GRATIS!!! Klik nu, 100% gratis.");
        assert_eq!(text, " gratis klik nu 100% gratis ");
        assert!(text.contains(" klik nu "));
        assert!(!normalized("freedom").contains(" free "));
    }

    #[test]
    fn generic_alts_files_and_single_characters() {
        for alt in ["foto", "Foto.", "x", "IMG_1234.JPG", "afbeelding", "Image"] {
            assert!(generic_alt(alt), "{alt}");
        }
        for alt in ["Twee medewerkers bij een serverkast", "Logo van WeerbaarNL"] {
            assert!(!generic_alt(alt), "{alt}");
        }
    }
}
