//! Seeding. Burn's backend RNG is global per backend: under `cargo nextest` (the suite's runner)
//! every test has its own process, so no other test draws from it meanwhile; under plain
//! `cargo test` these tests also take a lock against each other.

use crate::common;

use std::sync::Mutex;

use burn::tensor::backend::AutodiffBackend;
use gan::data::{Toy2d, ToySampler};
use gan::image::{ImageRunConfig, run_images};
use gan::models::{DcganGeneratorConfig, MlpDiscriminatorConfig, MlpGeneratorConfig, Prior};
use gan::train::{RunConfig, RunDir, TrainConfig, Trainer, fit};

static BACKEND_RNG: Mutex<()> = Mutex::new(());

/// Same seed, same config: identical initial weights.
fn same_seed_same_weights<B: AutodiffBackend>(device: &B::Device) {
    let _rng = BACKEND_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let config = DcganGeneratorConfig::new()
        .with_image_size(32)
        .with_width(4)
        .with_latent_dim(8);
    B::seed(device, 42);
    let a = common::param_values(&config.try_init::<B>(device).unwrap());
    B::seed(device, 42);
    let b = common::param_values(&config.try_init::<B>(device).unwrap());
    assert_eq!(a, b);
    B::seed(device, 43);
    let c = common::param_values(&config.try_init::<B>(device).unwrap());
    assert_ne!(a, c);
}

/// The paper's discriminator draws dropout masks from the backend's RNG, which the trainer
/// reseeds from `(seed, iteration)` every iteration: 16 iterations straight and 8 + resume + 8
/// give the same weights (bitwise on Flex, within 1e-5 elsewhere).
fn resume_with_dropout<B: AutodiffBackend>(device: &B::Device) {
    let _rng = BACKEND_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let trainer = |iterations: usize| {
        let g = MlpGeneratorConfig::new()
            .with_latent_dim(8)
            .with_hidden(vec![32])
            .with_output_dim(2)
            .with_prior(Prior::Normal)
            .init::<B>(device);
        // Maxout units with dropout 0.2 on the input and 0.5 on hidden layers.
        let d = MlpDiscriminatorConfig::new()
            .with_input_dim(2)
            .with_hidden(vec![16, 16])
            .init::<B>(device);
        let config = TrainConfig::new()
            .with_iterations(iterations)
            .with_batch_size(32)
            .with_seed(3);
        Trainer::new(
            config,
            common::host_init(g, 1),
            common::host_init(d, 2),
            Prior::Normal,
            device.clone(),
        )
        .unwrap()
    };
    let run = RunConfig::new()
        .with_log_every(4)
        .with_sample_every(0)
        .with_checkpoint_every(8);
    let fit_in = |trainer: &mut Trainer<_, _, _>, dir: &std::path::Path, resume: bool| {
        let mut data = ToySampler::new(Toy2d::ring8(), 5).unwrap();
        fit(trainer, &mut data, &RunDir::new(dir), &run, resume, &mut []).unwrap();
    };
    let a_dir = tempfile::tempdir().unwrap();
    let mut straight = trainer(16);
    fit_in(&mut straight, a_dir.path(), false);
    let b_dir = tempfile::tempdir().unwrap();
    fit_in(&mut trainer(8), b_dir.path(), false);
    let mut resumed = trainer(16);
    fit_in(&mut resumed, b_dir.path(), true);

    let weights = |t: &Trainer<B, _, _>| {
        let mut v = common::param_values(t.generator());
        v.extend(common::param_values(t.discriminator()));
        v
    };
    let (a, b) = (weights(&straight), weights(&resumed));
    if common::is_bitwise_backend::<B>() {
        assert_eq!(a, b);
    } else {
        let diff = common::max_abs_diff(&a, &b);
        assert!(diff <= 1e-5, "resumed weights differ by {diff}");
    }
}

/// A DCGAN run on images resumes exactly where it stopped: the image loader's epoch order and
/// position travel in the checkpoint. 6 iterations straight against 3 + resume + 3, on 40
/// digits in minibatches of 16 (so the epochs turn over inside the run); the logged losses
/// agree bitwise on Flex, within 1e-4 elsewhere.
fn image_run_resumes_exactly<B: AutodiffBackend>(device: &B::Device) {
    let _rng = BACKEND_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let mut config = ImageRunConfig::new().with_limit(Some(40)).with_seed(9);
    if let gan::image::ImageNetworks::Dcgan(n) = &mut config.networks {
        n.generator.width = 8;
        n.discriminator.width = 8;
    }
    config.training.batch_size = 16;
    config.run = RunConfig::new()
        .with_log_every(1)
        .with_sample_every(0)
        .with_checkpoint_every(3)
        .with_samples(4);
    let run = |config: &ImageRunConfig, dir: &std::path::Path, resume: bool| {
        run_images::<B>(
            config,
            dir,
            device,
            gan::RunOptions::new().resume(resume).quiet(true),
        )
        .unwrap()
    };
    let losses = |dir: &std::path::Path| -> Vec<[f64; 4]> {
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                ["d_loss", "g_loss", "d_real", "d_fake"].map(|k| v[k].as_f64().unwrap())
            })
            .collect()
    };
    let a = tempfile::tempdir().unwrap();
    config.training.iterations = 6;
    run(&config, a.path(), false);
    let b = tempfile::tempdir().unwrap();
    config.training.iterations = 3;
    run(&config, b.path(), false);
    config.training.iterations = 6;
    let report = run(&config, b.path(), true);
    assert_eq!(report.started_at, 3);
    assert_eq!(report.images, 40);
    let (straight, resumed) = (losses(a.path()), losses(b.path()));
    assert_eq!(straight.len(), 6);
    assert_eq!(resumed.len(), 6);
    for (x, y) in straight.iter().zip(&resumed) {
        for (u, v) in x.iter().zip(y) {
            if common::is_bitwise_backend::<B>() {
                assert_eq!(u, v, "{straight:?} vs {resumed:?}");
            } else {
                assert!((u - v).abs() <= 1e-4, "{straight:?} vs {resumed:?}");
            }
        }
    }
}

backend_tests!(
    same_seed_same_weights,
    resume_with_dropout,
    image_run_resumes_exactly
);
