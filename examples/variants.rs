//! InfoGAN, DRAGAN, EBGAN or BEGAN on the 10,000 embedded MNIST digits, with the
//! generative-model collection's networks (InfoGAN's DCGAN: `FC 1024`, width 64) and Adam at
//! 2e-4 with `β₁ = 0.5`.
//!
//! ```text
//! cargo run --release --example variants -- infogan [ITERATIONS]
//! cargo run --release --example variants -- dragan  [ITERATIONS]
//! cargo run --release --example variants -- ebgan   [ITERATIONS]
//! cargo run --release --example variants -- began   [ITERATIONS]
//! ```
//!
//! The samples land in `runs/example-ALGORITHM/samples.png`. An InfoGAN run has one column per
//! value of its categorical code; `gan interpolate --run runs/example-infogan --code 0 --out
//! sweep.png` then sweeps its first continuous code.

use std::path::PathBuf;

use gan::backend::DefaultAutodiff;
use gan::image::{ImageRunConfig, ModelKind, run_images};
use gan::models::Prior;
use gan::sample::RunSpec;
use gan::train::{AdamParams, OptimizerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let algorithm = args.next().unwrap_or_else(|| "infogan".into());
    let iterations = args.next().map_or(Ok(2000), |n| n.parse())?;
    let adam = OptimizerConfig::Adam(AdamParams::new().with_beta_1(0.5));
    let mut config = ImageRunConfig::new().with_model(ModelKind::Dcgan, 28, 1, 10);
    if let gan::image::ImageNetworks::Dcgan(n) = &mut config.networks {
        n.generator.width = 64;
        n.generator.hidden = Some(1024);
        n.generator.latent_dim = 62;
        n.generator.prior = Prior::Uniform;
        n.discriminator.width = 64;
        n.discriminator.hidden = Some(1024);
    }
    config.training = config
        .training
        .with_iterations(iterations)
        .with_batch_size(64)
        .with_g_lr(2e-4)
        .with_d_lr(2e-4)
        .with_g_optimizer(adam.clone())
        .with_d_optimizer(adam)
        .with_ema_decay(None);
    let mut spec = RunSpec::Images(config);
    spec.apply_algorithm(&algorithm)?;
    let RunSpec::Images(config) = spec else {
        unreachable!("an image run stays one")
    };
    let dir = PathBuf::from(format!("runs/example-{algorithm}"));
    let report =
        run_images::<DefaultAutodiff>(&config, &dir, &Default::default(), gan::RunOptions::new())?;
    println!(
        "{algorithm}: {iterations} iterations in {:.0} s: {}",
        report.seconds,
        dir.join("samples.png").display()
    );
    Ok(())
}
