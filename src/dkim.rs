//! DKIM: every message is signed last, with relaxed/relaxed canonicalisation; and the key helpers
//! behind `courant dkim`.
//!
//! mail-auth makes the signature; the RSA operation is AWS-LC's (aws-lc-rs), which uses the
//! CPU's AVX-512 IFMA instructions where it has them: half of what ring takes per RSA-2048
//! signature on such a CPU, and what OpenSSL takes (BENCHMARKS.md). mail-auth canonicalises the
//! body one byte at a time into the hash; [`Buffered`] gathers those bytes before the hash
//! sees them, which halved the signing cost beside the RSA operation itself. `Content-Type` of a multipart
//! message is not in the signed list: verifying lettre's earlier signatures with dkimpy and
//! Mail::DKIM showed that some paths rewrite it, and it carries nothing a reader sees.

use std::path::{Path, PathBuf};

use base64::Engine;
use mail_auth::common::crypto::{
    Algorithm, Ed25519Key, HashContext, HashImpl, HashOutput, Sha256, SigningKey,
};
use mail_auth::common::headers::{HeaderWriter, Writable, Writer};
use mail_auth::dkim::{DkimSigner, Done};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::EncodePublicKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};

use crate::diagnostic::display_path;
use crate::edition::Newsletter;
use toml::Spanned;

/// Where the key comes from when `key-file` is not set.
pub const KEY_ENV: &str = "COURANT_DKIM_KEY";
/// Where the Ed25519 key comes from when `ed25519-key-file` is not set.
pub const ED25519_KEY_ENV: &str = "COURANT_DKIM_ED25519_KEY";

