//! One personalised MIME message: the slots filled, the headers a bulk sender must carry.
//!
//! Structure: `multipart/alternative` (text/plain, then text/html), inside `multipart/related`
//! when images are embedded. lettre writes Date and MIME-Version; everything else that inbox
//! providers look for is set here: a Message-ID on the From domain (lettre adds none), List-Id,
//! List-Unsubscribe and, with an https unsubscribe URL, RFC 8058's List-Unsubscribe-Post.
//!
//! With `SOURCE_DATE_EPOCH` set, Date, Message-ID and the MIME boundaries depend only on the
//! input, so the same edition and list give byte-identical messages.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::dkim::Signer;
use crate::edition::value::encode_component;
use crate::edition::{Edition, ImageMode, Newsletter};
use crate::personal::{self, Personal};
use crate::render::{Rendered, strings::strings};
use crate::subscribers::Subscriber;
use crate::unsubscribe::{SecretError, TokenKey};

/// The envelope sender of a message (MAIL FROM; the receiving server records it as
/// Return-Path, and sends bounces there): the From address, or `[bounces] address`, with a
/// token per edition and recipient when `verp` is on (`bounces+TOKEN@example.nl`).
#[derive(Debug, Clone)]
pub enum ReturnPath {
    /// Bounces go where From is.
    From(lettre::Address),
    /// Bounces go to `[bounces] address`.
    Fixed(lettre::Address),
    /// Bounces go to `local+TOKEN@domain`.
    Verp {
        local: String,
        domain: String,
        key: TokenKey,
    },
}

impl ReturnPath {
    /// The return path `newsletter` asks for; VERP needs the token key.
    pub fn new(newsletter: &Newsletter, key: Option<&TokenKey>) -> Result<ReturnPath, SecretError> {
        let Some(bounces) = &newsletter.bounces else {
            return Ok(ReturnPath::From(
                newsletter.from.email.get_ref().to_address(),
            ));
        };
        let address = bounces.address.get_ref().to_address();
        if !bounces.verp {
            return Ok(ReturnPath::Fixed(address));
        }
        let key = match key {
            Some(key) => key.clone(),
            None => TokenKey::from_env(newsletter.list_id.as_str())?,
        };
        Ok(ReturnPath::Verp {
            local: address.user().to_owned(),
            domain: address.domain().to_owned(),
            key,
        })
    }

