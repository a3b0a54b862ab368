//! Unsubscribe tokens: who may unsubscribe whom, without a database lookup.
//!
//! A token is `base64url(address) . base64url(HMAC-SHA256(secret, list-id "\n" address))`,
//! the address lowercased and the MAC cut to 128 bits. It names the address (so the service
//! needs no table of tokens) and cannot be made for another address without the secret, which
//! comes from `COURANT_UNSUBSCRIBE_SECRET`, the file `COURANT_UNSUBSCRIBE_SECRET_FILE` names, or
//! the file `unsubscribe-secret` beside `newsletter.toml` that `courant init` writes.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where the secret comes from.
pub const SECRET_ENV: &str = "COURANT_UNSUBSCRIBE_SECRET";

const MAC_BYTES: usize = 16;
/// How a test message's token starts.
const TEST_PREFIX: &str = "test.";

/// What a token of the public pages may do; a token made for one purpose does nothing for
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm a signup (double opt-in).
    Confirm,
    /// Open the reader's own page: change their details, download or delete their data.
    Manage,
    /// Move a subscription to a new address: the token names `old\nnew` and is sent to the
    /// new one, whose owner confirms it.
    Move,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Confirm => "c",
            Purpose::Manage => "m",
            Purpose::Move => "v",
        }
    }
}

/// Why a purpose token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    #[error("the link is incomplete or was not made by us")]
    Forged,
    #[error("the link has expired")]
    Expired,
    #[error("the link is for something else")]
    WrongPurpose,
}

/// Why there is no key for the tokens; the secret itself never appears in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no unsubscribe secret: the unsubscribe links carry a token signed with it. `courant init` writes one to `issues/{SECRET_FILE}`; on another machine copy that file there (mode 600, kept out of Git), or set {SECRET_FILE_ENV} to a file that holds it (a systemd credential, a container secret), or {SECRET_ENV} to the secret itself. Make one with `openssl rand -base64 32`"
    )]
    Missing,
    #[error("cannot read the unsubscribe secret from `{path}`: {why}")]
    Unreadable { path: String, why: String },
    #[error(
        "{SECRET_ENV} is too short: use at least 16 random characters, e.g. from `openssl rand -base64 32`"
    )]
    TooShort,
}

/// The file beside `newsletter.toml` that holds the secret, written by `courant init`.
pub const SECRET_FILE: &str = "unsubscribe-secret";
/// The variable naming a file that holds the secret (systemd credentials, container secrets).
pub const SECRET_FILE_ENV: &str = "COURANT_UNSUBSCRIBE_SECRET_FILE";

/// The secret in a file: its text without the line end an editor adds.
fn read_secret(path: &Path) -> Result<String, SecretError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
        .map_err(|e| SecretError::Unreadable {
            path: crate::diagnostic::display_path(path),
            why: e.to_string(),
        })
}

/// The key that signs and checks tokens for one list.
#[derive(Clone)]
pub struct TokenKey {
    secret: Vec<u8>,
    list_id: String,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("list_id", &self.list_id)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    pub fn new(secret: &[u8], list_id: &str) -> TokenKey {
        TokenKey {
            secret: secret.to_vec(),
            list_id: list_id.to_owned(),
        }
    }

    /// The key from `COURANT_UNSUBSCRIBE_SECRET`, else from the file `COURANT_UNSUBSCRIBE_SECRET_FILE`
    /// names; at least 16 bytes.
    pub fn from_env(list_id: &str) -> Result<TokenKey, SecretError> {
        TokenKey::find(list_id, None)
    }

    /// The key from the environment as [`TokenKey::from_env`], else from the file
    /// [`SECRET_FILE`] beside `newsletter.toml` in `settings_dir`, which `courant init` writes:
    /// every command in the newsletter's folder finds it without an exported variable.
    pub fn find(list_id: &str, settings_dir: Option<&Path>) -> Result<TokenKey, SecretError> {
        let secret = match (std::env::var(SECRET_ENV), std::env::var_os(SECRET_FILE_ENV)) {
            (Ok(secret), _) => secret,
            (Err(_), Some(path)) => read_secret(Path::new(&path))?,
            (Err(_), None) => match settings_dir.map(|d| d.join(SECRET_FILE)) {
                Some(path) if path.exists() => read_secret(&path)?,
                _ => return Err(SecretError::Missing),
            },
        };
        if secret.len() < 16 {
            return Err(SecretError::TooShort);
        }
        Ok(TokenKey::new(secret.as_bytes(), list_id))
    }

