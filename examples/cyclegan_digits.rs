//! CycleGAN between the embedded MNIST digits (domain A) and the UCI optical digits in MNIST's
//! layout (domain B): two writers' styles and resolutions, no pairs. After training, twelve
//! digits of each domain are translated and drawn as four rows: MNIST digits, their optical
//! style `G(a)`, optical digits, their MNIST style `F(b)`.
//!
//! `cargo run --release --example cyclegan_digits` (the run's defaults; `gan train --algorithm
//! cyclegan` trains the same run from the command line).

use std::path::Path;

use gan::backend::{DefaultAutodiff, DefaultBackend};
use gan::data::{PixelRange, embedded_mnist, embedded_optdigits};
use gan::translation::{Direction, TranslationRunConfig, run_translation, translate_run};
use gan::viz::ImageGrid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let device = Default::default();
    let config = TranslationRunConfig::digits();
    let dir = Path::new("runs/example-cyclegan-digits");
    let options = gan::RunOptions::new().resume(dir.join("checkpoints").is_dir());
    run_translation::<DefaultAutodiff>(&config, dir, &device, options)?;

    let per_row = 12;
    // The last images of each set: MNIST's last 1,000 are not among the first ones a run
    // with a --limit trains on.
    let take = |set: gan::data::ImageSet| -> Vec<f32> {
        let start = set.len() - per_row;
        (start..set.len())
            .flat_map(|i| set.image(i).to_vec())
            .map(|v| PixelRange::MinusOneToOne.scale(v))
            .collect()
    };
    let (a, b) = (take(embedded_mnist()), take(embedded_optdigits()));
    let (g_a, _) = translate_run::<DefaultBackend>(dir, Direction::AToB, &a, &device)?;
    let (f_b, _) = translate_run::<DefaultBackend>(dir, Direction::BToA, &b, &device)?;
    let rows: Vec<f32> = [a, g_a, b, f_b]
        .concat()
        .into_iter()
        .map(|v| (v + 1.0) / 2.0)
        .collect();
    let grid = dir.join("translations.png");
    ImageGrid {
        columns: per_row,
        padding: 2,
        scale: 2,
    }
    .save_png(&rows, [4 * per_row, 1, 28, 28], &grid)?;
    println!(
        "rows: MNIST, as optical digits; optical digits, as MNIST: {}",
        grid.display()
    );
    Ok(())
}
