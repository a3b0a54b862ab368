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

/// Checks a server's certificate as rustls does (a chain to the web's roots or the CA file),
/// and also accepts a certificate given in the CA file itself, for the server's name: the
/// self-signed certificate a server made for itself with `openssl req -x509`, which says
/// `CA:TRUE` and which webpki therefore refuses as a server's own (`CaUsedAsEndEntity`).
#[derive(Debug)]
pub struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    /// The certificates of the CA file, trusted as they are.
    pinned: Vec<CertificateDer<'static>>,
}

impl Verifier {
    /// The verifier of the web's roots and the certificates of `ca`.
    pub fn new(ca: Option<&Path>) -> Result<Verifier, CaError> {
        let pinned = match ca {
            Some(path) => certificates(path)?,
            None => Vec::new(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(ca)?),
            provider,
        )
        .build()
        .map_err(|e| CaError::Unreadable {
            path: ca.map(crate::diagnostic::display_path).unwrap_or_default(),
            why: e.to_string(),
        })?;
        Ok(Verifier { inner, pinned })
    }

    /// Whether `chain` (the server's certificate first) is good for `host` now.
    pub fn check_chain(&self, chain: &[Vec<u8>], host: &str) -> Result<(), rustls::Error> {
        use rustls::client::danger::ServerCertVerifier;
        let certs: Vec<CertificateDer<'_>> = chain
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let (end, intermediates) = certs
            .split_first()
            .ok_or(rustls::Error::NoCertificatesPresented)?;
        let name = rustls_pki_types::ServerName::try_from(host)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let now = rustls_pki_types::UnixTime::now();
        self.verify_server_cert(end, intermediates, &name, &[], now)
            .map(drop)
    }
}

impl rustls::client::danger::ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let verdict = (self.inner).verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(e)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                // Given in the CA file as it is: the name must still be the server's.
                let parsed =
                    rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A client configuration that checks the server with [`Verifier`]: the web's roots, the CA
/// file, and a certificate the CA file holds as it is.
pub fn verifying_config(ca: Option<&Path>) -> Result<rustls::ClientConfig, CaError> {
    let verifier = Verifier::new(ca)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CaError::Unreadable {
            path: String::new(),
            why: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// What a certificate error means and what to do, in words; `option` names how to give a CA
/// (`--smtp-ca FILE, smtp-ca in [sending] or COURANT_SMTP_CA`).
pub fn explain(error: &str, option: &str) -> Option<String> {
    let why = if error.contains("UnknownIssuer") {
        "the server's certificate is not signed by a CA courant trusts"
    } else if error.contains("CaUsedAsEndEntity") {
        "the server presents a CA certificate as its own (a self-signed certificate made with \
         `openssl req -x509`)"
    } else if error.contains("NotValidForName") {
        return Some(
            "the server's certificate is not for this host name: connect by the name the \
             certificate was made for (see its subjectAltName), not by another name or an IP \
             address"
                .into(),
        );
    } else if error.contains("Expired") {
        return Some("the server's certificate has expired: renew it on the server".into());
    } else {
        return None;
    };
    Some(format!(
        "{why}: if it is your own server, give its certificate or its CA's (PEM) with {option}"
    ))
}
