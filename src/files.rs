//! Writing the files courant makes (previews, builds, archives, keys), with the path in the
//! error.

use std::path::Path;

use crate::error::Error;

/// Writes a file, creating its folder.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::create(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::write(path, e))
}

/// Creates a file of secrets (a private key, the unsubscribe secret), refusing to replace an
/// existing one: on Unix readable by its owner only (mode 600); on Windows with the folder's
/// permissions, which in a user's own folders are the user's.
pub fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| Error::create(path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::write(path, e))
}
