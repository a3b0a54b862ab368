//! DKIM: every message is signed last, with relaxed/relaxed canonicalisation; and the key helpers
//! behind `courant dkim`.
//!
//! Signing is mail-auth's, on ring: an RSA-2048 signature costs about a third of what the
//! `rsa` crate behind lettre's signer took (BENCHMARKS.md). `Content-Type` of a multipart
//! message is not in the signed list: verifying lettre's earlier signatures with dkimpy and
//! Mail::DKIM showed that some paths rewrite it, and it carries nothing a reader sees.

use std::path::{Path, PathBuf};

use base64::Engine;
use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{DkimSigner, Done};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::EncodePublicKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};

use crate::diagnostic::display_path;
use crate::edition::Newsletter;

/// Where the key comes from when `key-file` is not set.
pub const KEY_ENV: &str = "COURANT_DKIM_KEY";

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
    rsa: DkimSigner<RsaKey<Sha256>, Done>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

impl Signer {
    /// `message` (CRLF line ends) with its `DKIM-Signature` header in front.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = self
            .rsa
            .sign(message)
            .map_err(|e| SignError(e.to_string()))?;
        let header = signature.to_header();
        let mut signed = Vec::with_capacity(header.len() + message.len());
        signed.extend_from_slice(header.as_bytes());
        signed.extend_from_slice(message);
        Ok(signed)
    }
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
    let pem = match &settings.key_file {
        Some(file) => {
            let path = settings_dir.join(file.get_ref());
            std::fs::read_to_string(&path).map_err(|source| KeyError::Read { path, source })?
        }
        None => std::env::var(KEY_ENV).map_err(|_| KeyError::Missing)?,
    };
    let der = PrivatePkcs1KeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(der))
        .map_err(|e| KeyError::Signing(e.to_string()))?;
    let rsa = DkimSigner::from_key(key)
        .domain(settings.domain.get_ref().as_str())
        .selector(settings.selector.get_ref().as_str())
        .headers(signed_headers(newsletter));
    Ok(Some(Signer { rsa }))
}

/// A new RSA key: the PKCS#1 PEM that lettre reads, and the public key for DNS.
pub fn generate(bits: usize) -> Result<(String, String), KeyError> {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)?;
    let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)?.to_string();
    let public = public_key(&pem)?;
    Ok((pem, public))
}

/// The base64 DER public key (`p=`) of a PKCS#1 PEM private key.
pub fn public_key(pem: &str) -> Result<String, KeyError> {
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)?;
    let der = key.to_public_key().to_public_key_der()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der.as_bytes()))
}

/// The TXT record to publish, in zone-file form; long values are split into strings of at most
/// 255 characters, as DNS requires.
pub fn dns_record(selector: &str, domain: &str, public: &str) -> String {
    let value = format!("v=DKIM1; k=rsa; p={public}");
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

    #[test]
    fn records_split_long_values() {
        let record = dns_record("sel", "example.nl", &"A".repeat(400));
        assert!(record.starts_with("sel._domainkey.example.nl. IN TXT ( \"v=DKIM1; k=rsa; p=AAA"));
        assert!(record.split('"').all(|part| part.len() <= 255));
    }
}
