//! The edition model: what one newsletter issue says, and the newsletter-wide settings beside it.
//!
//! Two TOML files make an edition: `issues/newsletter.toml` (who sends, how it looks, the footer)
//! and `issues/<slug>.toml` (this month's texts). Both are read with spans, so every later
//! finding can point at the line that caused it.

pub mod alignment;
pub mod audience;
pub mod event;
mod load;
pub mod public;
pub mod value;
pub mod window;

pub use public::{IpRecord, Manage, Signup};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use value::{
    BaseUrl, Color, DnsName, EmailAddr, FontStack, HeaderText, Interval, LinkUrl, ListIdent, Rate,
    Size, UrlTemplate,
};

use crate::diagnostic::{Location, SourceFile};

/// Free text with its position in the file it came from.
pub type Text = Spanned<String>;

/// The settings file, looked for in the edition file's folder.
pub const NEWSLETTER_FILE: &str = "newsletter.toml";

/// The folder of an edition or settings file, for what lives beside it.
pub fn dir_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

/// `ledger` of the settings file at `path`, reading that key alone, for the commands that use
/// nothing else of the settings; `None` when the file or the key is missing or unreadable.
pub fn ledger_setting(path: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Key {
        ledger: Option<String>,
    }
    let text = std::fs::read_to_string(path).ok()?;
    toml::from_str::<Key>(&text).ok()?.ledger
}

/// `list-id` of the settings file at `path`, reading that key alone, for the commands that
/// keep the list; `None` when the file or the key is missing or unreadable.
pub fn list_id_setting(path: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Key {
        #[serde(rename = "list-id")]
        list_id: Option<String>,
    }
    let text = std::fs::read_to_string(path).ok()?;
    toml::from_str::<Key>(&text).ok()?.list_id
}

/// One edition, loaded and ready to render.
#[derive(Debug)]
pub struct Edition {
    /// The file stem, e.g. `2022-12`: names the web version's folder.
    pub slug: String,
    /// The folder the edition file is in; image paths are relative to it.
    pub dir: PathBuf,
    pub newsletter: Newsletter,
    pub content: Content,
    pub newsletter_file: Arc<SourceFile>,
    pub file: Arc<SourceFile>,
}

impl Edition {
    /// Where a span of the edition file is.
    pub fn at<T>(&self, spanned: &Spanned<T>) -> Location {
        Location::new(&self.file, spanned.span())
    }

    /// Where a span of `newsletter.toml` is.
    pub fn at_settings<T>(&self, spanned: &Spanned<T>) -> Location {
        Location::new(&self.newsletter_file, spanned.span())
    }

    /// The public URL of this edition's web version.
    pub fn web_url(&self) -> String {
        self.newsletter
            .web_base_url
            .get_ref()
            .join(&format!("{}/", self.slug))
    }

    /// Every item in reading order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        let sections = self.content.sections.iter().flat_map(|s| s.items.iter());
        self.content.intro.iter().chain(sections)
    }
}

/// `newsletter.toml`: the settings every edition shares.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Newsletter {
    /// The newsletter's name, e.g. `WeerbaarNL`.
    pub name: Spanned<HeaderText>,
    /// One line under the masthead saying what the newsletter is.
    pub description: Text,
    pub language: Language,
    /// The time zone of event times, `Europe/Amsterdam` when not given.
    #[serde(default)]
    pub time_zone: event::Zone,
    pub from: Sender,
    #[serde(default)]
    pub reply_to: Option<Sender>,
    /// The `List-Id` identifier, e.g. `weerbaarnl.nieuwsbrief.example`.
    pub list_id: ListIdent,
    /// Where web versions live: edition `2022-12` is at `<web-base-url>2022-12/`.
    pub web_base_url: Spanned<BaseUrl>,
    #[serde(default)]
    pub unsubscribe: Unsubscribe,
    pub footer: Footer,
    pub theme: Theme,
    #[serde(default)]
    pub greeting: Option<Greeting>,
    /// How images reach the reader; default `embed`.
    #[serde(default)]
    pub images: ImageMode,
    /// A folder outside the editions' folder that images may also come from, relative to
    /// `newsletter.toml` (a shared folder of logos and photos, say). Paths elsewhere are refused.
    #[serde(default)]
    pub image_folder: Option<Text>,
    /// How `send` paces and retries.
    #[serde(default)]
    pub sending: Sending,
    /// DKIM signing; `check` warns when it is missing.
    #[serde(default)]
    pub dkim: Option<DkimSettings>,
    /// Where bounces go and how `courant bounces` reads them.
    #[serde(default)]
    pub bounces: Option<BounceSettings>,
    /// The ledger every command uses when neither `--ledger` nor `COURANT_LEDGER` says: a file
    /// (relative to `newsletter.toml`) or a `postgres://` URL.
    #[serde(default)]
    pub ledger: Option<Text>,
    /// `[check]`: rules allowed for every edition.
    #[serde(default)]
    pub check: CheckSettings,
    /// `[retention]`: how long personal data no longer needed is kept.
    #[serde(default)]
    pub retention: Retention,
    /// `[signup]`: the public signup form with double opt-in (`courant serve-public`).
    #[serde(default)]
    pub signup: Option<Signup>,
    /// `[manage]`: the page where readers manage their own subscription, linked from the
    /// footer of every message (`courant serve-public`).
    #[serde(default)]
    pub manage: Option<Manage>,
    /// `[report]`: who gets a short report after each scheduled send (`run-due`).
    #[serde(default)]
    pub report: Option<ReportSettings>,
}

