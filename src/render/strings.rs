//! The few words courant itself writes into an edition, per language.

use crate::edition::Language;

pub struct Strings {
    pub view_online: &'static str,
    pub unsubscribe: &'static str,
    pub unsubscribe_by_mail: &'static str,
    pub web_version: &'static str,
    pub unsubscribe_subject: &'static str,
}

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
