//! Two-dimensional toy distributions: mixtures of Gaussians on a ring or a grid (the mode
//! collapse benchmarks of VEEGAN and PacGAN), two moons and a spiral.

use std::f64::consts::PI;

use burn::config::Config;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{DataError, Result as DataResult};

/// A ring of equally weighted isotropic Gaussians with evenly spaced centres.
#[derive(Config, Debug, PartialEq)]
pub struct RingConfig {
    /// Number of modes.
    #[config(default = 8)]
    pub modes: usize,
    /// Radius of the ring.
    #[config(default = 2.0)]
    pub radius: f64,
    /// Standard deviation of each mode.
    #[config(default = 0.02)]
    pub std: f64,
}

/// A square grid of equally weighted isotropic Gaussians.
#[derive(Config, Debug, PartialEq)]
pub struct GridConfig {
    /// Modes per side (the grid has `side * side` modes).
    #[config(default = 5)]
    pub side: usize,
    /// Distance between neighbouring centres.
    #[config(default = 2.0)]
    pub spacing: f64,
    /// Standard deviation of each mode.
    #[config(default = 0.05)]
    pub std: f64,
}

/// Two interleaved half circles.
#[derive(Config, Debug, PartialEq)]
pub struct MoonsConfig {
    /// Standard deviation of the Gaussian noise added to each point.
    #[config(default = 0.05)]
    pub noise: f64,
}

/// An Archimedean spiral.
#[derive(Config, Debug, PartialEq)]
pub struct SpiralConfig {
    /// Number of turns.
    #[config(default = 2.0)]
    pub turns: f64,
    /// Radius at the outer end.
    #[config(default = 2.0)]
    pub radius: f64,
    /// Standard deviation of the Gaussian noise added to each point.
    #[config(default = 0.03)]
    pub noise: f64,
}

/// A 2-D toy distribution.
#[derive(Config, Debug, PartialEq)]
pub enum Toy2d {
    /// Gaussians on a ring (default: 8 modes, radius 2, std 0.02).
    Ring(RingConfig),
    /// Gaussians on a grid (default: 5x5 at -4, -2, 0, 2, 4, std 0.05).
    Grid(GridConfig),
    /// Two moons.
    Moons(MoonsConfig),
    /// A spiral.
    Spiral(SpiralConfig),
}

impl Toy2d {
    /// The ring of 8 Gaussians with radius 2 and std 0.02.
    pub fn ring8() -> Self {
        Toy2d::Ring(RingConfig::new())
    }

    /// PacGAN's ring: 8 Gaussians with radius 1 and std 0.01.
    pub fn ring8_pacgan() -> Self {
        Toy2d::Ring(RingConfig::new().with_radius(1.0).with_std(0.01))
    }

    /// The 5x5 grid of Gaussians at -4, -2, 0, 2, 4 with std 0.05 (PacGAN's benchmark).
    pub fn grid25() -> Self {
        Toy2d::Grid(GridConfig::new())
    }

    /// Two moons with noise 0.05.
    pub fn moons() -> Self {
        Toy2d::Moons(MoonsConfig::new())
    }

    /// A two-turn spiral of radius 2.
    pub fn spiral() -> Self {
        Toy2d::Spiral(SpiralConfig::new())
    }

    /// Checks the parameters.
    pub fn validate(&self) -> DataResult<()> {
        match self {
            Toy2d::Ring(c) => {
                positive_count("modes", c.modes)?;
                positive("radius", c.radius)?;
                non_negative("std", c.std)
            }
            Toy2d::Grid(c) => {
                positive_count("side", c.side)?;
                positive("spacing", c.spacing)?;
                non_negative("std", c.std)
            }
            Toy2d::Moons(c) => non_negative("noise", c.noise),
            Toy2d::Spiral(c) => {
                positive("turns", c.turns)?;
                positive("radius", c.radius)?;
                non_negative("noise", c.noise)
            }
        }
    }