/// `[report]`: `to = ["redactie@example.nl"]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ReportSettings {
    pub to: Vec<Spanned<EmailAddr>>,
}

/// `[retention]`: what `courant retention apply` removes, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Retention {
    /// Signups never confirmed: removed after this long (default 30 days).
    #[serde(default = "Retention::pending_default")]
    pub pending: Interval,
    /// The text of bounces and other messages that came back: emptied after this long
    /// (default 90 days); the verdicts and the suppressions they led to stay.
    #[serde(default = "Retention::messages_default")]
    pub bounce_messages: Interval,
}

impl Retention {
    fn pending_default() -> Interval {
        Interval(std::time::Duration::from_secs(30 * 86_400))
    }

    fn messages_default() -> Interval {
        Interval(std::time::Duration::from_secs(90 * 86_400))
    }
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            pending: Retention::pending_default(),
            bounce_messages: Retention::messages_default(),
        }
    }
}

/// `[retention]` of the settings file at `path`, reading that table alone (the defaults when
/// it is not there); an error with its position when it is wrong.
pub fn retention_setting(path: &Path) -> Result<Retention, crate::source::LoadError> {
    #[derive(Deserialize)]
    struct Table {
        #[serde(default)]
        retention: Retention,
    }
    let file = crate::source::read_source(path)?;
    crate::source::parse::<Table>(&file).map(|t| t.retention)
}

/// `[bounces]`: the envelope sender of every message, and the mailbox bounces arrive in.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BounceSettings {
    /// The envelope sender (Return-Path), e.g. `bounces@example.nl`; From stays as it is.
    pub address: Spanned<EmailAddr>,
    /// Send from `bounces+TOKEN@…`, the token naming the edition and the recipient, so that a
    /// bounce is attributed without reading it; default true. The mail server must deliver
    /// plus-addresses to the bounce mailbox.
    #[serde(default = "default_verp")]
    pub verp: bool,
    /// The mailbox `bounces fetch` reads, e.g. `imaps://bounces@mail.example.nl/INBOX`.
    #[serde(default)]
    pub imap: Option<String>,
    /// Where `bounces fetch` moves what it processed; default `courant/processed`.
    #[serde(default = "default_processed")]
    pub processed_folder: String,
    /// Where `bounces fetch` moves what it could not use; default `courant/unprocessed`.
    #[serde(default = "default_unprocessed")]
    pub unprocessed_folder: String,
    /// Soft bounces of this many editions in a row suppress an address; default 3.
    #[serde(default = "default_soft_limit")]
    pub soft_limit: u32,
    /// A CA certificate (PEM) to trust for IMAP besides the web's, or the server's own
    /// self-signed certificate; relative to `newsletter.toml`. `--imap-ca` and
    /// `COURANT_IMAP_CA` go first.
    #[serde(default)]
    pub imap_ca: Option<PathBuf>,
}

fn default_verp() -> bool {
    true
}

fn default_processed() -> String {
    "courant/processed".into()
}

fn default_unprocessed() -> String {
    "courant/unprocessed".into()
}

fn default_soft_limit() -> u32 {
    3
}

