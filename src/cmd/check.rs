//! `courant check`: load, render, lint, report.

use std::path::{Path, PathBuf};

use crate::checked::Checked;
use crate::diagnostic::{Finding, display_path};
use crate::error::{Error, ExitStatus};
use crate::source::LoadError;
use crate::term::Term;

/// Load, render and lint an edition; report every finding with file:line:column.
///
/// Exits 0 when clean (warnings allowed), 1 when any error is found, 2 when the input
/// cannot be read or parsed.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The edition file, e.g. `issues/2022-12.toml` (settings come from `newsletter.toml` beside it).
    edition: PathBuf,
    /// Print the findings as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args, term: &Term) -> Result<ExitStatus, Error> {
    let path = &args.edition;
    let checked = match Checked::load(path) {
        Ok(checked) => checked,
        Err(error) if args.json => {
            return print_json(term, path, &[input_finding(&error)], ExitStatus::BadInput);
        }
        Err(error) => return Err(error.into()),
    };
    let status = checked.status();
    if args.json {
        return print_json(term, path, &checked.findings, status);
    }
    checked.report(term);
    if checked.findings.is_empty() {
        term.note(format_args!("{}: no problems found", display_path(path)));
    }
    Ok(status)
}

fn input_finding(error: &LoadError) -> Finding {
    match error {
        LoadError::Invalid(finding) => (**finding).clone(),
        LoadError::Read { .. } | LoadError::MissingSettings { .. } => {
            Finding::error("unreadable", error.to_string())
        }
    }
}

fn print_json(
    term: &Term,
    path: &Path,
    findings: &[Finding],
    status: ExitStatus,
) -> Result<ExitStatus, Error> {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let value = serde_json::json!({
        "edition": display_path(path),
        "errors": errors,
        "warnings": findings.len() - errors,
        "findings": findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
    });
    term.out(&format!("{value:#}\n"))?;
    Ok(status)
}
