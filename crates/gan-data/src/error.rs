use std::path::PathBuf;

use thiserror::Error;

/// Errors raised by dataset configuration, loading and downloading. Every variant that comes
/// from a file names the file.
#[derive(Debug, Error)]
pub enum DataError {
    /// A dataset parameter outside its valid range.
    #[error("dataset parameter `{field}` = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The config field at fault.
        field: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },
    /// A saved sampler state (from a checkpoint) that this source cannot restore.
    #[error("cannot restore the data source's state: {0}")]
    InvalidState(String),
    /// A file or directory that could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A `.gz` file whose compressed stream is damaged or cut short.
    #[error("{} is not a valid gzip file (truncated or corrupt): {source}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// An IDX file (the MNIST format) whose header or size is wrong.
    #[error("{} is not a valid IDX file: {problem}", path.display())]
    Idx {
        /// The file (the `.gz` file for compressed IDX).
        path: PathBuf,
        /// What was wrong and what was expected.
        problem: String,
    },
    /// A file that parsed but holds data of the wrong shape for its dataset.
    #[error("{} has shape {found:?}, expected {expected}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// The dimensions found.
        found: Vec<usize>,
        /// What the dataset needs.
        expected: String,
    },
    /// An image file and its label file disagree on the number of examples.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Number of images.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Number of labels.
        labels: usize,
    },
    /// A label outside the dataset's classes.
    #[error(
        "{}: example {index} has label {label}, expected a class below {classes}",
        path.display()
    )]
    LabelOutOfRange {
        /// The file holding the label.
        path: PathBuf,
        /// The example's position in the file.
        index: usize,
        /// The label found.
        label: u32,
        /// Number of classes.
        classes: usize,
    },
    /// A CIFAR-10 binary batch whose size is not a whole number of records.
    #[error(
        "{} has {size} bytes, expected a non-empty multiple of {record} (CIFAR-10 records of 1 label byte + 3072 pixel bytes)",
        path.display()
    )]
    CifarSize {
        /// The batch file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The record size (3073).
        record: u64,
    },
    /// A dataset directory that lacks the files of the requested split.
    #[error("{dataset}: {missing} not found in {}; {hint}", dir.display())]
    MissingFiles {
        /// The dataset.
        dataset: &'static str,
        /// The directory searched.
        dir: PathBuf,
        /// The file names looked for.
        missing: String,
        /// How to get the files.
        hint: String,
    },
    /// An image folder with no image files (PNG/JPEG) in it or below it.
    #[error("{} contains no PNG or JPEG images (searched recursively)", path.display())]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// One image that could not be decoded.
    #[error("cannot decode image {}: {message}", path.display())]
    Image {
        /// The image file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// An image folder where no image could be read.
    #[error(
        "none of the {count} images in {} could be read; the first failure: {first}",
        path.display()
    )]
    NoReadableImages {
        /// The folder.
        path: PathBuf,
        /// How many image files were tried.
        count: usize,
        /// The first error, with its file.
        first: Box<DataError>,
    },
    /// A download answered with an HTTP error status.
    #[error("downloading {url} failed: HTTP status {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code, e.g. 404.
        status: u16,
    },
    /// A download that could not connect or broke off.
    #[error("downloading {url} failed: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong (connection refused, connection closed after N of M bytes, ...).
        message: String,
    },
    /// A downloaded or cached file whose SHA-256 digest is not the published one.
    #[error("{} has SHA-256 {actual}, expected {expected}; the file was removed", path.display())]
    Checksum {
        /// The file (already deleted).
        path: PathBuf,
        /// The published digest.
        expected: String,
        /// The digest of what was received.
        actual: String,
    },
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| DataError::Io {
            action,
            path,
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, DataError>;
