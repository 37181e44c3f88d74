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
    /// An image size the architecture does not support.
    #[error("unsupported image size {size}x{size}: DCGAN supports 28, 32 and 64")]
    UnsupportedImageSize {
        /// The requested side length.
        size: usize,
    },
    /// An image size the convolutional autoencoder does not support.
    #[error(
        "unsupported autoencoder image size {size}x{size}: the side must be even and at least 4"
    )]
    UnsupportedAutoencoderSize {
        /// The requested side length.
        size: usize,
    },
    /// An image size CycleGAN's ResNet generator does not support.
    #[error(
        "unsupported image size {size}x{size} for the ResNet generator: the side must be a multiple of 4 and at least 8"
    )]
    UnsupportedTranslatorSize {
        /// The requested side length.
        size: usize,
    },
    /// A PatchGAN discriminator with more stride-2 layers than its images have room for.
    #[error(
        "a PatchGAN discriminator with n_layers = {n_layers} leaves no patch of a {size}x{size} image: use fewer layers"
    )]
    PatchTooSmall {
        /// The image side.
        size: usize,
        /// The stride-2 layers requested.
        n_layers: usize,
    },
    /// Class conditioning with fewer than two classes.
    #[error("class conditioning needs at least 2 classes, got {num_classes}")]
    TooFewClasses {
        /// The requested number of classes.
        num_classes: usize,
    },
    /// A discriminator head that needs class labels configured without them.
    #[error("`{feature}` needs `num_classes` to be set")]
    MissingClasses {
        /// The feature that needs the classes.
        feature: &'static str,
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

/// `Ok` when `value` is positive, else [`ModelError::ZeroSize`] naming `field`.
pub(crate) fn nonzero(field: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        Err(ModelError::ZeroSize { field })
    } else {
        Ok(())
    }
}
