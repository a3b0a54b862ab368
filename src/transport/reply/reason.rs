//! Why a message came back, from the server's words and its status code.
//!
//! The words win over the code: servers put `5.1.1` on full mailboxes and spam refusals, and only
//! the text says so. The phrases are tried in tiers. First the reasons that are never the
//! address's fault (a full mailbox, a spam filter, a block list, a policy, a failed DMARC): one
//! of those anywhere means the reader is not to blame. Then the reasons that mean the address is
//! dead (no such user, no such domain, moved). Then the status code, when it names a reason
//! (`5.1.1`, `5.2.2`, …). Last the vague words (`rejected`, `denied`) and the status class.
//!
//! Phrases are matched case-insensitively at word boundaries; a trailing `*` matches any ending
//! (`blacklist*` finds `blacklisted`). One Aho-Corasick automaton per tier finds them all in one
//! pass over the text.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A reason, named as Sisimai names them, so that results compare with its verdicts.
pub type Reason = &'static str;

/// The reasons after which the address itself is dead: the one verdict that stops the mail.
pub const HARD: [Reason; 4] = ["userunknown", "hostunknown", "hasmoved", "notaccept"];

/// The reasons that point at the sender, not the reader: a block list, reputation, DMARC/SPF,
/// reverse DNS, relaying, policy.
pub const SENDER_SIDE: [Reason; 7] = [
    "blocked",
    "badreputation",
    "authfailure",
    "requireptr",
    "norelaying",
    "policyviolation",
    "securityerror",
];