/// Why there is no usable key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the DKIM key `{}`: {source}", display_path(path))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no DKIM key: set `key-file` in `[dkim]` or {KEY_ENV} to the PEM")]
    Missing,
    #[error(
        "no Ed25519 DKIM key: set `ed25519-key-file` in `[dkim]` or {ED25519_KEY_ENV} to the PEM"
    )]
    MissingEd25519,
    #[error(
        "not an Ed25519 private key in PKCS#8 PEM (`BEGIN PRIVATE KEY`, as \
         `openssl genpkey -algorithm ed25519` writes): {0}"
    )]
    NotEd25519(String),
    #[error("the DKIM key is not an RSA private key in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`): {0}")]
    Signing(String),
    #[error("not an RSA private key in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`): {0}")]
    NotPkcs1(#[from] rsa::pkcs1::Error),
    #[error("cannot generate a key: {0}")]
    Generate(#[from] rsa::Error),
    #[error("cannot encode the public key: {0}")]
    Encode(#[from] rsa::pkcs8::spki::Error),
}

/// A signature could not be made (the key was refused by the crypto library).
#[derive(Debug, thiserror::Error)]
#[error("cannot sign with DKIM: {0}")]
pub struct SignError(String);

/// Signs messages for one newsletter: RSA-SHA256, `c=relaxed/relaxed`, over a fixed list of
/// headers. Shared by every connection of a send.
pub struct Signer {
    rsa: DkimSigner<Buffered<RsaKey>, Done>,
    /// The second signature, when configured (RFC 8463): receivers that know Ed25519 check it,
    /// the others the RSA one.
    ed25519: Option<DkimSigner<Buffered<Ed25519Key>, Done>>,
}

/// A key whose body hash comes in blocks. mail-auth canonicalises the body a byte at a time and
/// writes each byte to the hash (perf: a fifth of a signed send in ring's `update`, and after
/// buffering those writes still 12 % in the canonicalisation loop). [`Signer::sign`] hashes the
/// body first, in the long stretches relaxed canonicalisation leaves alone, and leaves the
/// hash in [`BODY_HASH`] for the one `hash` call mail-auth makes while it signs; a body the fast
/// path cannot take goes through mail-auth's own loop, its writes gathered in blocks.
struct Buffered<K>(K);

thread_local! {
    /// The relaxed body hash of the message [`Signer::sign`] is signing on this thread.
    static BODY_HASH: std::cell::Cell<Option<ring::digest::Digest>> = const { std::cell::Cell::new(None) };
}

/// An RSA private key on AWS-LC, signing RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`).
struct RsaKey(aws_lc_rs::signature::RsaKeyPair);

impl RsaKey {
    /// From PKCS#1 DER (`BEGIN RSA PRIVATE KEY`).
    fn from_pkcs1_der(der: &[u8]) -> Result<RsaKey, KeyError> {
        aws_lc_rs::signature::RsaKeyPair::from_der(der)
            .map(RsaKey)
            .map_err(|e| KeyError::Signing(e.to_string()))
    }
}

impl SigningKey for RsaKey {
    type Hasher = Sha256;

    fn sign(&self, input: impl Writable) -> mail_auth::Result<Vec<u8>> {
        let mut data = Vec::with_capacity(1024);
        input.write(&mut data);
        let mut signature = vec![0; self.0.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.0
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                &data,
                &mut signature,
            )
            .map_err(|e| mail_auth::Error::CryptoError(e.to_string()))?;
        Ok(signature)
    }

    fn algorithm(&self) -> Algorithm {
        Algorithm::RsaSha256
    }
}

impl<K: SigningKey<Hasher = Sha256>> SigningKey for Buffered<K> {
    type Hasher = Sha256;

    fn sign(&self, input: impl Writable) -> mail_auth::Result<Vec<u8>> {
        self.0.sign(input)
    }

    fn hash(&self, data: impl Writable) -> HashOutput {
        if let Some(digest) = BODY_HASH.get() {
            return HashOutput::Ring(digest);
        }
        let mut hasher = BlockWriter {
            context: Sha256::hasher(),
            block: [0; BLOCK],
            len: 0,
        };
        data.write(&mut hasher);
        hasher.flush();
        hasher.context.complete()
    }

    fn algorithm(&self) -> Algorithm {
        self.0.algorithm()
    }
}

const BLOCK: usize = 4096;

/// Gathers small writes into blocks of [`BLOCK`] bytes before they reach the hash.
struct BlockWriter<C> {
    context: C,
    block: [u8; BLOCK],
    len: usize,
}

impl<C: Writer> BlockWriter<C> {
    fn flush(&mut self) {
        self.context.write(&self.block[..self.len]);
        self.len = 0;
    }
}

impl<C: Writer> Writer for BlockWriter<C> {
    fn write(&mut self, buf: &[u8]) {
        if self.len + buf.len() > BLOCK {
            self.flush();
        }
        if buf.len() >= BLOCK {
            self.context.write(buf);
        } else {
            self.block[self.len..self.len + buf.len()].copy_from_slice(buf);
            self.len += buf.len();
        }
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

impl Signer {
    /// `message` (CRLF line ends) with its `DKIM-Signature` header in front.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let failed = |e: mail_auth::Error| SignError(e.to_string());
        BODY_HASH.set(relaxed_body_hash(message));
        let signed = self.rsa.sign(message).and_then(|rsa| match &self.ed25519 {
            Some(ed25519) => Ok(ed25519.sign(message)?.to_header() + &rsa.to_header()),
            None => Ok(rsa.to_header()),
        });
        BODY_HASH.set(None);
        let header = signed.map_err(failed)?;
        let mut signed = Vec::with_capacity(header.len() + message.len());
        signed.extend_from_slice(header.as_bytes());
        signed.extend_from_slice(message);
        Ok(signed)
    }
}

/// The SHA-256 of `message`'s body in relaxed canonicalisation (RFC 6376 §3.4.4), when the
/// body is in the shape lettre writes: CRLF line ends, no tab, no two spaces in a row, no space
/// at a line's end (quoted-printable and base64 leave none). Relaxed canonicalisation then
/// only drops the blank lines at the end and ends the body with one CRLF, so the body is hashed
/// in two slices. `None` for any other body: mail-auth's own loop hashes it.
fn relaxed_body_hash(message: &[u8]) -> Option<ring::digest::Digest> {
    let start = memchr::memmem::find(message, b"\r\n\r\n")? + 4;
    let body = &message[start..];
    let plain = memchr::memchr(b'\t', body).is_none()
        && memchr::memmem::find(body, b"  ").is_none()
        && memchr::memmem::find(body, b" \r\n").is_none()
        && !body.ends_with(b" ")
        && memchr::memchr_iter(b'\r', body).all(|at| body.get(at + 1) == Some(&b'\n'))
        && memchr::memchr_iter(b'\n', body).all(|at| at > 0 && body[at - 1] == b'\r');
    if !plain {
        return None;
    }
    let mut end = body.len();
    while end >= 2 && &body[end - 2..end] == b"\r\n" {
        end -= 2;
    }
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    if end > 0 {
        context.update(&body[..end]);
        context.update(b"\r\n");
    }
    Some(context.finish())
}

/// The headers every signature covers, those the newsletter has.
fn signed_headers(newsletter: &Newsletter) -> Vec<&'static str> {
    let mut headers = vec![
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "List-Id",
    ];
    if newsletter.reply_to.is_some() {
        headers.push("Reply-To");
    }
    if newsletter.unsubscribe.url.is_some() || newsletter.unsubscribe.mailto.is_some() {
        headers.push("List-Unsubscribe");
    }
    if newsletter.unsubscribe.url.is_some() {
        headers.push("List-Unsubscribe-Post");
    }
    headers
}

/// The signer of a newsletter, or `None` without `[dkim]`.
pub fn load(newsletter: &Newsletter, settings_dir: &Path) -> Result<Option<Signer>, KeyError> {
    let Some(settings) = &newsletter.dkim else {
        return Ok(None);
    };
    let read = |file: &Option<Spanned<String>>, env: &str, missing: KeyError| match file {
        Some(file) => {
            let path = settings_dir.join(crate::source::written_path(file.get_ref()));
            std::fs::read_to_string(&path).map_err(|source| KeyError::Read { path, source })
        }
        None => std::env::var(env).map_err(|_| missing),
    };
    let pem = read(&settings.key_file, KEY_ENV, KeyError::Missing)?;
    let der = PrivatePkcs1KeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    let key = RsaKey::from_pkcs1_der(der.secret_pkcs1_der())?;
    let rsa = DkimSigner::from_key(Buffered(key))
        .domain(settings.domain.get_ref().as_str())
        .selector(settings.selector.get_ref().as_str())
        .headers(signed_headers(newsletter));
    let ed25519 = match &settings.ed25519_selector {
        None => None,
        Some(selector) => {
            let pem = read(
                &settings.ed25519_key_file,
                ED25519_KEY_ENV,
                KeyError::MissingEd25519,
            )?;
            Some(
                DkimSigner::from_key(Buffered(ed25519_key(&pem)?))
                    .domain(settings.domain.get_ref().as_str())
                    .selector(selector.get_ref().as_str())
                    .headers(signed_headers(newsletter)),
            )
        }
    };
    Ok(Some(Signer { rsa, ed25519 }))
}

/// An Ed25519 key from PKCS#8 PEM, with or without the public key in it (OpenSSL writes it
/// without).
fn ed25519_key(pem: &str) -> Result<Ed25519Key, KeyError> {
    let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| KeyError::NotEd25519(e.to_string()))?;
    Ed25519Key::from_pkcs8_maybe_unchecked_der(der.secret_pkcs8_der())
        .map_err(|e| KeyError::NotEd25519(e.to_string()))
}

/// The kinds of key `courant dkim generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyKind {
    Rsa,
    Ed25519,
}

