//! The `gan` command-line tool. `gan` with no arguments trains the default job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use clap::{Args, Parser, Subcommand, ValueEnum};
use gan::backend::{BackendKind, BackendTask, DeviceChoice, run_on};
use gan::data::{DatasetSource, ImageDataset, ImageFolderConfig, Toy2d};
use gan::image::{ImageRunConfig, run_images};
use gan::toy::{ToyRunConfig, run_toy};
use gan::train::{Metrics, Observer, RunConfig, TrainConfig};
use gan::{GanError, Result};
use indicatif::{ProgressBar, ProgressStyle};

/// Generative adversarial networks on Burn.
#[derive(Parser, Debug)]
#[command(name = "gan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a GAN and write a run directory (the default command).
    Train(TrainArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DatasetArg {
    /// The 10,000 MNIST digits built into the program (DCGAN; the default).
    MnistEmbedded,
    /// MNIST from IDX files (--data-dir, or the cache; --download fetches them).
    Mnist,
    /// Fashion-MNIST from IDX files (Debian's dataset-fashion-mnist is found on its own).
    FashionMnist,
    /// CIFAR-10 binary batches (--data-dir, or the cache; --download fetches them).
    Cifar10,
    /// A folder of PNG/JPEG images given by --data-dir (e.g. CelebA), cropped and resized.
    Folder,
    /// Ring of 8 Gaussians (radius 2, std 0.02).
    Ring8,
    /// 5x5 grid of Gaussians (std 0.05).
    Grid25,
    /// Two moons.
    Moons,
    /// Two-turn spiral.
    Spiral,
}

impl DatasetArg {
    /// The toy distribution, for the 2-D datasets.
    fn distribution(self) -> Option<Toy2d> {
        Some(match self {
            DatasetArg::Ring8 => Toy2d::ring8(),
            DatasetArg::Grid25 => Toy2d::grid25(),
            DatasetArg::Moons => Toy2d::moons(),
            DatasetArg::Spiral => Toy2d::spiral(),
            _ => return None,
        })
    }

    /// The image dataset and the networks' (image size, channels) for it.
    fn images(self, args: &TrainArgs) -> Result<Option<(ImageDataset, usize, usize)>> {
        let source = || DatasetSource {
            dir: args.data_dir.clone(),
            download: args.download,
            ..DatasetSource::default()
        };
        Ok(Some(match self {
            DatasetArg::MnistEmbedded => (ImageDataset::EmbeddedMnist, 28, 1),
            DatasetArg::Mnist => (ImageDataset::Mnist(source()), 28, 1),
            DatasetArg::FashionMnist => (ImageDataset::FashionMnist(source()), 28, 1),
            DatasetArg::Cifar10 => (ImageDataset::Cifar10(source()), 32, 3),
            DatasetArg::Folder => {
                let dir = args.data_dir.clone().ok_or(GanError::MissingArgument {
                    argument: "--data-dir",
                    reason: "--dataset folder reads the images of a directory",
                })?;
                let size = args.image_size.unwrap_or(64);
                let folder = ImageFolderConfig::new(dir).with_size(size).with_channels(3);
                (ImageDataset::Folder(folder), size, 3)
            }
            _ => return Ok(None),
        }))
    }
}

#[derive(Args, Debug, Default)]
struct TrainArgs {
    /// JSON run config to start from; flags given on the command line override its fields.
    #[arg(long, value_name = "FILE.json")]
    config: Option<PathBuf>,
    /// Dataset to train on (default: mnist-embedded).
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
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
    /// Side of the images for --dataset folder: 28, 32 or 64.
    #[arg(long, value_name = "PX")]
    image_size: Option<usize>,
    /// Iterations of Algorithm 1.
    #[arg(long)]
    steps: Option<usize>,
    /// Discriminator steps per generator step.
    #[arg(long)]
    k: Option<usize>,
    /// Minibatch size.
    #[arg(long)]
    batch: Option<usize>,
    /// Random seed (weights, data, noise).
    #[arg(long)]
    seed: Option<u64>,
    /// Backend: flex, ndarray, wgpu or tch (each needs its Cargo feature).
    #[arg(long, value_parser = parse_backend)]
    backend: Option<BackendKind>,
    /// Device: default, cpu, cuda:N (tch) or gpu:N (wgpu).
    #[arg(long, value_parser = parse_device, default_value = "default")]
    device: DeviceChoice,
    /// Run directory (default: runs/<dataset>-mlp-<UTC time>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this directory from its newest checkpoint (its config.json is the
    /// base config; only --steps may change it).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["out", "config"])]
    resume: Option<PathBuf>,
    /// The adversarial loss.
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    /// Write a checkpoint every N iterations (0: only at the end).
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<usize>,
    /// Draw samples every N iterations (0: only at the end).
    #[arg(long, value_name = "N")]
    sample_every: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LossArg {
    /// The 2014 minimax game (saturating generator loss).
    Minimax,
    /// Non-saturating: G maximises log D(G(z)).
    NonSaturating,
    /// Least squares (LSGAN).
    LeastSquares,
    /// Wasserstein with weight clipping at 0.01 and RMSProp (WGAN).
    Wgan,
    /// Wasserstein with gradient penalty, lambda 10, Adam (0, 0.9) (WGAN-GP).
    WganGp,
    /// Hinge.
    Hinge,
}

impl LossArg {
    fn apply(self, training: &mut TrainConfig) {
        use gan::train::{AdamParams, GanLoss, GradientPenalty, OptimizerConfig, RmsPropParams};
        training.weight_clip = None;
        training.penalty = None;
        training.loss = match self {
            LossArg::Minimax => GanLoss::Minimax,
            LossArg::NonSaturating => GanLoss::NonSaturating,
            LossArg::LeastSquares => GanLoss::LeastSquares,
            LossArg::Hinge => GanLoss::Hinge,
            LossArg::Wgan => {
                training.weight_clip = Some(0.01);
                training.g_optimizer = OptimizerConfig::RmsProp(RmsPropParams::new());
                training.d_optimizer = OptimizerConfig::RmsProp(RmsPropParams::new());
                training.g_lr = 5e-5;
                training.d_lr = 5e-5;
                training.k = 5;
                GanLoss::Wasserstein
            }
            LossArg::WganGp => {
                training.penalty = Some(GradientPenalty::wgan_gp());
                let adam =
                    OptimizerConfig::Adam(AdamParams::new().with_beta_1(0.0).with_beta_2(0.9));
                training.g_optimizer = adam.clone();
                training.d_optimizer = adam;
                training.k = 5;
                GanLoss::Wasserstein
            }
        };
    }
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
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train(args),
        None => train(TrainArgs::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A run of either kind, as saved in `config.json`.
enum RunSpec {
    Toy(ToyRunConfig),
    Images(ImageRunConfig),
}

impl RunSpec {
    /// Reads a config file; the kind follows from its `dataset` (a 2-D distribution or images).
    fn load(path: &Path) -> Result<Self> {
        let err = |source| GanError::Config {
            path: path.to_path_buf(),
            source,
        };
        let text = std::fs::read_to_string(path).map_err(|source| GanError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })?;
        let toy = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("dataset").cloned())
            .is_some_and(|d| serde_json::from_value::<Toy2d>(d).is_ok());
        Ok(if toy {
            RunSpec::Toy(ToyRunConfig::load(path).map_err(err)?)
        } else {
            RunSpec::Images(ImageRunConfig::load(path).map_err(err)?)
        })
    }

    fn parts(&mut self) -> (&mut TrainConfig, &mut RunConfig, &mut u64) {
        match self {
            RunSpec::Toy(c) => (&mut c.training, &mut c.run, &mut c.seed),
            RunSpec::Images(c) => (&mut c.training, &mut c.run, &mut c.seed),
        }
    }

    /// The dataset's name in run directories and messages.
    fn label(&self) -> String {
        match self {
            RunSpec::Toy(c) => dataset_label(&c.dataset),
            RunSpec::Images(c) => c.dataset.label(),
        }
    }
}

fn train(args: TrainArgs) -> Result<()> {
    let base = args
        .resume
        .as_ref()
        .map(|dir| dir.join("config.json"))
        .or(args.config.clone());
    let mut spec = match &base {
        Some(path) => RunSpec::load(path)?,
        None => RunSpec::Images(ImageRunConfig::new()),
    };
    if let Some(dataset) = args.dataset {
        if let Some(dist) = dataset.distribution() {
            match &mut spec {
                RunSpec::Toy(c) => c.dataset = dist,
                RunSpec::Images(_) => spec = RunSpec::Toy(ToyRunConfig::new().with_dataset(dist)),
            }
        } else if let Some((images, size, channels)) = dataset.images(&args)? {
            let config = match spec {
                RunSpec::Images(c) => c,
                RunSpec::Toy(_) => ImageRunConfig::new(),
            };
            spec = RunSpec::Images(config.with_dataset(images).with_image_shape(size, channels));
        }
    }
    if let RunSpec::Images(c) = &mut spec
        && args.limit.is_some()
    {
        c.limit = args.limit;
    }
    let (training, run, seed) = spec.parts();
    if let Some(loss) = args.loss {
        loss.apply(training);
    }
    if let Some(n) = args.checkpoint_every {
        run.checkpoint_every = n;
    }
    if let Some(n) = args.sample_every {
        run.sample_every = n;
    }
    if let Some(steps) = args.steps {
        training.iterations = steps;
    }
    if let Some(k) = args.k {
        training.k = k;
    }
    if let Some(batch) = args.batch {
        training.batch_size = batch;
    }
    if let Some(s) = args.seed {
        *seed = s;
    }
    let backend = match args.backend {
        Some(b) => b,
        None => BackendKind::default_compiled().ok_or(gan::backend::BackendError::NotCompiled {
            backend: BackendKind::Flex,
            feature: "flex",
        })?,
    };
    let dataset_name = spec.label();
    let model = match spec {
        RunSpec::Toy(_) => "mlp",
        RunSpec::Images(_) => "dcgan",
    };
    let resume = args.resume.is_some();
    let dir = args.resume.or(args.out).unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{dataset_name}-{model}-{}", utc_stamp()))
    });

    let task = TrainTask {
        spec,
        dir,
        quiet: args.quiet,
        resume,
    };
    let report = run_on(backend, args.device, task)??;
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
            "trained {dataset_name} on {backend} in {:.1} s{from}: loss D {:.4}, G {:.4}, \
             D(x) {:.3}, D(G(z)) {:.3}",
            report.seconds, m.d_loss, m.g_loss, m.d_real, m.d_fake
        ),
        None => println!("{dataset_name}: nothing left to train{from}"),
    }
    println!("samples: {}", report.dir.join("samples.png").display());
    println!(
        "loss curve: {}",
        report.dir.join("loss_curve.png").display()
    );
    println!("{}", report.dir.display());
    Ok(())
}

