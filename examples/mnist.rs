//! MNIST with the 2014 paper's fully connected GAN (maxout discriminator, sigmoid outputs) and
//! with DCGAN, side by side.
//!
//! `cargo run --release --example mnist [-- MNIST_DIR]`: MNIST_DIR holds the IDX files
//! (`train-images-idx3-ubyte[.gz]`, ...); without it the 10,000 digits built into the crate are
//! used. Backend: the first of the `flex`, `ndarray`, `wgpu`, `tch` features compiled in.

use std::path::PathBuf;

use gan::backend::DefaultAutodiff;
use gan::data::{DatasetSource, ImageDataset};
use gan::image::{ImageRunConfig, ModelKind, run_images};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let dataset = match std::env::args().nth(1) {
        Some(dir) => ImageDataset::Mnist(DatasetSource {
            dir: Some(PathBuf::from(dir)),
            ..DatasetSource::default()
        }),
        None => ImageDataset::EmbeddedMnist,
    };
    let device = Default::default();
    for kind in [ModelKind::Mlp, ModelKind::Dcgan] {
        let mut config = ImageRunConfig::new()
            .with_dataset(dataset.clone())
            .with_model(kind, 28, 1, 10);
        config.training.iterations = 600;
        config.training.ema_decay = None;
        let dir = PathBuf::from(format!("runs/example-mnist-{}", kind.name()));
        let report = run_images::<DefaultAutodiff>(&config, &dir, &device, gan::RunOptions::new())?;
        println!(
            "{}: {} images, {:.0} s, samples in {}",
            kind.name(),
            report.images,
            report.seconds,
            dir.join("samples.png").display()
        );
    }
    Ok(())
}
