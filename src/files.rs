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
