//! Class conditioning (Mirza & Osindero 2014): turning labels into vectors joined to a network's
//! input.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::error::{ModelError, Result as ModelResult};

/// How a class label becomes a vector.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum LabelEncoding {
    /// A one-hot vector of length `num_classes`.
    OneHot,
    /// A learned embedding of the given dimension.
    Embedding(usize),
}

/// Class conditioning of a network: the number of classes and how labels are encoded.
#[derive(Config, Debug, PartialEq)]
pub struct ConditionConfig {
    /// Number of classes.
    pub num_classes: usize,
    /// Label encoding joined to the input.
    #[config(default = "LabelEncoding::OneHot")]
    pub encoding: LabelEncoding,
}

impl ConditionConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        if self.num_classes < 2 {
            return Err(ModelError::TooFewClasses {
                num_classes: self.num_classes,
            });
        }
        if self.encoding == LabelEncoding::Embedding(0) {
            return Err(ModelError::ZeroSize {
                field: "encoding.Embedding",
            });
        }
        Ok(())
    }

    /// Length of the encoded label vector.
    pub fn dim(&self) -> usize {
        match self.encoding {
            LabelEncoding::OneHot => self.num_classes,
            LabelEncoding::Embedding(dim) => dim,
        }
    }

    /// Builds the encoder.
    pub fn init<B: Backend>(&self, device: &B::Device) -> LabelEncoder<B> {
        LabelEncoder {
            embedding: match self.encoding {
                LabelEncoding::OneHot => None,
                LabelEncoding::Embedding(dim) => {
                    Some(EmbeddingConfig::new(self.num_classes, dim).init(device))
                }
            },
            num_classes: self.num_classes,
        }
    }
}

/// Encodes class labels as vectors (one-hot or a learned embedding).
#[derive(Module, Debug)]
pub struct LabelEncoder<B: Backend> {
    embedding: Option<Embedding<B>>,
    num_classes: usize,
}

impl<B: Backend> LabelEncoder<B> {
    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// # Shapes
    /// - `labels`: `[batch]`
    /// - output: `[batch, dim]`
    pub fn encode(&self, labels: Tensor<B, 1, Int>) -> Tensor<B, 2> {
        match &self.embedding {
            None => labels.one_hot::<2>(self.num_classes).float(),
            Some(embedding) => {
                let [batch] = labels.dims();
                let out: Tensor<B, 3> = embedding.forward(labels.reshape([batch, 1]));
                out.squeeze_dim(1)
            }
        }
    }
}

/// The labels a conditional model needs, or the error that names the model.
pub(crate) fn require_labels<B: Backend>(
    labels: Option<Tensor<B, 1, Int>>,
    model: &'static str,
) -> Tensor<B, 1, Int> {
    labels.unwrap_or_else(|| panic!("{model} is class-conditional: pass labels"))
}
