//! An edition loaded, rendered and linted: what every command that reads an edition starts from.

use std::path::Path;

use crate::diagnostic::Finding;
use crate::dkim::Signer;
use crate::edition::Edition;
use crate::error::{Error, ExitStatus};
use crate::lint;
use crate::render::{self, Rendered};
use crate::source::LoadError;
use crate::unsubscribe::TokenKey;

/// An edition with its render and what `check` found.
pub struct Checked {
    pub edition: Edition,
    pub rendered: Rendered,
    pub findings: Vec<Finding>,
}

impl Checked {
    pub fn load(path: &Path) -> Result<Checked, LoadError> {
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

    /// As [`Checked::load`], with the findings reported, refused when one is an error: what
    /// goes to readers.
    pub fn load_clean(path: &Path, term: &crate::term::Term) -> Result<Checked, Error> {
        let checked = Checked::load(path)?;
        checked.report_brief(term);
        if checked.has_errors() {
            return Err(Error::Refused(
                "refusing to send an edition with errors; fix what `courant check` reports".into(),
            ));
        }
        Ok(checked)
    }

    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// Prints the findings and a count.
    pub fn report(&self, term: &crate::term::Term) {
        term.findings(&self.findings, &self.edition.file.path);
    }

    /// Prints the errors in full and the warnings as one line that names them: the commands
    /// after `check` (preview, test-send, send) should not repeat its advice every time.
    pub fn report_brief(&self, term: &crate::term::Term) {
        term.findings_brief(&self.findings, &self.edition.file.path);
    }

    /// The DKIM signing key of the edition's newsletter, if `[dkim]` is set.
    pub fn dkim(&self) -> Result<Option<Signer>, Error> {
        let dir = crate::edition::dir_of(&self.edition.newsletter_file.path);
        Ok(crate::dkim::load(&self.edition.newsletter, dir)?)
    }

    /// The key for unsubscribe tokens, if the unsubscribe URL has `{token}`; an error when it
    /// has and `COURANT_UNSUBSCRIBE_SECRET` is not set.
    pub fn tokens(&self) -> Result<Option<TokenKey>, Error> {
        let newsletter = &self.edition.newsletter;
        let url_token = newsletter
            .unsubscribe
            .url
            .as_ref()
            .is_some_and(crate::edition::value::UrlTemplate::has_token);
        match url_token || newsletter.manage.is_some() {
            true => {
                let dir = crate::edition::dir_of(&self.edition.newsletter_file.path);
                Ok(Some(TokenKey::find(
                    newsletter.list_id.as_str(),
                    Some(dir),
                )?))
            }
            false => Ok(None),
        }
    }

    /// The envelope sender of the messages: `[bounces]`, with the token key for VERP.
    pub fn return_path(
        &self,
        tokens: Option<&TokenKey>,
    ) -> Result<crate::message::ReturnPath, Error> {
        Ok(crate::message::ReturnPath::new(
            &self.edition.newsletter,
            tokens,
        )?)
    }

    /// What preview, test-send and send sign with: the DKIM key and the token key.
    pub fn keys(&self) -> Result<(Option<Signer>, Option<TokenKey>), Error> {
        Ok((self.dkim()?, self.tokens()?))
    }

    /// Exit status 1 when `check` found an error, else 0.
    pub fn status(&self) -> ExitStatus {
        ExitStatus::failed_if(self.has_errors())
    }
}
