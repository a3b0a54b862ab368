//! The image files an edition shows: read once, measured, and given the names under which the
//! message embeds them and the web version serves them.

use std::path::{Path, PathBuf};

use crate::edition::{Edition, Text};

/// The width of the content column in CSS pixels (600 minus 24 px padding each side).
pub const CONTENT_WIDTH: u32 = 552;

#[derive(Debug, Clone)]
pub struct Asset {
    /// The path as written in the TOML, resolved against its file's folder.
    pub path: PathBuf,
    /// The file name used as Content-ID and in the web version's folder.
    pub name: String,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

impl Asset {
    /// Display size: at most `max_width` wide, aspect ratio kept (images can be 2× for retina).
    pub fn display_size(&self, max_width: u32) -> (u32, u32) {
        let width = self.width.min(max_width).max(1);
        let height =
            (u64::from(self.height) * u64::from(width)).div_ceil(u64::from(self.width.max(1)));
        (width, u32::try_from(height).unwrap_or(u32::MAX))
    }
}

/// Why an image could not be used; `check` reports it at the image's `src`.
#[derive(Debug, Clone)]
pub enum AssetProblem {
    Missing(String),
    Unreadable(String),
    /// Outside the folders images may come from, or not a plain path.
    Refused(String),
}

/// All images of an edition, in the order they appear.
#[derive(Debug, Default)]
pub struct Assets {
    pub logo: Option<Asset>,
    pub images: Vec<Option<Asset>>,
    pub problems: Vec<(PathBuf, AssetProblem)>,
}

impl Assets {
    pub fn load(edition: &Edition) -> Assets {
        let mut assets = Assets::default();
        let settings_dir = edition
            .newsletter_file
            .path
            .parent()
            .unwrap_or(Path::new(""));
        let extra = edition
            .newsletter
            .image_folder
            .as_ref()
            .map(|f| settings_dir.join(crate::source::written_path(f.get_ref())));
        let logo_from = [Some(settings_dir.to_path_buf()), extra.clone()];
        if let Some(logo) = &edition.newsletter.theme.logo {
            assets.logo = assets.read(settings_dir, &logo.src, &logo_from);
        }
        let images_from = [Some(edition.dir.clone()), extra];
        for item in edition.items() {
            let asset = item
                .image
                .as_ref()
                .and_then(|i| assets.read(&edition.dir, &i.src, &images_from));
            assets.images.push(asset);
        }
        assets.name_uniquely();
        assets
    }

    /// Gives each distinct file its own name (the Content-ID in the message, the file name
    /// beside the web version): `foto.png` from two folders becomes `foto.png` and `foto-2.png`.
    fn name_uniquely(&mut self) {
        let mut taken: Vec<(String, PathBuf)> = Vec::new();
        let assets = self.logo.iter_mut().chain(self.images.iter_mut().flatten());
        for asset in assets {
            if let Some((name, _)) = taken.iter().find(|(_, p)| *p == asset.path) {
                asset.name.clone_from(name);
                continue;
            }
            let (stem, ext) = match asset.name.rsplit_once('.') {
                Some((stem, ext)) => (stem.to_owned(), format!(".{ext}")),
                None => (asset.name.clone(), String::new()),
            };
            let mut n = 1;
            while taken.iter().any(|(name, _)| *name == asset.name) {
                n += 1;
                asset.name = format!("{stem}-{n}{ext}");
            }
            taken.push((asset.name.clone(), asset.path.clone()));
        }
    }

    /// The image of the `n`th item in reading order.
    pub fn image(&self, n: usize) -> Option<&Asset> {
        self.images.get(n).and_then(Option::as_ref)
    }

    pub fn all(&self) -> impl Iterator<Item = &Asset> {
        self.logo.iter().chain(self.images.iter().flatten())
    }

    fn read(&mut self, dir: &Path, src: &Text, allowed: &[Option<PathBuf>]) -> Option<Asset> {
        let path = dir.join(crate::source::written_path(src.get_ref()));
        match inside(&path, src.get_ref(), allowed).and_then(|()| read_asset(&path)) {
            Ok(asset) => Some(asset),
            Err(problem) => {
                self.problems.push((PathBuf::from(src.get_ref()), problem));
                None
            }
        }
    }
}

/// Refuses a path outside the folders images may come from (the edition's, the settings' for
/// the logo, and `image-folder`), with `..` or a link resolved, and a path with a line break.
fn inside(path: &Path, src: &str, allowed: &[Option<PathBuf>]) -> Result<(), AssetProblem> {
    if src.contains(['\r', '\n']) {
        return Err(AssetProblem::Refused(format!(
            "line break in the image path `{}`",
            src.escape_debug()
        )));
    }
    let Ok(real) = std::fs::canonicalize(path) else {
        // A missing file is reported as missing.
        return Ok(());
    };
    let within = allowed
        .iter()
        .flatten()
        .map(|folder| {
            if folder.as_os_str().is_empty() {
                Path::new(".")
            } else {
                folder.as_path()
            }
        })
        .filter_map(|folder| std::fs::canonicalize(folder).ok())
        .any(|folder| real.starts_with(folder));
    if within {
        Ok(())
    } else {
        Err(AssetProblem::Refused(format!(
            "image `{src}` is outside the edition's folder; put it beside the edition, or name its folder in `image-folder` of newsletter.toml"
        )))
    }
}

fn read_asset(path: &Path) -> Result<Asset, AssetProblem> {
    let shown = crate::diagnostic::display_path(path);
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            AssetProblem::Missing(format!("image file `{shown}` not found"))
        }
        _ => AssetProblem::Unreadable(format!("cannot read image file `{shown}`: {e}")),
    })?;
    let unreadable = |why: &str| AssetProblem::Unreadable(format!("image file `{shown}` {why}"));
    let content_type = match imagesize::image_type(&bytes) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Gif) => "image/gif",
        _ => return Err(unreadable("is not a PNG, JPEG or GIF image")),
    };
    let size = imagesize::blob_size(&bytes).map_err(|_| unreadable("has no readable size"))?;
    let dim = |d: usize| u32::try_from(d).map_err(|_| unreadable("is too large"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Asset {
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        name,
        content_type,
        width: dim(size.width)?,
        height: dim(size.height)?,
        bytes,
    })
}
