//! Datasets for training generative adversarial networks.
//!
//! Every dataset hands out minibatches as Burn tensors on any backend through the
//! [`BatchSource`] trait, drawn with a seeded RNG so runs repeat exactly:
//!
//! - image datasets load into an [`ImageSet`] (bytes in memory) and are served by an
//!   [`ImageLoader`] as `[batch, channels, height, width]` tensors scaled to `[-1, 1]` or
//!   `[0, 1]` ([`PixelRange`]), with labels:
//!   - MNIST and Fashion-MNIST from IDX files ([`IdxDataset`]; Debian's `dataset-fashion-mnist`
//!     is found on its own), and 10,000 MNIST digits embedded in the crate
//!     ([`embedded_mnist`]);
//!   - CIFAR-10 binary batches ([`cifar`]);
//!   - folders of PNG/JPEG images, e.g. CelebA ([`ImageFolderConfig`]);
//! - 2-D toy distributions for studying mode collapse ([`toy`]).
//!
//! MNIST, Fashion-MNIST and CIFAR-10 download on request into [`cache_dir`] and are verified
//! by SHA-256 ([`download`]). Every error names the file and what was wrong ([`DataError`]).

mod atomic;
pub mod cifar;
mod dataset;
pub mod download;
pub mod emoji;
mod error;
mod folder;
pub mod idx;
mod images;
mod mnist;
mod optdigits;
mod quiet;
mod source;
pub mod toy;

pub use atomic::write_atomic;
pub use cifar::{CIFAR10_CLASSES, load_cifar10, load_cifar10_dir};
pub use dataset::{DatasetSource, ImageDataset};
pub use download::{DATA_DIR_ENV, Downloader, RemoteFile, cache_dir};
pub use emoji::{EMOJI_VERSION, EmojiSet, EmojiStyle};
pub use error::{DataError, Result};
pub use folder::{FolderLoad, ImageFolderConfig};
pub use images::{ImageBatch, ImageLoader, ImageSet, PixelRange};
pub use mnist::{
    DownloadOptions, EMBEDDED_IMAGES_SHA256, EMBEDDED_LABELS_SHA256, FASHION_CLASSES, IdxDataset,
    Split, embedded_mnist, embedded_mnist_files,
};
pub use optdigits::{
    OPTDIGITS_BOX, OPTDIGITS_LEN, OPTDIGITS_SHA256, embedded_optdigits, embedded_optdigits_file,
    parse_optdigits, upsample_optdigit,
};
pub use quiet::{catch_quietly, panic_message};
pub use source::{Batch, BatchSource, DataRng, ToySampler, Unpaired};
pub use toy::{GridConfig, ModeCoverage, MoonsConfig, RingConfig, SpiralConfig, Toy2d};
