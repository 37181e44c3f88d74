//! The metrics of `gan-eval` give the same figures on every backend compiled in: Parzen
//! window, KID, precision/recall and the streamed feature statistics behind FID, each against
//! Flex (the reference CPU backend) on fixed feature sets.
#![cfg(feature = "flex")]

mod common;

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use gan::backend::Flex;
use gan::metrics::{
    Features, GaussianStats, KidConfig, frechet_distance, kid, parzen_log_likelihood, prdc,
};

/// Deterministic feature rows (a smooth function of the index), `n` x `d`.
fn rows(n: usize, d: usize, phase: f32) -> Features {
    let v = (0..n * d)
        .map(|k| {
            let (i, j) = ((k / d) as f32, (k % d) as f32);
            (i * 0.37 + j * 1.3 + phase).sin() * (1.0 + 0.1 * j) + 0.05 * (i * j + phase).cos()
        })
        .collect();
    Features::new(v, d).unwrap()
}

fn metrics_agree_with_flex<B: AutodiffBackend>(device: &B::Device) {
    type Inner<B> = <B as AutodiffBackend>::InnerBackend;
    let flex = Default::default();
    let (real, fake) = (rows(300, 6, 0.0), rows(280, 6, 0.5));

    let ours = parzen_log_likelihood::<Inner<B>>(&real, &fake, 0.4, 64, device).unwrap();
    let reference = parzen_log_likelihood::<Flex>(&real, &fake, 0.4, 64, &flex).unwrap();
    let worst = ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "Parzen differs by {worst}");

    let config = KidConfig {
        subsets: 5,
        subset_size: 200,
        seed: 3,
    };
    let (a, b) = (
        kid::<Inner<B>>(&real, &fake, &config, device).unwrap(),
        kid::<Flex>(&real, &fake, &config, &flex).unwrap(),
    );
    assert!(
        (a.mean - b.mean).abs() < 1e-4 * b.mean.abs().max(1e-2),
        "{a:?} vs {b:?}"
    );

    let (a, b) = (
        prdc::<Inner<B>>(&real, &fake, 3, 100, device).unwrap(),
        prdc::<Flex>(&real, &fake, 3, 100, &flex).unwrap(),
    );
    // A comparison sitting on a radius may flip with the backend's rounding: one sample.
    for (x, y) in [
        (a.precision, b.precision),
        (a.recall, b.recall),
        (a.density, b.density),
        (a.coverage, b.coverage),
    ] {
        assert!((x - y).abs() <= 1.5 / 280.0, "{a:?} vs {b:?}");
    }

    // FID statistics streamed through the backend's matrix product, in batches.
    let mut streamed = GaussianStats::new(6);
    for from in (0..280).step_by(100) {
        let to = (from + 100).min(280);
        let batch = Tensor::<Inner<B>, 2>::from_data(
            TensorData::new(fake.values()[from * 6..to * 6].to_vec(), [to - from, 6]),
            device,
        );
        streamed.update(batch).unwrap();
    }
    let exact = fake.stats();
    assert!(frechet_distance(&streamed, &exact).unwrap().abs() < 1e-4);
    let fid = frechet_distance(&real.stats(), &streamed).unwrap();
    let fid_exact = frechet_distance(&real.stats(), &exact).unwrap();
    assert!(
        (fid - fid_exact).abs() < 1e-4 * fid_exact,
        "{fid} vs {fid_exact}"
    );
}

backend_tests!(metrics_agree_with_flex);