/// A new key: its private PEM (RSA in PKCS#1, Ed25519 in PKCS#8, as [`load`] reads them),
/// and the record's key type and public key.
pub fn generate(kind: KeyKind, bits: usize) -> Result<(String, (&'static str, String)), KeyError> {
    let pem = match kind {
        KeyKind::Rsa => rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)?
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)?
            .to_string(),
        KeyKind::Ed25519 => {
            // The private key is 32 random bytes (RFC 8032 §5.1.5), written as OpenSSL writes
            // it: PKCS#8 version 1, the bytes as an OCTET STRING under id-Ed25519, without the
            // public key (RFC 8410 §7). ring's own PKCS#8 carries the public key too, which
            // OpenSSL 3.0 cannot read.
            use rsa::pkcs8::der::{Encode, asn1::OctetStringRef, pem};
            use rsa::pkcs8::{ObjectIdentifier, PrivateKeyInfo, spki::AlgorithmIdentifierRef};
            let mut seed = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
            let failed = |e: rsa::pkcs8::der::Error| KeyError::NotEd25519(e.to_string());
            let private_key = OctetStringRef::new(&seed)
                .and_then(|o| o.to_der())
                .map_err(failed)?;
            let algorithm = AlgorithmIdentifierRef {
                oid: ObjectIdentifier::new_unwrap("1.3.101.112"),
                parameters: None,
            };
            let der = PrivateKeyInfo::new(algorithm, &private_key)
                .to_der()
                .map_err(failed)?;
            pem::encode_string("PRIVATE KEY", rsa::pkcs8::LineEnding::LF, &der)
                .map_err(|e| KeyError::NotEd25519(e.to_string()))?
        }
    };
    let public = public_key(&pem)?;
    Ok((pem, public))
}

