//! `courant completions` and `courant man`: the command line described for shells and for
//! `man`, generated from the same definitions as `--help`.

use std::path::PathBuf;

use crate::diagnostic::display_path;
use crate::error::{Error, ExitStatus};
use crate::term::Term;

/// Print a completion script for a shell.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: clap_complete::Shell,
}

/// Write the manual pages: `courant.1` and one page per command (`courant-send.1`, …).
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// The folder to write them to (created if needed).
    #[arg(default_value = "man")]
    out: PathBuf,
}

pub(crate) fn completions(
    args: &CompletionsArgs,
    mut cli: clap::Command,
    term: &Term,
) -> Result<ExitStatus, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "courant", &mut script);
    term.out(&String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

pub(crate) fn man(args: &ManArgs, cli: clap::Command, term: &Term) -> Result<ExitStatus, Error> {
    let mut command = cli;
    command.build();
    let mut pages = vec![("courant".to_owned(), command.clone())];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("courant-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((name, page));
    }
    for (name, page) in pages {
        let mut text = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut text)
            .map_err(|e| Error::write(&args.out, e))?;
        crate::files::write(&args.out.join(format!("{name}.1")), &text)?;
    }
    term.say(format!(
        "wrote the manual to {}; read it with `man -l {}/courant.1`",
        display_path(&args.out),
        display_path(&args.out)
    ))?;
    Ok(ExitStatus::Success)
}
