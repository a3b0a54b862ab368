//! `courant check`: load, render, lint, report.

use std::path::Path;

use super::{Checked, Outcome, bad_input, report};
use crate::diagnostic::{Finding, display_path};
use crate::edition::LoadError;

pub fn run(path: &Path, json: bool) -> Outcome {
    let checked = match Checked::load(path) {
        Ok(checked) => checked,
        Err(error) if json => return print_json(path, &[input_finding(&error)], Outcome::BadInput),
        Err(error) => return bad_input(&error),
    };
    let outcome = if checked.has_errors() {
        Outcome::Failed
    } else {
        Outcome::Success
    };
    if json {
        return print_json(path, &checked.findings, outcome);
    }
    report(&checked.findings, path);
    if checked.findings.is_empty() {
        eprintln!("{}: no problems found", display_path(path));
    }
    outcome
}

fn input_finding(error: &LoadError) -> Finding {
    match error {
        LoadError::Invalid(finding) => (**finding).clone(),
        LoadError::Read { .. } | LoadError::MissingSettings { .. } => {
            Finding::error("unreadable", error.to_string())
        }
    }
}

fn print_json(path: &Path, findings: &[Finding], outcome: Outcome) -> Outcome {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let value = serde_json::json!({
        "edition": display_path(path),
        "errors": errors,
        "warnings": findings.len() - errors,
        "findings": findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
    });
    println!("{value:#}");
    outcome
}