/// Never the address's fault; checked before the hard reasons.
const NOT_THE_ADDRESS: &[(Reason, &[&str])] = &[
    (
        "mailboxfull",
        &[
            "mailbox full",
            "mailbox is full",
            "mailbox was full",
            "mail box full",
            "mailbox has exceeded",
            "mailbox size limit",
            "mailbox is over",
            "mailbox quota",
            "full mailbox",
            "inbox is full",
            "inbox full",
            "account is full",
            "mailfolder is full",
            "over quota",
            "overquota",
            "over its quota",
            "over the quota",
            "quota exceeded",
            "quota full",
            "quota has been exceeded",
            "exceeded the quota",
            "exceeded its quota",
            "exceeds its quota",
            "would exceed quota",
            "exceed the quota",
            "disk quota",
            "storage quota",
            "exceeded storage",
            "exceeds storage",
            "not enough storage",
            "out of storage",
            "insufficient storage",
            "user is over",
            "postfach voll",
            "mailbox voll",
            "boîte pleine",
            "boite pleine",
            "mailbox vol",
            "mailbox is vol",
            "postvak vol",
            "postvak is vol",
            "postvak van de ontvanger is vol",
            "postbus vol",
            "quotum overschreden",
            "casella piena",
            "buzón lleno",
        ],
    ),
    (
        "blocked",
        &[
            "blacklist*",
            "blocklist*",
            "block list",
            "black list",
            "blocked using",
            "listed at",
            "spamhaus",
            "spamcop",
            "sorbs",
            "barracudacentral",
            "rbl",
            "dnsbl",
            "rbl*",
            "your ip",
            "ip address is",
            "connection refused by",
            "banned",
            "blocked by",
            "has been blocked",
            "is blocked",
            "are blocked",
            "temporarily blocked",
            "access denied, banned",
            "service refused",
            "rejected because",
            "connection rejected",
            "client host rejected",
            "not accepting mail from",
            "open relay",
        ],
    ),
    (
        "rejected",
        &[
            "may not exist",
            "groups.google.com",
            "not have permission",
            "pas autorisé",
            "no permission",
        ],
    ),
    ("badreputation", &["reputation", "sender score", "ip score"]),
    (
        "authfailure",
        &[
            "dmarc",
            "spf",
            "dkim",
            "sender policy framework",
            "domainkeys",
            "authentication check",
            "not authorized to send",
            "unauthenticated",
            "failed the spf",
        ],
    ),
    (
        "requireptr",
        &[
            "reverse dns",
            "reverse lookup",
            "reverse hostname",
            "reverse address",
            "ptr record",
            "no ptr",
            "rdns",
            "cannot find your hostname",
            "cannot find your reverse",
            "ip name lookup failed",
            "unresolvable",
            "doesn't have a ptr",
            "does not have a ptr",
            "no reverse",
            "not resolve your address",
            "hostname does not resolve",
        ],
    ),
    (
        "spamdetected",
        &[
            "spam",
            "spam*",
            "junk mail",
            "unsolicited",
            "bulk mail",
            "looks like spam",
            "considered as spam",
            "detected as spam",
            "content rejected",
            "message content",
            "suspicious",
            "phishing",
        ],
    ),
    (
        "virusdetected",
        &["virus", "malware", "infected", "viruses"],
    ),
    (
        "toomanyconn",
        &[
            "too many connections",
            "too many concurrent",
            "too many simultaneous",
            "connection limit",
            "too many sessions",
        ],
    ),
    (
        "speeding",
        &[
            "rate limit*",
            "ratelimit*",
            "too many messages",
            "too many mails",
            "too many emails",
            "sending rate",
            "throttl*",
            "receiving mail at a rate",
            "too fast",
            // The sender's limit, whatever status code comes with it: a `5.1.1` saying "has
            // sent to too many recipients this hour" is no dead mailbox.
            "too many recipients",
            "sent to too many",
            "recipients this hour",
            "recipients per hour",
            "messages per hour",
            "sending limit",
            "sent too many",
        ],
    ),
    (
        "mesgtoobig",
        &[
            "message too large",
            "message too big",
            "message is too large",
            "message is too big",
            "message size exceeds",
            "message size limit",
            "size exceeds",
            "exceeds size limit",
            "exceeded maximum message size",
            "message exceeds",
            "message length exceeds",
            "too large for",
        ],
    ),
    (
        "systemfull",
        &[
            "insufficient system storage",
            "insufficient system resources",
            "out of disk",
            "disk full",
            "system full",
        ],
    ),
    (
        "norelaying",
        &[
            "relay access denied",
            "relaying denied",
            "relay denied",
            "relay not permitted",
            "relaying not permitted",
            "relaying not allowed",
            "not permitted to relay",
            "not allowed to relay",
            "unable to relay",
            "we do not relay",
            "no relaying",
            "relay prohibited",
            "relaying prohibited",
            "relaying to",
        ],
    ),
    (
        "securityerror",
        &[
            "tls required",
            "requires tls",
            "must issue a starttls",
            "encryption required",
            "starttls required",
            "authentication required",
            "must authenticate",
            "certificate",
        ],
    ),
    (
        "suspend",
        &[
            "disabled",
            "suspended",
            "deactivated",
            "inactive",
            "account expired",
            "account has expired",
            "mailbox is inactive",
            "not active",
            "temporarily unavailable",
            "is locked",
            "account locked",
            "frozen",
        ],
    ),
    (
        "expired",
        &[
            "retry timeout exceeded",
            "after multiple retries",
            "aborted after",
            "did not accept our requests to connect",
            "warning message only",
            "will be retried",
            "retry time not reached",
            "message expired",
            "expired",
            "delivery time expired",
            "could not be delivered within",
            "too long in queue",
            "in the queue too long",
            "queue too long",
            "has been delayed",
            "greylist*",
            "graylist*",
            "delivery attempts",
            "timeout",
            "timed out",
            "was not delivered for",
            "unable to deliver for",
            "deferred for",
            "couldn't be delivered for",
            "could not be delivered for",
            "delivery is delayed",
            "delay",
            "delayed",
        ],
    ),
    (
        "networkerror",
        &[
            "connection refused",
            "network is unreachable",
            "no route to host",
            "unexpected name server reply",
            "malformed name server reply",
            "connection reset",
            "lost connection",
            "connection dropped",
            "broken pipe",
            "name server timeout",
            "dns lookup timed out",
            "mail loop",
            "loops back to myself",
            "too many hops",
            "routing loop",
        ],
    ),
];

