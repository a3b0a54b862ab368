//! Secrets from the environment: the variable itself (`COURANT_SMTP_PASSWORD`), or the file the
//! variable with `_FILE` names (`COURANT_SMTP_PASSWORD_FILE`), as systemd credentials and
//! container secrets hand them over. Never from a file in the project or the command line.

use std::path::Path;

/// The secret `name`, or the contents of the file `{name}_FILE` names without the line end an
/// editor adds; `None` when neither is set (or the value is empty). An unreadable file is an
/// error that names the file, never its contents.
pub fn from_env(name: &str) -> Result<Option<String>, String> {
    if let Ok(value) = std::env::var(name) {
        return Ok(Some(value).filter(|v| !v.is_empty()));
    }
    let Some(path) = std::env::var_os(format!("{name}_FILE")) else {
        return Ok(None);
    };
    let path = Path::new(&path);
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()).filter(|v| !v.is_empty()))
        }
        Err(e) => Err(format!(
            "cannot read {name}_FILE `{}`: {e}",
            crate::diagnostic::display_path(path)
        )),
    }
}
