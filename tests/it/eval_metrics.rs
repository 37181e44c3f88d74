//! The metrics on cases with known answers, on Burn's Flex backend: closed forms, brute-force
//! f64 references, and statistical checks with fixed seeds and stated tolerances.
#![cfg(feature = "flex")]

use burn::backend::Flex;
use gan_eval::{Features, KidConfig, kid, parzen_evaluate, parzen_log_likelihood, prdc};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

type B = Flex;

fn normal_rows(n: usize, d: usize, mean: &[f64], std: f64, seed: u64) -> Vec<f32> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..n * d)
        .map(|k| {
            let z: f64 = StandardNormal.sample(&mut rng);
            (mean[k % d] + std * z) as f32
        })
        .collect()
}

fn feats(values: Vec<f32>, d: usize) -> Features {
    Features::new(values, d).unwrap()
}

/// Log density of an equal-weight mixture of N(c_i, sigma^2 I), in f64.
fn mixture_log_density(x: &[f32], centres: &[Vec<f64>], sigma: f64) -> f64 {
    let d = x.len() as f64;
    let terms: Vec<f64> = centres
        .iter()
        .map(|c| {
            let d2: f64 = c
                .iter()
                .zip(x)
                .map(|(c, &x)| (f64::from(x) - c).powi(2))
                .sum();
            -d2 / (2.0 * sigma * sigma)
        })
        .collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln();
    lse - (centres.len() as f64).ln() - 0.5 * d * (2.0 * std::f64::consts::PI * sigma * sigma).ln()
}

/// Kernels placed at the centres of a Gaussian mixture make the Parzen window that mixture:
/// every test point's log-likelihood equals the analytic log density (to f32 rounding), the
/// validation grid picks the true width, and the mean over test points matches the mixture's
/// negative entropy (well separated modes: -log K - d/2 log(2 pi e sigma^2)) within 4
/// standard errors.
#[test]
fn parzen_window_on_a_known_mixture_gives_the_analytic_value() {
    let d = 6;
    let sigma = 0.5;
    let centres: Vec<Vec<f64>> = (0..4)
        .map(|i| (0..d).map(|j| if j == i { 20.0 } else { 0.0 }).collect())
        .collect();
    let kernels = feats(centres.iter().flatten().map(|&v| v as f32).collect(), d);
    let draw = |n: usize, seed: u64| {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let mut v = Vec::new();
        for _ in 0..n {
            let c = &centres[rng.random_range(0..centres.len())];
            for x in c {
                let z: f64 = StandardNormal.sample(&mut rng);
                v.push((x + sigma * z) as f32);
            }
        }
        feats(v, d)
    };
    let device = Default::default();
    let test = draw(4000, 1);
    let ll = parzen_log_likelihood::<B>(&kernels, &test, sigma, 333, &device).unwrap();
    for (i, &l) in ll.iter().enumerate().step_by(97) {
        let exact = mixture_log_density(test.row(i), &centres, sigma);
        assert!((l - exact).abs() < 1e-3, "point {i}: {l} vs {exact}");
    }
    let validation = draw(1000, 2);
    let est = parzen_evaluate::<B>(
        &kernels,
        &validation,
        &test,
        &[0.25, 0.5, 1.0],
        256,
        &device,
    )
    .unwrap();
    assert_eq!(est.sigma, 0.5);
    let neg_entropy = -(4f64).ln()
        - 0.5 * d as f64 * (2.0 * std::f64::consts::PI * std::f64::consts::E * sigma * sigma).ln();
    assert!(
        (est.mean - neg_entropy).abs() < 4.0 * est.std_err,
        "{} +- {} vs {neg_entropy}",
        est.mean,
        est.std_err
    );
    assert_eq!((est.kernels, est.test_points), (4, 4000));
}

