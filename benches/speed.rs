//! Training and generation speed of the bare step, for `scripts/bench.sh`, which runs it next
//! to `bench/pytorch_bench.py` (the same networks, optimiser and step in PyTorch) and prints the
//! ratios.
//!
//! `cargo bench --bench speed --features flex,tch -- --backend tch --model dcgan28`
//!
//! Models: `mlp` (the 2014 MLP GAN of `gan train --model mlp`: G 100-1200-1200-784, sigmoid;
//! D maxout 240x5, 240x5, 1), `dcgan28` (bench/configs/dcgan28-fashion-mnist.json's networks,
//! width 64: G 100 -> 128x7x7 -> 64x14x14 -> 1x28x28; D 64 -> 128 -> logit) and `dcgan64` (the
//! pytorch/examples DCGAN: nz 100, ngf = ndf = 64, 3 channels, 64x64). One iteration is Algorithm 1 with k = 1: a
//! discriminator step on a real and a generated minibatch, then a generator step; the
//! non-saturating loss, Adam 2e-4 (0.5, 0.999), no moving average. The "real" images are
//! uniform noise in the data's range, drawn once on the host: the bench measures the step, not
//! a dataset. With `--data fashion-mnist` (DCGAN-28 and the MLP only) they are shuffled
//! Fashion-MNIST minibatches instead, as `gan train` draws them, for the trainer-overhead row.
//! Generation is the trained generator's inference forward pass (batch norm with running
//! statistics), in batches of the same size.
//!
//! Like the `gan` command, it first raises glibc's mmap and trim thresholds
//! (`gan::memory::keep_freed_memory`; not when `GLIBC_TUNABLES` is set).
//!
//! Prints one JSON line: backend, device, model, batch, threads, training iterations per
//! second, generated samples per second and the process's peak resident memory (VmHWM), so
//! that each model and backend is measured in its own process.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use gan::backend::{BackendKind, BackendTask, DeviceChoice, run_on};
use gan::data::{Batch, BatchSource};
use gan::image::{ImageNetworks, ModelKind, NetworksTask};
use gan::models::{DcganDiscriminatorConfig, DcganGeneratorConfig, Generator};
use gan::train::{TrainConfig, Trainer};

/// Untimed iterations first (kernel compilation, allocator pools), as in the PyTorch script.
const WARM_UP: usize = 5;

/// The command line: `--backend B --device D --model M --steps N --batch N
/// --data noise|fashion-mnist`.
struct Args {
    backend: BackendKind,
    device: DeviceChoice,
    model: String,
    steps: usize,
    batch: usize,
    fashion: bool,
}

fn args() -> Args {
    let mut a = Args {
        backend: BackendKind::default_compiled().expect("a backend is compiled in"),
        device: DeviceChoice::default(),
        model: "dcgan28".into(),
        steps: 30,
        batch: 64,
        fashion: false,
    };
    let words: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < words.len() {
        let value = || {
            words
                .get(i + 1)
                .unwrap_or_else(|| panic!("{} needs a value", words[i]))
                .clone()
        };
        match words[i].as_str() {
            "--backend" => a.backend = value().parse().unwrap_or_else(|e| panic!("{e}")),
            "--device" => a.device = value().parse().unwrap_or_else(|e| panic!("{e}")),
            "--model" => a.model = value(),
            "--steps" => a.steps = value().parse().expect("--steps N"),
            "--batch" => a.batch = value().parse().expect("--batch N"),
            "--data" => {
                a.fashion = match value().as_str() {
                    "noise" => false,
                    "fashion-mnist" => true,
                    other => panic!("--data {other}: expected noise or fashion-mnist"),
                }
            }
            // cargo bench passes --bench; anything else is refused.
            "--bench" => {
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

/// The networks of `model`.
fn networks(model: &str) -> ImageNetworks {
    match model {
        "mlp" => ImageNetworks::for_images(ModelKind::Mlp, 28, 1, 10),
        "dcgan28" => dcgan(28, 1),
        "dcgan64" => dcgan(64, 3),
        other => panic!("unknown model {other}: expected mlp, dcgan28 or dcgan64"),
    }
}

/// A DCGAN of width 64 (the last hidden map of G and the first of D have 64 channels) for
/// `size`x`size` images of `channels` channels, unconditional, with batch norm in both. At 28
/// this is bench/configs/dcgan28-fashion-mnist.json's networks (the default job's are width 32).
fn dcgan(size: usize, channels: usize) -> ImageNetworks {
    match ImageNetworks::for_images(ModelKind::Dcgan, size, channels, 10) {
        ImageNetworks::Dcgan(mut n) => {
            n.generator = DcganGeneratorConfig::new()
                .with_image_size(size)
                .with_channels(channels)
                .with_width(64);
            n.discriminator = DcganDiscriminatorConfig::new()
                .with_image_size(size)
                .with_channels(channels)
                .with_width(64);
            ImageNetworks::Dcgan(n)
        }
        other => other,
    }
}

/// The same minibatch every time: uniform noise of the data's shape, drawn once.
struct Fixed {
    shape: Vec<usize>,
    values: Vec<f32>,
}

impl<B: burn::tensor::backend::Backend> BatchSource<B> for Fixed {
    fn sample_shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> Batch<B> {
        let features = self.values.len() / m;
        Batch {
            samples: Tensor::from_data(TensorData::new(self.values.clone(), [m, features]), device),
            labels: None,
        }
    }
}

/// Fashion-MNIST's training split, shuffled with seed 0, in `range`.
fn fashion_mnist(range: gan::data::PixelRange) -> gan::data::ImageLoader {
    use gan::data::{IdxDataset, ImageLoader, Split};
    let set = IdxDataset::FashionMnist
        .load(Split::Train, None, None)
        .unwrap_or_else(|e| panic!("--data fashion-mnist: {e}"));
    ImageLoader::new(std::sync::Arc::new(set), range, 0).unwrap_or_else(|e| panic!("{e}"))
}

impl Fixed {
    /// `batch` samples of `shape`, uniform in `range`, from a fixed xorshift stream.
    fn noise(shape: Vec<usize>, batch: usize, range: gan::data::PixelRange) -> Self {
        let features: usize = shape.iter().product();
        let (low, high) = match range {
            gan::data::PixelRange::MinusOneToOne => (-1.0f32, 1.0),
            gan::data::PixelRange::ZeroToOne => (0.0, 1.0),
        };
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let values = (0..batch * features)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                low + (high - low) * ((state >> 40) as f32 / (1u64 << 24) as f32)
            })
            .collect();
        Fixed { shape, values }
    }
}

/// What one process measures.
struct Figures {
    train_its: f64,
    gen_sps: f64,
}

struct Bench {
    networks: ImageNetworks,
    steps: usize,
    batch: usize,
    fashion: bool,
}

impl BackendTask for Bench {
    type Output = gan::Result<Figures>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let networks = self.networks.clone();
        networks.build::<B, _>(
            &device,
            Steps {
                bench: self,
                device: &device,
            },
        )
    }
}

struct Steps<'a, B: AutodiffBackend> {
    bench: Bench,
    device: &'a B::Device,
}

