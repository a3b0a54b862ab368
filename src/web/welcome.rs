//! The welcome mail (`[signup] welcome = "welkom.toml"`): an edition of its own, checked when
//! `serve-public` starts, sent to each reader the moment their signup is confirmed, with their
//! greeting, unsubscribe and manage links as in any edition.

use std::path::Path;

use crate::checked::Checked;
use crate::dkim::Signer;
use crate::error::Error;
use crate::ledger::Member;
use crate::message::{Clock, Composer, ReturnPath};
use crate::subscribers::{Status, Subscriber};
use crate::term::Term;
use crate::unsubscribe::TokenKey;

/// The welcome edition, rendered once, and what signs it.
pub struct Welcome {
    checked: Checked,
    dkim: Option<Signer>,
    tokens: Option<TokenKey>,
    return_path: ReturnPath,
}

impl Welcome {
    /// The edition at `path`, refused (as `send` would) when `check` finds an error in it.
    pub fn load(path: &Path, term: &Term) -> Result<Welcome, Error> {
        let checked = Checked::load_clean(path, term)?;
        let (dkim, tokens) = checked.keys()?;
        let return_path = checked.return_path(tokens.as_ref())?;
        Ok(Welcome {
            checked,
            dkim,
            tokens,
            return_path,
        })
    }

    /// The message to `member`: its envelope sender and bytes.
    pub fn message(&self, member: &Member) -> Result<(lettre::Address, Vec<u8>), String> {
        let email = member.address.parse().map_err(|e| format!("{e}"))?;
        let reader = Subscriber {
            email,
            name: member.name.clone(),
            status: Status::Active,
            fields: member.fields.clone(),
            ..Subscriber::sample(&self.checked.edition.file)
        };
        let composer = Composer::new(
            &self.checked.edition,
            &self.checked.rendered,
            Clock::from_env(),
        )
        .with_dkim(self.dkim.as_ref())
        .with_tokens(self.tokens.clone());
        let bytes = composer.bytes(&reader).map_err(|e| e.to_string())?;
        let (from, _) = (self.return_path).envelope(&self.checked.edition.slug, &member.address);
        Ok((from, bytes))
    }
}
