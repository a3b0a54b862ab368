//! Findings about the input, printed as `error: …` / `warning: …` with `--> path:line:col`,
//! the source line and a caret, or as JSON for machines.
//!
//! Every stage that reads user files reports through [`Finding`]: the loader for input that
//! cannot be used at all (exit 2), the linter for problems in input that can (exit 1 for errors).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// A file as it was read, kept so that byte offsets can become line and column.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as it was derived from one), used in messages.
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where a finding comes from: a byte range of a source file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Location {
    pub fn new(file: &Arc<SourceFile>, span: Range<usize>) -> Self {
        Location {
            file: Arc::clone(file),
            span,
        }
    }

    /// A location that names only a line of a file (used for CSV rows).
    pub fn line(file: &Arc<SourceFile>, line: usize) -> Self {
        let start: usize = file
            .text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        Location::new(file, start..start)
    }

    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the input.
#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    /// A short, stable identifier such as `alt-missing`, for `--json` consumers.
    pub code: &'static str,
    pub message: String,
    pub location: Option<Location>,
    /// Further locations with a label, e.g. the first occurrence of a duplicate.
    pub notes: Vec<(String, Location)>,
    /// A finding of one of `check`'s rules: its id is shown (`warning[spam-exclamation]: …`),
    /// so it can be looked up and allowed.
    pub rule: bool,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            notes: Vec::new(),
            rule: false,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(code, message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn note(mut self, label: impl Into<String>, location: Location) -> Self {
        self.notes.push((label.into(), location));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The machine-readable form used by `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        let place = |l: &Location| {
            let (line, column) = l.line_col();
            serde_json::json!({"file": display_path(&l.file.path), "line": line, "column": column})
        };
        serde_json::json!({
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "location": self.location.as_ref().map(place),
            "notes": self.notes.iter().map(|(label, l)| {
                let mut v = place(l);
                v["label"] = label.clone().into();
                v
            }).collect::<Vec<_>>(),
        })
    }
}

impl Finding {
    /// The finding as `check` prints it: the message, then each place with its source line and
    /// carets under the span (at display width: CJK and emoji take two columns), through
    /// annotate-snippets, the renderer rustc and cargo use; in colour when `color`.
    pub fn render(&self, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer};
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut title = level.primary_title(self.message.as_str());
        if self.rule {
            title = title.id(self.code);
        }
        let mut group = Group::with_title(title);
        if let Some(location) = &self.location {
            group = group.element(snippet(location, None, AnnotationKind::Primary));
        }
        for (note, location) in &self.notes {
            group = group.element(snippet(location, Some(note), AnnotationKind::Context));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = renderer.render(&[group]);
        out.push('\n');
        out
    }
}

/// One place of a finding, with its label if any.
fn snippet<'a>(
    location: &'a Location,
    label: Option<&'a str>,
    kind: annotate_snippets::AnnotationKind,
) -> annotate_snippets::Snippet<'a, annotate_snippets::Annotation<'a>> {
    let text = location.file.text.as_str();
    let end = floor_char_boundary(text, location.span.end.min(text.len()));
    let start = floor_char_boundary(text, location.span.start.min(end));
    let mut annotation = kind.span(start..end);
    if let Some(label) = label {
        annotation = annotation.label(label);
    }
    annotate_snippets::Snippet::source(text)
        .path(display_path(&location.file.path))
        .annotation(annotation)
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Whether to colour what goes to standard error: on a terminal, unless `NO_COLOR` is set to
/// anything (<https://no-color.org>).
pub fn color_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Paths in messages use `/` and no leading `./`, so they read the same everywhere.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let file = SourceFile::new("a.toml", "x = 1\nnaam = \"Ömer\"\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(6), (2, 1));
        let offset = file.text.find('"').unwrap() + 4; // after `"Öm`
        assert_eq!(file.line_col(offset), (2, 11));
    }

    #[test]
    fn snippet_has_path_line_source_and_caret() {
        let file = SourceFile::new("./issues/x.toml", "a = 1\nsubject = 3\n");
        let start = file.text.find('3').unwrap();
        let finding =
            Finding::error("type", "invalid type").at(Location::new(&file, start..start + 1));
        assert_eq!(
            finding.to_string(),
            "error: invalid type\n --> issues/x.toml:2:11\n  |\n2 | subject = 3\n  |           ^\n"
        );
    }

    #[test]
    fn location_of_a_line_starts_at_that_line() {
        let file = SourceFile::new("l.csv", "email\na@example.org\nb@example.org\n");
        assert_eq!(Location::line(&file, 3).line_col(), (3, 1));
    }
}
