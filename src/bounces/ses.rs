//! Amazon SES notifications mailed by SNS: a JSON object (`notificationType` `Bounce`,
//! `Complaint` or `Delivery`) in the text of the message instead of a report.

use serde_json::Value;

use super::text;
use super::verdict::{Kind, Verdict, kind_of};
use crate::transport::reply::{best_status, reason, reply_code, status_code};

/// The verdicts of an SES notification in `text`, if it holds one.
pub(super) fn verdicts(text: &str) -> Option<Vec<Verdict>> {
    let start = text.find("{\"notificationType\"")?;
    let parse = |json: &str| -> Option<Value> {
        serde_json::Deserializer::from_str(json)
            .into_iter()
            .next()?
            .ok()
    };
    // Mail systems fold the one long line: `!` and a line break where it was cut.
    let value = parse(&text[start..]).or_else(|| {
        let unfolded = text[start..].replace("!\r\n ", "").replace("!\n ", "");
        parse(&unfolded)
    })?;
    let verdicts = match value["notificationType"].as_str()? {
        "Bounce" => bounce(&value["bounce"]),
        "Complaint" => complaint(&value["complaint"]),
        "Delivery" => delivery(&value["delivery"]),
        _ => return None,
    };
    (!verdicts.is_empty()).then_some(verdicts)
}

fn bounce(bounce: &Value) -> Vec<Verdict> {
    let permanent = bounce["bounceType"].as_str() == Some("Permanent");
    let recipients = bounce["bouncedRecipients"].as_array();
    recipients
        .into_iter()
        .flatten()
        .map(|r| {
            let diagnostic = r["diagnosticCode"].as_str().map(str::to_owned);
            let words = diagnostic.clone().unwrap_or_default();
            let status = best_status(
                r["status"].as_str().and_then(status_code),
                status_code(&words),
                reply_code(&words),
            );
            let reason = reason::reason(&words, status.as_deref());
            Verdict {
                kind: kind_of(false, reason, !permanent),
                recipient: r["emailAddress"].as_str().map(str::to_owned),
                reply: reply_code(&words),
                status,
                reason,
                diagnostic: diagnostic.map(|d| text::one_line(&d)),
            }
        })
        .collect()
}

fn complaint(complaint: &Value) -> Vec<Verdict> {
    let kind = match complaint["complaintFeedbackType"].as_str() {
        Some("not-spam") => return Vec::new(),
        _ => Kind::Complaint,
    };
    let recipients = complaint["complainedRecipients"].as_array();
    recipients
        .into_iter()
        .flatten()
        .map(|r| Verdict {
            kind,
            recipient: r["emailAddress"].as_str().map(str::to_owned),
            status: None,
            reply: None,
            reason: Some("feedback"),
            diagnostic: complaint["complaintFeedbackType"]
                .as_str()
                .map(|t| format!("feedback-type: {t}")),
        })
        .collect()
}

fn delivery(delivery: &Value) -> Vec<Verdict> {
    let recipients = delivery["recipients"].as_array();
    recipients
        .into_iter()
        .flatten()
        .map(|r| Verdict {
            kind: Kind::Delivered,
            recipient: r.as_str().map(str::to_owned),
            status: Some("2.0.0".into()),
            reply: None,
            reason: Some("delivered"),
            diagnostic: delivery["smtpResponse"].as_str().map(str::to_owned),
        })
        .collect()
}
