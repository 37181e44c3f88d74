//! Feature vectors held on the host, row after row.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use std::path::{Path, PathBuf};

use crate::classifier::{hex_sha256, write_atomic};
use crate::error::{EvalError, Result};

const MAGIC: [u8; 4] = *b"GANF";

fn sidecar(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

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
        if dim == 0 || !values.len().is_multiple_of(dim) {
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

    /// Writes the features to `path` (a 16-byte header `GANF`, dimension as u32 and count as
    /// u64, then the values as little-endian f32) and their SHA-256 to `path.sha256`, each
    /// atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = Vec::with_capacity(16 + 4 * self.values.len());
        bytes.extend(MAGIC);
        bytes.extend((self.dim as u32).to_le_bytes());
        bytes.extend((self.len() as u64).to_le_bytes());
        for v in &self.values {
            bytes.extend(v.to_le_bytes());
        }
        write_atomic(path, &bytes)?;
        write_atomic(&sidecar(path), hex_sha256(&bytes).as_bytes())
    }

    /// Reads features written by [`Features::save`]; `Ok(None)` when there are none. A file
    /// that does not match its SHA-256 is refused with its path.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        let sum = sidecar(path);
        if !path.is_file() || !sum.is_file() {
            return Ok(None);
        }
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| EvalError::Io {
                action: "cannot read",
                path: p.to_path_buf(),
                source,
            })
        };
        let bytes = read(path)?;
        let expected = String::from_utf8_lossy(&read(&sum)?).trim().to_string();
        let bad = |reason: String| EvalError::Weights {
            path: path.to_path_buf(),
            reason,
        };
        if hex_sha256(&bytes) != expected {
            return Err(bad(format!(
                "does not match the SHA-256 in {}; delete both files to recompute the features",
                sum.display()
            )));
        }
        if bytes.len() < 16 || bytes[..4] != MAGIC {
            return Err(bad("not a feature file (no GANF header)".into()));
        }
        let dim = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
        let n = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
        if bytes.len() != 16 + 4 * n * dim {
            return Err(bad(format!(
                "{} bytes for {n} vectors of {dim}",
                bytes.len()
            )));
        }
        let values = bytes[16..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Self::new(values, dim).map(Some)
    }

    /// Their Gaussian statistics (for FID).
    pub fn stats(&self) -> crate::GaussianStats {
        let mut s = crate::GaussianStats::new(self.dim);
        s.update_rows(&self.values)
            .expect("rows are a multiple of the dimension");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_round_trip_and_damage_is_refused() {
        let dir = std::env::temp_dir().join(format!("gan-eval-features-{}", std::process::id()));
        let path = dir.join("f.bin");
        let f = Features::new((0..12).map(|v| v as f32 * 0.5).collect(), 3).unwrap();
        assert_eq!(Features::load(&path).unwrap(), None);
        f.save(&path).unwrap();
        assert_eq!(Features::load(&path).unwrap(), Some(f));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let err = Features::load(&path).unwrap_err().to_string();
        assert!(err.contains("f.bin") && err.contains("SHA-256"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
