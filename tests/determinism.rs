//! Seeding. Burn's backend RNG is global per backend, so these tests live in their own test
//! binary and take a lock, so that no other test draws from the same backend's RNG meanwhile.

mod common;

use std::sync::Mutex;

use burn::tensor::backend::AutodiffBackend;
use gan::data::{Toy2d, ToySampler};
use gan::models::{DcganGeneratorConfig, MlpDiscriminatorConfig, MlpGeneratorConfig, Prior};
use gan::train::{RunConfig, RunDir, SampleView, TrainConfig, Trainer, fit};

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
/// give the same weights (bitwise on Flex and ndarray, within 1e-5 elsewhere).
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
        fit(
            trainer,
            &mut data,
            &RunDir::new(dir),
            &run,
            &SampleView::None,
            resume,
            &mut [],
        )
        .unwrap();
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

backend_tests!(same_seed_same_weights, resume_with_dropout);
