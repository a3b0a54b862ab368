//! Events: the when-and-where lines in the reader's language, and one iCalendar file (RFC 5545)
//! per event, published beside the web version and linked from the email.

use jiff::civil::{Date, DateTime};

use super::strings::Strings;
use crate::edition::event::{Event, When};
use crate::edition::{Edition, Item};

/// A calendar file of the web version: `event-3.ics` for the edition's third item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFile {
    pub name: String,
    pub text: String,
}

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// The calendar file's name for item `n` (counted from 0 in reading order, as images are).
pub fn file_name(n: usize) -> String {
    format!("event-{}.ics", n + 1)
}

/// Every event's calendar file; an event whose time is wrong (which `check` reports) has none.
pub fn files(edition: &Edition) -> Vec<CalendarFile> {
    let zone = &edition.newsletter.time_zone;
    edition
        .items()
        .enumerate()
        .filter_map(|(n, item)| {
            let when = item.event.as_ref()?.when(zone).ok()?;
            Some(CalendarFile {
                name: file_name(n),
                text: ics(edition, item, n, when),
            })
        })
        .collect()
}

/// When an event is, in words: `woensdag 20 januari 2027, 19.30–21.00 uur`; `None` when its
/// time is wrong.
pub fn when_text(event: &Event, edition: &Edition, words: &Strings) -> Option<String> {
    let when = event.when(&edition.newsletter.time_zone).ok()?;
    Some(describe(when, words))
}

fn describe(when: When, words: &Strings) -> String {
    let day = |d: Date| {
        format!(
            "{} {} {} {}",
            words.weekdays[usize::from(d.weekday().to_monday_zero_offset().unsigned_abs())],
            d.day(),
            words.months[usize::from(d.month().unsigned_abs()) - 1],
            d.year()
        )
    };
    let clock = |t: DateTime| (words.clock)(t.hour(), t.minute());
    let suffix = words.clock_suffix;
    match when {
        When::Days { first, last } if first == last => day(first),
        When::Days { first, last } => format!("{} – {}", day(first), day(last)),
        When::Times {
            start, end: None, ..
        } => format!("{}, {}{suffix}", day(start.date()), clock(start)),
        When::Times {
            start,
            end: Some(end),
            ..
        } if start.date() == end.date() => {
            format!(
                "{}, {}–{}{suffix}",
                day(start.date()),
                clock(start),
                clock(end)
            )
        }
        When::Times {
            start,
            end: Some(end),
            ..
        } => format!(
            "{}, {}{suffix} – {}, {}{suffix}",
            day(start.date()),
            clock(start),
            day(end.date()),
            clock(end)
        ),
    }
}

/// One event as an iCalendar object. Times are in UTC, which every calendar converts to its
/// own zone; the UID stays the same when the edition is rendered again, so importing it twice
/// updates the one event.
fn ics(edition: &Edition, item: &Item, n: usize, when: When) -> String {
    let newsletter = &edition.newsletter;
    let event = item.event.as_ref().expect("only items with an event");
    let stamp = edition
        .content
        .date
        .get_ref()
        .date
        .map_or_else(String::new, |d| {
            format!("{:04}{:02}{:02}T000000Z", d.year, d.month, d.day)
        });
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!(
            "PRODID:-//courant//{}//EN",
            text(newsletter.name.get_ref().as_str())
        ),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!(
            "UID:{}-{}@{}",
            edition.slug,
            n + 1,
            newsletter.list_id.as_str()
        ),
        format!("DTSTAMP:{stamp}"),
    ];
    match when {
        When::Days { first, last } => {
            lines.push(format!("DTSTART;VALUE=DATE:{}", first.strftime("%Y%m%d")));
            let end = When::day_after(last);
            lines.push(format!("DTEND;VALUE=DATE:{}", end.strftime("%Y%m%d")));
        }
        When::Times {
            start_utc, end_utc, ..
        } => {
            lines.push(format!("DTSTART:{}", start_utc.strftime("%Y%m%dT%H%M%SZ")));
            if let Some(end) = end_utc {
                lines.push(format!("DTEND:{}", end.strftime("%Y%m%dT%H%M%SZ")));
            }
        }
    }
    lines.push(format!("SUMMARY:{}", text(item.title.get_ref())));
    if let Some(place) = event.place_line() {
        lines.push(format!("LOCATION:{}", text(&place)));
    }
    let url = edition.web_url();
    lines.push(format!(
        "DESCRIPTION:{}",
        text(&format!("{} – {url}", newsletter.name.get_ref()))
    ));
    lines.push(format!("URL:{url}"));
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

/// A TEXT value: backslash, `;`, `,` and line breaks escaped (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | ';' | ',' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded after at most 75 octets, never inside a character (§3.1).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::Language;
    use crate::render::strings::strings;
    use jiff::civil::date;

    #[test]
    fn says_days_times_and_ranges_in_each_language() {
        let (nl, en) = (strings(Language::Nl), strings(Language::En));
        let day = When::Days {
            first: date(2027, 3, 6),
            last: date(2027, 3, 6),
        };
        assert_eq!(describe(day, nl), "zaterdag 6 maart 2027");
        let days = When::Days {
            first: date(2027, 3, 6),
            last: date(2027, 3, 7),
        };
        assert_eq!(
            describe(days, en),
            "Saturday 6 March 2027 – Sunday 7 March 2027"
        );
        let at = |d: i8, h: i8| date(2027, 3, d).at(h, 5, 0, 0);
        let times = |start, end| When::Times {
            start,
            end,
            start_utc: jiff::Timestamp::UNIX_EPOCH,
            end_utc: None,
        };
        assert_eq!(
            describe(times(at(6, 9), None), nl),
            "zaterdag 6 maart 2027, 9.05 uur"
        );
        assert_eq!(
            describe(times(at(6, 9), None), en),
            "Saturday 6 March 2027, 09:05"
        );
        assert_eq!(
            describe(times(at(6, 20), Some(at(7, 1))), nl),
            "zaterdag 6 maart 2027, 20.05 uur – zondag 7 maart 2027, 1.05 uur"
        );
    }

    #[test]
    fn folds_at_75_octets_without_splitting_a_character() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), line);
    }

    #[test]
    fn escapes_what_separates_values() {
        assert_eq!(
            text("Markt 1, Utrecht; zaal\\2\nboven"),
            "Markt 1\\, Utrecht\\; zaal\\\\2\\nboven"
        );
    }
}
