//! An event an item announces: when (in the newsletter's time zone) and where.
//!
//! `event = { start = "2027-01-20 19:30", end = "2027-01-20 21:00", place = "Stadhuis",
//! address = "Markt 1, Utrecht" }`, or whole days: `start = "2027-03-06"`.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;
use toml::Spanned;

use super::value::ValueError;

/// Free text with its position (as [`super::Text`]).
type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Event {
    pub start: Spanned<EventTime>,
    /// Left out: a whole day ends with that day, a time has no set end.
    #[serde(default)]
    pub end: Option<Spanned<EventTime>>,
    /// Where, in words: `Stadhuis, Raadzaal`.
    #[serde(default)]
    pub place: Option<Text>,
    /// The street address, for a map or a navigation app.
    #[serde(default)]
    pub address: Option<Text>,
}

/// A day, or a day and a time on the wall clock of the newsletter's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventTime {
    Day(Date),
    At(DateTime),
}

impl EventTime {
    pub fn date(self) -> Date {
        match self {
            EventTime::Day(d) => d,
            EventTime::At(t) => t.date(),
        }
    }
}

impl std::str::FromStr for EventTime {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<EventTime, ValueError> {
        let s = s.trim();
        let wrong = || {
            ValueError::new(format!(
                "`{s}` is not a date and time; write it as \"2027-01-20 19:30\", or \"2027-01-20\" \
                 for a whole day"
            ))
        };
        if s.len() == 10 {
            return s.parse().map(EventTime::Day).map_err(|_| wrong());
        }
        // An offset or zone would contradict the newsletter's time zone: one place says it.
        if s.len() > 19 {
            return Err(wrong());
        }
        s.parse().map(EventTime::At).map_err(|_| wrong())
    }
}

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EventTime, D::Error> {
        // A TOML date or date-time literal (`start = 2027-01-20T19:30:00`) reads as well as a
        // string.
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            toml::Value::Datetime(t) => t.to_string().parse().map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a date and time such as \"2027-01-20 19:30\", found {}",
                other.type_str()
            ))),
        }
    }
}

/// The time zone events are in: `time-zone = "Europe/Amsterdam"` (the default).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Zone(TimeZone);

impl TryFrom<String> for Zone {
    type Error = ValueError;
    fn try_from(name: String) -> Result<Zone, ValueError> {
        TimeZone::get(&name).map(Zone).map_err(|_| {
            ValueError::new(format!(
                "unknown time zone `{name}`; use a name of the time zone database, such as \
                 \"Europe/Amsterdam\""
            ))
        })
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone(TimeZone::get("Europe/Amsterdam").expect("the bundled database has Amsterdam"))
    }
}

impl Zone {
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The zone itself.
    pub fn tz(&self) -> &TimeZone {
        &self.0
    }

    /// Whether the wall-clock time `at` happens twice (the hour the clocks go back).
    pub fn is_twice(&self, at: DateTime) -> bool {
        matches!(
            self.0.to_ambiguous_timestamp(at).offset(),
            AmbiguousOffset::Fold { .. }
        )
    }

    /// The moment a wall-clock time is: the earlier one in the hour that happens twice when
    /// the clocks go back; an error for the hour skipped when they go forward.
    pub fn instant(&self, at: DateTime) -> Result<Timestamp, EventError> {
        let ambiguous = self.0.to_ambiguous_timestamp(at);
        if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
            return Err(EventError::Skipped {
                at: EventTime::At(at).to_string(),
                zone: self.name().to_owned(),
            });
        }
        ambiguous.earlier().map_err(|_| EventError::OutOfRange)
    }
}

/// Why an event cannot be put in a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error(
        "{at} does not exist in {zone}: the clocks go forward that night; choose a time an hour \
         later"
    )]
    Skipped { at: String, zone: String },
    #[error("the end is before the start")]
    EndsBeforeStart,
    #[error(
        "the start and end must both be days (\"2027-03-06\") or both times (\"2027-03-06 19:30\")"
    )]
    Mixed,
    #[error("the date is out of range")]
    OutOfRange,
}

/// When an event is, resolved in its time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Whole days, the last one included.
    Days { first: Date, last: Date },
    /// From one moment to another, or to nothing said.
    Times {
        start: DateTime,
        end: Option<DateTime>,
        start_utc: Timestamp,
        end_utc: Option<Timestamp>,
    },
}

