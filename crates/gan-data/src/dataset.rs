//! One serialisable description of every image dataset, for run configs and the command line.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cifar::load_cifar10;
use crate::error::Result;
use crate::folder::ImageFolderConfig;
use crate::images::ImageSet;
use crate::mnist::{DownloadOptions, IdxDataset, Split, embedded_mnist};

/// Where a downloadable dataset comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DatasetSource {
    /// The split to load.
    #[serde(default)]
    pub split: Split,
    /// A directory holding the files (otherwise the system directory, then the cache).
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Download into the cache when the files are nowhere on disk.
    #[serde(default)]
    pub download: bool,
    /// A mirror to download from instead of the dataset's home.
    #[serde(default)]
    pub base_url: Option<String>,
}

impl DatasetSource {
    fn options(&self, quiet: bool) -> Option<DownloadOptions> {
        self.download.then(|| DownloadOptions {
            base_url: self.base_url.clone(),
            quiet,
            cache_dir: None,
        })
    }
}

/// An image dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum ImageDataset {
    /// The 10,000 MNIST digits embedded in this crate (works offline).
    #[default]
    EmbeddedMnist,
    /// MNIST from IDX files.
    Mnist(DatasetSource),
    /// Fashion-MNIST from IDX files (Debian's package is found on its own).
    FashionMnist(DatasetSource),
    /// CIFAR-10 binary batches.
    Cifar10(DatasetSource),
    /// A folder of PNG/JPEG images.
    Folder(ImageFolderConfig),
    /// The 1,797 UCI optical digits embedded in this crate, in MNIST's 28x28 layout (see
    /// [`crate::embedded_optdigits`]).
    Optdigits,
    /// One style of the emoji of `emoji-datasource-twitter` and `-google` (see
    /// [`crate::emoji`]).
    Emoji(crate::emoji::EmojiSet),
}

impl ImageDataset {
    /// A short name for run directories and messages: `mnist-embedded`, `mnist`,
    /// `fashion-mnist`, `cifar10`, `optdigits` or the folder's name.
    pub fn label(&self) -> String {
        match self {
            ImageDataset::EmbeddedMnist => "mnist-embedded".into(),
            ImageDataset::Mnist(_) => "mnist".into(),
            ImageDataset::FashionMnist(_) => "fashion-mnist".into(),
            ImageDataset::Cifar10(_) => "cifar10".into(),
            ImageDataset::Optdigits => "optdigits".into(),
            ImageDataset::Emoji(e) => e.label(),
            ImageDataset::Folder(c) => c
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "images".into()),
        }
    }

    /// Loads the images, with the files of an image folder that were skipped (each error
    /// names its file). `quiet` hides download progress bars.
    pub fn load(&self, quiet: bool) -> Result<(ImageSet, Vec<crate::DataError>)> {
        let set = match self {
            ImageDataset::EmbeddedMnist => embedded_mnist(),
            ImageDataset::Optdigits => crate::optdigits::embedded_optdigits(),
            ImageDataset::Emoji(e) => e.load(quiet)?,
            ImageDataset::Mnist(s) => {
                IdxDataset::Mnist.load(s.split, s.dir.as_deref(), s.options(quiet).as_ref())?
            }
            ImageDataset::FashionMnist(s) => IdxDataset::FashionMnist.load(
                s.split,
                s.dir.as_deref(),
                s.options(quiet).as_ref(),
            )?,
            ImageDataset::Cifar10(s) => {
                load_cifar10(s.split, s.dir.as_deref(), s.options(quiet).as_ref())?
            }
            ImageDataset::Folder(c) => {
                let load = c.load()?;
                return Ok((load.images, load.skipped));
            }
        };
        Ok((set, Vec::new()))
    }
}
