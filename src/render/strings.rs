//! Every word courant itself writes for readers, per language: in the email and web version,
//! and on the unsubscribe pages.

use crate::edition::Language;

/// The words courant writes into an edition.
pub struct Strings {
    pub view_online: &'static str,
    pub unsubscribe: &'static str,
    pub unsubscribe_by_mail: &'static str,
    pub web_version: &'static str,
    pub unsubscribe_subject: &'static str,
}

/// The edition's words in `language`.
pub fn strings(language: Language) -> &'static Strings {
    match language {
        Language::Nl => &Strings {
            view_online: "Bekijk deze nieuwsbrief in uw browser",
            unsubscribe: "Afmelden voor deze nieuwsbrief",
            unsubscribe_by_mail: "Afmelden per e-mail",
            web_version: "Webversie",
            unsubscribe_subject: "afmelden",
        },
        Language::En => &Strings {
            view_online: "View this newsletter in your browser",
            unsubscribe: "Unsubscribe from this newsletter",
            unsubscribe_by_mail: "Unsubscribe by email",
            web_version: "Web version",
            unsubscribe_subject: "unsubscribe",
        },
    }
}

/// The words of the unsubscribe pages (`serve-unsubscribe`).
pub struct PageWords {
    pub confirm_title: &'static str,
    pub confirm: &'static str,
    pub button: &'static str,
    pub done_title: &'static str,
    pub done: &'static str,
    pub invalid_title: &'static str,
    pub invalid: &'static str,
    pub failed: &'static str,
}

/// The unsubscribe pages' words in `language`.
pub fn page_words(language: Language) -> &'static PageWords {
    match language {
        Language::Nl => &PageWords {
            confirm_title: "Afmelden",
            confirm: "Wilt u deze nieuwsbrief niet meer ontvangen op",
            button: "Ja, meld mij af",
            done_title: "U bent afgemeld",
            done: "U ontvangt deze nieuwsbrief niet meer.",
            invalid_title: "Deze afmeldlink werkt niet",
            invalid: "De link is onvolledig of niet door ons gemaakt. Gebruik de afmeldlink onderaan de nieuwsbrief, of mail de redactie.",
            failed: "Het afmelden is nu niet gelukt. Probeer het later opnieuw.",
        },
        Language::En => &PageWords {
            confirm_title: "Unsubscribe",
            confirm: "Stop receiving this newsletter at",
            button: "Yes, unsubscribe me",
            done_title: "You are unsubscribed",
            done: "You will not receive this newsletter any more.",
            invalid_title: "This unsubscribe link does not work",
            invalid: "The link is incomplete or was not made by us. Use the unsubscribe link at the bottom of the newsletter, or write to the editors.",
            failed: "Unsubscribing did not work just now. Please try again later.",
        },
    }
}
