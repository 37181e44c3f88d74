//! DCGAN on CIFAR-10 (32x32 colour images), with the binary batches downloaded into
//! `$GAN_DATA_DIR/cifar10/` on first use (or read from `CIFAR_DIR`).
//!
//! `cargo run --release --example cifar10 [-- CIFAR_DIR]`; on a GPU add
//! `--features wgpu` or `--features tch` and disable the CPU backends.

use std::path::{Path, PathBuf};

use gan::backend::DefaultAutodiff;
use gan::data::{DatasetSource, ImageDataset};
use gan::image::{ImageRunConfig, ModelKind, run_images};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let dataset = ImageDataset::Cifar10(DatasetSource {
        dir: std::env::args().nth(1).map(PathBuf::from),
        download: true,
        ..DatasetSource::default()
    });
    let mut config =
        ImageRunConfig::new()
            .with_dataset(dataset)
            .with_model(ModelKind::Dcgan, 32, 3, 10);
    config.training.iterations = 2000;
    let dir = Path::new("runs/example-cifar10");
    let report =
        run_images::<DefaultAutodiff>(&config, dir, &Default::default(), gan::RunOptions::new())?;
    println!(
        "{} images, {:.0} s: {}",
        report.images,
        report.seconds,
        dir.join("samples.png").display()
    );
    Ok(())
}
