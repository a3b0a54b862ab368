//! The terminal itself: the streams, verbosity and colour.

use std::fmt::Display;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::diagnostic::{Finding, display_path};
use crate::error::Error;
use crate::source::LoadError;

/// How much is printed besides the result, from `-q` and `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors and results only.
    Quiet,
    Normal,
    /// Each message `send` sends, too.
    Verbose,
}

/// Where courant speaks: verbosity, colour, and the streams.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    verbosity: Verbosity,
    color: bool,
}

impl Term {
    /// A terminal at `verbosity`, colouring standard error when it is a terminal and
    /// `NO_COLOR` is unset (<https://no-color.org>).
    pub fn new(verbosity: Verbosity) -> Term {
        let color = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Term { verbosity, color }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    pub fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Writes `text` to standard output. A closed pipe (`courant status | head`) ends the
    /// command quietly, as other command-line tools do.
    pub fn out(&self, text: &str) -> Result<(), Error> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(output_error)
    }

    /// A value as indented JSON on standard output.
    pub fn json(&self, value: &impl serde::Serialize) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(value).expect("the ledger's values serialise");
        self.out(&format!("{text}\n"))
    }

    /// One line of the result on standard output.
    pub fn say(&self, line: impl Display) -> Result<(), Error> {
        self.out(&format!("{line}\n"))
    }

    /// Output that `-q` leaves out (the plan of a send), on standard output.
    pub fn inform(&self, text: impl Display) -> Result<(), Error> {
        if self.is_quiet() {
            return Ok(());
        }
        self.say(text)
    }

    /// Something that went wrong but did not end the command (a send stopped early), on
    /// standard error; printed even with `-q`.
    pub fn alert(&self, line: impl Display) {
        eprintln!("{line}");
    }

    /// A line about how the command goes (a note), on standard error; not with `-q`.
    pub fn note(&self, line: impl Display) {
        if !self.is_quiet() {
            eprintln!("{line}");
        }
    }

    /// A line shown only with `-v`.
    pub fn verbose(&self, line: impl Display) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{line}");
        }
    }

    /// `warning: …` on standard error; not with `-q`.
    pub fn warn(&self, message: impl Display) {
        self.note(format_args!("warning: {message}"));
    }

    /// Every warning of `warnings`, as [`Term::warn`].
    pub fn warn_all(&self, warnings: &[String]) {
        for warning in warnings {
            self.warn(warning);
        }
    }

    /// The error that ends a command: an input finding with its source line, anything else
    /// as `error: …`. Always printed.
    pub fn error(&self, error: &Error) {
        match error {
            Error::OutputClosed => {}
            Error::Load(LoadError::Invalid(finding)) => eprint!("{}", finding.render(self.color)),
            other => eprintln!("error: {other}"),
        }
    }

    /// Findings of `check` and a count of errors and warnings, on standard error; with `-q`
    /// the errors only.
    pub fn findings(&self, findings: &[Finding], path: &Path) {
        let shown: Vec<&Finding> = findings
            .iter()
            .filter(|f| !self.is_quiet() || f.is_error())
            .collect();
        for finding in &shown {
            eprintln!("{}", finding.render(self.color));
        }
        let errors = shown.iter().filter(|f| f.is_error()).count();
        let warnings = shown.len() - errors;
        if !shown.is_empty() {
            eprintln!(
                "{}: {errors} {}, {warnings} {}",
                display_path(path),
                plural(errors, "error", "errors"),
                plural(warnings, "warning", "warnings")
            );
        }
    }

    /// Errors in full; warnings as one line naming their rules and the command that shows
    /// them.
    pub fn findings_brief(&self, findings: &[Finding], path: &Path) {
        if findings.iter().any(Finding::is_error) {
            return self.findings(findings, path);
        }
        let mut rules: Vec<&str> = Vec::new();
        for finding in findings {
            if !rules.contains(&finding.code) {
                rules.push(finding.code);
            }
        }
        if rules.is_empty() || self.is_quiet() {
            return;
        }
        let n = findings.len();
        eprintln!(
            "{}: {n} {} ({}); `courant check {}` shows where and what to do",
            display_path(path),
            plural(n, "warning", "warnings"),
            rules.join(", "),
            display_path(path),
        );
    }

    /// Asks `question` on the terminal and returns the answer; an error when there is no
    /// terminal to ask on.
    pub fn ask(&self, question: &str) -> Result<String, std::io::Error> {
        if !std::io::stdin().is_terminal() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "no terminal to ask on",
            ));
        }
        print!("{question} ");
        let mut answer = String::new();
        std::io::stdout().flush()?;
        std::io::stdin().lock().read_line(&mut answer)?;
        Ok(answer.trim().to_owned())
    }

    /// A line of progress where no bar is drawn.
    pub(super) fn progress_line(&self, line: &str) {
        self.note(line);
    }
}

/// `one` or `many`, by `n`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A failed write to standard output; a closed pipe is no failure.
pub fn output_error(e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::OutputClosed,
        _ => Error::Failed(format!("cannot write to standard output: {e}")),
    }
}
