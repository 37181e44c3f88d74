//! The same emoji in two styles, for translation with a known answer: the 64x64 PNGs of the
//! npm packages `emoji-datasource-twitter` (Twemoji, graphics CC BY 4.0) and
//! `emoji-datasource-google` (Noto Emoji, Apache 2.0), version 16.0.0, which draw the same
//! 3,786 code points.
//!
//! - The package tarball is fetched from the npm registry into the dataset cache (verified by
//!   its SHA-256) and unpacked there, the first time a run needs it with `download` set; a
//!   directory holding an unpacked package can be given instead.
//! - Transparent pixels are flattened onto white. The skin-tone variants (code points with a
//!   modifier U+1F3FB-U+1F3FF) repeat their base emoji's drawing in another colour and are
//!   dropped: 1,906 emoji remain.
//! - The split is by code point, the same for both styles: an emoji is in the test split when
//!   the first byte of the SHA-256 of its file name is a multiple of 10 (about a tenth). Both
//!   styles list their emoji in the same order (by file name), so image `i` of one style and
//!   image `i` of the other are the same emoji: the true counterpart of every translation.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dataset::DatasetSource;
use crate::download::RemoteFile;
use crate::error::{DataError, Result};
use crate::images::ImageSet;
use crate::mnist::{DownloadOptions, Split};

/// The version of the emoji packages.
pub const EMOJI_VERSION: &str = "16.0.0";

/// Emoji per style in the packages, skin-tone variants included.
pub const EMOJI_IN_PACKAGE: usize = 3786;

/// An emoji style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmojiStyle {
    /// Twemoji (`emoji-datasource-twitter`; graphics CC BY 4.0, Twitter and contributors).
    Twitter,
    /// Noto Emoji (`emoji-datasource-google`; Apache 2.0, Google).
    Google,
}

impl EmojiStyle {
    /// `twitter` or `google`: the package's image folder.
    pub fn name(self) -> &'static str {
        match self {
            EmojiStyle::Twitter => "twitter",
            EmojiStyle::Google => "google",
        }
    }

    /// The package tarball.
    pub fn tarball(self) -> RemoteFile {
        match self {
            EmojiStyle::Twitter => RemoteFile {
                name: "emoji-datasource-twitter-16.0.0.tgz",
                sha256: "f64a530c63bca463bd8317fdc4615ce63a53a0c65018e4ce2d848aaba7a28877",
            },
            EmojiStyle::Google => RemoteFile {
                name: "emoji-datasource-google-16.0.0.tgz",
                sha256: "fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438",
            },
        }
    }

    /// The npm registry's address of the package's tarballs.
    pub fn registry_url(self) -> String {
        format!(
            "https://registry.npmjs.org/emoji-datasource-{}/-/",
            self.name()
        )
    }
}

fn default_size() -> usize {
    64
}

/// One style of the emoji, as a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmojiSet {
    /// The style.
    pub style: EmojiStyle,
    /// The side of the images: 64 (the packages' own), or smaller (resized with a triangle
    /// filter after flattening onto white).
    #[serde(default = "default_size")]
    pub size: usize,
    /// The split, the directory of an unpacked package, and whether to download.
    #[serde(default)]
    pub source: DatasetSource,
}

impl EmojiSet {
    /// The `style` emoji of `split` at `size` pixels, downloaded when missing if `download`.
    pub fn new(style: EmojiStyle, size: usize, split: Split, download: bool) -> Self {
        Self {
            style,
            size,
            source: DatasetSource {
                split,
                download,
                ..DatasetSource::default()
            },
        }
    }

    /// `emoji-twitter` or `emoji-google`.
    pub fn label(&self) -> String {
        format!("emoji-{}", self.style.name())
    }

    /// The folder of 64 px PNGs: in `source.dir` (an unpacked package, or a directory holding
    /// one as `package/`), else in the cache, downloading and unpacking the package there
    /// first when `source.download` is set.
    pub fn images_dir(&self, quiet: bool) -> Result<PathBuf> {
        let options = DownloadOptions {
            base_url: self.source.base_url.clone(),
            quiet,
            cache_dir: None,
        };
        self.images_dir_with(&options)
    }

    /// [`Self::images_dir`] with the cache, mirror and progress of `options`.
    pub fn images_dir_with(&self, options: &DownloadOptions) -> Result<PathBuf> {
        let style = self.style.name();
        let inside = |root: &Path| {
            [root.to_path_buf(), root.join("package")]
                .into_iter()
                .map(|r| r.join("img").join(style).join("64"))
                .find(|d| d.is_dir())
        };
        if let Some(dir) = &self.source.dir {
            return inside(dir).ok_or_else(|| self.missing(dir, false));
        }
        let root = options
            .cache_dir()
            .join(format!("emoji-datasource-{style}-{EMOJI_VERSION}"));
        if let Some(found) = inside(&root) {
            return Ok(found);
        }
        if !self.source.download {
            return Err(self.missing(&root, true));
        }
        let default_url = self.style.registry_url();
        let archive = options
            .downloader(&default_url, &options.cache_dir())
            .fetch(&self.style.tarball())?;
        crate::cifar::unpack_tar_gz(&archive, &root)?;
        inside(&root).ok_or_else(|| self.missing(&root, true))
    }

