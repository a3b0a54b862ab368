//! `courant dkim`: make a signing key and the DNS record that publishes it.

use std::path::PathBuf;

use crate::diagnostic::display_path;
use crate::dkim::{KeyKind, dns_record, generate, public_key};
use crate::edition::value::DnsName;
use crate::error::{Error, ExitStatus};
use crate::term::Term;

/// DKIM key helpers: generate a key, print its DNS record.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Generate a signing key and print its DNS record: RSA (PKCS#1 PEM, for `key-file`) or
    /// Ed25519 (PKCS#8 PEM, for `ed25519-key-file`).
    #[command(after_help = "Examples:
  courant dkim generate --selector nb2022 --domain weerbaarnl.nl --out issues/dkim.pem
  courant dkim generate --algorithm ed25519 --selector nb2022ed --domain weerbaarnl.nl -o ed.pem")]
    Generate {
        /// The selector: the record is published at `<selector>._domainkey.<domain>`.
        #[arg(long)]
        selector: String,
        /// The signing domain (`d=`): the From domain or a parent of it.
        #[arg(long)]
        domain: String,
        /// Where to write the private key (created with mode 600; never overwritten).
        #[arg(long, short)]
        out: PathBuf,
        /// The key's kind: RSA, which every receiver checks, or Ed25519 (RFC 8463), a second
        /// signature beside the RSA one for the receivers that know it.
        #[arg(long, value_enum, default_value_t = KeyKind::Rsa)]
        algorithm: KeyKind,
        /// The RSA key's size in bits (an Ed25519 key has no choice).
        #[arg(long, default_value_t = 2048)]
        bits: usize,
    },
    /// Print the DNS TXT record for an existing key.
    Record {
        /// The selector: the record is published at `<selector>._domainkey.<domain>`.
        #[arg(long)]
        selector: String,
        /// The signing domain (`d=`).
        #[arg(long)]
        domain: String,
        /// The private key: RSA in PKCS#1 PEM, or Ed25519 in PKCS#8 PEM.
        #[arg(long)]
        key: PathBuf,
    },
}

pub(crate) fn run(command: &Command, term: &Term) -> Result<ExitStatus, Error> {
    match command {
        Command::Generate {
            selector,
            domain,
            out,
            algorithm,
            bits,
        } => {
            let (selector, domain) = names(selector, domain)?;
            let (pem, public) = generate(*algorithm, *bits)?;
            crate::files::write_private(out, &pem)?;
            term.note(format_args!(
                "wrote the private key to {}; keep it secret",
                display_path(out)
            ));
            let (kind, public) = public;
            term.say(dns_record(&selector, &domain, (kind, &public)))?;
        }
        Command::Record {
            selector,
            domain,
            key,
        } => {
            let (selector, domain) = names(selector, domain)?;
            let pem = std::fs::read_to_string(key).map_err(|source| Error::Read {
                path: key.clone(),
                source,
            })?;
            let (kind, public) = public_key(&pem)?;
            term.say(dns_record(&selector, &domain, (kind, &public)))?;
        }
    }
    Ok(ExitStatus::Success)
}

fn names(selector: &str, domain: &str) -> Result<(String, String), Error> {
    let name = |flag, value: &str| {
        DnsName::try_from(value.to_owned()).map_err(|source| Error::Argument { flag, source })
    };
    let (selector, domain) = (name("--selector", selector)?, name("--domain", domain)?);
    Ok((selector.as_str().to_owned(), domain.as_str().to_owned()))
}