/// `[dkim]`: the key that signs every message, published at `<selector>._domainkey.<domain>`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DkimSettings {
    pub selector: Spanned<DnsName>,
    /// The signing domain (`d=`); must align with the From domain for DMARC: the same
    /// organizational domain (Public Suffix List), or the same domain with `alignment = "strict"`.
    pub domain: Spanned<DnsName>,
    /// The domain's DMARC `adkim`: `relaxed` (the default, as DMARC's) or `strict`.
    #[serde(default)]
    pub alignment: crate::edition::alignment::Alignment,
    /// RSA private key, PKCS#1 PEM, relative to `newsletter.toml`; else `COURANT_DKIM_KEY`.
    #[serde(default)]
    pub key_file: Option<Spanned<String>>,
    /// A second signature, Ed25519-SHA256 (RFC 8463), under this selector; never alone.
    #[serde(default)]
    pub ed25519_selector: Option<Spanned<DnsName>>,
    /// Its private key, PKCS#8 PEM (`courant dkim generate --algorithm ed25519`, or `openssl
    /// genpkey -algorithm ed25519`), relative to
    /// `newsletter.toml`; else `COURANT_DKIM_ED25519_KEY`.
    #[serde(default)]
    pub ed25519_key_file: Option<Spanned<String>>,
}

/// `[sending]`: pacing, retries and limits of `courant send`. Flags override each key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Sending {
    /// Messages per time unit for all connections together; default `10/s`.
    pub rate: Rate,
    /// How many messages may start at once after a pause; default 1 (even pacing).
    pub burst: u32,
    /// At most this many messages in any 24 hours, counted across runs from the ledger.
    pub daily_limit: Option<u64>,
    /// Open SMTP connections at most; default 4.
    pub concurrency: usize,
    /// Messages per connection before it is closed and a new one opened; default unlimited.
    pub max_per_connection: Option<u32>,
    /// Attempts after the first for a transient failure; default 5.
    pub retries: u32,
    /// The first retry's delay; each next one doubles, with jitter; default `30s`.
    pub retry_delay: Interval,
    /// Stop the run after this many failures in a row; default 20.
    pub max_consecutive_failures: u32,
    /// The longest wait for the server at each step (connect, each reply, the data); default `2m`.
    pub timeout: Interval,
    /// The largest message `check` lets through; default `25 MB`, what Gmail, Outlook.com and
    /// Yahoo take. A server that announces less (SIZE) gets nothing larger either.
    pub max_message_size: Size,
    /// A CA certificate (PEM) to trust for SMTP besides the web's, or the server's own
    /// self-signed certificate; relative to `newsletter.toml`. `--smtp-ca` and
    /// `COURANT_SMTP_CA` go first.
    pub smtp_ca: Option<PathBuf>,
    /// The days and hours a scheduled send may go on, e.g. `"ma-vr 08:00-18:00"`: outside
    /// them it pauses, and `run-due` goes on inside them.
    pub window: Option<window::Window>,
}

impl Default for Sending {
    fn default() -> Self {
        Sending {
            rate: Rate::PerSecond(10.0),
            burst: 1,
            daily_limit: None,
            concurrency: 4,
            max_per_connection: None,
            retries: 5,
            retry_delay: Interval(std::time::Duration::from_secs(30)),
            max_consecutive_failures: 20,
            timeout: Interval(std::time::Duration::from_secs(120)),
            max_message_size: Size(25_000_000),
            smtp_ca: None,
            window: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    Nl,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }
}

/// A display name and address, as in `From` and `Reply-To`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Sender {
    pub name: Spanned<HeaderText>,
    pub email: Spanned<EmailAddr>,
}

