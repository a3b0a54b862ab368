//! Every personal value of a message, in one place: which there are, the placeholders that
//! templates in the settings write them with, how those are checked and how they are filled.
//!
//! The rendered edition holds a [`Slot`] where a personal value goes (see
//! [`crate::render::Template`]); [`Personal`] holds one subscriber's values. The greeting is
//! written `greeting = { text = "Beste {name},", fallback = "Beste lezer," }`; the unsubscribe
//! URL `https://…/afmelden/{token}` (or `?email={email}`). The greeting may also name any field
//! of the list (`{regio}`); a reader without a value it names gets the fallback.

/// A placeholder a template may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    /// As written in a template, e.g. `{name}`.
    pub written: &'static str,
    /// Which template takes it.
    pub template: &'static str,
}

/// The subscriber's name, in the greeting.
pub const NAME: Placeholder = Placeholder {
    written: "{name}",
    template: "greeting",
};
/// The subscriber's signed unsubscribe token, in the unsubscribe URL.
pub const TOKEN: Placeholder = Placeholder {
    written: "{token}",
    template: "unsubscribe.url",
};
/// The subscriber's address, percent-encoded, in the unsubscribe URL.
pub const EMAIL: Placeholder = Placeholder {
    written: "{email}",
    template: "unsubscribe.url",
};
/// Every placeholder.
pub const PLACEHOLDERS: [Placeholder; 3] = [NAME, TOKEN, EMAIL];

impl Placeholder {
    /// Whether `template` holds this placeholder.
    pub fn is_in(self, template: &str) -> bool {
        template.contains(self.written)
    }
}

/// The greeting of one subscriber: `text` with `{name}` and each `{field}` filled in, or
/// `fallback` when the subscriber lacks any value `text` asks for (a name, a field).
pub fn greeting(
    text: &str,
    fallback: &str,
    name: Option<&str>,
    fields: &crate::fields::Fields,
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let key = &rest[open + 1..open + close];
        let value = match key {
            "name" => name,
            key => fields.get(&key.to_lowercase()),
        };
        match value.filter(|v| !v.trim().is_empty()) {
            Some(value) => {
                out.push_str(&rest[..open]);
                out.push_str(value);
            }
            None => return fallback.to_owned(),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The placeholders `{…}` of a greeting template other than `{name}`: the fields it uses.
pub fn fields_in(text: &str) -> Vec<String> {
    text.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}'))
        .map(|(key, _)| key.to_lowercase())
        .filter(|key| key != "name" && !key.is_empty())
        .collect()
}

/// The unsubscribe URL of one subscriber: `{token}` their token, `{email}` their address
/// (percent-encoded by the caller).
pub fn unsubscribe_url(template: &str, email: &str, token: &str) -> String {
    template
        .replace(EMAIL.written, email)
        .replace(TOKEN.written, token)
}

/// What is wrong with a greeting template, if anything (the `greeting-no-name` rule).
pub fn greeting_problem(text: &str) -> Option<&'static str> {
    (!NAME.is_in(text)).then_some("the greeting has no `{name}` placeholder")
}

/// What is wrong with an unsubscribe URL template, if anything.
pub fn unsubscribe_url_problem(template: &str) -> Option<&'static str> {
    (!TOKEN.is_in(template) && !EMAIL.is_in(template))
        .then_some("the unsubscribe URL has no `{token}` placeholder")
}

/// A template with every placeholder replaced by a harmless value, to check the rest of it.
pub fn without_placeholders(template: &str) -> String {
    PLACEHOLDERS
        .iter()
        .fold(template.to_owned(), |t, p| t.replace(p.written, "x"))
}

/// A place for one subscriber's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The greeting line, e.g. `Beste Anne,`.
    Greeting,
    /// The subscriber's unsubscribe URL (or `mailto:`).
    Unsubscribe,
    /// The subscriber's own page (`[manage] url`), when there is one.
    Manage,
}

pub(crate) const OPEN: char = '\u{e000}';
pub(crate) const CLOSE: char = '\u{e001}';

impl Slot {
    /// The marker written where the value goes. It uses private-use characters, which the
    /// loader refuses in input files, so no edition text can collide with it.
    pub fn marker(self) -> String {
        let tag = match self {
            Slot::Greeting => 'G',
            Slot::Unsubscribe => 'U',
            Slot::Manage => 'M',
        };
        format!("{OPEN}{tag}{CLOSE}")
    }

    pub(crate) fn from_tag(tag: &str) -> Option<Slot> {
        match tag {
            "G" => Some(Slot::Greeting),
            "U" => Some(Slot::Unsubscribe),
            "M" => Some(Slot::Manage),
            _ => None,
        }
    }
}

/// The values of one subscriber.
#[derive(Debug, Clone, Default)]
pub struct Personal {
    pub greeting: String,
    pub unsubscribe: String,
    pub manage: String,
}

impl Personal {
    pub(crate) fn get(&self, slot: Slot) -> &str {
        match slot {
            Slot::Greeting => &self.greeting,
            Slot::Unsubscribe => &self.unsubscribe,
            Slot::Manage => &self.manage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greeting_takes_the_name_or_falls_back() {
        let none = crate::fields::Fields::new();
        assert_eq!(
            greeting("Beste {name},", "Beste lezer,", Some("Anne"), &none),
            "Beste Anne,"
        );
        assert_eq!(
            greeting("Beste {name},", "Beste lezer,", None, &none),
            "Beste lezer,"
        );
        let oost: crate::fields::Fields = [("regio".to_owned(), "Oost".to_owned())]
            .into_iter()
            .collect();
        let text = "Beste {name} uit regio {Regio},";
        assert_eq!(
            greeting(text, "Beste lezer,", Some("Anne"), &oost),
            "Beste Anne uit regio Oost,"
        );
        assert_eq!(
            greeting(text, "Beste lezer,", Some("Anne"), &none),
            "Beste lezer,"
        );
        assert_eq!(fields_in(text), ["regio"]);
        assert_eq!(
            greeting_problem("Beste lezer,"),
            Some("the greeting has no `{name}` placeholder")
        );
        assert_eq!(greeting_problem("Hoi {name}"), None);
    }

    #[test]
    fn the_unsubscribe_url_takes_token_and_address() {
        let url = unsubscribe_url("https://x.example/u?e={email}&t={token}", "a%40b", "T");
        assert_eq!(url, "https://x.example/u?e=a%40b&t=T");
        assert!(unsubscribe_url_problem("https://x.example/u").is_some());
        assert_eq!(
            without_placeholders("https://x.example/{token}"),
            "https://x.example/x"
        );
    }
}