/// The address is dead: checked after [`NOT_THE_ADDRESS`].
const DEAD_ADDRESS: &[(Reason, &[&str])] = &[
    (
        "userunknown",
        &[
            "user not found",
            "user doesn't exist",
            "user does not exist",
            "no such recipient",
            "no such mailbox",
            "no such person",
            "no such account",
            "no such address",
            "unknown recipient",
            "recipient unknown",
            "recipient not found",
            "recipnotfound",
            "recipientnotfound",
            "recipient does not exist",
            "unknown mailbox",
            "mailbox unknown",
            "mailbox not found",
            "mailbox does not exist",
            "mailbox doesn't exist",
            "mailbox not available",
            "no mailbox",
            "mailbox is unavailable",
            "address not found",
            "address does not exist",
            "address doesn't exist",
            "address unknown",
            "unknown address",
            "invalid recipient",
            "invalid mailbox",
            "invalid user",
            "user invalid",
            "not a valid mailbox",
            "is not a valid user",
            "not a known user",
            "unknown local part",
            "unknown or illegal alias",
            "no account by that name",
            "doesn't have a",
            "recipient name is not recognized",
            "no valid recipients",
            "mail.local: unknown user",
            "unknown user:",
            "does not have an account",
            "doesn't have an account",
            "recipient address rejected: access denied",
            "account does not exist",
            "account doesn't exist",
            "does not exist",
            "doesn't exist",
            "not exist",
            "not listed in",
            "no longer exists",
            "couldn't be found",
            "could not be found",
            "unrouteable address",
            "bad destination mailbox",
            "destination address rejected",
            "not our customer",
            "undeliverable address",
            "empfänger unbekannt",
            "benutzer unbekannt",
            "unbekannt",
            "existiert nicht",
            "adresse inconnue",
            "utilisateur inconnu",
            "destinataire inconnu",
            "n'existe pas",
            "onbekende gebruiker",
            "onbekende ontvanger",
            "bestaat niet",
            "is niet gevonden",
            "kon niet worden gevonden",
            "kan niet worden gevonden",
            "usuario desconocido",
            "no existe",
            "utente sconosciuto",
            "non esiste",
        ],
    ),
    (
        "hostunknown",
        &[
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "domain name not found",
            "no such domain",
            "unknown domain",
            "domain does not exist",
            "domain doesn't exist",
            "name or service not known",
            "host or domain name not found",
            "nxdomain",
            "no mx",
            "illegal host/domain",
            "domain is not valid",
            "unable to resolve",
            "unresolvable domain",
            "hostname lookup failed",
            "host name lookup failure",
            "no such host",
            "name service error",
            "unroutable domain",
            "domain name does not exist",
            "domain does not resolve",
        ],
    ),
    (
        "hasmoved",
        &[
            "has moved",
            "has been moved",
            "user has moved",
            "address has changed",
            "address changed",
            "moved permanently",
        ],
    ),
    (
        "notaccept",
        &[
            "does not accept mail",
            "does not accept email",
            "accepts no mail",
            "does not receive mail",
            "null mx",
            "not accept any mail",
        ],
    ),
];

/// Words that say "user unknown" and no more. Servers and filters use them for refusals that
/// are not about the address (Japanese carriers' filters, for one), so they make a dead address
/// only with a `5.1.1` or when they answered RCPT TO; otherwise the message was filtered.
const UNKNOWN_USER_ONLY: &[(Reason, &[&str])] = &[(
    "userunknown",
    &[
        "user unknown",
        "unknown user",
        "user unknown*",
        "recipient address rejected",
        "mailbox unavailable",
        "no such user",
    ],
)];

/// Vague words: only when neither a phrase above nor the status code says more.
const VAGUE: &[(Reason, &[&str])] = &[
    (
        "rejected",
        &[
            "sender rejected",
            "sender address rejected",
            "sender verify failed",
            "sender denied",
            "domain of sender",
            "sender domain",
            "envelope sender",
            "from address",
        ],
    ),
    (
        "filtered",
        &[
            "filtered",
            "filter*",
            "refused by the recipient",
            "rejected by the recipient",
            "recipient refused",
            "access denied",
            "denied",
            "not allowed",
            "refused",
        ],
    ),
    (
        "policyviolation",
        &["policy", "policies", "prohibited", "violation"],
    ),
    (
        "mailererror",
        &[
            "mailer error",
            "command died",
            "unable to deliver to program",
            "pipe to",
            "program exited",
        ],
    ),
    (
        "systemerror",
        &[
            "system error",
            "internal error",
            "server error",
            "local error",
            "temporary failure",
            "temporary error",
            "try again later",
            "configuration error",
        ],
    ),
    (
        "syntaxerror",
        &["syntax error", "command unrecognized", "bad command"],
    ),
];

/// One automaton per tier, and each pattern's reason and whether it is a prefix.
struct Tier {
    automaton: AhoCorasick,
    patterns: Vec<(Reason, bool)>,
}

