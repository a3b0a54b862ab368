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
    /// An event's labels and the link to its calendar file.
    pub when: &'static str,
    pub place: &'static str,
    pub add_to_calendar: &'static str,
    /// Monday first.
    pub weekdays: [&'static str; 7],
    pub months: [&'static str; 12],
    /// A time on the clock: `19.30 uur`, `19:30`.
    pub clock: fn(i8, i8) -> String,
    /// After a time or a range of times: ` uur` in Dutch.
    pub clock_suffix: &'static str,
}

static NL: Strings = Strings {
    view_online: "Bekijk deze nieuwsbrief in uw browser",
    unsubscribe: "Afmelden voor deze nieuwsbrief",
    unsubscribe_by_mail: "Afmelden per e-mail",
    web_version: "Webversie",
    unsubscribe_subject: "afmelden",
    when: "Wanneer",
    place: "Waar",
    add_to_calendar: "Zet in uw agenda",
    weekdays: [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ],
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    clock: |h, m| format!("{h}.{m:02}"),
    clock_suffix: " uur",
};

static EN: Strings = Strings {
    view_online: "View this newsletter in your browser",
    unsubscribe: "Unsubscribe from this newsletter",
    unsubscribe_by_mail: "Unsubscribe by email",
    web_version: "Web version",
    unsubscribe_subject: "unsubscribe",
    when: "When",
    place: "Where",
    add_to_calendar: "Add to your calendar",
    weekdays: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    clock: |h, m| format!("{h:02}:{m:02}"),
    clock_suffix: "",
};

/// The edition's words in `language`.
pub fn strings(language: Language) -> &'static Strings {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
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
    pub test_title: &'static str,
    pub test: &'static str,
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
            test_title: "Dit was een testbericht",
            test: "Deze link komt uit een testbericht: er is niets veranderd. In de nieuwsbrief zelf meldt deze link de lezer af.",
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
            test_title: "This was a test message",
            test: "This link comes from a test message: nothing changed. In the newsletter itself this link unsubscribes the reader.",
        },
    }
}

/// The words of `courant serve`'s preview page, for the editors.
pub struct PreviewWords {
    pub not_loaded: &'static str,
    pub last_good: &'static str,
    pub no_problems: &'static str,
    pub desktop: &'static str,
    pub desktop_title: &'static str,
    pub phone: &'static str,
    pub phone_title: &'static str,
    pub dark: &'static str,
    pub dark_title: &'static str,
    pub plain_text: &'static str,
    pub headers: &'static str,
    pub web_version: &'static str,
    pub personalise_as: &'static str,
    pub anonymous: &'static str,
}

/// The preview page's words in `language`.
pub fn preview_words(language: Language) -> &'static PreviewWords {
    match language {
        Language::Nl => &PreviewWords {
            not_loaded: "De editie laadt niet",
            last_good: "Toon de laatste weergave die wel werkte",
            no_problems: "Geen problemen gevonden.",
            desktop: "Computer, 600 px",
            desktop_title: "De e-mail op de breedte van een computerscherm",
            phone: "Telefoon, 375 px",
            phone_title: "De e-mail op de breedte van een telefoon",
            dark: "Donkere modus",
            dark_title: "De e-mail in donkere modus",
            plain_text: "Platte tekst",
            headers: "Kopregels",
            web_version: "Webversie",
            personalise_as: "Persoonlijk maken voor ",
            anonymous: "een lezer zonder naam",
        },
        Language::En => &PreviewWords {
            not_loaded: "The edition does not load",
            last_good: "Show the last render that worked",
            no_problems: "No problems found.",
            desktop: "Desktop, 600 px",
            desktop_title: "The email at desktop width",
            phone: "Phone, 375 px",
            phone_title: "The email at phone width",
            dark: "Dark mode",
            dark_title: "The email in dark mode",
            plain_text: "Plain text",
            headers: "Headers",
            web_version: "Web version",
            personalise_as: "Personalise as ",
            anonymous: "a reader without a name",
        },
    }
}

/// The words of the signup pages and the confirmation mail (`serve-public`).
pub struct SignupWords {
    pub title: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub optional: &'static str,
    pub privacy: &'static str,
    pub button: &'static str,
    pub sent_title: &'static str,
    pub sent: &'static str,
    pub confirm_title: &'static str,
    pub confirm: &'static str,
    pub confirm_button: &'static str,
    pub done_title: &'static str,
    pub done: &'static str,
    pub invalid_title: &'static str,
    pub invalid: &'static str,
    pub expired: &'static str,
    pub mail_subject: &'static str,
    pub mail_body: &'static str,
    pub mail_ignore: &'static str,
}

/// The signup pages' words in `language`.
pub fn signup_words(language: Language) -> &'static SignupWords {
    match language {
        Language::Nl => &SignupWords {
            title: "Aanmelden voor de nieuwsbrief",
            email: "E-mailadres",
            name: "Naam",
            optional: "(niet verplicht)",
            privacy: "Privacyverklaring",
            button: "Aanmelden",
            sent_title: "Kijk in uw mailbox",
            sent: "Als dit adres zich kan aanmelden, krijgt het een e-mail met een link om de aanmelding te bevestigen. Pas na die bevestiging ontvangt u de nieuwsbrief.",
            confirm_title: "Aanmelding bevestigen",
            confirm: "Wilt u de nieuwsbrief ontvangen op",
            confirm_button: "Ja, bevestig mijn aanmelding",
            done_title: "U bent aangemeld",
            done: "Dank u wel. U ontvangt voortaan de nieuwsbrief.",
            invalid_title: "Deze link werkt niet",
            invalid: "De link is onvolledig of niet door ons gemaakt. Meld u opnieuw aan.",
            expired: "De link is verlopen. Meld u opnieuw aan; u krijgt dan een nieuwe link.",
            mail_subject: "Bevestig uw aanmelding",
            mail_body: "Iemand, hopelijk u, heeft dit adres aangemeld voor de nieuwsbrief. Bevestig de aanmelding met deze link:",
            mail_ignore: "Heeft u zich niet aangemeld? Dan kunt u deze e-mail negeren: zonder bevestiging gebeurt er niets.",
        },
        Language::En => &SignupWords {
            title: "Subscribe to the newsletter",
            email: "Email address",
            name: "Name",
            optional: "(optional)",
            privacy: "Privacy statement",
            button: "Subscribe",
            sent_title: "Check your mailbox",
            sent: "If this address can subscribe, it gets an email with a link to confirm. You receive the newsletter only after that confirmation.",
            confirm_title: "Confirm your subscription",
            confirm: "Receive the newsletter at",
            confirm_button: "Yes, confirm my subscription",
            done_title: "You are subscribed",
            done: "Thank you. You will receive the newsletter from now on.",
            invalid_title: "This link does not work",
            invalid: "The link is incomplete or was not made by us. Please subscribe again.",
            expired: "The link has expired. Please subscribe again to get a new one.",
            mail_subject: "Confirm your subscription",
            mail_body: "Someone, hopefully you, subscribed this address to the newsletter. Confirm with this link:",
            mail_ignore: "Did you not subscribe? Then ignore this email: without confirmation nothing happens.",
        },
    }
}
