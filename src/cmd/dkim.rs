//! `courant dkim`: make a signing key and the DNS record that publishes it.

use std::io::Write;

use super::Outcome;
use crate::cli::DkimCommand;
use crate::diagnostic::display_path;
use crate::dkim::{dns_record, generate, public_key};
use crate::edition::value::DnsName;

pub fn run(command: &DkimCommand) -> Outcome {
    match try_run(command) {
        Ok(()) => Outcome::Success,
        Err(message) => {
            eprintln!("error: {message}");
            Outcome::BadInput
        }
    }
}

fn try_run(command: &DkimCommand) -> Result<(), String> {
    match command {
        DkimCommand::Generate {
            selector,
            domain,
            out,
            bits,
        } => {
            let (selector, domain) = names(selector, domain)?;
            let (pem, public) = generate(*bits)?;
            write_private(out, &pem)?;
            eprintln!(
                "wrote the private key to {}; keep it secret",
                display_path(out)
            );
            println!("{}", dns_record(&selector, &domain, &public));
        }
        DkimCommand::Record {
            selector,
            domain,
            key,
        } => {
            let (selector, domain) = names(selector, domain)?;
            let pem = std::fs::read_to_string(key)
                .map_err(|e| format!("cannot read `{}`: {e}", display_path(key)))?;
            println!("{}", dns_record(&selector, &domain, &public_key(&pem)?));
        }
    }
    Ok(())
}

fn names(selector: &str, domain: &str) -> Result<(String, String), String> {
    let selector =
        DnsName::try_from(selector.to_owned()).map_err(|e| format!("--selector: {e}"))?;
    let domain = DnsName::try_from(domain.to_owned()).map_err(|e| format!("--domain: {e}"))?;
    Ok((selector.as_str().to_owned(), domain.as_str().to_owned()))
}

/// Creates the key file readable by its owner only, refusing to replace an existing one.
fn write_private(path: &std::path::Path, pem: &str) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create `{}`: {e}", display_path(path)))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", display_path(path)))
}
