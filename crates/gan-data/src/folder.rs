//! Folders of PNG and JPEG images (e.g. CelebA): scanned recursively, each image center-cropped
//! to a square and resized to the model's size, optionally labelled by its class subfolder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::config::Config;
use image::imageops::FilterType;

use crate::error::{DataError, Result as DataResult};
use crate::images::ImageSet;

/// The widest or tallest image file the folder loader decodes.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// The most memory the folder loader lets a decoder allocate for one image (64 MiB).
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// How to read an image folder.
#[derive(Config, Debug, PartialEq)]
pub struct ImageFolderConfig {
    /// The folder, scanned recursively.
    pub path: PathBuf,
    /// Side of the square images produced (center crop, then resize).
    #[config(default = 64)]
    pub size: usize,
    /// 3 for RGB, 1 for grey levels.
    #[config(default = 3)]
    pub channels: usize,
    /// Label each image by the first-level subfolder it is in (subfolder names sorted give the
    /// class indices). Images directly in the folder are then skipped and reported.
    #[config(default = false)]
    pub class_subfolders: bool,
    /// Read at most this many images (in sorted path order).
    #[config(default = "None")]
    pub limit: Option<usize>,
}

/// A loaded image folder and the files that could not be used.
#[derive(Debug)]
pub struct FolderLoad {
    /// The images that were read.
    pub images: ImageSet,
    /// Each file skipped, with why (a [`DataError::Image`] naming the file).
    pub skipped: Vec<DataError>,
}

const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Every PNG/JPEG file below `dir`, sorted.
fn scan(dir: &Path, out: &mut Vec<PathBuf>) -> DataResult<()> {
    let entries = std::fs::read_dir(dir).map_err(DataError::io("cannot list", dir))?;
    for entry in entries {
        let entry = entry.map_err(DataError::io("cannot list", dir))?;
        let path = entry.path();
        if path.is_dir() {
            scan(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

impl ImageFolderConfig {
    /// Checks the parameters.
    pub fn validate(&self) -> DataResult<()> {
        if !(4..=1024).contains(&self.size) {
            return Err(DataError::InvalidParameter {
                field: "size",
                value: self.size.to_string(),
                expected: "a side between 4 and 1024 pixels",
            });
        }
        if !matches!(self.channels, 1 | 3) {
            return Err(DataError::InvalidParameter {
                field: "channels",
                value: self.channels.to_string(),
                expected: "1 (grey) or 3 (RGB)",
            });
        }
        Ok(())
    }

    /// Reads the folder. Files that cannot be decoded are skipped and listed in
    /// [`FolderLoad::skipped`]; it is an error when the folder has no image files
    /// ([`DataError::EmptyFolder`]) or none of them can be read
    /// ([`DataError::NoReadableImages`]).
    pub fn load(&self) -> DataResult<FolderLoad> {
        self.validate()?;
        if !self.path.is_dir() {
            return Err(DataError::Io {
                action: "cannot open image folder",
                path: self.path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        let mut files = Vec::new();
        scan(&self.path, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(DataError::EmptyFolder {
                path: self.path.clone(),
            });
        }
        let mut skipped = Vec::new();
        // Class of each file: its first path component below the root.
        let mut classes: BTreeMap<String, u16> = BTreeMap::new();
        let mut labelled: Vec<(PathBuf, Option<String>)> = Vec::with_capacity(files.len());
        for path in files {
            if self.class_subfolders {
                let rel = path.strip_prefix(&self.path).unwrap_or(&path);
                let mut parts = rel.components();
                match (parts.next(), parts.next()) {
                    (Some(class), Some(_)) => {
                        let class = class.as_os_str().to_string_lossy().into_owned();
                        classes.insert(class.clone(), 0);
                        labelled.push((path, Some(class)));
                    }
                    _ => skipped.push(DataError::Image {
                        path,
                        message: "not inside a class subfolder".into(),
                    }),
                }
            } else {
                labelled.push((path, None));
            }
        }
        if let Some(limit) = self.limit {
            labelled.truncate(limit);
        }
        for (i, v) in classes.values_mut().enumerate() {
            *v = i as u16;
        }
        let count = labelled.len();
        let decoded = self.decode_all(&labelled);
        let per_image = self.channels * self.size * self.size;
        let mut pixels = Vec::with_capacity(count * per_image);
        let mut labels = Vec::with_capacity(count);
        for ((_, class), result) in labelled.iter().zip(decoded) {
            match result {
                Ok(p) => {
                    pixels.extend_from_slice(&p);
                    if let Some(class) = class {
                        labels.push(classes[class]);
                    }
                }
                Err(e) => skipped.push(e),
            }
        }
        if pixels.is_empty() {
            let first = skipped
                .into_iter()
                .next()
                .unwrap_or(DataError::EmptyFolder {
                    path: self.path.clone(),
                });
            return Err(DataError::NoReadableImages {
                path: self.path.clone(),
                count,
                first: Box::new(first),
            });
        }
        let (labels, names) = if self.class_subfolders {
            (Some(labels), Some(classes.into_keys().collect()))
        } else {
            (None, None)
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "images".into());
        let images = ImageSet::new(
            name,
            [self.channels, self.size, self.size],
            pixels,
            labels,
            names,
        )?;
        Ok(FolderLoad { images, skipped })
    }

    /// Decodes files on all cores, keeping their order.
    fn decode_all(&self, files: &[(PathBuf, Option<String>)]) -> Vec<DataResult<Vec<u8>>> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(files.len().max(1));
        let chunk = files.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || part.iter().map(|(p, _)| self.decode(p)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("image decoding thread panicked"))
                .collect()
        })
    }

    /// One image: decoded, center-cropped to a square, resized, as channel-major bytes.
    pub fn decode(&self, path: &Path) -> DataResult<Vec<u8>> {
        let err = |message: String| DataError::Image {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = image::ImageReader::open(path)
            .map_err(|e| err(e.to_string()))?
            .with_guessed_format()
            .map_err(|e| err(e.to_string()))?;
        // A header may claim any size: refuse before the decoder allocates for it.
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE);
        limits.max_image_height = Some(MAX_IMAGE_SIDE);
        limits.max_alloc = Some(MAX_IMAGE_BYTES);
        reader.limits(limits);
        // A decoder may assert on a malformed file (zune-jpeg 0.5.15 does on some progressive
        // JPEGs): that is this file's error, not a crash.
        let img = crate::catch_quietly(|| reader.decode())
            .map_err(|panic| {
                err(format!(
                    "the decoder failed on malformed data ({})",
                    crate::panic_message(&*panic, "a panic")
                ))
            })?
            .map_err(|e| err(e.to_string()))?;
        let (w, h) = (img.width(), img.height());
        let side = w.min(h);
        let size = self.size as u32;
        let img = img
            .crop_imm((w - side) / 2, (h - side) / 2, side, side)
            .resize_exact(size, size, FilterType::Triangle);
        let plane = self.size * self.size;
        Ok(if self.channels == 1 {
            img.to_luma8().into_raw()
        } else {
            let rgb = img.to_rgb8().into_raw();
            let mut chw = vec![0u8; 3 * plane];
            for (i, px) in rgb.chunks_exact(3).enumerate() {
                chw[i] = px[0];
                chw[plane + i] = px[1];
                chw[2 * plane + i] = px[2];
            }
            chw
        })
    }
}
