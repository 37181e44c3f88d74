use thiserror::Error;

/// Errors raised while validating a model configuration.
#[derive(Debug, Error, PartialEq)]
pub enum ModelError {
    /// A size that must be positive was zero.
    #[error("`{field}` must be at least 1, got 0")]
    ZeroSize {
        /// The config field at fault.
        field: &'static str,
    },
    /// A dropout probability outside `[0, 1)`.
    #[error("`{field}` must be a probability in [0, 1), got {value}")]
    InvalidDropout {
        /// The config field at fault.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A generator and discriminator that do not fit together.
    #[error(
        "generator produces {generated} features per sample but the discriminator expects {expected}"
    )]
    ShapeMismatch {
        /// Features per sample produced by the generator.
        generated: usize,
        /// Features per sample the discriminator takes.
        expected: usize,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, ModelError>;