/// The record's key type and public key (`k=`, `p=`) of a private key: RSA in PKCS#1 PEM
/// (`rsa`, base64 DER), or Ed25519 in PKCS#8 PEM (`ed25519`, base64 of the 32 bytes, RFC 8463).
pub fn public_key(pem: &str) -> Result<(&'static str, String), KeyError> {
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    if pem.contains("BEGIN PRIVATE KEY") {
        return Ok(("ed25519", base64(&ed25519_key(pem)?.public_key())));
    }
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)?;
    let der = key.to_public_key().to_public_key_der()?;
    Ok(("rsa", base64(der.as_bytes())))
}

/// The TXT record to publish, in zone-file form; long values are split into strings of at most
/// 255 characters, as DNS requires.
pub fn dns_record(selector: &str, domain: &str, (kind, public): (&str, &str)) -> String {
    let value = format!("v=DKIM1; k={kind}; p={public}");
    let parts: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    format!(
        "{selector}._domainkey.{domain}. IN TXT ( {} )",
        parts.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn key() -> Ed25519Key {
        let pkcs8 = Ed25519Key::generate_pkcs8().expect("a key");
        Ed25519Key::from_pkcs8_der(&pkcs8).expect("a key")
    }

    fn body_hash<K: SigningKey>(key: K, message: &[u8]) -> Vec<u8> {
        let signer = DkimSigner::from_key(key)
            .domain("example.org")
            .selector("s")
            .headers(["From", "To"]);
        signer.sign(message).expect("signed").bh
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The body hash through [`Buffered`] is mail-auth's own, for bodies around and across
        /// the block size, with spaces, tabs, bare CR and LF, and trailing blank lines.
        #[test]
        fn buffered_body_hash_is_mail_auths(
            body in proptest::collection::vec(
                prop_oneof![Just(b' '), Just(b'\t'), Just(b'\r'), Just(b'\n'), any::<u8>()],
                0..2 * BLOCK + 100,
            )
        ) {
            let mut message = b"From: a@example.org\r\nTo: b@example.org\r\n\r\n".to_vec();
            message.extend_from_slice(&body);
            prop_assert_eq!(body_hash(key(), &message), body_hash(Buffered(key()), &message));
        }

        /// The fast relaxed body hash is mail-auth's own wherever it applies, for bodies of
        /// CRLF lines with single spaces and trailing blank lines, as lettre writes them.
        #[test]
        fn fast_body_hash_is_mail_auths(
            lines in proptest::collection::vec("[a-z=]{0,20}( [a-z=]{1,20}){0,4}", 0..300),
            blank in 0..4usize,
        ) {
            let mut message = b"From: a@example.org\r\nTo: b@example.org\r\n\r\n".to_vec();
            for line in &lines {
                message.extend_from_slice(line.as_bytes());
                message.extend_from_slice(b"\r\n");
            }
            message.extend_from_slice(&b"\r\n".repeat(blank));
            let fast = relaxed_body_hash(&message).expect("lettre's shape");
            let expected = body_hash(key(), &message);
            let fast = base64::engine::general_purpose::STANDARD.encode(fast.as_ref());
            prop_assert_eq!(fast.as_bytes(), expected.as_slice());
        }
    }

    #[test]
    fn bodies_of_another_shape_take_mail_auths_loop() {
        for body in [
            "a\tb\r\n", "a  b\r\n", "a \r\n", "a\nb\r\n", "a\rb\r\n", "a ",
        ] {
            let message = format!("From: a@example.org\r\n\r\n{body}");
            assert!(relaxed_body_hash(message.as_bytes()).is_none(), "{body:?}");
        }
    }

    #[test]
    fn records_split_long_values() {
        let record = dns_record("sel", "example.nl", ("rsa", &"A".repeat(400)));
        assert!(record.starts_with("sel._domainkey.example.nl. IN TXT ( \"v=DKIM1; k=rsa; p=AAA"));
        assert!(record.split('"').all(|part| part.len() <= 255));
    }
}