impl<B: AutodiffBackend> NetworksTask<B> for Steps<'_, B> {
    type Output = Figures;

    fn run<G, D>(self, generator: G, discriminator: D) -> gan::Result<Figures>
    where
        G: Generator<B> + AutodiffModule<B>,
        D: gan::models::FeatureDiscriminator<B> + AutodiffModule<B>,
        G::InnerModule: Generator<B::InnerBackend>,
        D::InnerModule: gan::models::FeatureDiscriminator<B::InnerBackend>,
    {
        let Bench {
            networks,
            steps,
            batch,
            fashion,
        } = self.bench;
        let mut data: Box<dyn BatchSource<B>> = if fashion {
            Box::new(fashion_mnist(networks.pixel_range()))
        } else {
            Box::new(Fixed::noise(
                generator.sample_shape(),
                batch,
                networks.pixel_range(),
            ))
        };
        let config = TrainConfig::new()
            .with_batch_size(batch)
            .with_iterations(steps + WARM_UP);
        let prior = networks.prior();
        let mut trainer =
            Trainer::new(config, generator, discriminator, prior, self.device.clone())?;
        // Warm-up (kernel compilation on GPUs, allocator pools), then the timed steps; the
        // losses of the last step are read, which waits for the device.
        for _ in 0..WARM_UP {
            let l = trainer.step(data.as_mut())?;
            let _: f32 = l.d_loss.into_scalar().elem();
        }
        let start = Instant::now();
        let mut last = None;
        for _ in 0..steps {
            last = Some(trainer.step(data.as_mut())?);
        }
        if let Some(l) = last {
            let _: f32 = l.d_loss.into_scalar().elem();
        }
        let train_its = steps as f64 / start.elapsed().as_secs_f64();

        let g = trainer.generator().valid();
        let device = self.device;
        let latent = g.latent_dim();
        let z = || prior.fixed::<B::InnerBackend>(batch, latent, 7, device);
        let _: f32 = g.generate(z(), None).sum().into_scalar().elem();
        let rounds = (steps * 2).max(10);
        let start = Instant::now();
        let mut total = None;
        for _ in 0..rounds {
            let out = g.generate(z(), None).sum();
            total = Some(total.map_or(out.clone(), |t: Tensor<B::InnerBackend, 1>| t + out));
        }
        if let Some(t) = total {
            let _: f32 = t.into_scalar().elem();
        }
        let gen_sps = (rounds * batch) as f64 / start.elapsed().as_secs_f64();
        Ok(Figures { train_its, gen_sps })
    }
}

/// Peak resident memory of this process in MiB (Linux's VmHWM), if known.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    // As the `gan` command does (src/memory.rs).
    let allocator = gan::memory::keep_freed_memory();
    let a = args();
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    let bench = Bench {
        networks: networks(&a.model),
        steps: a.steps,
        batch: a.batch,
        fashion: a.fashion,
    };
    let figures = run_on(a.backend, a.device, bench)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{}",
        serde_json::json!({
            "framework": "gan",
            "backend": a.backend.to_string(),
            "device": format!("{:?}", a.device).to_lowercase(),
            "model": a.model,
            "data": if a.fashion { "fashion-mnist" } else { "noise" },
            "batch": a.batch,
            "steps": a.steps,
            "threads": threads,
            "train_its": figures.train_its,
            "gen_sps": figures.gen_sps,
            "peak_rss_mib": peak_rss_mib(),
            "allocator": format!("{allocator:?}"),
        })
    );
}