    /// Centres of the mixture components, for the mixtures (empty for moons and spiral).
    pub fn modes(&self) -> Vec<[f64; 2]> {
        match self {
            Toy2d::Ring(c) => (0..c.modes)
                .map(|i| {
                    let angle = 2.0 * PI * i as f64 / c.modes as f64;
                    [c.radius * angle.cos(), c.radius * angle.sin()]
                })
                .collect(),
            Toy2d::Grid(c) => {
                let offset = (c.side as f64 - 1.0) / 2.0;
                let coord = |i: usize| (i as f64 - offset) * c.spacing;
                (0..c.side * c.side)
                    .map(|i| [coord(i / c.side), coord(i % c.side)])
                    .collect()
            }
            Toy2d::Moons(_) | Toy2d::Spiral(_) => Vec::new(),
        }
    }

    /// Standard deviation of each mixture component (the noise level for moons and spiral).
    pub fn mode_std(&self) -> f64 {
        match self {
            Toy2d::Ring(c) => c.std,
            Toy2d::Grid(c) => c.std,
            Toy2d::Moons(c) => c.noise,
            Toy2d::Spiral(c) => c.noise,
        }
    }

    /// A square `[min, max]` that holds practically all of the distribution's mass.
    pub fn extent(&self) -> (f64, f64) {
        let half = match self {
            Toy2d::Ring(c) => c.radius + 4.0 * c.std,
            Toy2d::Grid(c) => (c.side as f64 - 1.0) / 2.0 * c.spacing + 4.0 * c.std,
            Toy2d::Moons(c) => 1.0 + 0.5 + 4.0 * c.noise,
            Toy2d::Spiral(c) => c.radius + 4.0 * c.noise,
        };
        (-half * 1.1, half * 1.1)
    }

    /// Draws `n` points as a flat `[x0, y0, x1, y1, ...]` vector. Mixture components are chosen
    /// uniformly, so every mode has the same expected weight.
    pub fn sample_points<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<f32> {
        let mut out = Vec::with_capacity(2 * n);
        let modes = self.modes();
        for _ in 0..n {
            let gauss = |rng: &mut R| -> f64 { StandardNormal.sample(rng) };
            let [x, y] = match self {
                Toy2d::Ring(_) | Toy2d::Grid(_) => {
                    let [cx, cy] = modes[rng.random_range(0..modes.len())];
                    let std = self.mode_std();
                    [cx + std * gauss(rng), cy + std * gauss(rng)]
                }
                Toy2d::Moons(c) => {
                    let t = rng.random_range(0.0..PI);
                    let [x, y] = if rng.random_bool(0.5) {
                        [t.cos(), t.sin()]
                    } else {
                        [1.0 - t.cos(), 0.5 - t.sin()]
                    };
                    // Centre the pair of moons on the origin.
                    [
                        x - 0.5 + c.noise * gauss(rng),
                        y - 0.25 + c.noise * gauss(rng),
                    ]
                }
                Toy2d::Spiral(c) => {
                    // Uniform in arc length: the radius grows linearly with the angle, so
                    // the arc length grows with its square.
                    let u: f64 = rng.random_range(0.0..1.0);
                    let frac = u.sqrt();
                    let angle = frac * c.turns * 2.0 * PI;
                    let r = frac * c.radius;
                    [
                        r * angle.cos() + c.noise * gauss(rng),
                        r * angle.sin() + c.noise * gauss(rng),
                    ]
                }
            };
            out.push(x as f32);
            out.push(y as f32);
        }
        out
    }

