//! The fuzz harness: seeded structured mutation, in process, of every file the toolkit reads.
//!
//! Each reader gets valid seed files (written by the toolkit itself) and then `GAN_FUZZ_EXECS`
//! mutated versions of them (default 2,000 in CI; `scripts/fuzz.sh` runs 1,000,000). A
//! reader may refuse an input with an error, never panic, and never allocate more than
//! [`HEADROOM`] beyond what the harness holds: a header that claims 2^32 images must be
//! refused before anything that size is allocated. An allocation over the cap aborts the
//! process (Rust's allocation-failure handler); the input that did it is then the reader's
//! `input` file in the harness directory, which is printed at the start.
//!
//! The mutations are a pure function of the reader's name and the execution's index, so
//! `GAN_FUZZ_REPLAY=READER:INDEX` rewrites one input to disk, for a regression test.
//!
//! This is a separate test binary (not a module of `tests/it`) because it installs a global
//! allocator with a cap.

#![cfg(all(unix, feature = "flex"))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::config::Config;
use cap::Cap;
use gan::backend::FlexAutodiff;
use gan::data::ToySampler;
use gan::toy::ToyRunConfig;
use gan::train::Trainer;

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// What one input may allocate beyond the harness's own memory.
const HEADROOM: usize = 256 << 20;

/// SplitMix64: small, seedable, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(reader: &str, index: u64) -> Self {
        let name = reader.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        Self(name ^ index.wrapping_mul(0x9e3779b97f4a7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
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
fn mutate(seed: &[u8], rng: &mut Rng, text: bool) -> Vec<u8> {
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
struct Reader {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    text: bool,
    input: PathBuf,
    read: Box<dyn FnMut(&Path) -> bool>,
}

/// The outcome counts of one reader's executions.
#[derive(Default, Debug)]
struct Tally {
    executions: u64,
    accepted: u64,
    refused: u64,
    panics: Vec<u64>,
    seconds: f64,
}

fn run_reader(reader: &mut Reader, executions: u64, crashes: &Path) -> Tally {
    let mut tally = Tally::default();
    let start = Instant::now();
    for index in 0..executions {
        let mut rng = Rng::new(reader.name, index);
        let seed = &reader.seeds[rng.below(reader.seeds.len())];
        let input = mutate(seed, &mut rng, reader.text);
        std::fs::write(&reader.input, &input).unwrap();
        let base = ALLOCATOR.allocated();
        ALLOCATOR.set_limit(base + HEADROOM).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| (reader.read)(&reader.input)));
        ALLOCATOR.set_limit(usize::MAX).unwrap();
        match outcome {
            Ok(true) => tally.accepted += 1,
            Ok(false) => tally.refused += 1,
            Err(_) => {
                let kept = crashes.join(format!("{}-{index}", reader.name));
                std::fs::write(&kept, &input).unwrap();
                tally.panics.push(index);
            }
        }
        tally.executions += 1;
    }
    tally.seconds = start.elapsed().as_secs_f64();
    tally
}

/// Runs `gan train` for a few iterations of ring8: a run directory with a config, metrics
/// and a checkpoint, the seeds of the run-directory readers.
fn seed_run(dir: &Path) -> PathBuf {
    let run = dir.join("seed-run");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gan"))
        .args([
            "train",
            "--dataset",
            "ring8",
            "--steps",
            "3",
            "--sample-every",
            "0",
            "--quiet",
        ])
        .arg("--out")
        .arg(&run)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    run
}

fn readers(dir: &Path) -> Vec<Reader> {
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
            read: Box::new(move |_| trainer.load_checkpoint(&mut data, &dir).is_ok()),
        });
    }
    readers
}

#[test]
fn readers_refuse_mutated_files_without_panics_or_huge_allocations() {
    let executions: u64 = std::env::var("GAN_FUZZ_EXECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let only = std::env::var("GAN_FUZZ_READERS").ok();
    let dir = match std::env::var_os("GAN_FUZZ_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("gan-fuzz-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let crashes = dir.join("crashes");
    std::fs::create_dir_all(&crashes).unwrap();
    eprintln!(
        "fuzz harness directory (inputs, crashes): {}",
        dir.display()
    );
    // Panics are caught and counted; their messages would only flood the output.
    std::panic::set_hook(Box::new(|_| {}));

    let mut readers = readers(&dir);
    if let Ok(replay) = std::env::var("GAN_FUZZ_REPLAY") {
        let (name, index) = replay
            .split_once(':')
            .expect("GAN_FUZZ_REPLAY=READER:INDEX");
        let reader = readers
            .iter()
            .find(|r| r.name == name)
            .expect("a reader's name");
        let index: u64 = index.parse().unwrap();
        let mut rng = Rng::new(reader.name, index);
        let seed = &reader.seeds[rng.below(reader.seeds.len())];
        let path = crashes.join(format!("{name}-{index}"));
        std::fs::write(&path, mutate(seed, &mut rng, reader.text)).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let mut failures = Vec::new();
    for reader in &mut readers {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|n| n == reader.name))
        {
            continue;
        }
        let tally = run_reader(reader, executions, &crashes);
        eprintln!(
            "{:<9} {:>9} executions in {:>7.1} s ({:>6.0}/s): {:>5.1}% accepted, {:>5.1}% refused, {} panics",
            reader.name,
            tally.executions,
            tally.seconds,
            tally.executions as f64 / tally.seconds.max(1e-9),
            100.0 * tally.accepted as f64 / tally.executions as f64,
            100.0 * tally.refused as f64 / tally.executions as f64,
            tally.panics.len()
        );
        // Every mutation strategy must reach the reader: some inputs refused, not all.
        assert!(
            tally.refused > 0,
            "{}: no mutated input was refused",
            reader.name
        );
        if !tally.panics.is_empty() {
            failures.push(format!(
                "{}: panics at {:?} (inputs in {})",
                reader.name,
                &tally.panics[..tally.panics.len().min(10)],
                crashes.display()
            ));
        }
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if std::env::var_os("GAN_FUZZ_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