    /// The token of a bounce address (VERP) for one edition and recipient: 80 bits of an HMAC
    /// over both, as 20 lowercase hexadecimal digits, safe in any local part and unchanged by
    /// servers that lowercase addresses. It names them through the ledger, which records it.
    pub fn verp(&self, edition: &str, address: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes a key of any length");
        mac.update(b"verp\n");
        mac.update(self.list_id.as_bytes());
        mac.update(b"\n");
        mac.update(edition.as_bytes());
        mac.update(b"\n");
        mac.update(crate::address::key(address).as_bytes());
        let tag = mac.finalize().into_bytes();
        tag[..10].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What an erased address leaves among the suppressions: `erased:` and 128 bits of an
    /// HMAC of its key. Without the secret it names no one; with it, an import of the same
    /// address is recognised and refused.
    pub fn erased(&self, address: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes a key of any length");
        mac.update(b"erased\n");
        mac.update(crate::address::key(address).as_bytes());
        let tag = mac.finalize().into_bytes();
        let hex: String = tag[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("erased:{hex}")
    }

    fn mac(&self, address: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(self.list_id.as_bytes());
        mac.update(b"\n");
        mac.update(address.as_bytes());
        mac
    }

    /// The token for an address.
    pub fn token(&self, email: &str) -> String {
        let address = email.to_lowercase();
        let tag = self.mac(&address).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&address),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
        )
    }

    /// The token of a test message (`test-send`) for an address: its links say what they would
    /// do and change nothing. `test.` and a MAC over another input than a real token's, so one
    /// can never be taken for the other.
    pub fn test_token(&self, email: &str) -> String {
        let address = email.to_lowercase();
        let tag = self
            .mac(&format!("test\n{address}"))
            .finalize()
            .into_bytes();
        format!(
            "{TEST_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&address),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
        )
    }

    /// The address a test token was made for, if this key made it.
    pub fn verify_test(&self, token: &str) -> Option<String> {
        let (address, tag) = token.trim().strip_prefix(TEST_PREFIX)?.split_once('.')?;
        let address = String::from_utf8(URL_SAFE_NO_PAD.decode(address).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&format!("test\n{address}"))
            .verify_truncated_left(&tag)
            .ok()?;
        (tag.len() == MAC_BYTES).then_some(address)
    }

