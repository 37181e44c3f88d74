use std::path::PathBuf;

use thiserror::Error;

/// Errors raised while drawing or writing a picture.
#[derive(Debug, Error)]
pub enum VizError {
    /// The PNG file could not be written.
    #[error("cannot write PNG {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The PNG encoder failed.
    #[error("cannot encode PNG {path}: {source}")]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: png::EncodingError,
    },
    /// The chart library could not draw (a font or layout failure).
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// Data handed to a plot has the wrong shape.
    #[error("invalid plot input: {0}")]
    InvalidInput(&'static str),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, VizError>;
