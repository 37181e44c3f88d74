//! DCGAN on a folder of photographs (CelebA's `img_align_celeba/`, for instance): every PNG or
//! JPEG below the folder is center-cropped and resized to 64x64; unreadable files are listed
//! and skipped.
//!
//! `cargo run --release --example image_folder -- PATH [SIZE]` (SIZE: 28, 32 or 64).

use std::path::{Path, PathBuf};

use gan::backend::DefaultAutodiff;
use gan::data::{ImageDataset, ImageFolderConfig};
use gan::image::{ImageRunConfig, ModelKind, run_images};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reuse freed buffers instead of faulting fresh pages in (src/memory.rs).
    gan::memory::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let folder = PathBuf::from(args.next().ok_or("usage: image_folder PATH [SIZE]")?);
    let size: usize = args.next().map_or(Ok(64), |s| s.parse())?;
    let images = ImageFolderConfig::new(folder)
        .with_size(size)
        .with_channels(3);
    let config = ImageRunConfig::new()
        .with_dataset(ImageDataset::Folder(images))
        .with_model(ModelKind::Dcgan, size, 3, 0);
    let dir = Path::new("runs/example-image-folder");
    let report =
        run_images::<DefaultAutodiff>(&config, dir, &Default::default(), gan::RunOptions::new())?;
    for skipped in &report.skipped {
        eprintln!("skipped {skipped}");
    }
    println!(
        "{} images, {:.0} s: {}",
        report.images,
        report.seconds,
        dir.join("samples.png").display()
    );
    Ok(())
}