impl Event {
    /// When the event is, checked: an error names what is wrong with the start or the end.
    pub fn when(&self, zone: &Zone) -> Result<When, EventError> {
        let start = *self.start.get_ref();
        let end = self.end.as_ref().map(|e| *e.get_ref());
        match (start, end) {
            (EventTime::Day(first), None) => Ok(When::Days { first, last: first }),
            (EventTime::Day(first), Some(EventTime::Day(last))) if last >= first => {
                Ok(When::Days { first, last })
            }
            (EventTime::At(start), None) => Ok(When::Times {
                start,
                end: None,
                start_utc: zone.instant(start)?,
                end_utc: None,
            }),
            (EventTime::At(start), Some(EventTime::At(end))) => {
                let (start_utc, end_utc) = (zone.instant(start)?, zone.instant(end)?);
                if end_utc < start_utc {
                    return Err(EventError::EndsBeforeStart);
                }
                Ok(When::Times {
                    start,
                    end: Some(end),
                    start_utc,
                    end_utc: Some(end_utc),
                })
            }
            (EventTime::Day(_), Some(EventTime::Day(_))) => Err(EventError::EndsBeforeStart),
            _ => Err(EventError::Mixed),
        }
    }

    /// Where the event is, in one line: place and address.
    pub fn place_line(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.place, &self.address]
            .into_iter()
            .flatten()
            .map(|t| t.get_ref().trim())
            .filter(|t| !t.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl When {
    /// The day after the last: where an all-day event ends in a calendar.
    pub fn day_after(last: Date) -> Date {
        last.checked_add(1.day()).unwrap_or(last)
    }
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventTime::Day(d) => write!(f, "{d}"),
            EventTime::At(t) => write!(f, "{}", t.strftime("%Y-%m-%d %H:%M")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn event(start: &str, end: Option<&str>) -> Event {
        let end = end.map_or(String::new(), |e| format!(", end = \"{e}\""));
        toml::from_str::<Wrapper>(&format!("event = {{ start = \"{start}\"{end} }}"))
            .unwrap()
            .event
    }

    #[derive(Deserialize)]
    struct Wrapper {
        event: Event,
    }

    #[test]
    fn reads_days_times_and_toml_literals() {
        assert_eq!("2027-01-20".parse(), Ok(EventTime::Day(date(2027, 1, 20))));
        let at = EventTime::At(date(2027, 1, 20).at(19, 30, 0, 0));
        assert_eq!("2027-01-20 19:30".parse(), Ok(at));
        assert_eq!("2027-01-20T19:30".parse(), Ok(at));
        let literal: Wrapper = toml::from_str("event = { start = 2027-01-20T19:30:00 }").unwrap();
        assert_eq!(*literal.event.start.get_ref(), at);
        for wrong in [
            "20-01-2027",
            "2027-01-20 19:30+01:00",
            "morgen",
            "2027-02-30",
        ] {
            let e = wrong.parse::<EventTime>().unwrap_err().to_string();
            assert!(e.contains("\"2027-01-20 19:30\""), "{wrong}: {e}");
        }
    }

    #[test]
    fn resolves_in_the_zone_and_refuses_the_skipped_hour() {
        let zone = Zone::default();
        let winter = event("2027-01-20 19:30", Some("2027-01-20 21:00"));
        let When::Times { start_utc, .. } = winter.when(&zone).unwrap() else {
            panic!("a time")
        };
        assert_eq!(start_utc.to_string(), "2027-01-20T18:30:00Z");
        // Summer time: two hours ahead of UTC.
        let summer = event("2027-06-20 19:30", None).when(&zone).unwrap();
        assert!(
            matches!(summer, When::Times { start_utc, .. } if start_utc.to_string() == "2027-06-20T17:30:00Z")
        );
        // 28 March 2027, 02:30 never happens in Amsterdam.
        let skipped = event("2027-03-28 02:30", None).when(&zone).unwrap_err();
        assert!(
            skipped
                .to_string()
                .contains("does not exist in Europe/Amsterdam")
        );
        // 31 October 2027, 02:30 happens twice: the first one, in summer time.
        let twice = event("2027-10-31 02:30", None).when(&zone).unwrap();
        assert!(
            matches!(twice, When::Times { start_utc, .. } if start_utc.to_string() == "2027-10-31T00:30:00Z")
        );
    }

    #[test]
    fn the_end_follows_the_start_in_kind_and_time() {
        let zone = Zone::default();
        let days = event("2027-03-06", Some("2027-03-07")).when(&zone).unwrap();
        assert_eq!(
            days,
            When::Days {
                first: date(2027, 3, 6),
                last: date(2027, 3, 7)
            }
        );
        let backwards = event("2027-03-06 20:00", Some("2027-03-06 19:00"));
        assert_eq!(backwards.when(&zone), Err(EventError::EndsBeforeStart));
        let mixed = event("2027-03-06", Some("2027-03-06 19:00"));
        assert_eq!(mixed.when(&zone), Err(EventError::Mixed));
        assert!(Zone::try_from("Mars/Olympus".to_owned()).is_err());
    }
}
