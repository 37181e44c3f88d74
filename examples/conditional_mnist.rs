//! A class-conditional DCGAN on the embedded MNIST digits, drawn as a grid with one row per
//! digit: each row keeps its class while the noise changes along it.
//!
//! `cargo run --release --example conditional_mnist`.

use std::path::Path;

use gan::backend::{DefaultAutodiff, DefaultBackend};
use gan::image::{ImageRunConfig, run_images};
use gan::sample::{SampleRequest, sample_run};
use gan::viz::ImageGrid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let device = Default::default();
    let config = ImageRunConfig::new(); // the default job: conditional DCGAN with an EMA generator
    let dir = Path::new("runs/example-conditional-mnist");
    run_images::<DefaultAutodiff>(&config, dir, &device, gan::RunOptions::new())?;

    let per_row = 12;
    let mut pixels = Vec::new();
    for digit in 0..10 {
        let request = SampleRequest {
            n: per_row,
            seed: 7,
            label: Some(digit),
            ..SampleRequest::default()
        };
        pixels.extend(sample_run::<DefaultBackend>(dir, &request, &device)?.unit_values());
    }
    let grid = dir.join("by_class.png");
    ImageGrid {
        columns: per_row,
        padding: 2,
        scale: 2,
    }
    .save_png(&pixels, [10 * per_row, 1, 28, 28], &grid)?;
    println!("one row per digit, 0 to 9: {}", grid.display());
    Ok(())
}
