//! Messages from where they lie: `.eml` files, Maildir folders, mbox files, standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One message and where it came from (`path`, `path:cur/123`, `path#4` for the fourth
/// message of an mbox, `-` for standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub label: String,
    pub bytes: Vec<u8>,
}

/// Why messages could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{}`: {source}", crate::diagnostic::display_path(path))]
pub struct ReadError {
    path: PathBuf,
    source: std::io::Error,
}

/// The messages at `path`: a Maildir (its `new/` and `cur/`), a folder of files, an mbox file,
/// a single message, or `-` for one message on standard input.
pub fn read(path: &Path) -> Result<Vec<Stored>, ReadError> {
    let err = |source| ReadError {
        path: path.to_path_buf(),
        source,
    };
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(err)?;
        return Ok(vec![Stored {
            label: "-".into(),
            bytes,
        }]);
    }
    if path.is_dir() {
        let maildir = path.join("cur").is_dir() || path.join("new").is_dir();
        let folders = if maildir {
            vec![path.join("new"), path.join("cur")]
        } else {
            vec![path.to_path_buf()]
        };
        let mut out = Vec::new();
        for folder in folders.iter().filter(|f| f.is_dir()) {
            out.extend(files_in(folder).map_err(err)?);
        }
        return Ok(out);
    }
    let bytes = std::fs::read(path).map_err(err)?;
    let label = crate::diagnostic::display_path(path);
    if bytes.starts_with(b"From ") {
        let messages = split_mbox(&bytes);
        let several = messages.len() > 1;
        return Ok(messages
            .into_iter()
            .enumerate()
            .map(|(i, bytes)| Stored {
                label: if several {
                    format!("{label}#{}", i + 1)
                } else {
                    label.clone()
                },
                bytes,
            })
            .collect());
    }
    Ok(vec![Stored { label, bytes }])
}

/// The regular files of a folder, in name order.
fn files_in(folder: &Path) -> std::io::Result<Vec<Stored>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            Ok(Stored {
                label: crate::diagnostic::display_path(&p),
                bytes: std::fs::read(&p)?,
            })
        })
        .collect()
}

/// The messages of an mbox file (mboxrd: `>From ` lines unquoted once).
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut at_line_start = true;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start && bytes[i..].starts_with(b"From ") {
            if i > start {
                messages.push(unquote(&bytes[start..i]));
            }
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| i + p + 1);
            start = end;
            i = end;
            continue;
        }
        at_line_start = bytes[i] == b'\n';
        i += 1;
    }
    if start < bytes.len() {
        messages.push(unquote(&bytes[start..]));
    }
    messages
}

fn unquote(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    for line in message.split_inclusive(|&b| b == b'\n') {
        let quoted = line.starts_with(b">") && {
            let rest = line.iter().skip_while(|&&b| b == b'>').copied();
            rest.take(5).eq(b"From ".iter().copied())
        };
        out.extend_from_slice(if quoted { &line[1..] } else { line });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mbox_splits_at_from_lines_and_unquotes_them() {
        let mbox = b"From a@example.nl Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From here\nbody\nFrom b@example.nl Mon Jan 1 00:00:01 2024\nSubject: two\n\nx\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0], b"Subject: one\n\nFrom here\nbody\n");
        assert_eq!(messages[1], b"Subject: two\n\nx\n");
    }
}
