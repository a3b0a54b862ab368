//! Header-field blocks as the machine-readable report parts write them: `message/delivery-status`
//! (RFC 3464) and `message/feedback-report` (RFC 5965). Each is one or more groups of
//! `Name: value` lines, folded lines continued by whitespace, groups separated by blank lines.

/// One group of fields, names lowercased, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name` (lowercase), trimmed.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name` (lowercase).
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.trim())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The groups of a report part's text.
pub(crate) fn groups(text: &str) -> Vec<Fields> {
    let mut groups = vec![Fields::default()];
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !groups.last().is_some_and(Fields::is_empty) {
                groups.push(Fields::default());
            }
            continue;
        }
        let current = groups.last_mut().expect("never empty");
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.0.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            current
                .0
                .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// The address of a `type; address` field (`rfc822; anne@example.nl`), without brackets.
pub(crate) fn typed_address(value: &str) -> &str {
    let address = value.split_once(';').map_or(value, |(_, a)| a);
    address.trim().trim_start_matches('<').trim_end_matches('>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_fold_continuations_and_split_on_blank_lines() {
        let text = "Reporting-MTA: dns; mx.example.nl\r\n\r\nFinal-Recipient: rfc822; a@example.nl\r\nDiagnostic-Code: smtp; 550 5.1.1 no\r\n  such user\r\n\r\n\r\nFinal-Recipient: rfc822;<b@example.nl>\r\n";
        let groups = groups(text);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].get("reporting-mta"), Some("dns; mx.example.nl"));
        assert_eq!(
            groups[1].get("diagnostic-code"),
            Some("smtp; 550 5.1.1 no such user")
        );
        let b = groups[2].get("final-recipient").unwrap();
        assert_eq!(typed_address(b), "b@example.nl");
    }
}