/// The dataset's name in run directories and messages: `ring8`, `grid25`, `moons`, `spiral`.
fn dataset_label(dist: &Toy2d) -> String {
    match dist {
        Toy2d::Ring(c) => format!("ring{}", c.modes),
        Toy2d::Grid(c) => format!("grid{}", c.side * c.side),
        Toy2d::Moons(_) => "moons".into(),
        Toy2d::Spiral(_) => "spiral".into(),
    }
}

struct TrainTask {
    spec: RunSpec,
    dir: PathBuf,
    quiet: bool,
    resume: bool,
}

/// What the command prints about a finished run.
struct Report {
    dir: PathBuf,
    last: Option<Metrics>,
    seconds: f64,
    started_at: usize,
    skipped: Vec<String>,
}

impl BackendTask for TrainTask {
    type Output = Result<Report>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let mut bar = Bar::new(self.quiet);
        let dir = Path::new(&self.dir);
        Ok(match &self.spec {
            RunSpec::Toy(config) => {
                let r = run_toy::<B>(config, dir, &device, self.resume, &mut [&mut bar])?;
                Report {
                    dir: r.dir,
                    last: r.last,
                    seconds: r.seconds,
                    started_at: r.started_at,
                    skipped: Vec::new(),
                }
            }
            RunSpec::Images(config) => {
                let r = run_images::<B>(
                    config,
                    dir,
                    &device,
                    self.resume,
                    self.quiet,
                    &mut [&mut bar],
                )?;
                Report {
                    dir: r.dir,
                    last: r.last,
                    seconds: r.seconds,
                    started_at: r.started_at,
                    skipped: r.skipped,
                }
            }
        })
    }
}

/// A terminal progress bar with ETA and the current losses.
struct Bar(ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, ETA {eta}) {msg}",
            )
            .expect("valid progress template"),
        );
        Self(bar)
    }
}

impl Observer for Bar {
    fn on_start(&mut self, first: usize, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(first as u64);
        self.0.reset_eta();
    }

    fn on_iteration(&mut self, iteration: usize) {
        self.0.set_position(iteration as u64);
    }

    fn on_metrics(&mut self, m: &Metrics) {
        self.0.set_message(format!(
            "D {:.3} G {:.3} D(x) {:.2} D(G(z)) {:.2}",
            m.d_loss, m.g_loss, m.d_real, m.d_fake
        ));
    }

    fn on_checkpoint(&mut self, iteration: usize, _: &Path) {
        self.0
            .println(format!("checkpoint at iteration {iteration}"));
    }

    fn on_finish(&mut self) {
        self.0.finish();
    }
}

/// The current UTC time as `YYYYMMDD-HHMMSS`.
fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
