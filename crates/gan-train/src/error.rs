use thiserror::Error;

/// Errors raised by training configuration and the training loop.
#[derive(Debug, Error, PartialEq)]
pub enum TrainError {
    /// A training hyper-parameter outside its valid range.
    #[error("training parameter `{field}` = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The config field at fault.
        field: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },
    /// The generator's samples do not fit the discriminator or the data.
    #[error("shape mismatch: {what} has {got} features per sample, expected {expected}")]
    ShapeMismatch {
        /// Which part disagrees.
        what: &'static str,
        /// Its feature count.
        got: usize,
        /// The expected feature count.
        expected: usize,
    },
    /// A class-conditional model was given a dataset without labels.
    #[error("the {model} is class-conditional but the data batches carry no labels")]
    MissingLabels {
        /// Which network needs labels.
        model: &'static str,
    },
    /// A loss became NaN or infinite.
    #[error("training diverged at step {step}: {loss} loss is {value}")]
    Diverged {
        /// The iteration at which it happened.
        step: usize,
        /// Which loss.
        loss: &'static str,
        /// The non-finite value.
        value: f32,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, TrainError>;
