//! The ring of 8 Gaussians, the mode-collapse benchmark of the GAN literature: trains the
//! default 2-D MLP GAN, reports how many modes it covers, and plots its samples over the data
//! and the discriminator's decision surface `D(x)` (blue: "fake", red: "real").
//!
//! `cargo run --release --example ring8 [-- OUT_DIR]` (backend: the first of the `flex`,
//! `ndarray`, `wgpu`, `tch` features compiled in).

use std::path::PathBuf;

use gan::backend::{DefaultAutodiff, DefaultBackend};
use gan::sample::{SampleRequest, discriminator_surface, sample_run};
use gan::toy::{ToyRunConfig, run_toy};
use gan::viz::{Rgb, ScatterPlot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("runs/example-ring8".into()),
    );
    let device = Default::default();
    let config = ToyRunConfig::new(); // ring8, 24,000 iterations of Adam, hinge loss, lr decay
    let report = run_toy::<DefaultAutodiff>(&config, &dir, &device, gan::RunOptions::new())?;
    println!("trained in {:.1} s", report.seconds);

    let request = SampleRequest {
        n: 2500,
        ..SampleRequest::default()
    };
    let samples = sample_run::<DefaultBackend>(&dir, &request, &device)?;
    let coverage = config.dataset.coverage(&samples.values).expect("a mixture");
    println!(
        "modes covered {}/{}, high quality {:.1}%, reverse KL {:.3}",
        coverage.modes_captured,
        coverage.modes,
        100.0 * coverage.high_quality,
        coverage.reverse_kl
    );

    let resolution = 128;
    let surface = discriminator_surface::<DefaultBackend>(&dir, resolution, &device)?;
    let data = config
        .dataset
        .sample_points(2500, &mut gan::models::rng_from_seed(1));
    let picture = dir.join("ring8.png");
    ScatterPlot::new(512, config.dataset.extent())
        .with_background(surface, resolution)
        .with_series(data, Rgb(60, 60, 60), 1.5, 0.6)
        .with_series(samples.values, Rgb(0, 140, 60), 2.0, 0.7)
        .save_png(&picture)?;
    println!(
        "data (grey), samples (green) and D(x): {}",
        picture.display()
    );
    Ok(())
}
