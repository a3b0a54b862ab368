//! Reading what mail servers say: the enhanced status code (RFC 3463) and the reply code in a
//! reply or a report, and what the words mean ([`reason`]). The send loop reads the servers'
//! replies with it, and so does [`crate::bounces`] the reports that come back later.

pub mod reason;

use std::sync::LazyLock;

use regex::Regex;

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?:[^\d.]|\.(?:\D|$)|$)")
        .expect("a valid pattern")
});
static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s:#(\[<>=])([245][0-5]\d)(?:[ \-]|$)").expect("a valid pattern")
});

/// The enhanced status code in `text`, e.g. `5.1.1`: the first precise one, as relays put a
/// vague code of their own (`5.1.0 - Unknown address error 550-'5.2.2 …'`) or the expiry
/// (`4.4.7`) before the code of the problem itself.
pub fn status_code(text: &str) -> Option<String> {
    let mut codes = STATUS
        .captures_iter(text)
        .map(|c| format!("{}.{}.{}", &c[1], &c[2], &c[3]));
    let first = codes.next()?;
    let says_little = |c: &str| c.ends_with(".0") || c[1..].starts_with(".4.7");
    if !says_little(&first) {
        return Some(first);
    }
    Some(codes.find(|c| !says_little(c)).unwrap_or(first))
}

/// The first SMTP reply code in `text`, e.g. `550`.
pub fn reply_code(text: &str) -> Option<u16> {
    REPLY
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .find(|&code: &u16| code >= 400)
}

/// Whether a server's refusal of a recipient during the send (`550 5.1.1 <a@b>: user unknown`,
/// in reply to RCPT TO) says the address itself is dead, and its status code when it does.
pub fn dead_address(reply: &str) -> Option<String> {
    let status = status_code(reply);
    let reason = reason::reason_in(reply, status.as_deref(), "in reply to RCPT TO command")?;
    reason::is_hard(reason).then(|| {
        status
            .or_else(|| reason::code_for(reason, false))
            .unwrap_or_default()
    })
}

/// The better of the `Status:` field and the code in the server's words. The field wins,
/// unless the reply's class sides with the words, or the field is vague (`5.0.0`, `5.1.0`),
/// ambiguous (`4.4.7` expired, `4.7.0`) or about the protocol (`5.5.x`, `5.3.x`) while the words
/// are precise.
pub fn best_status(
    field: Option<String>,
    words: Option<String>,
    reply: Option<u16>,
) -> Option<String> {
    let (field, words) = match (field, words) {
        (None, w) => return w,
        (f, None) => return f,
        (Some(f), Some(w)) => (f, w),
    };
    if f_class(&field) != f_class(&words) {
        let class = reply.map(|r| char::from(b'0' + (r / 100) as u8));
        if class == Some(f_class(&words)) {
            return Some(words);
        }
        return Some(field);
    }
    let vague = |s: &str| s.ends_with(".0") || s.contains(".0.");
    let precise_words = !vague(&words);
    let field_says_little = vague(&field)
        || matches!(field.as_str(), "4.4.7" | "4.7.0")
        || field.starts_with("5.3.")
        || [".5.1", ".5.2", ".5.4", ".5.5"]
            .iter()
            .any(|p| field[1..].starts_with(p));
    if precise_words && field_says_little {
        return Some(words);
    }
    if field == "5.1.1" && precise_words && !words.starts_with("5.5.") {
        return Some(words);
    }
    Some(field)
}

fn f_class(status: &str) -> char {
    status.chars().next().unwrap_or('0')
}
