//! Feature vectors held on the host, row after row.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::error::{EvalError, Result};

/// `len` feature vectors of `dim` values each, row-major on the host: 10,000 Inception
/// features take 80 MB, far less than any pairwise matrix between them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Features {
    dim: usize,
    values: Vec<f32>,
}

impl Features {
    /// Features from row-major values.
    pub fn new(values: Vec<f32>, dim: usize) -> Result<Self> {
        if dim == 0 || values.len() % dim != 0 {
            return Err(EvalError::Dimension {
                what: "feature rows",
                found: values.len(),
                expected: dim,
            });
        }
        Ok(Self { dim, values })
    }

    /// No features yet, of dimension `dim`.
    pub fn empty(dim: usize) -> Self {
        Self {
            dim,
            values: Vec::new(),
        }
    }

    /// Appends a batch `[n, dim]` computed on any backend.
    pub fn push<B: Backend>(&mut self, batch: Tensor<B, 2>) -> Result<()> {
        let [_, d] = batch.dims();
        if d != self.dim {
            return Err(EvalError::Dimension {
                what: "feature batch",
                found: d,
                expected: self.dim,
            });
        }
        self.values
            .extend(batch.into_data().convert::<f32>().iter::<f32>());
        Ok(())
    }

    /// The dimension of each vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of vectors.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim.max(1)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Vector `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Rows `from..to` as a tensor on `device`.
    pub fn block<B: Backend>(&self, from: usize, to: usize, device: &B::Device) -> Tensor<B, 2> {
        Tensor::from_data(
            TensorData::new(
                self.values[from * self.dim..to * self.dim].to_vec(),
                [to - from, self.dim],
            ),
            device,
        )
    }

    /// Their Gaussian statistics (for FID).
    pub fn stats(&self) -> crate::GaussianStats {
        let mut s = crate::GaussianStats::new(self.dim);
        s.update_rows(&self.values)
            .expect("rows are a multiple of the dimension");
        s
    }
}