    /// The envelope sender for `email` in `edition`, and the VERP token in it.
    pub fn envelope(&self, edition: &str, email: &str) -> (lettre::Address, Option<String>) {
        match self {
            ReturnPath::From(a) | ReturnPath::Fixed(a) => (a.clone(), None),
            ReturnPath::Verp { local, domain, key } => {
                let token = key.verp(edition, email);
                let address = lettre::Address::new(format!("{local}+{token}"), domain)
                    .expect("a valid address with a hexadecimal tag is valid");
                (address, Some(token))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the message for `{email}`: {source}")]
pub struct MessageError {
    email: String,
    source: BuildError,
}

/// What went wrong making one message.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Mime(#[from] lettre::error::Error),
    #[error(transparent)]
    Sign(#[from] crate::dkim::SignError),
}

/// The bytes of `message`, with its DKIM signature in front when there is a `signer`.
pub fn sign(
    signer: Option<&Signer>,
    message: &lettre::Message,
) -> Result<Vec<u8>, crate::dkim::SignError> {
    let bytes = message.formatted();
    match signer {
        Some(signer) => signer.sign(&bytes),
        None => Ok(bytes),
    }
}

/// Where Date, Message-ID and boundaries come from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The current time and a random run token.
    Now { run: String },
    /// `SOURCE_DATE_EPOCH`: everything derived from the input.
    Fixed(SystemTime),
}

impl Clock {
    /// `Fixed` when `SOURCE_DATE_EPOCH` holds a number of seconds, else `Now`.
    pub fn from_env() -> Clock {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        match epoch {
            Some(secs) => Clock::Fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            None => Clock::Now {
                run: random_token(),
            },
        }
    }
}

fn random_token() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!(
        "{}:{}:{:?}",
        now.as_nanos(),
        std::process::id(),
        std::thread::current().id()
    );
    hex(&Sha256::digest(seed.as_bytes())[..6])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the messages of one rendered edition.
pub struct Composer<'a> {
    edition: &'a Edition,
    rendered: &'a Rendered,
    clock: Clock,
    subject_prefix: String,
    /// The embedded images, base64-encoded once: (Content-ID, type, body).
    images: Vec<(String, ContentType, Body)>,
    dkim: Option<&'a Signer>,
    tokens: Option<TokenKey>,
    /// A test message: its links carry test tokens, which change nothing.
    test: bool,
}

impl<'a> Composer<'a> {
    pub fn new(edition: &'a Edition, rendered: &'a Rendered, clock: Clock) -> Self {
        let embed = edition.newsletter.images == ImageMode::Embed;
        let images = rendered
            .assets
            .all()
            .filter(|_| embed)
            .map(|asset| {
                let content_type =
                    ContentType::parse(asset.content_type).expect("a known image type");
                let body =
                    Body::new_with_encoding(asset.bytes.clone(), ContentTransferEncoding::Base64)
                        .expect("any bytes can be base64-encoded");
                (asset.name.clone(), content_type, body)
            })
            .collect();
        Composer {
            edition,
            rendered,
            clock,
            subject_prefix: String::new(),
            images,
            dkim: None,
            tokens: None,
            test: false,
        }
    }

    /// The personal values of one subscriber.
    pub fn personal(&self, subscriber: &Subscriber) -> Personal {
        let newsletter = &self.edition.newsletter;
        let greeting = newsletter.greeting.as_ref().map_or(String::new(), |g| {
            personal::greeting(
                g.text.get_ref(),
                g.fallback.get_ref(),
                subscriber.name.as_deref(),
                &subscriber.fields,
            )
        });
        let unsubscribe = self
            .unsubscribe_url(subscriber)
            .or_else(|| self.unsubscribe_mailto(subscriber))
            .unwrap_or_default();
        let manage = self.manage_url(subscriber).unwrap_or_default();
        Personal {
            greeting,
            unsubscribe,
            manage,
        }
    }

    /// The reader's own page: a token for that one purpose, valid `[manage] expires` from the
    /// message's date.
    fn manage_url(&self, subscriber: &Subscriber) -> Option<String> {
        let manage = self.edition.newsletter.manage.as_ref()?;
        let email = subscriber.email.as_str();
        let token = match &self.tokens {
            Some(key) if self.test => key.test_token(email),
            Some(key) => {
                let date = self.date().duration_since(SystemTime::UNIX_EPOCH);
                let now = date.map_or(0, |d| d.as_secs() as i64);
                let expires = now + manage.expires.0.as_secs() as i64;
                key.purpose_token(crate::unsubscribe::Purpose::Manage, email, expires)
            }
            None => "TOKEN".to_owned(),
        };
        Some(manage.url.get_ref().fill(&token))
    }

    fn unsubscribe_url(&self, subscriber: &Subscriber) -> Option<String> {
        let template = self.edition.newsletter.unsubscribe.url.as_ref()?;
        let email = subscriber.email.as_str();
        let token = match &self.tokens {
            Some(key) if self.test => key.test_token(email),
            Some(key) => key.token(email),
            // Only review copies (`build`) are made without the secret.
            None => "TOKEN".to_owned(),
        };
        Some(template.fill(email, &token))
    }

    fn unsubscribe_mailto(&self, subscriber: &Subscriber) -> Option<String> {
        let mailto = self.edition.newsletter.unsubscribe.mailto.as_ref()?;
        let word = strings(self.edition.newsletter.language).unsubscribe_subject;
        // The signed token ties the request to the subscriber (`courant bounces` acts on it);
        // without the secret only a person can tell.
        let who = match &self.tokens {
            Some(key) if self.test => key.test_token(subscriber.email.as_str()),
            Some(key) => key.token(subscriber.email.as_str()),
            None => subscriber.email.to_string(),
        };
        let subject = encode_component(&format!("{word} {who}"));
        Some(format!("mailto:{mailto}?subject={subject}"))
    }

    /// The complete message for one subscriber.
    pub fn message(&self, subscriber: &Subscriber) -> Result<Message, MessageError> {
        let personal = self.personal(subscriber);
        let text = self.rendered.text.fill_quoted_printable(&personal);
        let html = self.rendered.html.fill_quoted_printable(&personal);
        let alternative = self
            .multipart(MultiPart::alternative(), subscriber, "alternative")
            .singlepart(quoted_printable_part(ContentType::TEXT_PLAIN, text))
            .singlepart(quoted_printable_part(ContentType::TEXT_HTML, html));
        let body = match self.embedded() {
            Some(images) => images.fold(
                self.multipart(MultiPart::related(), subscriber, "related")
                    .multipart(alternative),
                lettre::message::MultiPart::singlepart,
            ),
            None => alternative,
        };
        let message = self
            .headers(subscriber)
            .multipart(body)
            .map_err(|source| MessageError {
                email: subscriber.email.to_string(),
                source: source.into(),
            })?;
        Ok(message)
    }

    /// The message's bytes as sent: built, then DKIM-signed when the composer has a key.
    pub fn bytes(&self, subscriber: &Subscriber) -> Result<Vec<u8>, MessageError> {
        sign(self.dkim, &self.message(subscriber)?).map_err(|source| MessageError {
            email: subscriber.email.to_string(),
            source: source.into(),
        })
    }

    fn headers(&self, subscriber: &Subscriber) -> lettre::message::MessageBuilder {
        let newsletter = &self.edition.newsletter;
        let from = Mailbox::new(
            Some(newsletter.from.name.get_ref().to_string()),
            newsletter.from.email.get_ref().to_address(),
        );
        let to = Mailbox::new(subscriber.name.clone(), subscriber.email.to_address());
        let subject = format!(
            "{}{}",
            self.subject_prefix,
            self.edition.content.subject.get_ref()
        );
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .date(self.date())
            .message_id(Some(self.message_id(subscriber)))
            .header(ListId(format!(
                "{} <{}>",
                newsletter.name.get_ref(),
                newsletter.list_id.as_str()
            )));
        if let Some(reply_to) = &newsletter.reply_to {
            let name = Some(reply_to.name.get_ref().to_string());
            builder = builder.reply_to(Mailbox::new(name, reply_to.email.get_ref().to_address()));
        }
        let https = self.unsubscribe_url(subscriber);
        let targets: Vec<String> = https
            .iter()
            .cloned()
            .chain(self.unsubscribe_mailto(subscriber))
            .map(|t| format!("<{t}>"))
            .collect();
        if !targets.is_empty() {
            builder = builder.header(ListUnsubscribe(targets.join(", ")));
        }
        if https.is_some() {
            builder = builder.header(ListUnsubscribePost);
        }
        builder
    }

    fn embedded(&self) -> Option<impl Iterator<Item = SinglePart> + '_> {
        (!self.images.is_empty()).then(|| {
            self.images.iter().map(|(cid, content_type, body)| {
                Attachment::new_inline(cid.clone()).body(body.clone(), content_type.clone())
            })
        })
    }

    fn date(&self) -> SystemTime {
        match &self.clock {
            Clock::Now { .. } => SystemTime::now(),
            Clock::Fixed(time) => *time,
        }
    }

    /// Unique per edition and recipient; on the From domain so that it aligns with the sender.
    pub fn message_id(&self, subscriber: &Subscriber) -> String {
        let who = self.token(subscriber, "message-id");
        let run = match &self.clock {
            Clock::Now { run } => run.clone(),
            Clock::Fixed(_) => "0".to_owned(),
        };
        let domain = self
            .edition
            .newsletter
            .from
            .email
            .get_ref()
            .domain()
            .to_owned();
        format!("<courant.{}.{who}.{run}@{domain}>", self.edition.slug)
    }

    fn multipart(
        &self,
        builder: lettre::message::MultiPartBuilder,
        subscriber: &Subscriber,
        kind: &str,
    ) -> lettre::message::MultiPartBuilder {
        match &self.clock {
            Clock::Now { .. } => builder,
            // `=_` never occurs in quoted-printable or base64 text, so it cannot clash with a body.
            Clock::Fixed(_) => builder.boundary(format!("=_{}", self.token(subscriber, kind))),
        }
    }

    fn token(&self, subscriber: &Subscriber, purpose: &str) -> String {
        let input = format!(
            "{purpose}\0{}\0{}",
            self.edition.slug,
            subscriber.email.as_str().to_lowercase()
        );
        hex(&Sha256::digest(input.as_bytes())[..10])
    }

    /// Makes test messages: every link that acts carries a test token, which the endpoint
    /// answers without changing anything.
    pub fn as_test(mut self) -> Self {
        self.test = true;
        self
    }

    /// Signs every message of [`Composer::bytes`] with this key, as the last step.
    pub fn with_dkim(mut self, dkim: Option<&'a Signer>) -> Self {
        self.dkim = dkim;
        self
    }

    /// Signs the unsubscribe tokens with this key.
    pub fn with_tokens(mut self, tokens: Option<TokenKey>) -> Self {
        self.tokens = tokens;
        self
    }

    /// Prefixes every subject, e.g. `[TEST] `.
    pub fn with_subject_prefix(mut self, prefix: &str) -> Self {
        self.subject_prefix = prefix.to_owned();
        self
    }
}

/// A text part whose body is already quoted-printable encoded (see `render::slots`).
fn quoted_printable_part(content_type: ContentType, encoded: Vec<u8>) -> SinglePart {
    let body = Body::dangerous_pre_encoded(encoded, ContentTransferEncoding::QuotedPrintable);
    SinglePart::builder().header(content_type).body(body)
}

/// `List-Id: WeerbaarNL <weerbaarnl.nieuwsbrief.example>` (RFC 2919).
#[derive(Debug, Clone)]
struct ListId(String);

/// `List-Unsubscribe: <https://…>, <mailto:…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Id")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListId(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}