    /// A token for `purpose` on `email`, valid until `expires` (unix seconds):
    /// `<purpose>.<base64url(address)>.<expires>.<MAC>`, the MAC over all three.
    pub fn purpose_token(&self, purpose: Purpose, email: &str, expires: i64) -> String {
        let address = email.to_lowercase();
        let signed = format!(
            "{}.{}.{expires}",
            purpose.tag(),
            URL_SAFE_NO_PAD.encode(&address)
        );
        let tag = self
            .mac(&format!("purpose\n{signed}"))
            .finalize()
            .into_bytes();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]))
    }

    /// The address a purpose token was made for, when this key made it for `purpose` and it
    /// has not expired at `now`.
    pub fn verify_purpose(
        &self,
        token: &str,
        purpose: Purpose,
        now: i64,
    ) -> Result<String, TokenProblem> {
        let token = token.trim();
        let (signed, tag) = token.rsplit_once('.').ok_or(TokenProblem::Forged)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenProblem::Forged)?;
        if tag.len() != MAC_BYTES {
            return Err(TokenProblem::Forged);
        }
        (self.mac(&format!("purpose\n{signed}")))
            .verify_truncated_left(&tag)
            .map_err(|_| TokenProblem::Forged)?;
        let mut parts = signed.splitn(3, '.');
        let (Some(kind), Some(address), Some(expires)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenProblem::Forged);
        };
        if kind != purpose.tag() {
            return Err(TokenProblem::WrongPurpose);
        }
        let expires: i64 = expires.parse().map_err(|_| TokenProblem::Forged)?;
        if now > expires {
            return Err(TokenProblem::Expired);
        }
        let address = URL_SAFE_NO_PAD
            .decode(address)
            .map_err(|_| TokenProblem::Forged)?;
        String::from_utf8(address).map_err(|_| TokenProblem::Forged)
    }

    /// The address a token was made for, if this key made it.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (address, tag) = token.trim().split_once('.')?;
        let address = String::from_utf8(URL_SAFE_NO_PAD.decode(address).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&address).verify_truncated_left(&tag).ok()?;
        (tag.len() == MAC_BYTES).then_some(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_token_does_its_one_thing_until_it_expires() {
        let key = TokenKey::new(b"0123456789abcdef0123", "list.example");
        let confirm = key.purpose_token(Purpose::Confirm, "Anne@Example.org", 1_000);
        let ok = key.verify_purpose(&confirm, Purpose::Confirm, 999);
        assert_eq!(ok.as_deref(), Ok("anne@example.org"));
        assert_eq!(
            key.verify_purpose(&confirm, Purpose::Confirm, 1_001),
            Err(TokenProblem::Expired)
        );
        assert_eq!(
            key.verify_purpose(&confirm, Purpose::Manage, 999),
            Err(TokenProblem::WrongPurpose)
        );
        // A later expiry, another address or another key: not ours.
        let later = confirm.replacen(".1000.", ".9999.", 1);
        assert_eq!(
            key.verify_purpose(&later, Purpose::Confirm, 999),
            Err(TokenProblem::Forged)
        );
        let other = TokenKey::new(b"another-secret-0123456", "list.example");
        assert_eq!(
            other.verify_purpose(&confirm, Purpose::Confirm, 999),
            Err(TokenProblem::Forged)
        );
        // Neither an unsubscribe token nor a test token is one, nor the other way round.
        let unsubscribe = key.token("anne@example.org");
        assert_eq!(
            key.verify_purpose(&unsubscribe, Purpose::Confirm, 0),
            Err(TokenProblem::Forged)
        );
        assert_eq!(key.verify(&confirm), None);
        assert_eq!(key.verify_test(&confirm), None);
    }

    #[test]
    fn a_test_token_is_never_taken_for_a_real_one() {
        let key = TokenKey::new(b"0123456789abcdef0123", "list.example");
        let test = key.test_token("anne@example.org");
        assert_eq!(key.verify_test(&test).as_deref(), Some("anne@example.org"));
        assert_eq!(key.verify(&test), None);
        assert_eq!(key.verify(test.strip_prefix("test.").unwrap()), None);
        assert_eq!(key.verify_test(&key.token("anne@example.org")), None);
        let real = key.token("anne@example.org");
        assert_eq!(key.verify_test(&format!("test.{real}")), None);
    }

    #[test]
    fn a_token_names_its_address_and_only_verifies_with_its_key() {
        let key = TokenKey::new(b"0123456789abcdef0123", "list.example");
        let token = key.token("Anne@Example.org");
        assert_eq!(key.verify(&token).as_deref(), Some("anne@example.org"));
        assert_eq!(
            TokenKey::new(b"another secret, long", "list.example").verify(&token),
            None
        );
        assert_eq!(
            TokenKey::new(b"0123456789abcdef0123", "other.example").verify(&token),
            None
        );
    }

    #[test]
    fn a_forged_token_does_not_verify() {
        let key = TokenKey::new(b"0123456789abcdef0123", "list.example");
        let (_, tag) = key
            .token("anne@example.org")
            .split_once('.')
            .map(|(a, t)| (a.to_owned(), t.to_owned()))
            .unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("bert@example.org"));
        assert_eq!(key.verify(&forged), None);
        assert_eq!(key.verify("garbage"), None);
        assert_eq!(
            key.verify(&format!("{}.", URL_SAFE_NO_PAD.encode("anne@example.org"))),
            None
        );
    }
}