    fn missing(&self, dir: &Path, hint: bool) -> DataError {
        DataError::MissingFiles {
            dataset: match self.style {
                EmojiStyle::Twitter => "emoji-twitter",
                EmojiStyle::Google => "emoji-google",
            },
            dir: dir.to_path_buf(),
            missing: format!("img/{}/64/*.png", self.style.name()),
            hint: if hint {
                crate::download::MISSING_HINT.into()
            } else {
                "pass an unpacked emoji-datasource package".into()
            },
        }
    }

    /// Loads the images of the split, in file-name order (see the module documentation).
    pub fn load(&self, quiet: bool) -> Result<ImageSet> {
        let options = DownloadOptions {
            base_url: self.source.base_url.clone(),
            quiet,
            cache_dir: None,
        };
        self.load_with(&options)
    }

    /// [`Self::load`] with the cache, mirror and progress of `options`.
    pub fn load_with(&self, options: &DownloadOptions) -> Result<ImageSet> {
        if !(8..=64).contains(&self.size) {
            return Err(DataError::InvalidParameter {
                field: "emoji size",
                value: self.size.to_string(),
                expected: "a side from 8 to 64 pixels",
            });
        }
        let dir = self.images_dir_with(options)?;
        let files = emoji_files(&dir, self.source.split)?;
        let mut pixels = Vec::with_capacity(files.len() * 3 * self.size * self.size);
        for file in &files {
            pixels.extend(load_emoji(file, self.size)?);
        }
        ImageSet::new(
            format!("{}/{}", self.label(), split_name(self.source.split)),
            [3, self.size, self.size],
            pixels,
            None,
            None,
        )
    }
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Train => "train",
        Split::Test => "test",
    }
}

/// Whether an emoji's file name is a skin-tone variant (it holds a modifier U+1F3FB-U+1F3FF).
pub fn is_skin_tone(stem: &str) -> bool {
    stem.split('-')
        .any(|c| matches!(c, "1f3fb" | "1f3fc" | "1f3fd" | "1f3fe" | "1f3ff"))
}

/// Whether the emoji of this file name is in the test split.
pub fn is_test_emoji(stem: &str) -> bool {
    Sha256::digest(stem.as_bytes())[0] % 10 == 0
}

/// The PNG files of `split` in a package's image folder, sorted by name, without the
/// skin-tone variants.
pub fn emoji_files(dir: &Path, split: Split) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(DataError::io("cannot list", dir))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(DataError::io("cannot list", dir))?.path();
        let Some(stem) = path
            .extension()
            .filter(|e| e.eq_ignore_ascii_case("png"))
            .and(path.file_stem())
            .and_then(|s| s.to_str())
        else {
            continue;
        };
        if !is_skin_tone(stem) && is_test_emoji(stem) == (split == Split::Test) {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(DataError::EmptyFolder {
            path: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

/// One emoji PNG as channel-major RGB bytes at `size` pixels: alpha flattened onto white
/// (`c·a + 255·(1 − a)`), then resized with a triangle filter when `size` is not the file's.
pub fn load_emoji(path: &Path, size: usize) -> Result<Vec<u8>> {
    let err = |message: String| DataError::Image {
        path: path.to_path_buf(),
        message,
    };
    let rgba = image::open(path)
        .map_err(|e| err(e.to_string()))?
        .to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut flat = image::RgbImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = u32::from(p[3]);
        let blend = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        flat.put_pixel(x, y, image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])]));
    }
    let side = size as u32;
    let flat = if (w, h) == (side, side) {
        flat
    } else {
        image::imageops::resize(&flat, side, side, FilterType::Triangle)
    };
    let mut out = Vec::with_capacity(3 * size * size);
    for c in 0..3 {
        out.extend(flat.pixels().map(|p| p[c]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skin_tones_and_split_by_name() {
        assert!(is_skin_tone("1f44b-1f3fd"));
        assert!(is_skin_tone("1f9d1-1f3fb-200d-1f91d-200d-1f9d1-1f3ff"));
        assert!(!is_skin_tone("1f44b"));
        assert!(!is_skin_tone("1f3fb0"));
        // The split is a function of the name alone, the same in both styles.
        assert_eq!(is_test_emoji("1f600"), is_test_emoji("1f600"));
        let test = (0..1000)
            .filter(|i| is_test_emoji(&format!("{i:x}")))
            .count();
        assert!(
            (70..130).contains(&test),
            "{test} of 1000 names in the test split"
        );
    }
}
