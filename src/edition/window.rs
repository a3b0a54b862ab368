//! The sending window, `[sending] window = "ma-vr 08:00-18:00"`: the days and hours a long send
//! may go on. Outside it a scheduled send pauses, and the next `run-due` inside it goes on.

use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::value::ValueError;

/// Days (Monday first) and the hours of each, in the newsletter's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Window {
    days: [bool; 7],
    start: Time,
    end: Time,
}

const DAYS: [[&str; 2]; 7] = [
    ["ma", "mon"],
    ["di", "tue"],
    ["wo", "wed"],
    ["do", "thu"],
    ["vr", "fri"],
    ["za", "sat"],
    ["zo", "sun"],
];

fn day(name: &str) -> Option<usize> {
    let name = name.trim().to_lowercase();
    DAYS.iter()
        .position(|names| names.iter().any(|n| *n == name))
}

fn days(text: &str) -> Option<[bool; 7]> {
    let mut days = [false; 7];
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let mut d = from;
                loop {
                    days[d] = true;
                    if d == to {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days[day(part)?] = true,
        }
    }
    Some(days)
}

impl TryFrom<String> for Window {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Window, ValueError> {
        let bad = || {
            ValueError::new(format!(
                "invalid sending window `{s}`; expected days and hours, e.g. \"ma-vr 08:00-18:00\" \
                 (or \"mon-fri 08:00-18:00\", \"ma,wo 09:00-12:00\", \"07:00-22:00\" for every day)"
            ))
        };
        let (day_part, hours) = match s.trim().rsplit_once(' ') {
            Some((d, h)) => (Some(d), h),
            None => (None, s.trim()),
        };
        let days = match day_part {
            Some(d) => days(d).ok_or_else(bad)?,
            None => [true; 7],
        };
        let (start, end) = hours.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| Time::strptime("%H:%M", t.trim()).map_err(|_| bad());
        let (start, end) = (time(start)?, time(end)?);
        if end <= start {
            return Err(ValueError::new(format!(
                "the sending window `{s}` ends before it starts; write it within one day, e.g. \
                 \"08:00-18:00\""
            )));
        }
        Ok(Window { days, start, end })
    }
}

impl Window {
    fn open_on(&self, at: DateTime) -> bool {
        let weekday = at.weekday().to_monday_zero_offset() as usize;
        self.days[weekday] && at.time() >= self.start && at.time() < self.end
    }

    /// Whether `now` is inside the window, in `zone`.
    pub fn contains(&self, now: Timestamp, zone: &TimeZone) -> bool {
        self.open_on(zone.to_datetime(now))
    }

    /// When the window open at `now` closes: today's end, in `zone`.
    pub fn closes(&self, now: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let local = zone.to_datetime(now);
        let end = local.date().to_datetime(self.end);
        zone.to_ambiguous_timestamp(end).later().ok()
    }

    /// When the window next opens after `now`, in `zone` (within a week).
    pub fn opens(&self, now: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let today = zone.to_datetime(now).date();
        (0..8).find_map(|n| {
            let date = today.checked_add(jiff::Span::new().days(n)).ok()?;
            let start = date.to_datetime(self.start);
            let weekday = start.weekday().to_monday_zero_offset() as usize;
            let at = zone.to_ambiguous_timestamp(start).later().ok()?;
            (self.days[weekday] && at > now).then_some(at)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> TimeZone {
        TimeZone::get("Europe/Amsterdam").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        let civil = DateTime::strptime("%Y-%m-%d %H:%M", s).unwrap();
        amsterdam().to_ambiguous_timestamp(civil).earlier().unwrap()
    }

    #[test]
    fn a_window_of_working_days_and_hours() {
        let w = Window::try_from("ma-vr 08:00-18:00".to_owned()).unwrap();
        let zone = amsterdam();
        assert!(
            w.contains(at("2027-01-12 09:00"), &zone),
            "a Tuesday morning"
        );
        assert!(
            !w.contains(at("2027-01-12 18:00"), &zone),
            "the end is outside"
        );
        assert!(!w.contains(at("2027-01-16 10:00"), &zone), "a Saturday");
        assert_eq!(
            w.closes(at("2027-01-12 09:00"), &zone),
            Some(at("2027-01-12 18:00"))
        );
        assert_eq!(
            w.opens(at("2027-01-15 19:00"), &zone),
            Some(at("2027-01-18 08:00"))
        );
        let english = Window::try_from("mon-fri 08:00-18:00".to_owned()).unwrap();
        assert_eq!(english, w);
        let weekend = Window::try_from("za-zo 10:00-12:00".to_owned()).unwrap();
        assert!(weekend.contains(at("2027-01-17 11:00"), &zone));
        assert!(Window::try_from("ma-vr 18:00-08:00".to_owned()).is_err());
        assert!(Window::try_from("maandag 8-18".to_owned()).is_err());
        let daily = Window::try_from("07:00-22:00".to_owned()).unwrap();
        assert!(daily.contains(at("2027-01-16 21:59"), &zone));
    }
}