impl Tier {
    fn new(table: &[(Reason, &[&str])]) -> Tier {
        let mut phrases = Vec::new();
        let mut patterns = Vec::new();
        for (reason, list) in table {
            for phrase in *list {
                let prefix = phrase.ends_with('*');
                phrases.push(phrase.trim_end_matches('*'));
                patterns.push((*reason, prefix));
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .expect("the phrases build an automaton");
        Tier {
            automaton,
            patterns,
        }
    }

    /// The reason of the longest phrase in `text` at word boundaries (the most specific:
    /// "domain does not exist" over "does not exist"); on a tie, the table's earlier row.
    fn find(&self, text: &str, order: &[(Reason, &[&str])]) -> Option<Reason> {
        let bytes = text.as_bytes();
        let mut best: Option<(std::cmp::Reverse<usize>, usize)> = None;
        for m in self.automaton.find_overlapping_iter(text) {
            let (reason, prefix) = self.patterns[m.pattern().as_usize()];
            let left = m.start() == 0 || !is_word(bytes[m.start() - 1]);
            let right = prefix || m.end() == bytes.len() || !is_word(bytes[m.end()]);
            if !(left && right) {
                continue;
            }
            let rank = order
                .iter()
                .position(|(r, _)| *r == reason)
                .unwrap_or(usize::MAX);
            let key = (std::cmp::Reverse(m.len()), rank);
            best = Some(best.map_or(key, |b| b.min(key)));
        }
        best.map(|(_, rank)| order[rank].0)
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

static TIERS: LazyLock<[Tier; 4]> = LazyLock::new(|| {
    [
        Tier::new(NOT_THE_ADDRESS),
        Tier::new(DEAD_ADDRESS),
        Tier::new(UNKNOWN_USER_ONLY),
        Tier::new(VAGUE),
    ]
});

/// The reason for `text` (the server's words) and `status` (`5.1.1`), if either says one.
pub fn reason(text: &str, status: Option<&str>) -> Option<Reason> {
    reason_in(text, status, text)
}

/// [`reason`], with the SMTP command looked for in `context` (the report's text around the
/// server's words), which says more than the words alone.
pub fn reason_in(text: &str, status: Option<&str>, context: &str) -> Option<Reason> {
    let [not_the_address, dead, unknown_user, vague] = &*TIERS;
    if let Some(reason) = not_the_address.find(text, NOT_THE_ADDRESS) {
        return Some(reason);
    }
    let detail = status.map_or("", |s| &s[1..]);
    if detail.starts_with(".1.7") || detail.starts_with(".1.8") {
        return Some("rejected");
    }
    let command = command(text).or_else(|| command(context));
    let said_unknown = detail == ".1.1";
    if let Some(reason) = dead.find(text, DEAD_ADDRESS) {
        // Refused at MAIL FROM: the words are about the sender.
        return Some(if command == Some(Command::Mail) {
            "rejected"
        } else {
            reason
        });
    }
    if unknown_user.find(text, UNKNOWN_USER_ONLY).is_some() {
        return Some(match command {
            _ if said_unknown => "userunknown",
            Some(Command::Rcpt) => "userunknown",
            Some(Command::Mail) => "rejected",
            // Refused after the data, or nobody says when: a filter may have chosen the words.
            _ => status.and_then(from_status).unwrap_or("filtered"),
        });
    }
    status
        .and_then(from_status)
        .or_else(|| vague.find(text, VAGUE))
}

/// The SMTP command a refusal answered, when the text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Mail,
    Rcpt,
    Data,
}

static COMMANDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(COMMAND_PHRASES.iter().map(|(p, _)| p))
        .expect("the phrases build an automaton")
});

const COMMAND_PHRASES: [(&str, Command); 23] = [
    (">>> mail from", Command::Mail),
    ("after mail from", Command::Mail),
    ("in reply to mail from", Command::Mail),
    ("mail from command", Command::Mail),
    (">>> rcpt to", Command::Rcpt),
    ("after rcpt to", Command::Rcpt),
    ("in reply to rcpt to", Command::Rcpt),
    ("rcpt to command", Command::Rcpt),
    ("does not like recipient", Command::Rcpt),
    ("after rcpt command", Command::Rcpt),
    ("following rcpt command", Command::Rcpt),
    ("rejected recipient", Command::Rcpt),
    ("rejected the address", Command::Rcpt),
    ("smtp:rcpt", Command::Rcpt),
    ("most progress was rcpt to", Command::Rcpt),
    (">>> data", Command::Data),
    ("after data", Command::Data),
    ("after end of data", Command::Data),
    ("in reply to end of data", Command::Data),
    ("in reply to data", Command::Data),
    ("data command", Command::Data),
    ("after the message", Command::Data),
    (">>> .", Command::Data),
];

/// The command a text names, when it names one kind only. Line breaks count as spaces: Postfix
/// folds `(in reply to RCPT TO command)` across lines.
fn command(text: &str) -> Option<Command> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut found = None;
    for m in COMMANDS.find_iter(&text) {
        let command = COMMAND_PHRASES[m.pattern().as_usize()].1;
        match found {
            None => found = Some(command),
            Some(c) if c == command => {}
            Some(_) => return None,
        }
    }
    found
}

