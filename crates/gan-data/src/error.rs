use thiserror::Error;

/// Errors raised by dataset configuration and loading.
#[derive(Debug, Error, PartialEq)]
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
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, DataError>;
