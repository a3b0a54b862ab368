//! `courant build`: the web version, the email HTML and the plaintext, written for review.

use std::path::{Path, PathBuf};

use crate::checked::Checked;
use crate::diagnostic::display_path;
use crate::error::{Error, ExitStatus};
use crate::files::write;
use crate::message::{Clock, Composer};
use crate::subscribers::Subscriber;
use crate::term::Term;

/// Write the web version, the email HTML and the plaintext of an edition, for review.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml`.
    edition: PathBuf,
    /// The folder to write to (created if needed).
    #[arg(long, short)]
    out: PathBuf,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let checked = Checked::load(&args.edition)?;
    checked.report(term);
    write_all(&checked, &args.out)?;
    term.say(format!(
        "wrote index.html (web version), email.html and email.txt to {}",
        display_path(&args.out)
    ))?;
    Ok(checked.status())
}

fn write_all(checked: &Checked, out: &Path) -> Result<(), Error> {
    let Checked {
        edition, rendered, ..
    } = checked;
    let sample = Subscriber::sample(&edition.file);
    // A review copy: the token is real when the secret is set, a placeholder otherwise.
    let tokens = checked.tokens().ok().flatten();
    let personal = Composer::new(edition, rendered, Clock::from_env())
        .with_tokens(tokens)
        .personal(&sample);
    write(&out.join("index.html"), &rendered.web)?;
    // Embedded images are `cid:` references in the message; here they sit beside the file.
    let email = rendered
        .html
        .fill(&personal)
        .replace("src=\"cid:", "src=\"");
    write(&out.join("email.html"), email)?;
    write(&out.join("email.txt"), rendered.text.fill(&personal))?;
    for asset in rendered.assets.all() {
        write(&out.join(&asset.name), &asset.bytes)?;
    }
    for file in &rendered.calendars {
        write(&out.join(&file.name), &file.text)?;
    }
    Ok(())
}
