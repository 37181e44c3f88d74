//! Measures of an image-to-image translation (CycleGAN): how well the translations keep
//! the source's class, how closely a round trip returns the input, and, where the true
//! counterpart of every image is known, how close the translation is to it (mean absolute
//! error and SSIM).
//!
//! Images are flat rows of values in `[0, 1]`, `[n, channels·height·width]`, channel-major.

use crate::error::{EvalError, Result as EvalResult};

/// The share of `predicted` labels equal to the `source` labels: label preservation when
/// `predicted` are a target-domain classifier's labels of the translated images.
pub fn label_accuracy(predicted: &[usize], source: &[usize]) -> EvalResult<f64> {
    if predicted.len() != source.len() || predicted.is_empty() {
        return Err(EvalError::Invalid {
            field: "labels",
            value: format!("{} predicted, {} source", predicted.len(), source.len()),
            expected: "as many predicted labels as source labels, at least one",
        });
    }
    let same = predicted.iter().zip(source).filter(|(p, s)| p == s).count();
    Ok(same as f64 / predicted.len() as f64)
}

/// The mean absolute difference of two sets of images of the same shape (the cycle error
/// `‖F(G(a)) − a‖₁` per pixel, or the paired error of a translation against its true
/// counterpart).
pub fn mean_absolute_error(x: &[f32], y: &[f32]) -> EvalResult<f64> {
    if x.len() != y.len() || x.is_empty() {
        return Err(EvalError::Invalid {
            field: "images",
            value: format!("{} and {} values", x.len(), y.len()),
            expected: "two non-empty sets of images of the same shape",
        });
    }
    let total: f64 = x.iter().zip(y).map(|(a, b)| f64::from((a - b).abs())).sum();
    Ok(total / x.len() as f64)
}

/// The structural similarity (Wang et al. 2004) of two images in `[0, 1]` of `shape =
/// [channels, height, width]`: the mean over channels and over every position of an 11x11
/// Gaussian window (σ = 1.5) of
/// `(2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`, `C1 = (0.01)²`,
/// `C2 = (0.03)²`, as scikit-image computes it with `gaussian_weights=True` (windows inside
/// the image only, biased moments). Images under 11 px use the largest odd window that fits.
pub fn ssim(x: &[f32], y: &[f32], shape: [usize; 3]) -> EvalResult<f64> {
    let [c, h, w] = shape;
    if x.len() != c * h * w || y.len() != x.len() || x.is_empty() {
        return Err(EvalError::Invalid {
            field: "images",
            value: format!("{} and {} values for {shape:?}", x.len(), y.len()),
            expected: "two images of the given shape",
        });
    }
    let side = 11.min(h).min(w);
    let side = if side.is_multiple_of(2) {
        side - 1
    } else {
        side
    }
    .max(1);
    let half = side / 2;
    let kernel: Vec<f64> = (0..side)
        .map(|i| {
            let d = i as f64 - half as f64;
            (-d * d / (2.0 * 1.5 * 1.5)).exp()
        })
        .collect();
    let norm: f64 = kernel.iter().sum::<f64>().powi(2);
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let mut total = 0.0;
    let mut count = 0usize;
    for ch in 0..c {
        let at = |img: &[f32], r: usize, col: usize| f64::from(img[ch * h * w + r * w + col]);
        for r in half..h - half {
            for col in half..w - half {
                let (mut mx, mut my, mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for (i, ki) in kernel.iter().enumerate() {
                    for (j, kj) in kernel.iter().enumerate() {
                        let weight = ki * kj / norm;
                        let (a, b) = (
                            at(x, r + i - half, col + j - half),
                            at(y, r + i - half, col + j - half),
                        );
                        mx += weight * a;
                        my += weight * b;
                        xx += weight * a * a;
                        yy += weight * b * b;
                        xy += weight * a * b;
                    }
                }
                let (vx, vy, cov) = (xx - mx * mx, yy - my * my, xy - mx * my);
                total += (2.0 * mx * my + c1) * (2.0 * cov + c2)
                    / ((mx * mx + my * my + c1) * (vx + vy + c2));
                count += 1;
            }
        }
    }
    Ok(total / count as f64)
}

/// The mean [`ssim`] over pairs of images of two sets.
pub fn mean_ssim(x: &[f32], y: &[f32], shape: [usize; 3]) -> EvalResult<f64> {
    let per: usize = shape.iter().product();
    if per == 0 || x.len() != y.len() || x.is_empty() || !x.len().is_multiple_of(per) {
        return Err(EvalError::Invalid {
            field: "images",
            value: format!("{} and {} values for {shape:?}", x.len(), y.len()),
            expected: "two non-empty sets of images of the given shape",
        });
    }
    let scores = x
        .chunks(per)
        .zip(y.chunks(per))
        .map(|(a, b)| ssim(a, b, shape))
        .collect::<EvalResult<Vec<_>>>()?;
    Ok(scores.iter().sum::<f64>() / scores.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_and_error_by_hand() {
        assert_eq!(label_accuracy(&[1, 2, 3, 4], &[1, 0, 3, 0]).unwrap(), 0.5);
        assert!(label_accuracy(&[1], &[1, 2]).is_err());
        let e = mean_absolute_error(&[0.0, 0.5, 1.0, 0.25], &[0.5, 0.5, 0.0, 0.0]).unwrap();
        assert!((e - 1.75 / 4.0).abs() < 1e-12);
    }

    /// Identical images score 1. Two constant images (every window's variances and covariance
    /// 0) score `(2 a b + C1) / (a² + b² + C1)`. An image against its negative about its
    /// mean (`y = 2m − x`, same mean and variance, covariance `−σ²`) scores about
    /// `(−2σ² + C2) / (2σ² + C2)` per window, below 0.
    #[test]
    fn ssim_by_hand() {
        let shape = [1, 12, 12];
        let x: Vec<f32> = (0..144).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
        assert!((ssim(&x, &x, shape).unwrap() - 1.0).abs() < 1e-12);
        let (a, b) = (0.2f64, 0.6f64);
        let got = ssim(&vec![a as f32; 144], &vec![b as f32; 144], shape).unwrap();
        let c1 = 1e-4;
        let expected = (2.0 * a * b + c1) / (a * a + b * b + c1);
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
        // A checkerboard of 0.25/0.75 against its inverse: in every window σ² = 1/16 (up to
        // the window's weights being not exactly half on each colour), covariance −σ².
        let board: Vec<f32> = (0..144)
            .map(|i| {
                if (i / 12 + i % 12) % 2 == 0 {
                    0.25
                } else {
                    0.75
                }
            })
            .collect();
        let inverse: Vec<f32> = board.iter().map(|v| 1.0 - v).collect();
        let s = ssim(&board, &inverse, shape).unwrap();
        assert!(s < -0.9, "{s}");
        assert!(ssim(&x, &x[1..], shape).is_err());
        let two = [x.clone(), x.clone()].concat();
        assert!((mean_ssim(&two, &two, shape).unwrap() - 1.0).abs() < 1e-12);
    }
}