/// KID with one subset spanning both sets equals the unbiased MMD^2 computed in f64 by brute
/// force; between samples of one distribution it averages to 0 within 4 standard errors.
#[test]
fn kid_matches_brute_force_and_is_unbiased() {
    let d = 5;
    let n = 300;
    let x = normal_rows(n, d, &[0.0; 5], 1.0, 3);
    let y = normal_rows(n, d, &[0.5, 0.0, 0.0, 0.0, 0.0], 1.2, 4);
    let k = |a: &[f32], b: &[f32]| {
        let dot: f64 = a
            .iter()
            .zip(b)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        (dot / d as f64 + 1.0).powi(3)
    };
    let (mut kxx, mut kyy, mut kxy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let (xi, xj) = (&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d]);
            let (yi, yj) = (&y[i * d..(i + 1) * d], &y[j * d..(j + 1) * d]);
            if i != j {
                kxx += k(xi, xj);
                kyy += k(yi, yj);
            }
            kxy += k(xi, yj);
        }
    }
    let nf = n as f64;
    let expected = (kxx + kyy) / (nf * (nf - 1.0)) - 2.0 * kxy / (nf * nf);
    let config = KidConfig {
        subsets: 1,
        subset_size: n,
        seed: 0,
    };
    let device = Default::default();
    let got = kid::<B>(&feats(x, d), &feats(y, d), &config, &device).unwrap();
    assert!(
        (got.mean - expected).abs() < 1e-4 * expected.abs().max(1e-3),
        "{} vs {expected}",
        got.mean
    );
    assert!(expected > 0.01);

    let a = feats(normal_rows(3000, d, &[0.0; 5], 1.0, 5), d);
    let b = feats(normal_rows(3000, d, &[0.0; 5], 1.0, 6), d);
    let config = KidConfig {
        subsets: 50,
        subset_size: 500,
        seed: 1,
    };
    let same = kid::<B>(&a, &b, &config, &device).unwrap();
    let se = same.std / (config.subsets as f64).sqrt();
    assert!(same.mean.abs() < 4.0 * se, "{same:?}");
}

/// Precision, recall, density and coverage against a brute-force f64 reference on random
/// data, computed in blocks smaller than the sets; and the limiting cases.
#[test]
fn prdc_matches_brute_force_and_limits() {
    let d = 3;
    let n = 250;
    let k = 3;
    let real = normal_rows(n, d, &[0.0; 3], 1.0, 7);
    let fake = normal_rows(n, d, &[0.7, 0.0, 0.0], 0.6, 8);
    let dist = |a: &[f32], b: &[f32]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum()
    };
    let rows = |v: &[f32]| v.chunks(d).map(|r| r.to_vec()).collect::<Vec<_>>();
    let (r, f) = (rows(&real), rows(&fake));
    let radius = |set: &Vec<Vec<f32>>| -> Vec<f64> {
        set.iter()
            .map(|a| {
                let mut ds: Vec<f64> = set.iter().map(|b| dist(a, b)).collect();
                ds.sort_by(f64::total_cmp);
                ds[k]
            })
            .collect()
    };
    let (rr, fr) = (radius(&r), radius(&f));
    let inside = |x: &Vec<f32>, set: &Vec<Vec<f32>>, rad: &Vec<f64>| {
        set.iter()
            .zip(rad)
            .filter(|&(c, &r)| dist(x, c) <= r)
            .count()
    };
    let precision = f.iter().filter(|x| inside(x, &r, &rr) > 0).count() as f64 / n as f64;
    let recall = r.iter().filter(|x| inside(x, &f, &fr) > 0).count() as f64 / n as f64;
    let density = f.iter().map(|x| inside(x, &r, &rr)).sum::<usize>() as f64 / (k * n) as f64;
    let coverage = r
        .iter()
        .zip(&rr)
        .filter(|&(x, &rad)| f.iter().any(|y| dist(x, y) <= rad))
        .count() as f64
        / n as f64;

    let device = Default::default();
    let got = prdc::<B>(&feats(real.clone(), d), &feats(fake, d), k, 64, &device).unwrap();
    // f32 distances may flip a comparison sitting exactly on a radius: allow one sample.
    let tol = 1.5 / n as f64;
    for (name, g, e) in [
        ("precision", got.precision, precision),
        ("recall", got.recall, recall),
        ("density", got.density, density),
        ("coverage", got.coverage, coverage),
    ] {
        assert!((g - e).abs() <= tol, "{name}: {g} vs {e}");
    }
    assert!(
        precision > 0.5 && recall < precision,
        "{precision} {recall}"
    );

    // A set against itself: everything covered; each point sits in its own ball and those of
    // its k neighbours, so density is (k + 1) / k.
    let same = prdc::<B>(
        &feats(real.clone(), d),
        &feats(real.clone(), d),
        k,
        100,
        &device,
    )
    .unwrap();
    assert_eq!(
        (same.precision, same.recall, same.coverage),
        (1.0, 1.0, 1.0)
    );
    assert!((same.density - (k + 1) as f64 / k as f64).abs() < 1e-9);
    // Far apart: nothing.
    let far: Vec<f32> = real.iter().map(|v| v + 100.0).collect();
    let apart = prdc::<B>(&feats(real, d), &feats(far, d), k, 100, &device).unwrap();
    assert_eq!(
        (apart.precision, apart.recall, apart.density, apart.coverage),
        (0.0, 0.0, 0.0, 0.0)
    );
}
