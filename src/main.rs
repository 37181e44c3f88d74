//! The `gan` command-line tool. `gan` with no arguments trains the default job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use clap::{Args, Parser, Subcommand, ValueEnum};
use gan::backend::{BackendKind, BackendTask, DeviceChoice, run_on};
use gan::data::Toy2d;
use gan::toy::{ToyRunConfig, ToyRunReport, run_toy};
use gan::train::{Metrics, Observer, TrainConfig};
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
    fn distribution(self) -> Toy2d {
        match self {
            DatasetArg::Ring8 => Toy2d::ring8(),
            DatasetArg::Grid25 => Toy2d::grid25(),
            DatasetArg::Moons => Toy2d::moons(),
            DatasetArg::Spiral => Toy2d::spiral(),
        }
    }
}

#[derive(Args, Debug, Default)]
struct TrainArgs {
    /// JSON run config to start from; flags given on the command line override its fields.
    #[arg(long, value_name = "FILE.json")]
    config: Option<PathBuf>,
    /// Dataset to train on.
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
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

fn train(args: TrainArgs) -> Result<()> {
    let base = args
        .resume
        .as_ref()
        .map(|dir| dir.join("config.json"))
        .or(args.config.clone());
    let mut config = match &base {
        Some(path) => ToyRunConfig::load(path).map_err(|source| GanError::Config {
            path: path.clone(),
            source,
        })?,
        None => ToyRunConfig::new(),
    };
    if let Some(loss) = args.loss {
        loss.apply(&mut config.training);
    }
    if let Some(n) = args.checkpoint_every {
        config.run.checkpoint_every = n;
    }
    if let Some(n) = args.sample_every {
        config.run.sample_every = n;
    }
    if let Some(dataset) = args.dataset {
        config.dataset = dataset.distribution();
    }
    if let Some(steps) = args.steps {
        config.training.iterations = steps;
    }
    if let Some(k) = args.k {
        config.training.k = k;
    }
    if let Some(batch) = args.batch {
        config.training.batch_size = batch;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let backend = match args.backend {
        Some(b) => b,
        None => BackendKind::default_compiled().ok_or(gan::backend::BackendError::NotCompiled {
            backend: BackendKind::Flex,
            feature: "flex",
        })?,
    };
    let dataset_name = dataset_label(&config.dataset);
    let resume = args.resume.is_some();
    let dir = args.resume.or(args.out).unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{dataset_name}-mlp-{}", utc_stamp()))
    });

    let task = ToyTask {
        config,
        dir,
        quiet: args.quiet,
        resume,
    };
    let report = run_on(backend, args.device, task)??;
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

struct ToyTask {
    config: ToyRunConfig,
    dir: PathBuf,
    quiet: bool,
    resume: bool,
}

impl BackendTask for ToyTask {
    type Output = Result<ToyRunReport>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let mut bar = Bar::new(self.quiet);
        run_toy::<B>(
            &self.config,
            Path::new(&self.dir),
            &device,
            self.resume,
            &mut [&mut bar],
        )
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
