//! The `gan` command-line tool. `gan` with no arguments trains the default job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use gan::backend::{BackendKind, DeviceChoice};
use gan::command::{self, EvalTarget, TrainJob};
use gan::data::{DatasetSource, ImageDataset, ImageFolderConfig, Toy2d};
use gan::eval::{EvalData, EvalRequest, Metric};
use gan::image::{ImageNetworks, ImageRunConfig, ModelKind};
use gan::sample::{RunSpec, SampleKind, SampleRequest, Samples};
use gan::toy::ToyRunConfig;
use gan::train::{GeneratorWeights, LossPreset, TrainConfig};
use gan::translation::{self, Direction, TranslationRunConfig};
use gan::{GanError, Result};

/// Generative adversarial networks on Burn.
///
/// With no subcommand, `gan` runs `gan train` with its defaults: a class-conditional DCGAN on
/// the 10,000 MNIST digits built into the program.
#[derive(Parser, Debug)]
#[command(
    name = "gan",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `gan FLAGS` is `gan train FLAGS`.
    #[command(flatten)]
    train: TrainArgs,
}

// One value per process, parsed once: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Train a GAN and write a run directory (the default command).
    Train(TrainArgs),
    /// Draw samples from a trained run: a PNG grid (or scatter plot) or a NumPy .npy array.
    Sample(SampleArgs),
    /// Draw latent walks of a trained image run (DCGAN paper style) as a PNG grid or .npy.
    Interpolate(InterpolateArgs),
    /// Evaluate a trained run: print a table of metrics and write eval.json into the run.
    Eval(EvalArgs),
    /// Translate images with a trained translation run (`--algorithm cyclegan`): a folder, an
    /// image or a .npy array in, a PNG grid, a .npy array or a folder of PNGs out.
    Translate(TranslateArgs),
    /// Write a run's report: one self-contained HTML page with what ran, the training chart,
    /// the sample grids over training, the evaluation (eval.json) and the config.
    Report(ReportArgs),
    /// Export a trained run's generator for PyTorch: one .safetensors file with PyTorch's
    /// names and layout and the generator's config in its metadata (docs/export.md;
    /// python/gan_generator.py loads it).
    Export(ExportArgs),
    /// Run the orchestrator of a data-parallel run over several machines (`gan train
    /// --nodes`): it listens on --port until stopped (Ctrl-C).
    Orchestrator {
        /// The port to listen on (the nodes' --orchestrator is ws://THIS_HOST:PORT).
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Print a shell completion script: `gan completions bash > ~/.local/share/bash-completion/completions/gan`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The datasets of `--dataset`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DatasetArg {
    MnistEmbedded,
    Mnist,
    FashionMnist,
    Cifar10,
    /// A folder of images: `folder:PATH`, or `folder` with `--data-dir PATH`.
    Folder(Option<PathBuf>),
    /// The embedded UCI optical digits in MNIST's layout.
    Optdigits,
    /// Two domains for `--algorithm cyclegan`: the embedded MNIST digits and the optical
    /// digits.
    Digits,
    /// Two folders of images for `--algorithm cyclegan`: `folder:A,folder:B`.
    FolderPair(PathBuf, PathBuf),
    /// Two domains for `--algorithm cyclegan`: the same emoji drawn by Twemoji and Noto.
    Emoji,
    Ring8,
    Grid25,
    Moons,
    Spiral,
}

const DATASETS: &str = "mnist-embedded, mnist, fashion-mnist, cifar10, optdigits, folder:PATH, ring8, grid25, moons, spiral; for --algorithm cyclegan: digits, emoji, folder:A,folder:B";

fn parse_dataset(s: &str) -> std::result::Result<DatasetArg, String> {
    Ok(match s {
        "mnist-embedded" => DatasetArg::MnistEmbedded,
        "mnist" => DatasetArg::Mnist,
        "fashion-mnist" => DatasetArg::FashionMnist,
        "cifar10" => DatasetArg::Cifar10,
        "optdigits" => DatasetArg::Optdigits,
        "digits" => DatasetArg::Digits,
        "emoji" => DatasetArg::Emoji,
        "folder" => DatasetArg::Folder(None),
        "ring8" => DatasetArg::Ring8,
        "grid25" => DatasetArg::Grid25,
        "moons" => DatasetArg::Moons,
        "spiral" => DatasetArg::Spiral,
        _ => match s
            .strip_prefix("folder:")
            .map(|rest| rest.split_once(",folder:"))
        {
            Some(Some((a, b))) if !a.is_empty() && !b.is_empty() => {
                DatasetArg::FolderPair(PathBuf::from(a), PathBuf::from(b))
            }
            Some(None) if s.len() > "folder:".len() => {
                DatasetArg::Folder(Some(PathBuf::from(&s["folder:".len()..])))
            }
            _ => return Err(format!("unknown dataset {s:?}; accepted: {DATASETS}")),
        },
    })
}

impl DatasetArg {
    /// The name `--dataset` takes.
    fn name(&self) -> String {
        match self {
            DatasetArg::MnistEmbedded => "mnist-embedded".into(),
            DatasetArg::Mnist => "mnist".into(),
            DatasetArg::FashionMnist => "fashion-mnist".into(),
            DatasetArg::Cifar10 => "cifar10".into(),
            DatasetArg::Folder(None) => "folder".into(),
            DatasetArg::Folder(Some(p)) => format!("folder:{}", p.display()),
            DatasetArg::Optdigits => "optdigits".into(),
            DatasetArg::Digits => "digits".into(),
            DatasetArg::Emoji => "emoji".into(),
            DatasetArg::FolderPair(a, b) => {
                format!("folder:{},folder:{}", a.display(), b.display())
            }
            DatasetArg::Ring8 => "ring8".into(),
            DatasetArg::Grid25 => "grid25".into(),
            DatasetArg::Moons => "moons".into(),
            DatasetArg::Spiral => "spiral".into(),
        }
    }

    /// The toy distribution, for the 2-D datasets.
    fn distribution(&self) -> Option<Toy2d> {
        Some(match self {
            DatasetArg::Ring8 => Toy2d::ring8(),
            DatasetArg::Grid25 => Toy2d::grid25(),
            DatasetArg::Moons => Toy2d::moons(),
            DatasetArg::Spiral => Toy2d::spiral(),
            _ => return None,
        })
    }

    /// The image dataset to score samples against (`gan eval --samples`); a folder's image
    /// size and channels are taken from the samples.
    fn image_dataset(&self, data_dir: Option<PathBuf>) -> Result<ImageDataset> {
        let source = DatasetSource {
            dir: data_dir.clone(),
            ..DatasetSource::default()
        };
        Ok(match self {
            DatasetArg::MnistEmbedded => ImageDataset::EmbeddedMnist,
            DatasetArg::Optdigits => ImageDataset::Optdigits,
            DatasetArg::Mnist => ImageDataset::Mnist(source),
            DatasetArg::FashionMnist => ImageDataset::FashionMnist(source),
            DatasetArg::Cifar10 => ImageDataset::Cifar10(source),
            DatasetArg::Folder(path) => {
                let dir = path.clone().or(data_dir).ok_or(GanError::MissingArgument {
                    argument: "--dataset folder:PATH (or --data-dir)",
                    reason: "--dataset folder reads the images of a directory",
                })?;
                ImageDataset::Folder(ImageFolderConfig::new(dir))
            }
            other => {
                return Err(GanError::Invalid {
                    field: "--dataset",
                    value: format!("{other:?}").to_lowercase(),
                    expected: "an image dataset, or ring8 or grid25 for points".into(),
                });
            }
        })
    }

    /// The image dataset, the networks' (image size, channels) and its number of classes.
    fn images(
        &self,
        args: &TrainArgs,
        conditional: bool,
    ) -> Result<Option<(ImageDataset, usize, usize, usize)>> {
        let source = || DatasetSource {
            dir: args.data_dir.clone(),
            download: args.download,
            ..DatasetSource::default()
        };
        Ok(Some(match self {
            DatasetArg::MnistEmbedded => (ImageDataset::EmbeddedMnist, 28, 1, 10),
            DatasetArg::Optdigits => (ImageDataset::Optdigits, 28, 1, 10),
            DatasetArg::Digits | DatasetArg::Emoji | DatasetArg::FolderPair(..) => {
                return Err(GanError::Invalid {
                    field: "--dataset",
                    value: self.name(),
                    expected: "--algorithm cyclegan for two domains (the other algorithms train on one dataset)".into(),
                });
            }
            DatasetArg::Mnist => (ImageDataset::Mnist(source()), 28, 1, 10),
            DatasetArg::FashionMnist => (ImageDataset::FashionMnist(source()), 28, 1, 10),
            DatasetArg::Cifar10 => (ImageDataset::Cifar10(source()), 32, 3, 10),
            DatasetArg::Folder(path) => {
                let dir =
                    path.clone()
                        .or(args.data_dir.clone())
                        .ok_or(GanError::MissingArgument {
                            argument: "--dataset folder:PATH (or --data-dir)",
                            reason: "--dataset folder reads the images of a directory",
                        })?;
                let size = args.image_size.unwrap_or(64);
                // Class-conditional models take the first-level subfolders as the classes.
                let classes = if conditional {
                    count_subfolders(&dir)?
                } else {
                    0
                };
                if conditional && classes < 2 {
                    return Err(GanError::Invalid {
                        field: "--model",
                        value: args.model.map_or("cgan-dcgan", |m| m.kind().name()).into(),
                        expected: format!(
                            "an unconditional model (dcgan, mlp) for {}: a class-conditional one needs a folder with one subfolder per class (at least 2 classes), and it has {classes}",
                            dir.display()
                        ),
                    });
                }
                let folder = ImageFolderConfig::new(dir)
                    .with_size(size)
                    .with_channels(3)
                    .with_class_subfolders(conditional);
                (ImageDataset::Folder(folder), size, 3, classes)
            }
            _ => return Ok(None),
        }))
    }
}

/// Number of first-level subfolders of `dir` (the classes of a labelled image folder).
fn count_subfolders(dir: &Path) -> Result<usize> {
    let entries = std::fs::read_dir(dir).map_err(|source| GanError::Io {
        action: "cannot list the image folder",
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .count())
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ModelArg {
    /// The 2014 paper's fully connected GAN (maxout discriminator).
    Mlp,
    /// DCGAN (convolutional; image datasets only).
    Dcgan,
    /// The MLP GAN conditioned on class labels.
    CganMlp,
    /// DCGAN conditioned on class labels, with a projection discriminator.
    CganDcgan,
}

impl ModelArg {
    fn kind(self) -> ModelKind {
        match self {
            ModelArg::Mlp => ModelKind::Mlp,
            ModelArg::Dcgan => ModelKind::Dcgan,
            ModelArg::CganMlp => ModelKind::CganMlp,
            ModelArg::CganDcgan => ModelKind::CganDcgan,
        }
    }
}

/// Where the work runs.
#[derive(Args, Debug, Clone, Default)]
struct BackendArgs {
    /// Backend: flex, ndarray, wgpu or tch (each needs its Cargo feature; default: the first
    /// compiled in, in that order).
    #[arg(long, value_parser = parse_backend)]
    backend: Option<BackendKind>,
    /// Device: default, cpu, cuda:N (tch) or gpu:N (wgpu) [default: default].
    #[arg(long, value_parser = parse_device)]
    device: Option<DeviceChoice>,
}

impl BackendArgs {
    fn device(&self) -> DeviceChoice {
        self.device.unwrap_or_default()
    }

    fn backend(&self) -> Result<BackendKind> {
        match self.backend {
            Some(b) => Ok(b),
            None => BackendKind::default_compiled().ok_or(
                gan::backend::BackendError::NotCompiled {
                    backend: BackendKind::Flex,
                    feature: "flex",
                }
                .into(),
            ),
        }
    }
}

#[derive(Args, Debug, Default)]
struct TrainArgs {
    /// JSON run config to start from (a run's config.json, for instance); flags given on the
    /// command line override its fields.
    #[arg(long, value_name = "FILE.json")]
    config: Option<PathBuf>,
    /// Dataset: mnist-embedded (default), mnist, fashion-mnist, cifar10, optdigits, folder:PATH,
    /// ring8, grid25, moons or spiral; for --algorithm cyclegan two domains: digits (MNIST and
    /// the optical digits, the default), emoji (Twemoji and Noto Emoji, fetched from the npm
    /// registry when missing) or folder:A,folder:B.
    #[arg(long, value_parser = parse_dataset, value_name = "NAME")]
    dataset: Option<DatasetArg>,
    /// Model: cgan-dcgan (default for images), dcgan, mlp, cgan-mlp; the 2-D datasets train mlp.
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// Directory holding the dataset's files (mnist, fashion-mnist, cifar10) or the images
    /// (folder).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Download mnist, fashion-mnist or cifar10 into $GAN_DATA_DIR (or the user cache) when
    /// the files are not on disk.
    #[arg(long)]
    download: bool,
    /// Use only the first N images of an image dataset.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Side of the images for --dataset folder (28, 32 or 64), folder:A,folder:B and emoji
    /// (a multiple of 4; 64 by default).
    #[arg(long, value_name = "PX")]
    image_size: Option<usize>,
    /// Iterations of Algorithm 1 (k discriminator steps and one generator step each).
    #[arg(long, conflicts_with = "epochs")]
    steps: Option<usize>,
    /// Passes of the discriminator over an image dataset (sets the iterations from the
    /// dataset's size, the batch and k).
    #[arg(long)]
    epochs: Option<usize>,
    /// Discriminator steps per generator step.
    #[arg(long)]
    k: Option<usize>,
    /// Minibatch size.
    #[arg(long)]
    batch: Option<usize>,
    /// Random seed (weights, data order, noise).
    #[arg(long)]
    seed: Option<u64>,
    /// Learning rate of both networks (--g-lr and --d-lr set one each).
    #[arg(long, value_name = "LR")]
    lr: Option<f64>,
    /// The generator's learning rate.
    #[arg(long, value_name = "LR")]
    g_lr: Option<f64>,
    /// The discriminator's learning rate.
    #[arg(long, value_name = "LR")]
    d_lr: Option<f64>,
    /// Keep an exponential moving average of the generator's weights with this decay (0.999
    /// is common) and sample from it; 0 keeps none.
    #[arg(long, value_name = "DECAY")]
    ema: Option<f64>,
    /// Write a metrics line (losses, D(x), D(G(z))) every N iterations.
    #[arg(long, value_name = "N")]
    log_every: Option<usize>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Run directory (default: runs/<dataset>-<model>-<UTC time>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue an interrupted run from its newest checkpoint: `--resume RUN_DIR`, or
    /// `--resume` with `--out RUN_DIR`. The run's config.json is the base config; only
    /// --steps/--epochs may change it.
    #[arg(long, value_name = "RUN_DIR", num_args = 0..=1, conflicts_with = "config")]
    resume: Option<Option<PathBuf>>,
    /// The adversarial loss.
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    /// The GAN algorithm: classic (default; Algorithm 1 with --loss), infogan, dragan (the
    /// non-saturating loss with the DRAGAN penalty, no batch norm in D), ebgan, began (these
    /// three train unconditional networks on image datasets) or cyclegan (translation between
    /// two domains: --dataset digits, emoji or folder:A,folder:B).
    #[arg(long, value_enum)]
    algorithm: Option<AlgorithmArg>,
    /// Write a checkpoint every N iterations (0: only at the end).
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Draw samples every N iterations (0: only at the end).
    #[arg(long, value_name = "N")]
    sample_every: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Data-parallel training: N peers in this process, one thread each, on the chosen
    /// device. Each trains on 1/P of every minibatch (P: the peers of all nodes) and the
    /// gradients are averaged before every update (docs/parallel.md).
    #[arg(long, value_name = "N", default_value_t = 1)]
    devices: usize,
    /// Stop a data-parallel run when its peers complete no collective call for this many
    /// seconds (a peer on another machine died or lost its connection).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    peer_timeout: u64,
    /// Data-parallel training over M machines, one process each, through an orchestrator
    /// started with `gan orchestrator` (needs --node-rank, --node-address, --orchestrator).
    #[arg(long, value_name = "M", requires_all = ["node_rank", "node_address", "orchestrator"])]
    nodes: Option<u32>,
    /// This machine's place among the --nodes, 0..M; node 0 writes the run directory.
    #[arg(long, value_name = "R", requires = "nodes")]
    node_rank: Option<u32>,
    /// The address the other nodes reach this one at, ws://HOST:PORT (a free port).
    #[arg(long, value_name = "ws://HOST:PORT", requires = "nodes")]
    node_address: Option<String>,
    /// The orchestrator's address, ws://HOST:PORT.
    #[arg(long, value_name = "ws://HOST:PORT", requires = "nodes")]
    orchestrator: Option<String>,
    /// Print the resolved config (defaults, --config and flags, with --epochs turned into
    /// iterations, and the backend and device) as JSON and exit without training; save it and
    /// pass it to --config to repeat or vary a run.
    #[arg(long)]
    print_config: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum WeightsArg {
    /// The moving average of the generator when the run kept one, else the trained weights.
    Inference,
    /// The trained weights (the last iterate).
    Trained,
    /// The moving average (an error when the run kept none).
    Ema,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// The run directory (`gan train` prints it last).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// The HTML file to write (default: RUN/report.html).
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// The run directory (`gan train` prints it last).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// The file to write (overwritten atomically if it exists).
    #[arg(long, value_name = "FILE.safetensors")]
    out: PathBuf,
    /// Which generator weights to export.
    #[arg(long, value_enum, default_value = "inference")]
    weights: WeightsArg,
}

#[derive(Args, Debug)]
struct SampleArgs {
    /// The run directory (`gan train` prints it last).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// For a class-conditional run: draw only this class (default: every class in turn, one
    /// class per column).
    #[arg(long, value_name = "CLASS")]
    label: Option<usize>,
    /// Which generator weights to use.
    #[arg(long, value_enum, default_value = "inference")]
    weights: WeightsArg,
    /// Output: FILE.png (a grid, or a scatter plot over the data for 2-D runs), FILE.npy
    /// (float32, [N, C, H, W] in [0, 1], or [N, 2] for 2-D runs; a conditional run's labels go
    /// to FILE.labels.npy), or DIR/ (one PNG per image, for pytorch-fid and the like, with
    /// labels.csv for a conditional run).
    #[arg(long, value_name = "FILE|DIR/")]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DirectionArg {
    /// G: from domain A (the run's `a`) to domain B.
    A2b,
    /// F: from domain B back to domain A.
    B2a,
}

#[derive(Args, Debug)]
struct TranslateArgs {
    /// The translation run directory (`gan train --algorithm cyclegan` prints it last).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Which generator: a2b (G) or b2a (F).
    #[arg(long, value_enum)]
    direction: DirectionArg,
    /// The images: a folder of PNG/JPEG images (read recursively in sorted order, centre-cropped
    /// and resized to the run's images as its training folders were), one image file, or a
    /// NumPy .npy array of float32 [N, C, H, W] in [0, 1] (what `gan sample` writes).
    #[arg(long, value_name = "FOLDER|FILE", required_unless_present = "held_out")]
    input: Option<PathBuf>,
    /// Instead of --input: the first N of the run's held-out images of the source domain
    /// (never trained on).
    #[arg(long, value_name = "N", conflicts_with = "input")]
    held_out: Option<usize>,
    /// Output: FILE.png (a grid: rows of up to 8 inputs, each above its translations), FILE.npy
    /// (float32 [N, C, H, W] in [0, 1]) or DIR (one PNG per translation, 000000.png, ..., in
    /// the inputs' order).
    #[arg(long, value_name = "FILE.png|FILE.npy|DIR")]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(Args, Debug)]
struct InterpolateArgs {
    /// The run directory (`gan train` prints it last).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Number of walks (rows); a conditional run keeps class `row % classes` along a row.
    #[arg(long, default_value_t = 8)]
    rows: usize,
    /// Points along each walk (columns), ends included.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Seed of the end points.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// For an InfoGAN run: sweep continuous code J from -1 to 1 along each row instead of
    /// walking the noise (row r keeps categorical value r % categories).
    #[arg(long, value_name = "J")]
    code: Option<usize>,
    /// Output file: .png or .npy.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// The run directory (`gan train` prints it last).
    #[arg(long, value_name = "DIR", required_unless_present = "samples")]
    run: Option<PathBuf>,
    /// Score samples drawn elsewhere instead of a run: a NumPy `.npy` array of float32,
    /// `[N, C, H, W]` in [0, 1] for images (what `gan sample --out FILE.npy` writes) or
    /// `[N, 2]` for points, or a folder of PNG/JPEG images (read at the dataset's size, as
    /// pytorch-fid reads folders); needs --dataset. The report goes to FILE.eval.json.
    #[arg(
        long,
        value_name = "FILE.npy|DIR",
        conflicts_with = "run",
        requires = "dataset"
    )]
    samples: Option<PathBuf>,
    /// With --samples: the dataset to compare with (mnist-embedded, mnist, fashion-mnist,
    /// cifar10, folder:PATH, ring8 or grid25).
    #[arg(long, value_name = "NAME", value_parser = parse_dataset, requires = "samples")]
    dataset: Option<DatasetArg>,
    /// With --samples: directory holding the dataset's files.
    #[arg(long, value_name = "DIR", requires = "samples")]
    data_dir: Option<PathBuf>,
    /// With --samples: how many training images the generator was trained on (default: all),
    /// for the note on Parzen test images it may have seen.
    #[arg(long, value_name = "N", requires = "samples")]
    limit: Option<usize>,
    /// Metrics, comma-separated or repeated (default: every metric that applies to the run
    /// except inception): parzen (Parzen-window log-likelihood of held-out images), modes
    /// (modes captured, high-quality share and reverse KL on ring/grid runs), fid, kid, is
    /// (classifier score), prdc (precision, recall, density, coverage), inception (FID and KID
    /// on Inception-v3 features, comparable with published figures; needs the weights from
    /// scripts/setup.sh and, for 10,000 images, a GPU). fid, kid, is and prdc use the features
    /// of a small CNN trained on the dataset (cached after its first use): they compare runs of
    /// this project with each other.
    #[arg(long, value_delimiter = ',', value_parser = parse_metric)]
    metric: Vec<Metric>,
    /// Generated samples (default: 10000 for images, 2500 for 2-D runs).
    #[arg(long)]
    n: Option<usize>,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Which generator weights to evaluate.
    #[arg(long, value_enum, default_value = "inference")]
    weights: WeightsArg,
    /// Where trained domain classifiers are cached (default: $GAN_DATA_DIR/classifiers or the
    /// user cache).
    #[arg(long, value_name = "DIR")]
    classifier_dir: Option<PathBuf>,
    /// The converted FID Inception weights (default: $GAN_INCEPTION_WEIGHTS, else
    /// ~/.cache/gan-rs/fid-inception/pt_inception-2015-12-05.safetensors).
    #[arg(long, value_name = "FILE")]
    inception_weights: Option<PathBuf>,
    /// No progress messages.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    backend: BackendArgs,
}

impl From<WeightsArg> for GeneratorWeights {
    fn from(w: WeightsArg) -> Self {
        match w {
            WeightsArg::Inference => GeneratorWeights::Inference,
            WeightsArg::Trained => GeneratorWeights::Trained,
            WeightsArg::Ema => GeneratorWeights::Ema,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LossArg {
    /// The 2014 minimax game (saturating generator loss).
    Minimax,
    /// Non-saturating: G maximises log D(G(z)).
    #[value(name = "ns", alias = "non-saturating")]
    NonSaturating,
    /// Least squares (LSGAN).
    #[value(name = "lsgan", alias = "least-squares")]
    LeastSquares,
    /// Wasserstein with weight clipping at 0.01 and RMSProp (WGAN).
    Wgan,
    /// Wasserstein with gradient penalty, lambda 10, Adam (0, 0.9), no batch norm in a DCGAN
    /// critic (WGAN-GP).
    WganGp,
    /// Hinge.
    Hinge,
    /// Non-saturating with the DRAGAN penalty, lambda 10, no batch norm in a DCGAN
    /// discriminator (DRAGAN; the same as --algorithm dragan).
    Dragan,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum AlgorithmArg {
    /// Algorithm 1 (Goodfellow et al. 2014) with the loss family.
    Classic,
    /// InfoGAN (Chen et al. 2016): a 10-way and two continuous latent codes, a Q head.
    Infogan,
    /// DRAGAN (Kodali et al. 2017): the gradient penalty around the data, lambda 10.
    Dragan,
    /// EBGAN (Zhao et al. 2017): an autoencoder energy with margin 1 and the pull-away term.
    Ebgan,
    /// BEGAN (Berthelot et al. 2017): an L1 autoencoder with the k_t balance, gamma 0.5.
    Began,
    /// CycleGAN (Zhu et al. 2017): unpaired translation between two image domains (--dataset
    /// digits or folder:A,folder:B), two ResNet generators and two PatchGANs.
    Cyclegan,
}

impl AlgorithmArg {
    fn name(self) -> &'static str {
        match self {
            AlgorithmArg::Classic => "classic",
            AlgorithmArg::Infogan => "infogan",
            AlgorithmArg::Dragan => "dragan",
            AlgorithmArg::Ebgan => "ebgan",
            AlgorithmArg::Began => "began",
            AlgorithmArg::Cyclegan => gan::train::CYCLEGAN,
        }
    }
}

impl From<LossArg> for LossPreset {
    fn from(loss: LossArg) -> Self {
        match loss {
            LossArg::Minimax => LossPreset::Minimax,
            LossArg::NonSaturating => LossPreset::NonSaturating,
            LossArg::LeastSquares => LossPreset::LeastSquares,
            LossArg::Hinge => LossPreset::Hinge,
            LossArg::Wgan => LossPreset::Wgan,
            LossArg::WganGp => LossPreset::WganGp,
            LossArg::Dragan => LossPreset::Dragan,
        }
    }
}

fn parse_metric(s: &str) -> std::result::Result<Metric, String> {
    Metric::ALL
        .into_iter()
        .find(|m| m.name() == s)
        .ok_or_else(|| {
            format!(
                "expected one of {}",
                Metric::ALL.map(Metric::name).join(", ")
            )
        })
}

fn parse_backend(s: &str) -> std::result::Result<BackendKind, String> {
    s.parse()
        .map_err(|e: gan::backend::BackendError| e.to_string())
}

fn parse_device(s: &str) -> std::result::Result<DeviceChoice, String> {
    s.parse()
        .map_err(|e: gan::backend::BackendError| e.to_string())
}

fn main() -> ExitCode {
    gan::memory::keep_freed_memory();
    let matches = with_defaults(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Some(Command::Train(args)) => train(args),
        Some(Command::Sample(args)) => sample(args),
        Some(Command::Interpolate(args)) => interpolate(args),
        Some(Command::Eval(args)) => eval(args),
        Some(Command::Translate(args)) => translate(args),
        Some(Command::Report(args)) => {
            gan::run::report::write_report(&args.run, args.out.as_deref())
                .map(|path| println!("{}", path.display()))
        }
        Some(Command::Export(args)) => export(args),
        Some(Command::Orchestrator { port }) => command::orchestrator(port),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "gan", &mut std::io::stdout());
            Ok(())
        }
        None => train(cli.train),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `command` with the default of each of train's flags in its help, taken from the default
/// configs (so that they cannot drift): the image value, and the 2-D datasets' where it
/// differs.
fn with_defaults(command: clap::Command) -> clap::Command {
    let image = ImageRunConfig::new();
    let toy = ToyRunConfig::new();
    let both = |a: String, b: String| {
        if a == b {
            a
        } else {
            format!("{a}; 2-D datasets: {b}")
        }
    };
    let lr = |t: &TrainConfig| format!("{}", t.g_lr);
    let defaults: Vec<(&str, String)> = vec![
        (
            "steps",
            both(
                image.training.iterations.to_string(),
                toy.training.iterations.to_string(),
            ),
        ),
        (
            "k",
            both(image.training.k.to_string(), toy.training.k.to_string()),
        ),
        (
            "batch",
            both(
                image.training.batch_size.to_string(),
                toy.training.batch_size.to_string(),
            ),
        ),
        ("seed", both(image.seed.to_string(), toy.seed.to_string())),
        ("lr", both(lr(&image.training), lr(&toy.training))),
        ("g_lr", both(lr(&image.training), lr(&toy.training))),
        (
            "d_lr",
            both(
                image.training.d_lr.to_string(),
                toy.training.d_lr.to_string(),
            ),
        ),
        (
            "ema",
            both(
                image.training.ema_decay.unwrap_or(0.0).to_string(),
                toy.training.ema_decay.unwrap_or(0.0).to_string(),
            ),
        ),
        (
            "log_every",
            both(
                image.run.log_every.to_string(),
                toy.run.log_every.to_string(),
            ),
        ),
        (
            "checkpoint_every",
            both(
                image.run.checkpoint_every.to_string(),
                toy.run.checkpoint_every.to_string(),
            ),
        ),
        (
            "sample_every",
            both(
                image.run.sample_every.to_string(),
                toy.run.sample_every.to_string(),
            ),
        ),
        ("loss", "ns".to_string()),
        ("algorithm", "classic".to_string()),
        ("dataset", "mnist-embedded".to_string()),
    ];
    let add = |mut command: clap::Command| {
        for (id, default) in &defaults {
            command = command.mut_arg(*id, |arg| {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                let long = arg.get_long_help().map(ToString::to_string);
                let arg = arg.help(format!("{help} [default: {default}]"));
                match long {
                    Some(long) => arg.long_help(format!("{long} [default: {default}]")),
                    None => arg,
                }
            });
        }
        command
    };
    add(command).mut_subcommand("train", add)
}

fn parts(spec: &mut RunSpec) -> (&mut TrainConfig, &mut gan::train::RunConfig, &mut u64) {
    match spec {
        RunSpec::Toy(c) => (&mut c.training, &mut c.run, &mut c.seed),
        RunSpec::Images(c) => (&mut c.training, &mut c.run, &mut c.seed),
    }
}

/// What `gan train`'s flags and `--config` file describe.
struct Resolved {
    /// The run config.
    spec: RunSpec,
    /// The backend and device the config file names, if any.
    backend: Option<String>,
    device: Option<String>,
}

/// The run config the flags describe: the base config (`--config`, or the resumed run's) with
/// the flags applied.
fn resolve(args: &TrainArgs, resume_dir: Option<&Path>) -> Result<Resolved> {
    // A resumed run's config is complete; a --config file is an overlay on the defaults.
    let (mut spec, networks_given, backend, device) = match (resume_dir, &args.config) {
        (Some(dir), _) => (RunSpec::load(&dir.join("config.json"))?, true, None, None),
        (None, Some(path)) => {
            let file = RunSpec::load_overlay(path)?;
            let networks = file.fields.iter().any(|f| f == "networks");
            (file.spec, networks, file.backend, file.device)
        }
        (None, None) => (RunSpec::Images(ImageRunConfig::new()), false, None, None),
    };
    let model = args.model.map(ModelArg::kind);
    check_dataset_flags(args)?;
    if let Some(dataset) = &args.dataset {
        if let Some(dist) = dataset.distribution() {
            match &mut spec {
                RunSpec::Toy(c) => c.dataset = dist,
                RunSpec::Images(_) => spec = RunSpec::Toy(ToyRunConfig::new().with_dataset(dist)),
            }
        } else {
            // An image config file keeps its own networks; otherwise labelled datasets default
            // to the conditional DCGAN, image folders (usually unlabelled) to DCGAN.
            let configured = match &spec {
                RunSpec::Images(c) if networks_given => Some(c.networks.kind()),
                _ => None,
            };
            let kind = model.or(configured).unwrap_or(match dataset {
                DatasetArg::Folder(_) => ModelKind::Dcgan,
                _ => ModelKind::CganDcgan,
            });
            if let Some((images, size, channels, classes)) =
                dataset.images(args, kind.conditional())?
            {
                let config = match spec {
                    RunSpec::Images(c) => c,
                    RunSpec::Toy(_) => ImageRunConfig::new(),
                };
                // The config's networks stay when they already fit these images and labels
                // (its widths, hidden layers and priors are the user's); other shapes or an
                // explicit --model get the family's defaults for them.
                let fits = model.is_none()
                    && configured.is_some()
                    && config.networks.image_shape(&images).ok() == Some([channels, size, size])
                    && config.networks.num_classes().is_none_or(|n| n == classes);
                let config = config.with_dataset(images);
                spec = RunSpec::Images(if fits {
                    config
                } else {
                    config.with_model(kind, size, channels, classes)
                });
            }
        }
    } else if let (Some(kind), RunSpec::Images(c)) = (model, &mut spec) {
        // Another model on the same images.
        let [channels, size, _] = c.networks.image_shape(&c.dataset)?;
        let classes = c.networks.num_classes().unwrap_or(10);
        c.networks = ImageNetworks::for_images(kind, size, channels, classes);
    }
    if let (RunSpec::Toy(_), Some(kind)) = (&spec, model)
        && kind != ModelKind::Mlp
    {
        return Err(GanError::Invalid {
            field: "--model",
            value: kind.name().into(),
            expected: "mlp for the 2-D datasets (ring8, grid25, moons, spiral): they have no labels and no pixels".into(),
        });
    }
    match &mut spec {
        RunSpec::Images(c) => {
            if args.limit.is_some() {
                c.limit = args.limit;
            }
            if args.epochs.is_some() {
                c.epochs = args.epochs;
            }
            if args.steps.is_some() {
                c.epochs = None;
            }
        }
        RunSpec::Toy(_) => {
            if let Some(epochs) = args.epochs {
                return Err(GanError::Invalid {
                    field: "--epochs",
                    value: epochs.to_string(),
                    expected:
                        "--steps for the 2-D datasets: they are sampled afresh, without epochs"
                            .into(),
                });
            }
        }
    }
    if let Some(algorithm) = args.algorithm {
        if algorithm == AlgorithmArg::Dragan
            && let Some(loss) = args.loss.filter(|&l| l != LossArg::Dragan)
        {
            return Err(GanError::Invalid {
                field: "--loss",
                value: format!("{loss:?}").to_lowercase(),
                expected: "no --loss with --algorithm dragan, which is the non-saturating loss with the DRAGAN penalty".into(),
            });
        }
        spec.apply_algorithm(algorithm.name())?;
    }
    if let Some(loss) = args.loss {
        spec.apply_loss_preset(LossPreset::from(loss));
    }
    let (training, run, seed) = parts(&mut spec);
    apply_shared_flags(args, training, run, seed);
    if let Some(k) = args.k {
        training.k = k;
    }
    if let Some(decay) = args.ema {
        training.ema_decay = (decay != 0.0).then_some(decay);
    }
    Ok(Resolved {
        spec,
        backend,
        device,
    })
}

/// Writes the flags every kind of run takes into its configs: the cadence (`--log-every`,
/// `--checkpoint-every`, `--sample-every`), `--steps`, `--batch`, `--seed` and the learning
/// rates (`--lr`, then `--g-lr` and `--d-lr` over it).
fn apply_shared_flags(
    args: &TrainArgs,
    training: &mut TrainConfig,
    run: &mut gan::train::RunConfig,
    seed: &mut u64,
) {
    let set = |target: &mut usize, value: Option<usize>| {
        if let Some(v) = value {
            *target = v;
        }
    };
    set(&mut run.log_every, args.log_every);
    set(&mut run.checkpoint_every, args.checkpoint_every);
    set(&mut run.sample_every, args.sample_every);
    set(&mut training.iterations, args.steps);
    set(&mut training.batch_size, args.batch);
    if let Some(s) = args.seed {
        *seed = s;
    }
    if let Some(lr) = args.lr {
        training.g_lr = lr;
        training.d_lr = lr;
    }
    if let Some(lr) = args.g_lr {
        training.g_lr = lr;
    }
    if let Some(lr) = args.d_lr {
        training.d_lr = lr;
    }
}

/// Refuses flags that do nothing for the chosen dataset, rather than ignoring them.
fn check_dataset_flags(args: &TrainArgs) -> Result<()> {
    // Without --dataset the dataset is the config file's (or the default job's) and the flags
    // apply to it as before.
    let Some(dataset) = &args.dataset else {
        return Ok(());
    };
    let name = dataset.name();
    let toy = args
        .dataset
        .as_ref()
        .is_some_and(|d| d.distribution().is_some());
    let folder = matches!(
        args.dataset,
        Some(DatasetArg::Folder(_) | DatasetArg::FolderPair(..))
    );
    let embedded = matches!(
        args.dataset,
        None | Some(
            DatasetArg::MnistEmbedded
                | DatasetArg::Optdigits
                | DatasetArg::Digits
                | DatasetArg::Emoji
                | DatasetArg::FolderPair(..)
        )
    );
    let files = !toy && !embedded;
    let misplaced = [
        (
            "--image-size",
            args.image_size.map(|s| s.to_string()),
            folder,
            "--dataset folder:PATH (the other datasets have their own image size)",
        ),
        (
            "--data-dir",
            args.data_dir.as_ref().map(|d| d.display().to_string()),
            files,
            "--dataset mnist, fashion-mnist, cifar10 or folder (the others need no files)",
        ),
        (
            "--download",
            args.download.then(String::new),
            files && !folder,
            "--dataset mnist, fashion-mnist or cifar10",
        ),
        (
            "--limit",
            args.limit.map(|l| l.to_string()),
            !toy,
            "image datasets (the 2-D distributions are sampled afresh)",
        ),
    ];
    for (field, value, applies, expected) in misplaced {
        if let (Some(value), false) = (value, applies) {
            return Err(GanError::Invalid {
                field,
                value: format!("{value} (with --dataset {name})")
                    .trim_start()
                    .to_string(),
                expected: format!("{field} only with {expected}"),
            });
        }
    }
    Ok(())
}

fn train(args: TrainArgs) -> Result<()> {
    let resume_dir = match &args.resume {
        None => None,
        Some(Some(dir)) => {
            if let Some(out) = &args.out
                && out != dir
            {
                return Err(GanError::Invalid {
                    field: "--out",
                    value: out.display().to_string(),
                    expected: format!(
                        "the resumed run's directory {} (or no --out)",
                        dir.display()
                    ),
                });
            }
            Some(dir.clone())
        }
        Some(None) => Some(args.out.clone().ok_or(GanError::MissingArgument {
            argument: "--out RUN_DIR",
            reason: "--resume without a directory continues the run in --out",
        })?),
    };
    if let Some(dir) = &resume_dir
        && !dir.join("config.json").is_file()
    {
        return Err(GanError::RunDir {
            path: dir.clone(),
            reason: "it has no config.json, so there is no run to resume (start one with `gan train --out DIR`)".into(),
        });
    }
    if is_translation(&args, resume_dir.as_deref()) {
        return train_translation(args, resume_dir);
    }
    let Resolved {
        spec,
        backend,
        device,
    } = resolve(&args, resume_dir.as_deref())?;
    // The backend and device: the flags, else the --config file's, else the defaults.
    let in_file = |field: &'static str, name: &str, expected: String| GanError::Invalid {
        field,
        value: name.to_string(),
        expected: format!(
            "{expected} (in {})",
            args.config.as_deref().unwrap_or(Path::new("")).display()
        ),
    };
    let backend = match (args.backend.backend, backend) {
        (None, Some(name)) => parse_backend(&name).map_err(|e| in_file("backend", &name, e))?,
        _ => args.backend.backend()?,
    };
    let device = match (args.backend.device, device) {
        (None, Some(name)) => parse_device(&name).map_err(|e| in_file("device", &name, e))?,
        _ => args.backend.device(),
    };
    if args.print_config {
        let mut json = match &spec {
            RunSpec::Toy(c) => serde_json::to_value(c),
            RunSpec::Images(c) => {
                // --epochs sets the iterations from the dataset's size: count its images.
                let c = match c.epochs {
                    Some(_) => c.with_epochs_applied(c.count_images()?),
                    None => c.clone(),
                };
                serde_json::to_value(c)
            }
        }
        .expect("configs serialise");
        if let Some(fields) = json.as_object_mut() {
            let kind = if matches!(spec, RunSpec::Toy(_)) {
                "toy"
            } else {
                "image"
            };
            fields.insert(gan::sample::KIND.into(), kind.into());
            fields.insert("backend".into(), backend.name().into());
            fields.insert("device".into(), device.to_string().into());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialise")
        );
        return Ok(());
    }
    let dataset_name = spec.dataset_label();
    let model = spec.model_label();
    let algorithm = match spec.algorithm_label() {
        gan::train::CLASSIC => String::new(),
        other => format!(", {other}"),
    };
    let resume = resume_dir.is_some();
    let dir = resume_dir.or(args.out.clone()).unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{dataset_name}-{model}-{}", utc_stamp()))
    });
    let dir_for_job = dir.clone();
    let title = format!("{dataset_name} ({model}{algorithm}) on {backend}");
    run_training(&args, dir, (title, dataset_name), |stop, parallel| {
        let job = TrainJob {
            spec,
            dir: dir_for_job,
            quiet: args.quiet,
            resume,
            stop,
            parallel,
        };
        command::train(backend, device, job)
    })
}

/// Runs a training command in `dir` with the Ctrl-C handler and the data-parallel settings of
/// `args`, and prints its outcome: the summary line (`title`: what trained on which backend;
/// `name`: the dataset), the pictures and the run directory, or how to resume a run that was
/// stopped or failed to write.
fn run_training(
    args: &TrainArgs,
    dir: PathBuf,
    (title, name): (String, String),
    start: impl FnOnce(Option<command::StopSignal>, gan::run::Parallel) -> Result<command::TrainReport>,
) -> Result<()> {
    let stop = command::StopSignal::install().map_err(|source| GanError::Io {
        action: "cannot install the Ctrl-C handler for",
        path: dir.clone(),
        source,
    })?;
    let parallel = gan::run::Parallel {
        devices: args.devices,
        nodes: args.nodes.map(|count| gan::run::Nodes {
            count,
            rank: args.node_rank.unwrap_or(0),
            address: args.node_address.clone().unwrap_or_default(),
            orchestrator: args.orchestrator.clone().unwrap_or_default(),
        }),
        timeout: std::time::Duration::from_secs(args.peer_timeout),
    };
    let report = match start(Some(stop.clone()), parallel) {
        Err(GanError::Train(gan::train::TrainError::Stopped {
            iteration,
            checkpoint,
        })) => {
            let (name, status) = command::StopSignal::describe(stop.received().unwrap_or(0));
            eprintln!(
                "stopped by {name} after iteration {iteration}; checkpoint {}\nresume with: gan train --resume {}",
                checkpoint.display(),
                dir.display()
            );
            std::process::exit(i32::from(status));
        }
        // A write that failed part-way (a full disk, a lost mount): the newest checkpoint is
        // still whole, so say how to go on once the cause is fixed.
        Err(
            e @ GanError::Train(
                gan::train::TrainError::Io { .. }
                | gan::train::TrainError::Checkpoint(gan::train::CheckpointError::Io { .. }),
            ),
        ) => match gan::train::latest_checkpoint(&dir.join("checkpoints")) {
            Some(checkpoint) => {
                eprintln!(
                    "error: {e}\nthe newest checkpoint, {}, is intact; once the cause is fixed (free disk space, for instance), resume with: gan train --resume {}",
                    checkpoint.display(),
                    dir.display()
                );
                std::process::exit(1);
            }
            None => return Err(e),
        },
        other => other?,
    };
    for skipped in &report.skipped {
        eprintln!("skipped: {skipped}");
    }
    let from = if report.started_at > 0 {
        format!(" (resumed at iteration {})", report.started_at)
    } else {
        String::new()
    };
    match &report.last {
        Some(m) => println!(
            "trained {title} in {:.1} s{from}: {}",
            report.seconds,
            m.values
                .iter()
                .filter(|(key, _)| !key.ends_with("grad_norm"))
                .map(|(key, value)| format!("{key} {value:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => println!("{name}: nothing left to train{from}"),
    }
    // A node other than node 0 of a run over several machines writes no pictures.
    for (what, file) in [("samples", "samples.png"), ("loss curve", "loss_curve.png")] {
        let path = report.dir.join(file);
        if path.is_file() {
            println!("{what}: {}", path.display());
        }
    }
    if args.node_rank.is_some_and(|rank| rank > 0) {
        println!("(node 0 writes the run directory)");
    }
    println!("{}", report.dir.display());
    Ok(())
}

/// Whether `gan train` with `args` trains a translation run: `--algorithm cyclegan`, a
/// two-domain `--dataset`, or a resumed run or `--config` file of that kind.
fn is_translation(args: &TrainArgs, resume_dir: Option<&Path>) -> bool {
    args.algorithm == Some(AlgorithmArg::Cyclegan)
        || (args.algorithm.is_none()
            && matches!(
                args.dataset,
                Some(DatasetArg::Digits | DatasetArg::Emoji | DatasetArg::FolderPair(..))
            ))
        || resume_dir
            .is_some_and(|dir| translation::is_translation_config(&dir.join("config.json")))
        || args
            .config
            .as_deref()
            .is_some_and(translation::is_translation_config)
}

/// `gan train` for a translation run (CycleGAN): the config from the resumed run, a `--config`
/// file or `--dataset` (digits by default), with the flags that apply to it.
fn train_translation(args: TrainArgs, resume_dir: Option<PathBuf>) -> Result<()> {
    let refuse = |field: &'static str, value: String, expected: &str| GanError::Invalid {
        field,
        value,
        expected: expected.into(),
    };
    if let Some(algorithm) = args.algorithm.filter(|&a| a != AlgorithmArg::Cyclegan) {
        return Err(refuse(
            "--algorithm",
            algorithm.name().into(),
            "cyclegan for a translation run (two domains: --dataset digits, emoji or folder:A,folder:B)",
        ));
    }
    let unused = [
        ("--model", args.model.map(|m| m.kind().name().to_string())),
        ("--loss", args.loss.map(|l| format!("{l:?}").to_lowercase())),
        ("--k", args.k.map(|k| k.to_string())),
        ("--ema", args.ema.map(|e| e.to_string())),
        ("--download", args.download.then(String::new)),
        (
            "--data-dir",
            args.data_dir.as_ref().map(|d| d.display().to_string()),
        ),
    ];
    for (field, value) in unused {
        if let Some(value) = value {
            return Err(refuse(
                field,
                value,
                "no such flag for --algorithm cyclegan: its networks, least-squares loss and one discriminator step are fixed (set them in a --config file), and its domains are embedded or folders",
            ));
        }
    }
    let (mut config, file_backend, file_device) = match (&resume_dir, &args.config) {
        (Some(dir), _) => (translation::load_translation_run(dir)?, None, None),
        (None, Some(path)) => {
            if let Some(dataset) = &args.dataset {
                return Err(refuse(
                    "--dataset",
                    dataset.name(),
                    "no --dataset with a translation --config file: its fields a and b name the domains",
                ));
            }
            translation::load_translation_config(path)?
        }
        (None, None) => {
            let config = match &args.dataset {
                None | Some(DatasetArg::Digits) => TranslationRunConfig::digits(),
                Some(DatasetArg::Emoji) => {
                    TranslationRunConfig::emoji(args.image_size.unwrap_or(64))
                }
                Some(DatasetArg::FolderPair(a, b)) => {
                    let size = args.image_size.unwrap_or(64);
                    let folder = |path: &PathBuf| {
                        ImageDataset::Folder(
                            ImageFolderConfig::new(path.clone())
                                .with_size(size)
                                .with_channels(3),
                        )
                    };
                    TranslationRunConfig::for_domains(folder(a), folder(b), size, 3, 3)
                }
                Some(other) => {
                    return Err(refuse(
                        "--dataset",
                        other.name(),
                        "digits, emoji or folder:A,folder:B for --algorithm cyclegan (two domains)",
                    ));
                }
            };
            (config, None, None)
        }
    };
    if let Some(size) = args.image_size
        && !matches!(
            args.dataset,
            Some(DatasetArg::FolderPair(..) | DatasetArg::Emoji)
        )
    {
        return Err(refuse(
            "--image-size",
            size.to_string(),
            "--image-size only with --dataset folder:A,folder:B or emoji",
        ));
    }
    if args.limit.is_some() {
        config.limit = args.limit;
    }
    if args.epochs.is_some() {
        config.epochs = args.epochs;
    }
    if args.steps.is_some() {
        config.epochs = None;
    }
    apply_shared_flags(
        &args,
        &mut config.training,
        &mut config.run,
        &mut config.seed,
    );
    let backend = match (args.backend.backend, file_backend) {
        (None, Some(name)) => parse_backend(&name).map_err(|e| refuse("backend", name, &e))?,
        _ => args.backend.backend()?,
    };
    let device = match (args.backend.device, file_device) {
        (None, Some(name)) => parse_device(&name).map_err(|e| refuse("device", name, &e))?,
        _ => args.backend.device(),
    };
    if args.print_config {
        let resolved = match config.epochs {
            Some(_) => {
                let (a, b) = config.load_domains(true)?;
                config.with_epochs_applied(a.len(), b.len())
            }
            None => config.clone(),
        };
        let mut json = serde_json::to_value(&resolved).expect("configs serialise");
        if let Some(fields) = json.as_object_mut() {
            fields.insert(gan::sample::KIND.into(), translation::TRANSLATION.into());
            fields.insert("backend".into(), backend.name().into());
            fields.insert("device".into(), device.to_string().into());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON values serialise")
        );
        return Ok(());
    }
    let name = config.label();
    let resume = resume_dir.is_some();
    let dir = resume_dir
        .or(args.out.clone())
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("{name}-cyclegan-{}", utc_stamp())));
    let dir_for_job = dir.clone();
    let title = format!("{name} (cyclegan) on {backend}");
    run_training(&args, dir, (title, name), |stop, parallel| {
        let job = command::TranslationJob {
            config,
            dir: dir_for_job,
            quiet: args.quiet,
            resume,
            stop,
            parallel,
        };
        command::train_translation(backend, device, job)
    })
}

/// The images of `gan translate --input` in `[-1, 1]`: a folder, a `.npy` of `[N, C, H, W]` in
/// `[0, 1]`, or one image file, at the generator's `[channels, size]`.
fn read_translation_input(input: &Path, [c, size]: [usize; 2]) -> Result<Vec<f32>> {
    let folder = ImageFolderConfig::new(input.to_path_buf())
        .with_size(size)
        .with_channels(c);
    let to_unit = |v: u8| f32::from(v) / 127.5 - 1.0;
    if input.is_dir() {
        let load = folder.load()?;
        for skipped in &load.skipped {
            eprintln!("skipped: {skipped}");
        }
        Ok(load.images.pixels().iter().map(|&v| to_unit(v)).collect())
    } else if input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        let (values, shape) = gan::sample::read_npy(input)?;
        if shape.len() != 4 || shape[1..] != [c, size, size] {
            return Err(GanError::Invalid {
                field: "--input",
                value: format!("{} of shape {shape:?}", input.display()),
                expected: format!("float32 [N, {c}, {size}, {size}] in [0, 1]"),
            });
        }
        Ok(values
            .iter()
            .map(|v| 2.0 * v.clamp(0.0, 1.0) - 1.0)
            .collect())
    } else {
        Ok(folder.decode(input)?.into_iter().map(to_unit).collect())
    }
}

/// `gan translate`: reads the images, translates them with the run's generator and writes the
/// output; nothing is written when the input or the run is refused.
fn translate(args: TranslateArgs) -> Result<()> {
    let config = translation::load_translation_run(&args.run)?;
    let (direction, generator) = match args.direction {
        DirectionArg::A2b => (Direction::AToB, &config.generator_ab),
        DirectionArg::B2a => (Direction::BToA, &config.generator_ba),
    };
    let [c, size] = [generator.channels_in, generator.image_size];
    let out_kind = match args.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") || e.eq_ignore_ascii_case("npy") => {
            e.to_ascii_lowercase()
        }
        None => "dir".into(),
        Some(_) => {
            return Err(GanError::Invalid {
                field: "--out",
                value: args.out.display().to_string(),
                expected: "FILE.png (a grid), FILE.npy (an array) or a directory name without an extension (one PNG per image)".into(),
            });
        }
    };
    let to_unit = |v: u8| f32::from(v) / 127.5 - 1.0;
    let images: Vec<f32> = match (&args.input, args.held_out) {
        (Some(input), _) => read_translation_input(input, [c, size])?,
        (None, Some(n)) => {
            let domain = match direction {
                Direction::AToB => &config.a,
                Direction::BToA => &config.b,
            };
            let set = config
                .held_out_set(domain)?
                .ok_or_else(|| GanError::Invalid {
                    field: "--held-out",
                    value: n.to_string(),
                    expected: format!(
                        "--input: the run in {} keeps no held-out images",
                        args.run.display()
                    ),
                })?;
            let n = n.clamp(1, set.len());
            set.pixels()[..n * set.features()]
                .iter()
                .map(|&v| to_unit(v))
                .collect()
        }
        (None, None) => unreachable!("clap requires --input or --held-out"),
    };
    let n = images.len() / (c * size * size);
    let (translated, [oc, oh, ow]) = command::translate(
        args.backend.backend()?,
        args.backend.device(),
        &args.run,
        direction,
        images.clone(),
    )?;
    let samples = |values: Vec<f32>, count: usize, shape: [usize; 3], columns| Samples {
        values,
        shape: vec![count, shape[0], shape[1], shape[2]],
        kind: SampleKind::Images {
            low: -1.0,
            high: 1.0,
        },
        columns,
        labels: None,
    };
    let output = samples(translated.clone(), n, [oc, oh, ow], n.min(8));
    match out_kind.as_str() {
        "npy" => output.save_npy(&args.out)?,
        "dir" => output.save_png_dir(&args.out)?,
        _ if [c, size, size] == [oc, oh, ow] => {
            // Rows of up to 8 inputs, each above its translations; whole rows only.
            let columns = n.min(8);
            let shown = if n > columns { n - n % columns } else { n };
            let per = c * size * size;
            let mut grid = Vec::with_capacity(2 * shown * per);
            for row in (0..shown).step_by(columns) {
                grid.extend_from_slice(&images[row * per..(row + columns) * per]);
                grid.extend_from_slice(&translated[row * per..(row + columns) * per]);
            }
            samples(grid, 2 * shown, [c, size, size], columns).save_png(&args.out)?;
        }
        _ => output.save_png(&args.out)?,
    }
    println!(
        "translated {n} images {} with {} -> {}",
        match direction {
            Direction::AToB => "from A to B",
            Direction::BToA => "from B to A",
        },
        args.run.display(),
        args.out.display()
    );
    Ok(())
}

fn export(args: ExportArgs) -> Result<()> {
    let e = command::export(&args.run, &args.out, args.weights.into())?;
    println!(
        "generator of {} at iteration {} ({} weights): {} tensors, {} values -> {}",
        args.run.display(),
        e.iteration,
        if e.ema { "moving-average" } else { "trained" },
        e.tensors,
        e.values,
        e.path.display()
    );
    Ok(())
}

fn sample(args: SampleArgs) -> Result<()> {
    let request = SampleRequest {
        n: args.n,
        seed: args.seed,
        label: args.label,
        weights: args.weights.into(),
        chunk: None,
    };
    // `DIR/` (or an existing directory): one PNG per sample.
    let to_dir = args.out.as_os_str().to_string_lossy().ends_with('/') || args.out.is_dir();
    if to_dir {
        if std::fs::read_dir(&args.out).is_ok_and(|mut e| e.next().is_some()) {
            return Err(GanError::Invalid {
                field: "--out",
                value: args.out.display().to_string(),
                expected: "a new or empty directory for one PNG per sample".into(),
            });
        }
    } else {
        check_out(&args.out)?;
    }
    let samples = command::sample(
        args.backend.backend()?,
        args.backend.device(),
        &args.run,
        request,
    )?;
    if to_dir {
        samples.save_png_dir(&args.out)?;
    } else {
        samples.save(&args.out)?;
    }
    println!(
        "{} samples of shape {:?}: {}{}",
        samples.len(),
        &samples.shape[1..],
        args.out.display(),
        if to_dir { " (one PNG each)" } else { "" }
    );
    let npy = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if samples.labels.is_some() && (npy || to_dir) {
        let labels = if to_dir {
            args.out.join("labels.csv")
        } else {
            gan::sample::Samples::labels_path(&args.out)
        };
        println!("labels: {}", labels.display());
    }
    Ok(())
}

fn eval(args: EvalArgs) -> Result<()> {
    let backend = args.backend.backend()?;
    if let Some(run) = args
        .run
        .as_ref()
        .filter(|run| translation::is_translation_config(&run.join("config.json")))
    {
        // A translation run is measured on its held-out images; the GAN flags do not apply.
        let unused = [
            (
                "--metric",
                (!args.metric.is_empty()).then(|| format!("{:?}", args.metric)),
            ),
            ("--n", args.n.map(|n| n.to_string())),
            (
                "--weights",
                (args.weights != WeightsArg::Inference)
                    .then(|| format!("{:?}", args.weights).to_lowercase()),
            ),
        ];
        for (field, value) in unused {
            if let Some(value) = value {
                return Err(GanError::Invalid {
                    field,
                    value,
                    expected: format!(
                        "no {field} for the translation run {}: it is measured on its held-out images (label preservation, cycle error, FID and KID in domain features)",
                        run.display()
                    ),
                });
            }
        }
        let report = command::eval_translation(
            backend,
            args.backend.device(),
            run,
            args.classifier_dir.clone(),
            args.quiet,
        )?;
        println!("{}", report.table());
        println!("{}", run.join("eval.json").display());
        return Ok(());
    }
    let request = EvalRequest {
        metrics: args.metric.clone(),
        n: args.n,
        seed: args.seed,
        weights: args.weights.into(),
        classifier_dir: args.classifier_dir,
        inception_weights: args.inception_weights,
        quiet: args.quiet,
        ..EvalRequest::default()
    };
    let target = match (args.run, args.samples, args.dataset) {
        (Some(run), _, _) => EvalTarget::Run(run),
        (None, Some(file), Some(dataset)) => {
            let data = match dataset.distribution() {
                Some(toy) => EvalData::Points(toy),
                None => EvalData::Images {
                    dataset: dataset.image_dataset(args.data_dir)?,
                    limit: args.limit,
                },
            };
            EvalTarget::Samples(file, data)
        }
        _ => {
            return Err(GanError::MissingArgument {
                argument: "--run DIR, or --samples FILE.npy with --dataset NAME",
                reason: "gan eval scores a trained run or a file of samples",
            });
        }
    };
    let report = command::eval(backend, args.backend.device(), target, request)?;
    print!("{}", report.table());
    println!("{}", report.save()?.display());
    Ok(())
}

fn interpolate(args: InterpolateArgs) -> Result<()> {
    check_out(&args.out)?;
    let samples = command::interpolate(
        args.backend.backend()?,
        args.backend.device(),
        &args.run,
        args.rows,
        args.steps,
        args.seed,
        args.code,
    )?;
    samples.save(&args.out)?;
    println!(
        "{} walks of {} steps: {}",
        args.rows,
        args.steps,
        args.out.display()
    );
    Ok(())
}

/// Fails early on an output name that is neither .png nor .npy.
fn check_out(out: &Path) -> Result<()> {
    match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") || e.eq_ignore_ascii_case("npy") => Ok(()),
        _ => Err(GanError::Invalid {
            field: "--out",
            value: out.display().to_string(),
            expected: "a file name ending in .png (a picture) or .npy (a NumPy array), or DIR/ \
                       for one PNG per sample (gan sample)"
                .into(),
        }),
    }
}

/// The current UTC time as `YYYYMMDD-HHMMSS`.
fn utc_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}