/// At least one of the two should be set; `check` reports an edition without either.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Unsubscribe {
    /// An https URL with `{email}`, e.g. `https://example.nl/afmelden?email={email}`.
    #[serde(default)]
    pub url: Option<UrlTemplate>,
    /// An address that unsubscribes whoever writes to it.
    #[serde(default)]
    pub mailto: Option<EmailAddr>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Footer {
    /// Who sends the newsletter, e.g. the unit and its ministry.
    pub organisation: Text,
    /// How to reach the editors (Markdown).
    #[serde(default)]
    pub contact: Option<Text>,
    /// Why the reader receives this mail (Markdown).
    pub why: Text,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Theme {
    /// The masthead's background.
    pub brand: Spanned<Color>,
    /// Text on the masthead; default white.
    #[serde(default = "white")]
    pub on_brand: Spanned<Color>,
    pub text: Spanned<Color>,
    /// Secondary text: credits, the footer.
    pub muted: Spanned<Color>,
    pub link: Spanned<Color>,
    /// The content column's background; default white.
    #[serde(default = "white")]
    pub background: Spanned<Color>,
    /// Around the content column.
    pub canvas: Spanned<Color>,
    pub font: FontStack,
    #[serde(default)]
    pub logo: Option<Logo>,
    /// Colours for readers in dark mode.
    pub dark: DarkTheme,
}

fn white() -> Spanned<Color> {
    Spanned::new(0..0, Color([255, 255, 255]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DarkTheme {
    pub brand: Spanned<Color>,
    pub on_brand: Spanned<Color>,
    pub text: Spanned<Color>,
    pub muted: Spanned<Color>,
    pub link: Spanned<Color>,
    pub background: Spanned<Color>,
    pub canvas: Spanned<Color>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Logo {
    /// Image file, relative to the folder of `newsletter.toml`.
    pub src: Text,
    pub alt: Text,
    /// Display width in CSS pixels; the height follows the image.
    pub width: u32,
}

/// `greeting = { text = "Beste {name},", fallback = "Beste lezer," }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Greeting {
    /// With `{name}` for the subscriber's name.
    pub text: Text,
    /// For subscribers without a name.
    pub fallback: Text,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageMode {
    /// Inline parts of the message (`multipart/related`), shown without a click.
    #[default]
    Embed,
    /// `<img>` pointing at the web version's folder under `web-base-url`.
    Link,
}

/// `issues/<slug>.toml`: one edition's texts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Content {
    /// The masthead, e.g. `Nieuwsbrief WeerbaarNL – December 2022`.
    pub title: Text,
    pub subject: Spanned<HeaderText>,
    /// The line inboxes show after the subject.
    #[serde(default)]
    pub preheader: Option<Text>,
    pub date: Spanned<toml::value::Datetime>,
    /// The opening item, shown large.
    #[serde(default)]
    pub intro: Option<Item>,
    #[serde(default, rename = "section")]
    pub sections: Vec<Section>,
    /// The closing words after the last item, e.g. "Met vriendelijke groet, de redactie"
    /// (*Markdown*).
    #[serde(default)]
    pub sign_off: Option<Text>,
    /// The edition's language, when it is not the newsletter's (`nl` or `en`).
    #[serde(default)]
    pub language: Option<Language>,
    /// Who of the list it is for: `'regio = "Oost" and not tag:pers'`; everyone when not set.
    #[serde(default)]
    pub audience: Option<Spanned<audience::Audience>>,
    /// `[check]`: rules allowed for this edition only.
    #[serde(default)]
    pub check: CheckSettings,
}

/// `[check]`: which of `check`'s warnings not to report, by rule id (`allow = ["spam-all-caps"]`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CheckSettings {
    #[serde(default)]
    pub allow: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Section {
    /// Shown as a heading; items of an untitled section are headings of their own level.
    #[serde(default)]
    pub title: Option<Text>,
    /// A few words under the section's title, before its items (*Markdown*).
    #[serde(default)]
    pub intro: Option<Text>,
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Item {
    /// A short label above the title.
    #[serde(default)]
    pub kicker: Option<Text>,
    pub title: Text,
    /// Markdown: paragraphs, emphasis, links and lists.
    pub body: Text,
    #[serde(default)]
    pub image: Option<Image>,
    #[serde(default)]
    pub link: Option<Link>,
    /// More links, after `link`: `links = [{ text, url }, { text, url, button = true }]`.
    #[serde(default)]
    pub links: Vec<Link>,
    /// What the item invites to: when and where, with a calendar file.
    #[serde(default)]
    pub event: Option<event::Event>,
}

impl Item {
    /// Its links in order: `link`, then `links`.
    pub fn all_links(&self) -> impl Iterator<Item = &Link> {
        self.link.iter().chain(&self.links)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Image {
    /// Image file, relative to the edition file's folder.
    pub src: Text,
    /// What the picture shows; `""` marks a decorative image.
    #[serde(default)]
    pub alt: Option<Text>,
    /// Shown under the image, e.g. `Beeld: ©ESS`.
    #[serde(default)]
    pub credit: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Link {
    /// Must make sense on its own: screen readers list links out of context.
    pub text: Text,
    pub url: Spanned<LinkUrl>,
    /// Shown as a button (the one thing the reader should do), drawn for Outlook too.
    #[serde(default)]
    pub button: bool,
}