/// The reason a status code names by itself (RFC 3463 and its registry), if it names one.
pub fn from_status(status: &str) -> Option<Reason> {
    let mut parts = status.splitn(3, '.');
    let (_, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    let reason = match (subject, detail) {
        ("1", "1") => "userunknown",
        ("1", "2") => "hostunknown",
        ("1", "3") => "syntaxerror",
        ("1", "6") => "hasmoved",
        ("1", "10") => "notaccept",
        ("1", "7" | "8") => "rejected",
        ("2", "1") => "suspend",
        ("2", "2") => "mailboxfull",
        ("2", "3") | ("3", "4") => "mesgtoobig",
        ("2", "4") => "mailererror",
        ("3", "1") => "systemfull",
        ("3", "2" | "3" | "5") => "systemerror",
        ("4", "1" | "2" | "3") => "networkerror",
        ("4", "4") => "hostunknown",
        ("4", "6") => "networkerror",
        ("4", "7") => "expired",
        ("5", _) => "syntaxerror",
        ("6", _) => "contenterror",
        ("7", "1") => "policyviolation",
        ("7", "25") => "requireptr",
        ("7", "23" | "24" | "26") => "authfailure",
        ("7", "28") => "spamdetected",
        ("7", _) => "securityerror",
        _ => return None,
    };
    Some(reason)
}

/// The code for a reason when the message gives none: the `X.0.9NN` codes Sisimai uses, so
/// that verdicts compare with its verdicts (`5.0.911` an unknown user, `4.0.947` a delay).
/// They are RFC 3463 codes of subject 0, "other or undefined".
pub fn code_for(reason: Reason, temporary: bool) -> Option<String> {
    let detail = match reason {
        "onhold" => 901,
        "syntaxerror" => 902,
        "norelaying" => 909,
        "filtered" if temporary => 924,
        "filtered" => 910,
        "userunknown" if !temporary => 911,
        "hostunknown" if !temporary => 912,
        "hasmoved" if !temporary => 916,
        "rejected" => 918,
        "suspend" => 921,
        "mailboxfull" => 922,
        "exceedlimit" => 923,
        "authfailure" => 926,
        "systemerror" => 930,
        "systemfull" => 931,
        "notaccept" => 932,
        "mesgtoobig" => 934,
        "mailererror" => 939,
        "networkerror" => 944,
        "toomanyconn" => 945,
        "speeding" => 946,
        "expired" => 947,
        "contenterror" => 960,
        "securityerror" => 970,
        "blocked" => 971,
        "policyviolation" => 972,
        "requireptr" => 973,
        "badreputation" => 975,
        "spamdetected" => 980,
        "virusdetected" => 981,
        _ => return None,
    };
    Some(format!("{}.0.{detail}", if temporary { 4 } else { 5 }))
}

/// Whether `reason` means the address is dead.
pub fn is_hard(reason: Reason) -> bool {
    HARD.contains(&reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_win_over_the_status_code() {
        let full = "550 5.1.1 <anne@example.nl>: mailbox is full";
        assert_eq!(reason(full, Some("5.1.1")), Some("mailboxfull"));
        let unknown = "550 5.1.1 <anne@example.nl>: Recipient address rejected: User unknown";
        assert_eq!(reason(unknown, Some("5.1.1")), Some("userunknown"));
        let spam = "550 5.1.1 message refused as spam";
        assert_eq!(reason(spam, Some("5.1.1")), Some("spamdetected"));
    }

    #[test]
    fn the_status_code_speaks_when_the_words_are_vague() {
        assert_eq!(
            reason("550 Requested action not taken", Some("5.1.1")),
            Some("userunknown")
        );
        assert_eq!(
            reason("554 rejected", Some("5.7.1")),
            Some("policyviolation")
        );
        assert_eq!(reason("554 rejected", None), None);
        assert_eq!(reason("550 access denied", None), Some("filtered"));
    }

    #[test]
    fn phrases_match_at_word_boundaries_only() {
        assert_eq!(reason("listed on zen.spamhaus.org", None), Some("blocked"));
        assert_eq!(reason("your message was garbled", None), None);
        assert_eq!(reason("your IP is blacklisted", None), Some("blocked"));
        assert_eq!(
            reason("user not listed in Domino Directory", None),
            Some("userunknown")
        );
    }

    #[test]
    fn other_languages() {
        assert_eq!(reason("Empfänger unbekannt", None), Some("userunknown"));
        assert_eq!(
            reason("Le destinataire n'existe pas", None),
            Some("userunknown")
        );
        assert_eq!(reason("Postfach voll", None), Some("mailboxfull"));
    }
}