    /// Mode coverage of generated points (flat `[x0, y0, ...]`), as VEEGAN and PacGAN report it
    /// for the Gaussian mixtures: a point is of high quality when it lies within three standard
    /// deviations of its nearest mode centre, and a mode is captured when it holds at least one
    /// high-quality point. `None` for moons and the spiral, which have no modes.
    pub fn coverage(&self, points: &[f32]) -> Option<ModeCoverage> {
        let modes = self.modes();
        if modes.is_empty() {
            return None;
        }
        let radius = 3.0 * self.mode_std();
        let mut counts = vec![0usize; modes.len()];
        let n = points.len() / 2;
        for p in points.chunks_exact(2) {
            let (x, y) = (f64::from(p[0]), f64::from(p[1]));
            let (best, dist) = modes
                .iter()
                .map(|[cx, cy]| (x - cx).hypot(y - cy))
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |a, (i, d)| if d < a.1 { (i, d) } else { a },
                );
            if dist <= radius {
                counts[best] += 1;
            }
        }
        let high_quality: usize = counts.iter().sum();
        // KL(p || uniform) of the high-quality points' mode histogram p.
        let k = modes.len() as f64;
        let reverse_kl = if high_quality == 0 {
            f64::INFINITY
        } else {
            counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| {
                    let p = c as f64 / high_quality as f64;
                    p * (p * k).ln()
                })
                .sum()
        };
        Some(ModeCoverage {
            modes_captured: counts.iter().filter(|&&c| c > 0).count(),
            modes: modes.len(),
            high_quality: if n == 0 {
                0.0
            } else {
                high_quality as f64 / n as f64
            },
            reverse_kl,
            counts,
        })
    }

    /// Draws a batch of `n` points on `device`.
    ///
    /// # Shapes
    /// - output: `[n, 2]`
    pub fn sample<B: Backend, R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
        device: &B::Device,
    ) -> Tensor<B, 2> {
        Tensor::from_data(TensorData::new(self.sample_points(n, rng), [n, 2]), device)
    }
}

/// How well samples cover the modes of a Gaussian mixture (see [`Toy2d::coverage`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeCoverage {
    /// Modes with at least one high-quality sample.
    pub modes_captured: usize,
    /// Modes of the mixture.
    pub modes: usize,
    /// Fraction of samples within three standard deviations of a mode centre.
    pub high_quality: f64,
    /// `KL(p || uniform)` of the high-quality samples' histogram over the modes (0 when every
    /// mode holds the same share; infinite when no sample is of high quality).
    pub reverse_kl: f64,
    /// High-quality samples per mode, in the order of [`Toy2d::modes`].
    pub counts: Vec<usize>,
}

fn positive_count(field: &'static str, value: usize) -> DataResult<()> {
    if value == 0 {
        return Err(DataError::InvalidParameter {
            field,
            value: value.to_string(),
            expected: "at least 1",
        });
    }
    Ok(())
}

fn positive(field: &'static str, value: f64) -> DataResult<()> {
    if !(value.is_finite() && value > 0.0) {
        return Err(DataError::InvalidParameter {
            field,
            value: value.to_string(),
            expected: "a finite number > 0",
        });
    }
    Ok(())
}

