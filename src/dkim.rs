//! DKIM: every message is signed last, with relaxed/relaxed canonicalisation; and the key helpers
//! behind `courant dkim`.
//!
//! Two findings from verifying lettre's signatures with dkimpy and Mail::DKIM shape this module:
//! lettre's default `simple/relaxed` does not verify, and `Content-Type` of a multipart message
//! must not be signed (lettre writes it outside the hashed headers), so it is not in the list.

use std::path::{Path, PathBuf};

use base64::Engine;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::EncodePublicKey;

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

/// The signing configuration of a newsletter, or `None` without `[dkim]`.
pub fn load(newsletter: &Newsletter, settings_dir: &Path) -> Result<Option<DkimConfig>, KeyError> {
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
    let key = DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa)
        .map_err(|e| KeyError::Signing(e.to_string()))?;
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
    let relaxed = DkimCanonicalization {
        header: DkimCanonicalizationType::Relaxed,
        body: DkimCanonicalizationType::Relaxed,
    };
    Ok(Some(DkimConfig::new(
        settings.selector.get_ref().as_str().to_owned(),
        settings.domain.get_ref().as_str().to_owned(),
        key,
        headers
            .into_iter()
            .map(HeaderName::new_from_ascii_str)
            .collect(),
        relaxed,
    )))
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
