//! The files the toolkit reads, as fuzz targets: each reader's valid seed files (written by the
//! toolkit itself) and the call that reads one file, plus the seeded mutations of the
//! in-process harness. Shared by the in-process harness (`tests/fuzz.rs`, CI and
//! `scripts/fuzz.sh`) and the coverage-guided AFL++ targets (`fuzz/src/main.rs`,
//! `scripts/fuzz.sh --afl`).

use std::path::{Path, PathBuf};

use burn::config::Config;
use gan::backend::FlexAutodiff;
use gan::data::ToySampler;
use gan::toy::ToyRunConfig;
use gan::train::Trainer;

/// SplitMix64: small, seedable, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    /// The generator of execution `index` of `reader`.
    pub fn new(reader: &str, index: u64) -> Self {
        let name = reader.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        Self(name ^ index.wrapping_mul(0x9e3779b97f4a7c15))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Integers that break size arithmetic: zero, one, sign and width boundaries.
const INTERESTING: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// Text tokens for the JSON readers: numbers JSON has not, huge, negative and wrong-typed
/// values, and broken structure.
const TOKENS: [&str; 14] = [
    "NaN",
    "-1",
    "1e308",
    "18446744073709551616",
    "4294967296",
    "-0",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "{",
    "\"x\":",
    "0.5",
];

/// One to four mutations of `seed`: bit flips, interesting integers at any width and
/// endianness, inserted, deleted, duplicated and truncated ranges, and for text, token swaps.
pub fn mutate(seed: &[u8], rng: &mut Rng, text: bool) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        match rng.below(if text { 9 } else { 8 }) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = INTERESTING[rng.below(INTERESTING.len())] as u8;
            }
            2 => {
                let width = [2, 4, 8][rng.below(3)];
                if len >= width {
                    let at = rng.below(len - width + 1);
                    let value = INTERESTING[rng.below(INTERESTING.len())];
                    let bytes = if rng.below(2) == 0 {
                        value.to_le_bytes()
                    } else {
                        value.to_be_bytes()
                    };
                    let bytes = if bytes[0] == 0 && rng.below(2) == 0 {
                        &value.to_be_bytes()[8 - width..]
                    } else {
                        &bytes[..width]
                    };
                    data[at..at + width].copy_from_slice(bytes);
                }
            }
            3 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                data.drain(at..at + n);
            }
            5 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(256));
                let chunk = data[at..at + n].to_vec();
                let to = rng.below(len + 1);
                data.splice(to..to, chunk);
            }
            6 => data.truncate(rng.below(len + 1)),
            7 if len > 0 => {
                // A run of one byte, as a corrupted sector would leave.
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(512));
                let byte = rng.next() as u8;
                data[at..at + n].fill(byte);
            }
            _ => {
                // Replace a number or a word with a token.
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let starts: Vec<usize> = (0..len)
                    .filter(|&i| {
                        (data[i].is_ascii_alphanumeric() || data[i] == b'-')
                            && (i == 0 || !data[i - 1].is_ascii_alphanumeric())
                    })
                    .collect();
                if let Some(&at) = starts.get(rng.below(starts.len().max(1))) {
                    let end = (at..len)
                        .find(|&j| {
                            !(data[j].is_ascii_alphanumeric() || b"-+.e_".contains(&data[j]))
                        })
                        .unwrap_or(len);
                    data.splice(at..end, token.iter().copied());
                }
            }
        }
    }
    data
}

/// One reader under test: its seeds, where its input file goes, and how it reads it.
pub struct Reader {
    /// Its name (`idx`, `npy`, ...).
    pub name: &'static str,
    /// Valid files to mutate.
    pub seeds: Vec<Vec<u8>>,
    /// Whether the format is text (JSON), for the token mutations.
    pub text: bool,
    /// Where an input is written before it is read.
    pub input: PathBuf,
    /// Reads the file at the path: `true` when accepted, `false` when refused.
    pub read: Box<dyn FnMut(&Path) -> bool>,
}

/// Trains ring8 for a few iterations, in process: a run directory with a config, metrics and
/// a checkpoint, the seeds of the run-directory readers.
fn seed_run(dir: &Path) -> PathBuf {
    let run = dir.join("seed-run");
    let _ = std::fs::remove_dir_all(&run);
    let mut config = ToyRunConfig::new();
    config.training.iterations = 3;
    config.run.sample_every = 0;
    gan::toy::run_toy::<FlexAutodiff>(&config, &run, &Default::default(), gan::RunOptions::new())
        .expect("the seed run trains");
    run
}

