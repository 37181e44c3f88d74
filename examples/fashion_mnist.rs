//! DCGAN on Fashion-MNIST (60,000 training images).
//!
//! The files are found in Debian's `/usr/share/datasets/fashion-mnist/`
//! (`apt-get install dataset-fashion-mnist`), in `$GAN_DATA_DIR/fashion-mnist/`, or downloaded
//! there on first use. `cargo run --release --example fashion_mnist [-- EPOCHS]`.

use std::path::Path;

use gan::backend::DefaultAutodiff;
use gan::data::{DatasetSource, ImageDataset};
use gan::image::{ImageRunConfig, ModelKind, run_images};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let epochs = std::env::args().nth(1).map_or(Ok(1), |e| e.parse())?;
    let dataset = ImageDataset::FashionMnist(DatasetSource {
        download: true,
        ..DatasetSource::default()
    });
    let config = ImageRunConfig::new()
        .with_dataset(dataset)
        .with_model(ModelKind::Dcgan, 28, 1, 10)
        .with_epochs(Some(epochs));
    let dir = Path::new("runs/example-fashion-mnist");
    let report =
        run_images::<DefaultAutodiff>(&config, dir, &Default::default(), gan::RunOptions::new())?;
    println!(
        "{epochs} epoch(s) over {} images in {:.0} s: {}",
        report.images,
        report.seconds,
        dir.join("samples.png").display()
    );
    Ok(())
}
