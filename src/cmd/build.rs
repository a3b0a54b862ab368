//! `courant build`: the web version, the email HTML and the plaintext, written for review.

use std::path::Path;

use super::{Checked, Outcome, bad_input, write};
use crate::diagnostic::display_path;
use crate::message::{Clock, Composer};
use crate::subscribers::Subscriber;

pub fn run(path: &Path, out: &Path) -> Outcome {
    let checked = match Checked::load(path) {
        Ok(checked) => checked,
        Err(error) => return bad_input(&error),
    };
    checked.report();
    if let Err(message) = write_all(&checked, out) {
        eprintln!("error: {message}");
        return Outcome::Failed;
    }
    println!(
        "wrote index.html (web version), email.html and email.txt to {}",
        display_path(out)
    );
    if checked.has_errors() {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}

fn write_all(checked: &Checked, out: &Path) -> Result<(), String> {
    let Checked {
        edition, rendered, ..
    } = checked;
    let sample = Subscriber::sample(&edition.file);
    // A review copy: the token is real when the secret is set, a placeholder otherwise.
    let tokens = super::load_tokens(edition).ok().flatten();
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
    Ok(())
}
