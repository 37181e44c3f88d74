//! Data-pipeline throughput against DCGAN training throughput on the Flex CPU backend.
//!
//! Measures (1) decoding all 70,000 Fashion-MNIST images from their IDX gz files, (2) one
//! shuffled epoch of minibatches of 64 turned into `[64, 1, 28, 28]` tensors, and (3) DCGAN
//! training iterations at 28x28 with minibatches of 64, then prints images/s and the ratio of
//! the loader's throughput to training's. The loader must not be the bottleneck: the target
//! ratio is at least 100.
//!
//! `cargo bench --bench data_throughput [-- DIR]`: DIR holds Fashion-MNIST's IDX files (default:
//! Debian's `/usr/share/datasets/fashion-mnist`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::tensor::ElementConversion;
use gan::backend::{Flex, FlexAutodiff};
use gan::data::{IdxDataset, ImageLoader, PixelRange, Split};
use gan::models::{DcganDiscriminatorConfig, DcganGeneratorConfig, Prior};
use gan::train::{TrainConfig, Trainer};

const BATCH: usize = 64;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/datasets/fashion-mnist"));

    // 1. Decode train + test.
    let start = Instant::now();
    let mut set = IdxDataset::FashionMnist
        .load_dir(&dir, Split::Train)
        .unwrap_or_else(|e| panic!("{e}"));
    let test = IdxDataset::FashionMnist
        .load_dir(&dir, Split::Test)
        .unwrap_or_else(|e| panic!("{e}"));
    set.extend(&test).expect("same shape");
    let decode_s = start.elapsed().as_secs_f64();
    let n = set.len();
    println!(
        "decode: {n} images in {decode_s:.3} s = {:.0} images/s",
        n as f64 / decode_s
    );

    // 2. One shuffled epoch of batches, as tensors on Flex.
    let device = Default::default();
    let mut loader = ImageLoader::new(Arc::new(set), PixelRange::MinusOneToOne, 0).unwrap();
    let batches = n / BATCH;
    let start = Instant::now();
    let mut checksum = 0.0f64;
    for _ in 0..batches {
        let batch = loader.next_images::<Flex>(BATCH, &device);
        // Touch one value per batch so the work cannot be skipped.
        checksum += batch
            .images
            .slice([0..1, 0..1, 0..1, 0..1])
            .into_scalar()
            .elem::<f64>();
    }
    let epoch_s = start.elapsed().as_secs_f64();
    let loader_ips = (batches * BATCH) as f64 / epoch_s;
    println!(
        "epoch: {batches} batches of {BATCH} in {epoch_s:.3} s = {loader_ips:.0} images/s (checksum {checksum:.1})"
    );

    // 3. DCGAN training at 28x28, batch 64.
    let g = DcganGeneratorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .init::<FlexAutodiff>(&device);
    let d = DcganDiscriminatorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .init::<FlexAutodiff>(&device);
    let config = TrainConfig::new().with_batch_size(BATCH);
    let mut trainer = Trainer::new(config, g, d, Prior::Normal, device).unwrap();
    let mut step = |loader: &mut ImageLoader| {
        let losses = trainer.step(loader).unwrap();
        let _: f32 = losses.d_loss.into_scalar().elem();
    };
    step(&mut loader); // warm-up
    let steps = 5;
    let start = Instant::now();
    for _ in 0..steps {
        step(&mut loader);
    }
    let train_s = start.elapsed().as_secs_f64();
    let train_ips = (steps * BATCH) as f64 / train_s;
    println!(
        "train: {steps} DCGAN iterations (k = 1, batch {BATCH}, 28x28) in {train_s:.3} s = {train_ips:.0} images/s"
    );
    println!(
        "ratio: loader / training = {:.0}x (target >= 100x); decode + epoch = {:.2} s",
        loader_ips / train_ips,
        decode_s + epoch_s
    );
}