fn non_negative(field: &'static str, value: f64) -> DataResult<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(DataError::InvalidParameter {
            field,
            value: value.to_string(),
            expected: "a finite number >= 0",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> rand_pcg::Pcg64 {
        rand_pcg::Pcg64::seed_from_u64(42)
    }

    #[test]
    fn ring_modes_are_evenly_spaced_and_distinct() {
        for (modes, radius) in [(8, 2.0), (8, 1.0), (5, 3.0)] {
            let ring = Toy2d::Ring(RingConfig::new().with_modes(modes).with_radius(radius));
            let centres = ring.modes();
            assert_eq!(centres.len(), modes);
            let chord = 2.0 * radius * (PI / modes as f64).sin();
            for i in 0..modes {
                let [x, y] = centres[i];
                assert!((x.hypot(y) - radius).abs() < 1e-12);
                let [u, v] = centres[(i + 1) % modes];
                assert!(
                    ((x - u).hypot(y - v) - chord).abs() < 1e-12,
                    "uneven spacing"
                );
            }
        }
    }

    #[test]
    fn pacgan_ring_has_radius_1_and_std_001() {
        let ring = Toy2d::ring8_pacgan();
        assert_eq!(ring.modes().len(), 8);
        assert!(
            ring.modes()
                .iter()
                .all(|[x, y]| (x.hypot(*y) - 1.0).abs() < 1e-12)
        );
        assert_eq!(ring.mode_std(), 0.01);
    }

    /// The data itself covers every mode uniformly; a collapsed sampler covers one.
    #[test]
    fn coverage_of_the_data_and_of_a_collapsed_sampler() {
        let ring = Toy2d::ring8();
        let points = ring.sample_points(8000, &mut rand_pcg::Pcg64::new(5, 7));
        let c = ring.coverage(&points).unwrap();
        assert_eq!((c.modes_captured, c.modes), (8, 8));
        // P(|N(0, I_2)| <= 3) = 1 - exp(-4.5) = 0.9889.
        assert!((c.high_quality - 0.9889).abs() < 0.005, "{c:?}");
        // 8 modes, about 1000 points each: KL to uniform is O(k / n).
        assert!(c.reverse_kl < 0.005, "{c:?}");
        let one_mode: Vec<f32> = [2.0f32, 0.0].repeat(100);
        let c = ring.coverage(&one_mode).unwrap();
        assert_eq!(c.modes_captured, 1);
        assert_eq!(c.high_quality, 1.0);
        assert!((c.reverse_kl - 8f64.ln()).abs() < 1e-12);
        let far: Vec<f32> = [0.0f32, 0.0].repeat(10);
        let c = ring.coverage(&far).unwrap();
        assert_eq!((c.modes_captured, c.high_quality), (0, 0.0));
        assert!(Toy2d::moons().coverage(&points).is_none());
    }

    #[test]
    fn grid25_is_pacgans_grid() {
        let centres = Toy2d::grid25().modes();
        assert_eq!(centres.len(), 25);
        for coord in [-4.0, -2.0, 0.0, 2.0, 4.0] {
            assert_eq!(centres.iter().filter(|c| c[0] == coord).count(), 5);
            assert_eq!(centres.iter().filter(|c| c[1] == coord).count(), 5);
        }
        assert_eq!(Toy2d::grid25().mode_std(), 0.05);
    }

    /// Every mode gets 1/K of the samples (binomial, 5 standard deviations), and samples stay
    /// within 5 standard deviations of their nearest centre.
    #[test]
    fn mixture_weights_are_equal() {
        for dist in [Toy2d::ring8(), Toy2d::ring8_pacgan(), Toy2d::grid25()] {
            let centres = dist.modes();
            let k = centres.len();
            let n = 40_000;
            let points = dist.sample_points(n, &mut rng());
            let mut counts = vec![0usize; k];
            for p in points.chunks_exact(2) {
                let (best, dist2) = centres
                    .iter()
                    .map(|c| (p[0] as f64 - c[0]).powi(2) + (p[1] as f64 - c[1]).powi(2))
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap();
                assert!(dist2.sqrt() < 5.0 * dist.mode_std() * 2f64.sqrt());
                counts[best] += 1;
            }
            let p = 1.0 / k as f64;
            let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
            for c in counts {
                assert!(
                    (c as f64 - mean).abs() < 5.0 * sd,
                    "count {c}, expected {mean} +- {sd}"
                );
            }
        }
    }

    #[test]
    fn moons_and_spiral_stay_in_extent() {
        for dist in [Toy2d::moons(), Toy2d::spiral()] {
            let (lo, hi) = dist.extent();
            let points = dist.sample_points(5_000, &mut rng());
            assert!(points.iter().all(|v| (lo..=hi).contains(&(*v as f64))));
            let mean_x = points.iter().step_by(2).map(|v| *v as f64).sum::<f64>() / 5_000.0;
            assert!(mean_x.abs() < 0.1, "mean x {mean_x}");
        }
    }

    #[test]
    fn same_seed_same_points() {
        let a = Toy2d::spiral().sample_points(100, &mut rng());
        let b = Toy2d::spiral().sample_points(100, &mut rng());
        assert_eq!(a, b);
    }

    #[test]
    fn invalid_parameters_are_named() {
        let err = Toy2d::Ring(RingConfig::new().with_modes(0))
            .validate()
            .unwrap_err();
        assert!(matches!(
            err,
            DataError::InvalidParameter { field: "modes", .. }
        ));
        let err = Toy2d::Grid(GridConfig::new().with_std(-1.0))
            .validate()
            .unwrap_err();
        assert!(matches!(
            err,
            DataError::InvalidParameter { field: "std", .. }
        ));
        let err = Toy2d::Spiral(SpiralConfig::new().with_radius(f64::NAN))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("`radius` = NaN"), "{err}");
        assert!(Toy2d::moons().validate().is_ok());
    }
}
