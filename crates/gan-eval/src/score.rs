//! The classifier score, Inception-Score style (Salimans et al. 2016):
//!
//! ```text
//! score = exp( E_x KL( p(y | x) || p(y) ) ),   p(y) = E_x p(y | x)
//! ```
//!
//! computed on `splits` equal parts of the samples and reported as mean and standard deviation
//! over the parts. It lies between 1 (every sample gets the same class distribution) and the
//! number of classes (confident predictions spread evenly over all classes).

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Mean and standard deviation of the score over the splits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassifierScore {
    /// Mean over the splits.
    pub mean: f64,
    /// Standard deviation over the splits.
    pub std: f64,
}

/// The score of class probabilities `probs` (`[n, classes]`, row-major, rows summing to 1).
pub fn classifier_score(probs: &[f32], classes: usize, splits: usize) -> Result<ClassifierScore> {
    if classes == 0 || !probs.len().is_multiple_of(classes) {
        return Err(EvalError::Dimension {
            what: "class probabilities",
            found: probs.len(),
            expected: classes,
        });
    }
    let n = probs.len() / classes;
    if splits == 0 || n < splits {
        return Err(EvalError::TooFewSamples {
            metric: "classifier score",
            needed: splits.max(1),
            got: n,
        });
    }
    let rows: Vec<&[f32]> = probs.chunks_exact(classes).collect();
    let mut scores = Vec::with_capacity(splits);
    for s in 0..splits {
        let part = &rows[s * n / splits..(s + 1) * n / splits];
        let mut marginal = vec![0.0f64; classes];
        for row in part {
            for (m, &p) in marginal.iter_mut().zip(row.iter()) {
                *m += f64::from(p) / part.len() as f64;
            }
        }
        let mut kl = 0.0;
        for row in part {
            for (&p, &m) in row.iter().zip(&marginal) {
                let p = f64::from(p);
                if p > 0.0 {
                    kl += p * (p.ln() - m.ln());
                }
            }
        }
        scores.push((kl / part.len() as f64).exp());
    }
    let (mean, std) = crate::mean_std(&scores);
    Ok(ClassifierScore { mean, std })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_spans_one_to_the_number_of_classes() {
        // Confident and balanced over 4 classes: exactly 4.
        let mut probs = Vec::new();
        for i in 0..400 {
            let mut row = [0.0f32; 4];
            row[i % 4] = 1.0;
            probs.extend(row);
        }
        let s = classifier_score(&probs, 4, 10).unwrap();
        assert!((s.mean - 4.0).abs() < 1e-9 && s.std < 1e-9, "{s:?}");
        // Identical predictions: exactly 1.
        let same: Vec<f32> = (0..400).flat_map(|_| [0.7f32, 0.1, 0.1, 0.1]).collect();
        let s = classifier_score(&same, 4, 10).unwrap();
        assert!((s.mean - 1.0).abs() < 1e-6, "{s:?}");
        // Confident but on two of four classes: 2.
        let two: Vec<f32> = (0..400)
            .flat_map(|i| {
                if i % 2 == 0 {
                    [1.0f32, 0.0, 0.0, 0.0]
                } else {
                    [0.0, 1.0, 0.0, 0.0]
                }
            })
            .collect();
        let s = classifier_score(&two, 4, 10).unwrap();
        assert!((s.mean - 2.0).abs() < 1e-9, "{s:?}");
        assert!(classifier_score(&two, 3, 10).is_err());
        assert!(classifier_score(&two[..8], 4, 10).is_err());
    }
}
