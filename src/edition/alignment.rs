//! DMARC's DKIM alignment (RFC 7489 §3.1.1): whether a signature by one domain counts for
//! the From domain, by the Public Suffix List.

use serde::Deserialize;

/// DMARC's DKIM alignment mode (`adkim` in the domain's DMARC record, RFC 7489 §3.1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    /// The signing domain and the From domain have the same organizational domain
    /// (`adkim=r`, DMARC's default).
    #[default]
    Relaxed,
    /// The signing domain is the From domain (`adkim=s`).
    Strict,
}

/// Why a DKIM signature would not pass DMARC for a From domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misaligned {
    /// The signing domain is a public suffix (`nl`, `co.uk`, `gov.uk`): no one registers it.
    PublicSuffix,
    /// The organizational domains differ (relaxed).
    Organization { from: String, signing: String },
    /// Strict alignment and the domains differ.
    NotIdentical,
}

/// A domain as the Public Suffix List compares it: lower case, A-labels.
fn psl_form(domain: &str) -> String {
    let domain = domain.trim_end_matches('.');
    idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_ascii_lowercase())
}

/// The organizational domain (RFC 7489 §3.2): the public suffix of `domain` and one label
/// more, by the Public Suffix List; `None` when `domain` is itself a public suffix.
pub fn organizational_domain(domain: &str) -> Option<String> {
    let domain = psl_form(domain);
    psl::domain_str(&domain).map(str::to_owned)
}

/// Whether a DKIM signature by `signing_domain` aligns with `from_domain` for DMARC.
pub fn aligned(from_domain: &str, signing_domain: &str, mode: Alignment) -> Result<(), Misaligned> {
    let (from, signing) = (psl_form(from_domain), psl_form(signing_domain));
    let Some(signing_org) = organizational_domain(&signing) else {
        return Err(Misaligned::PublicSuffix);
    };
    match mode {
        Alignment::Strict if from == signing => Ok(()),
        Alignment::Strict => Err(Misaligned::NotIdentical),
        Alignment::Relaxed => match organizational_domain(&from) {
            Some(from_org) if from_org == signing_org => Ok(()),
            from_org => Err(Misaligned::Organization {
                from: from_org.unwrap_or(from),
                signing: signing_org,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_alignment_compares_organizational_domains_by_the_public_suffix_list() {
        let relaxed = |from, signing| aligned(from, signing, Alignment::Relaxed);
        assert_eq!(relaxed("nieuws.example.nl", "example.nl"), Ok(()));
        assert_eq!(relaxed("Example.NL", "example.nl"), Ok(()));
        // A signing domain below the From domain aligns too (RFC 7489 §3.1.1).
        assert_eq!(
            relaxed("weerbaarnl.example.nl", "mail.weerbaarnl.example.nl"),
            Ok(())
        );
        assert_eq!(relaxed("example.nl", "nieuws.example.nl"), Ok(()));
        assert_eq!(relaxed("a.example.nl", "b.example.nl"), Ok(()));
        assert!(matches!(
            relaxed("badexample.nl", "example.nl"),
            Err(Misaligned::Organization { .. })
        ));
        // Multi-label public suffixes: two registrants under gov.uk or co.uk are strangers.
        assert_eq!(
            relaxed("news.cabinet.gov.uk", "mail.cabinet.gov.uk"),
            Ok(())
        );
        assert_eq!(
            relaxed("cabinet.gov.uk", "treasury.gov.uk"),
            Err(Misaligned::Organization {
                from: "cabinet.gov.uk".into(),
                signing: "treasury.gov.uk".into()
            })
        );
        assert_eq!(relaxed("shop.example.co.uk", "example.co.uk"), Ok(()));
        assert!(relaxed("example.co.uk", "other.co.uk").is_err());
        // A public suffix or a bare top-level domain signs for no one.
        assert_eq!(
            relaxed("example.co.uk", "co.uk"),
            Err(Misaligned::PublicSuffix)
        );
        assert_eq!(
            relaxed("weerbaarnl.example", "example"),
            Err(Misaligned::PublicSuffix)
        );
        assert_eq!(relaxed("example.nl", "nl"), Err(Misaligned::PublicSuffix));
        // International domains compare as A-labels.
        assert_eq!(
            relaxed("nieuws.bücher.example.de", "bücher.example.de"),
            Ok(())
        );
        assert_eq!(relaxed("bücher.de", "xn--bcher-kva.de"), Ok(()));
    }

    #[test]
    fn strict_alignment_wants_the_same_domain() {
        let strict = |from, signing| aligned(from, signing, Alignment::Strict);
        assert_eq!(strict("example.nl", "EXAMPLE.nl"), Ok(()));
        assert_eq!(
            strict("nieuws.example.nl", "example.nl"),
            Err(Misaligned::NotIdentical)
        );
        assert_eq!(
            strict("example.nl", "nieuws.example.nl"),
            Err(Misaligned::NotIdentical)
        );
        assert_eq!(strict("co.uk", "co.uk"), Err(Misaligned::PublicSuffix));
    }
}
