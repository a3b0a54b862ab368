//! An edition loaded, rendered and linted: what every command that reads an edition starts from.

use std::path::Path;

use crate::dkim::Signer;

use super::Error;
use crate::diagnostic::{Finding, display_path};
use crate::edition::Edition;
use crate::lint;
use crate::render::{self, Rendered};
use crate::source::LoadError;
use crate::unsubscribe::TokenKey;

pub(crate) struct Checked {
    pub(crate) edition: Edition,
    pub(crate) rendered: Rendered,
    pub(crate) findings: Vec<Finding>,
}

impl Checked {
    pub(crate) fn load(path: &Path) -> Result<Checked, LoadError> {
        let edition = Edition::load(path)?;
        let rendered = render::render(&edition)
            .map_err(|e| LoadError::invalid(Finding::error("render", e.to_string())))?;
        let findings = lint::lint(&edition, &rendered);
        Ok(Checked {
            edition,
            rendered,
            findings,
        })
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// Prints the findings and a count to stderr.
    pub(crate) fn report(&self) {
        report(&self.findings, &self.edition.file.path);
    }

    /// The DKIM signing key of the edition's newsletter, if `[dkim]` is set.
    pub(crate) fn dkim(&self) -> Result<Option<Signer>, Error> {
        let dir = super::args::dir_of(&self.edition.newsletter_file.path);
        Ok(crate::dkim::load(&self.edition.newsletter, dir)?)
    }

    /// The key for unsubscribe tokens, if the unsubscribe URL has `{token}`; an error when it
    /// has and `COURANT_UNSUBSCRIBE_SECRET` is not set.
    pub(crate) fn tokens(&self) -> Result<Option<TokenKey>, Error> {
        let newsletter = &self.edition.newsletter;
        match &newsletter.unsubscribe.url {
            Some(url) if url.has_token() => {
                Ok(Some(TokenKey::from_env(newsletter.list_id.as_str())?))
            }
            _ => Ok(None),
        }
    }

    /// The envelope sender of the messages: `[bounces]`, with the token key for VERP.
    pub(crate) fn return_path(
        &self,
        tokens: Option<&TokenKey>,
    ) -> Result<crate::message::ReturnPath, Error> {
        Ok(crate::message::ReturnPath::new(
            &self.edition.newsletter,
            tokens,
        )?)
    }

    /// What preview, test-send and send sign with: the DKIM key and the token key.
    pub(crate) fn keys(&self) -> Result<(Option<Signer>, Option<TokenKey>), Error> {
        Ok((self.dkim()?, self.tokens()?))
    }

    /// Exit status 1 when `check` found an error, else 0.
    pub(crate) fn status(&self) -> super::ExitStatus {
        super::ExitStatus::failed_if(self.has_errors())
    }
}

/// Prints findings and a count of errors and warnings to stderr.
pub(crate) fn report(findings: &[Finding], path: &Path) {
    let quiet = super::verbosity() == super::Verbosity::Quiet;
    let shown: Vec<&Finding> = findings.iter().filter(|f| !quiet || f.is_error()).collect();
    let findings = shown.as_slice();
    let color = crate::diagnostic::color_on_stderr();
    for finding in findings {
        eprintln!("{}", finding.render(color));
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    if !findings.is_empty() {
        eprintln!(
            "{}: {errors} {}, {warnings} {}",
            display_path(path),
            super::plural(errors, "error", "errors"),
            super::plural(warnings, "warning", "warnings")
        );
    }
}