/// Every reader, with its seeds written under `dir`.
pub fn readers(dir: &Path) -> Vec<Reader> {
    let input = |name: &str| dir.join(format!("{name}-input"));
    let mut readers = Vec::new();

    // IDX (MNIST, Fashion-MNIST): plain and gzip-compressed, images and labels.
    let mut idx = Vec::new();
    for (dims, gzip) in [
        (vec![3usize, 4, 4], false),
        (vec![5], false),
        (vec![2, 3, 3], true),
    ] {
        let path = dir.join("seed.idx");
        let n: usize = dims.iter().product();
        let data: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
        gan::data::idx::write_idx(&path, &dims, &data, gzip).unwrap();
        idx.push(std::fs::read(&path).unwrap());
    }
    readers.push(Reader {
        name: "idx",
        seeds: idx,
        text: false,
        input: input("idx"),
        read: Box::new(|p| gan::data::idx::read_idx(p).is_ok()),
    });

    // CIFAR-10 binary batches: records of a label byte and 3,072 pixels.
    let record = |label: u8| {
        let mut r = vec![label];
        r.extend((0..3072).map(|i| (i % 251) as u8));
        r
    };
    readers.push(Reader {
        name: "cifar10",
        seeds: vec![record(3), [record(0), record(9)].concat()],
        text: false,
        input: input("cifar10"),
        read: Box::new(|p| gan::data::cifar::read_cifar_batch(p).is_ok()),
    });

    // .npy samples (gan sample's output, gan eval --samples' input).
    let mut npy = Vec::new();
    for shape in [vec![4usize, 1, 2, 2], vec![3, 2], vec![5]] {
        let path = dir.join("seed.npy");
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|i| i as f32 / 7.0).collect();
        gan::sample::write_npy(&path, &values, &shape).unwrap();
        npy.push(std::fs::read(&path).unwrap());
    }
    readers.push(Reader {
        name: "npy",
        seeds: npy,
        text: false,
        input: input("npy"),
        read: Box::new(|p| gan::sample::read_npy(p).is_ok()),
    });

    // Image-folder files: PNG (grey, RGB, RGBA) and JPEG, decoded as the folder loader does.
    let mut images = Vec::new();
    for (i, color) in [
        image::ColorType::L8,
        image::ColorType::Rgb8,
        image::ColorType::Rgba8,
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.join(format!("seed-{i}.png"));
        let channels = color.channel_count() as usize;
        let pixels: Vec<u8> = (0..6 * 5 * channels).map(|j| (j * 13) as u8).collect();
        image::save_buffer(&path, &pixels, 6, 5, color).unwrap();
        images.push(std::fs::read(&path).unwrap());
    }
    let jpeg = dir.join("seed.jpg");
    image::save_buffer(&jpeg, &[90u8; 8 * 8 * 3], 8, 8, image::ColorType::Rgb8).unwrap();
    images.push(std::fs::read(&jpeg).unwrap());
    let folder = gan::data::ImageFolderConfig::new(dir.to_path_buf())
        .with_size(8)
        .with_channels(3);
    readers.push(Reader {
        name: "image",
        seeds: images,
        text: false,
        input: input("image"),
        read: Box::new(move |p| folder.decode(p).is_ok()),
    });

    // Run configs (`--config`, a run's config.json): a 2-D run and an image run.
    let run = seed_run(dir);
    let toy_config = std::fs::read(run.join("config.json")).unwrap();
    let image_config = serde_json::to_vec_pretty(&gan::image::ImageRunConfig::new()).unwrap();
    readers.push(Reader {
        name: "config",
        seeds: vec![toy_config, image_config],
        text: true,
        input: input("config.json"),
        read: Box::new(|p| gan::sample::RunSpec::load(p).is_ok()),
    });

    // A checkpoint: state.json, the safetensors weights and the optimizers' MessagePack
    // state, each loaded into the run's trainer as a resume does.
    let checkpoint = gan::train::latest_checkpoint(&run.join("checkpoints")).unwrap();
    let config = ToyRunConfig::load(run.join("config.json")).unwrap();
    for (name, file, text) in [
        ("state", "state.json", true),
        ("weights", "generator.safetensors", false),
        ("optimizer", "discriminator_optim.mpk", false),
    ] {
        let copy = dir.join(format!("{name}-checkpoint"));
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(&checkpoint).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        let seed = std::fs::read(copy.join(file)).unwrap();
        let device = Default::default();
        let mut trainer = Trainer::new(
            config.training.clone().with_seed(config.seed),
            config.generator.init::<FlexAutodiff>(&device),
            config.discriminator.init::<FlexAutodiff>(&device),
            config.generator.prior,
            device,
        )
        .unwrap();
        let mut data = ToySampler::new(config.dataset.clone(), 0).unwrap();
        let dir = copy.clone();
        readers.push(Reader {
            name,
            seeds: vec![seed],
            text,
            input: copy.join(file),
            read: Box::new(move |_| {
                let loaded = trainer.load_checkpoint(&mut data, &dir).is_ok();
                release_autodiff_graphs();
                loaded
            }),
        });
    }
    readers
}

/// Burn's autodiff keeps a registry entry for every parameter set to require gradients (each
/// one a checkpoint loads) until a backward pass sweeps the entries of dropped tensors. A resume
/// runs training steps right after its one load; the harness loads a million times without
/// training, so it runs one tiny backward pass after each load to sweep them, as the next
/// training step would.
fn release_autodiff_graphs() {
    use burn::tensor::Tensor;
    let x = Tensor::<FlexAutodiff, 1>::from_floats([1.0], &Default::default()).require_grad();
    let _ = x.sum().backward();
}
