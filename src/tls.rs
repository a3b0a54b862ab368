//! What courant trusts when it talks TLS (SMTP, IMAP, PostgreSQL): the web's roots (Mozilla's,
//! from webpki-roots) and, when given, a private CA from a PEM file.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// A CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read the CA certificate `{path}`: {why}")]
    Unreadable { path: String, why: String },
    /// The file has no `-----BEGIN CERTIFICATE-----` block.
    #[error("no certificate in `{path}`")]
    Empty { path: String },
}

/// The certificates of a PEM file, at least one.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaError> {
    let shown = crate::diagnostic::display_path(path);
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| CaError::Unreadable {
            path: shown.clone(),
            why: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(CaError::Empty { path: shown });
    }
    Ok(certs)
}

/// The web's roots, and the certificates of `ca`.
pub fn roots(ca: Option<&Path>) -> Result<rustls::RootCertStore, CaError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca {
        for cert in certificates(path)? {
            roots.add(cert).map_err(|e| CaError::Unreadable {
                path: crate::diagnostic::display_path(path),
                why: e.to_string(),
            })?;
        }
    }
    Ok(roots)
}

/// A client configuration that checks the server's certificate and name against `roots`.
pub fn client_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
