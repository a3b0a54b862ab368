//! The word lists behind `check`'s rules, in one place: extend a list here and its rule, its
//! tests and the README's table follow. Dutch and English, compared in lower case after
//! punctuation is taken off (`Lees meer »`, `Klik hier!` and `lees meer` are one text).

/// Link texts that do not say where the link goes (`link-text-generic`). Screen readers list a
/// page's links out of context; WCAG 2.4.4.
pub(super) const GENERIC_LINK_TEXTS: &[&str] = &[
    // Dutch
    "lees meer",
    "lees verder",
    "meer lezen",
    "verder lezen",
    "klik hier",
    "klik",
    "hier",
    "link",
    "deze link",
    "meer",
    "meer info",
    "meer informatie",
    "verder",
    "bekijk",
    "bekijk hier",
    "download",
    "download hier",
    "ga verder",
    // English
    "read more",
    "continue reading",
    "click here",
    "click",
    "here",
    "more",
    "more info",
    "more information",
    "learn more",
    "see more",
    "this link",
    "details",
];

/// `alt` texts that say nothing about the picture (`generic-alt`). Single characters and file
/// names are caught as well.
pub(super) const GENERIC_ALTS: &[&str] = &[
    // Dutch
    "foto",
    "afbeelding",
    "plaatje",
    "beeld",
    "illustratie",
    "logo",
    "figuur",
    "icoon",
    // English
    "image",
    "photo",
    "picture",
    "img",
    "pic",
    "graphic",
    "illustration",
    "icon",
    "banner",
    "placeholder",
];

/// Link shorteners (`bad-shortlink`): they hide where a link goes, and spam filters score them
/// because spammers use them to hide their domains.
pub(super) const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "v.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "t.ly",
    "s.id",
    "lnkd.in",
    "rb.gy",
    "bl.ink",
    "shorte.st",
    "adf.ly",
];

/// Words and phrases spam filters score (`spam-suspicious-phrases`); the rule fires on two or
/// more different ones in an edition, since one "gratis" in a real newsletter is normal.
/// Sources: SpamAssassin's body rules, Mailchimp's and HubSpot's published trigger lists.
pub(super) const SPAM_PHRASES: &[&str] = &[
    // Dutch
    "gratis",
    "100% gratis",
    "klik nu",
    "bestel nu",
    "koop nu",
    "nu bestellen",
    "winnaar",
    "gewonnen",
    "u heeft gewonnen",
    "je hebt gewonnen",
    "gefeliciteerd",
    "geen risico",
    "zonder risico",
    "laatste kans",
    "dringend",
    "alleen vandaag",
    "beperkte tijd",
    "geld verdienen",
    "snel geld",
    "niet te missen",
    "geld terug",
    "gegarandeerd",
    // English
    "free",
    "100% free",
    "click now",
    "click here now",
    "buy now",
    "order now",
    "act now",
    "winner",
    "you have won",
    "congratulations",
    "risk free",
    "risk-free",
    "no risk",
    "last chance",
    "urgent",
    "limited time",
    "earn money",
    "make money",
    "cash",
    "guaranteed",
    "no cost",
    "special promotion",
];
