//! Seeding. Burn's backend RNG is global per backend, so these tests live in their own test
//! binary where no other test on the same backend draws random numbers concurrently.

mod common;

use burn::tensor::backend::AutodiffBackend;
use gan::models::DcganGeneratorConfig;

/// Same seed, same config: identical initial weights.
fn same_seed_same_weights<B: AutodiffBackend>(device: &B::Device) {
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

backend_tests!(same_seed_same_weights);
