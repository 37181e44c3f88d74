//! Evaluating a trained run (`gan eval`): draws samples from its generator, computes the
//! requested metrics of [`gan_eval`] against held-out real data, prints a table and writes
//! `eval.json` into the run directory.
//!
//! Which real images each metric uses:
//!
//! | dataset | Parzen validation / test | domain classifier trained on / checked on | FID/KID/PRDC reference |
//! |---|---|---|---|
//! | `mnist-embedded` | digits 8,000-8,999 / 9,000-9,999 | digits 0-8,999 / 9,000-9,999 | all 10,000 |
//! | `mnist`, `fashion-mnist`, `cifar10` | test images 0-999 / 1,000-9,999 | training split / test split | test split |
//! | `folder:PATH` | second-last / last 1,000 images | first 90% / last 10% | all images |
//!
//! A run that trained on the Parzen test images (the embedded digits without `--limit 8000`,
//! for instance) gets a note saying so in the report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use gan_data::{DatasetSource, ImageDataset, ImageSet, Split, Toy2d};
use gan_eval::classifier::{
    accuracy, cache_paths, classifier_config_for, load_classifier, save_classifier,
    train_classifier, unit_pixels,
};
use gan_eval::{
    ClassifierCard, ClassifierScore, ClassifierTrainingConfig, DomainClassifier, Features,
    FidInception, Kid, KidConfig, ModeCoverage, ParzenEstimate, Prdc,
};
use gan_train::GeneratorWeights;
use serde::Serialize;

use crate::error::{GanError, Result};
use crate::sample::{RunSpec, SampleRequest, sample_run};

/// A metric of `gan eval --metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Parzen-window log-likelihood of held-out images (image runs).
    Parzen,
    /// Modes captured, high-quality share and reverse KL (ring and grid runs).
    Modes,
    /// Fréchet distance of domain-classifier features (image runs).
    Fid,
    /// Kernel distance of domain-classifier features (image runs).
    Kid,
    /// Classifier score, Inception-Score style, with the domain classifier (image runs).
    Is,
    /// Precision, recall, density and coverage of domain-classifier features (image runs).
    Prdc,
    /// FID and KID of Inception-v3 pool3 features, comparable with published figures (image
    /// runs; about 6 GFLOPs per image, meant for a GPU).
    Inception,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 7] = [
        Metric::Parzen,
        Metric::Modes,
        Metric::Fid,
        Metric::Kid,
        Metric::Is,
        Metric::Prdc,
        Metric::Inception,
    ];

    /// The metrics computed when none is asked for: all that apply, except the Inception
    /// network (hours on a CPU for 10,000 images).
    pub fn defaults(data: &EvalData) -> Vec<Metric> {
        Self::ALL
            .into_iter()
            .filter(|m| *m != Metric::Inception && m.applies_to(data))
            .collect()
    }

    /// The metric's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Parzen => "parzen",
            Metric::Modes => "modes",
            Metric::Fid => "fid",
            Metric::Kid => "kid",
            Metric::Is => "is",
            Metric::Prdc => "prdc",
            Metric::Inception => "inception",
        }
    }

    /// Whether the metric applies to samples of this data.
    pub fn applies_to(self, data: &EvalData) -> bool {
        match data {
            EvalData::Points(toy) => self == Metric::Modes && !toy.modes().is_empty(),
            EvalData::Images { .. } => self != Metric::Modes,
        }
    }

    fn needs_classifier(self) -> bool {
        // The Inception metrics need none.
        matches!(self, Metric::Fid | Metric::Kid | Metric::Is | Metric::Prdc)
    }
}

/// The data generated samples are compared with.
#[derive(Debug, Clone)]
pub enum EvalData {
    /// A 2-D distribution (mode coverage).
    Points(Toy2d),
    /// An image dataset; `limit` is how many of its training images the generator saw (`None`:
    /// all), for the note on Parzen test images a run trained on.
    Images {
        /// The dataset.
        dataset: ImageDataset,
        /// Images of the training split the generator was trained on.
        limit: Option<usize>,
    },
}

impl EvalData {
    /// The data a run was trained on.
    pub fn of_run(spec: &RunSpec) -> Self {
        match spec {
            RunSpec::Toy(c) => EvalData::Points(c.dataset.clone()),
            RunSpec::Images(c) => EvalData::Images {
                dataset: c.dataset.clone(),
                limit: c.limit,
            },
        }
    }

    /// The dataset's name.
    pub fn label(&self) -> String {
        match self {
            EvalData::Points(toy) => toy_label(toy),
            EvalData::Images { dataset, .. } => dataset.label(),
        }
    }
}

fn toy_label(toy: &Toy2d) -> String {
    match toy {
        Toy2d::Ring(r) => format!("ring{}", r.modes),
        Toy2d::Grid(g) => format!("grid{}", g.side * g.side),
        Toy2d::Moons(_) => "moons".into(),
        Toy2d::Spiral(_) => "spiral".into(),
    }
}

/// What `gan eval` computes.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    /// The metrics; empty means [`Metric::defaults`].
    pub metrics: Vec<Metric>,
    /// Generated samples (default: 10,000 for images, as Lucic et al. and the Parzen
    /// protocol; 2,500 for 2-D runs, as PacGAN).
    pub n: Option<usize>,
    /// Seed of the generator's noise.
    pub seed: u64,
    /// Which generator weights to evaluate.
    pub weights: GeneratorWeights,
    /// Where trained domain classifiers are cached (default: `classifiers/` under the
    /// dataset cache, [`gan_data::cache_dir`]).
    pub classifier_dir: Option<PathBuf>,
    /// How the domain classifier is trained when it is not cached yet.
    pub classifier_training: ClassifierTrainingConfig,
    /// The converted FID Inception weights (default
    /// [`gan_eval::default_inception_weights`]).
    pub inception_weights: Option<PathBuf>,
    /// No download progress bars.
    pub quiet: bool,
}

impl Default for EvalRequest {
    fn default() -> Self {
        Self {
            metrics: Vec::new(),
            n: None,
            seed: 0,
            weights: GeneratorWeights::Inference,
            classifier_dir: None,
            classifier_training: ClassifierTrainingConfig::new(),
            inception_weights: None,
            quiet: false,
        }
    }
}

/// The domain-feature metrics and the classifier behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainMetrics {
    /// The classifier (its card from the cache).
    pub classifier: ClassifierCard,
    /// Real images the generated ones are compared with.
    pub real_images: usize,
    /// Fréchet distance of the feature layer.
    pub fid: Option<f64>,
    /// Kernel distance of the feature layer (100 subsets of 1,000).
    pub kid: Option<Kid>,
    /// Classifier score of the generated images.
    pub classifier_score: Option<ClassifierScore>,
    /// Classifier score of the real images, for scale.
    pub real_classifier_score: Option<ClassifierScore>,
    /// Precision, recall, density and coverage with k = 3 (Kynkäänniemi et al.).
    pub prdc: Option<Prdc>,
    /// Share of generated images the classifier assigns a class with probability >= 0.9.
    pub confident: f64,
    /// Share of generated images per predicted class.
    pub class_shares: Vec<f64>,
}

/// The metrics of real data scored in place of the samples: what a generator that reproduced
/// the data would get, at the same sample count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealFigures {
    /// Which real data, against which.
    pub what: String,
    /// Mode coverage of points drawn from the mixture (2-D runs).
    pub modes: Option<ModeCoverage>,
    /// Parzen-window log-likelihood with real images as the kernels.
    pub parzen: Option<ParzenEstimate>,
    /// Domain-feature metrics of real images.
    pub domain: Option<DomainMetrics>,
}

/// FID and KID on Inception-v3 pool3 features.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InceptionMetrics {
    /// Fréchet Inception Distance.
    pub fid: f64,
    /// Kernel Inception Distance (100 subsets of up to 1,000).
    pub kid: Kid,
    /// Real images the generated ones are compared with.
    pub real_images: usize,
    /// The weights file.
    pub weights: PathBuf,
}

/// What `gan eval` found; saved as `eval.json` in the run directory, or beside a samples file
/// as `NAME.eval.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The run directory, or the `.npy` file of samples.
    pub run: PathBuf,
    /// The dataset's name.
    pub dataset: String,
    /// The model's name (`samples file` for a `.npy` file).
    pub model: String,
    /// The checkpoint evaluated (`None` for a samples file).
    pub checkpoint: Option<PathBuf>,
    /// Which generator weights (`-` for a samples file).
    pub weights: String,
    /// The metrics computed.
    pub metrics: Vec<Metric>,
    /// Generated samples.
    pub samples: usize,
    /// Seed of their noise.
    pub seed: u64,
    /// Backend and device.
    pub backend: String,
    /// Wall-clock seconds of the evaluation.
    pub seconds: f64,
    /// Mode coverage (2-D runs).
    pub modes: Option<ModeCoverage>,
    /// Parzen-window log-likelihood (image runs).
    pub parzen: Option<ParzenEstimate>,
    /// Domain-feature metrics (image runs).
    pub domain: Option<DomainMetrics>,
    /// Inception-feature metrics (image runs).
    pub inception: Option<InceptionMetrics>,
    /// The same metrics of real data in place of the samples (Inception's excepted, which
    /// would double the evaluation's longest part): for scale.
    pub real: Option<RealFigures>,
    /// Caveats: held-out images the run trained on, and the like.
    pub notes: Vec<String>,
}

impl EvalReport {
    /// A report of a samples file with no results yet.
    fn empty(
        run: &Path,
        data: &EvalData,
        metrics: Vec<Metric>,
        samples: usize,
        seed: u64,
        backend: &str,
    ) -> Self {
        Self {
            run: run.to_path_buf(),
            dataset: data.label(),
            model: "samples file".into(),
            checkpoint: None,
            weights: "-".into(),
            metrics,
            samples,
            seed,
            backend: backend.into(),
            seconds: 0.0,
            modes: None,
            parzen: None,
            domain: None,
            inception: None,
            real: None,
            notes: Vec::new(),
        }
    }

    /// A readable table of the results.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "run {} ({} {}, {} weights, {} samples, seed {}, {})",
            self.run.display(),
            self.dataset,
            self.model,
            self.weights,
            self.samples,
            self.seed,
            self.backend
        );
        let _ = writeln!(
            t,
            "{:<30} {:>19} {:>19}  better",
            "metric", "value", "real data"
        );
        let mut row = |name: &str, value: String, real: Option<String>, better: &str| {
            let real = real.unwrap_or_else(|| "-".into());
            let _ = writeln!(t, "{name:<30} {value:>19} {real:>19}  {better}");
        };
        let real = self.real.as_ref();
        if let Some(m) = &self.modes {
            let r = real.and_then(|r| r.modes.as_ref());
            let captured = |m: &ModeCoverage| format!("{} / {}", m.modes_captured, m.modes);
            let quality = |m: &ModeCoverage| format!("{:.1}%", 100.0 * m.high_quality);
            let kl = |m: &ModeCoverage| format!("{:.4}", m.reverse_kl);
            row("modes captured", captured(m), r.map(captured), "higher");
            row(
                "high-quality samples (3 sigma)",
                quality(m),
                r.map(quality),
                "higher",
            );
            row("reverse KL to uniform", kl(m), r.map(kl), "lower");
        }
        if let Some(p) = &self.parzen {
            let r = real.and_then(|r| r.parzen.as_ref());
            let ll = |p: &ParzenEstimate| format!("{:.1} ± {:.1}", p.mean, p.std_err);
            let sigma = |p: &ParzenEstimate| format!("{:.4}", p.sigma);
            row("Parzen log-likelihood (nats)", ll(p), r.map(ll), "higher");
            row("Parzen sigma", sigma(p), r.map(sigma), "-");
        }
        if let Some(d) = &self.domain {
            let r = real.and_then(|r| r.domain.as_ref());
            let fid = |d: &DomainMetrics| d.fid.map(|f| format!("{f:.3}"));
            let kid = |d: &DomainMetrics| {
                d.kid
                    .as_ref()
                    .map(|k| format!("{:.3} ± {:.3}", k.mean, k.std))
            };
            let score = |d: &DomainMetrics| {
                d.classifier_score
                    .as_ref()
                    .map(|s| format!("{:.3} ± {:.3}", s.mean, s.std))
            };
            if let Some(f) = fid(d) {
                row("FID (domain features)", f, r.and_then(fid), "lower");
            }
            if let Some(k) = kid(d) {
                row("KID (domain features)", k, r.and_then(kid), "lower");
            }
            if let Some(s) = score(d) {
                row("classifier score", s, r.and_then(score), "higher");
            }
            let confident = |d: &DomainMetrics| format!("{:.1}%", 100.0 * d.confident);
            row(
                "confident (p >= 0.9)",
                confident(d),
                r.map(confident),
                "higher",
            );
            let shares = |d: &DomainMetrics| {
                let (lo, hi) = d
                    .class_shares
                    .iter()
                    .fold((f64::MAX, 0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
                format!("{:.1}% / {:.1}%", 100.0 * lo, 100.0 * hi)
            };
            row(
                "rarest / commonest class",
                shares(d),
                r.map(shares),
                "closer",
            );
            let pr = |d: &DomainMetrics| {
                d.prdc
                    .as_ref()
                    .map(|p| format!("{:.3} / {:.3}", p.precision, p.recall))
            };
            let dc = |d: &DomainMetrics| {
                d.prdc
                    .as_ref()
                    .map(|p| format!("{:.3} / {:.3}", p.density, p.coverage))
            };
            if let Some(v) = pr(d) {
                row("precision / recall (k = 3)", v, r.and_then(pr), "higher");
            }
            if let Some(v) = dc(d) {
                row("density / coverage (k = 3)", v, r.and_then(dc), "higher");
            }
        }
        if let Some(i) = &self.inception {
            row("FID (Inception-v3)", format!("{:.3}", i.fid), None, "lower");
            row(
                "KID x 1000 (Inception-v3)",
                format!("{:.3} ± {:.3}", 1000.0 * i.kid.mean, 1000.0 * i.kid.std),
                None,
                "lower",
            );
        }
        if let Some(d) = &self.domain {
            let _ = writeln!(
                t,
                "domain classifier: {} held-out accuracy {:.2}% ({} images); its features \
                 compare runs of this project only",
                d.classifier.dataset,
                100.0 * d.classifier.held_out_accuracy,
                d.classifier.held_out_images
            );
        }
        if let Some(r) = real {
            let _ = writeln!(t, "real data: {}", r.what);
        }
        let _ = writeln!(
            t,
            "better: which way is better (closer: both shares near 1 / classes). The papers' \
             figures{}: docs/results.md",
            if self.inception.is_some() {
                ", and real against real on Inception features"
            } else {
                ""
            }
        );
        for note in &self.notes {
            let _ = writeln!(t, "note: {note}");
        }
        t
    }

    /// Where [`Self::save`] writes: `eval.json` in the run directory, or `NAME.eval.json`
    /// beside a samples file `NAME.npy`.
    pub fn json_path(&self) -> PathBuf {
        if self.checkpoint.is_some() {
            self.run.join("eval.json")
        } else {
            self.run.with_extension("eval.json")
        }
    }

    /// Writes the report as JSON (atomically) to [`Self::json_path`] and returns that path.
    pub fn save(&self) -> Result<PathBuf> {
        let path = self.json_path();
        let json = serde_json::to_vec_pretty(self).expect("the report serialises");
        crate::sample::write_file(&path, &json)?;
        Ok(path)
    }
}

/// Real images for an image run's metrics (see the module docs).
struct RealData {
    /// The classifier's training images.
    train: ImageSet,
    train_index: Vec<usize>,
    /// Images the classifier's accuracy is measured on.
    check: ImageSet,
    check_index: Vec<usize>,
    /// Parzen validation and test images, and the FID reference set.
    held_out: ImageSet,
    validation: Vec<usize>,
    test: Vec<usize>,
    reference: Vec<usize>,
    /// How many images of `held_out` a run may train on without touching the Parzen test.
    clean_limit: Option<usize>,
}

fn with_split(dataset: &ImageDataset, split: Split) -> ImageDataset {
    let set = |s: &DatasetSource| DatasetSource { split, ..s.clone() };
    match dataset {
        ImageDataset::Mnist(s) => ImageDataset::Mnist(set(s)),
        ImageDataset::FashionMnist(s) => ImageDataset::FashionMnist(set(s)),
        ImageDataset::Cifar10(s) => ImageDataset::Cifar10(set(s)),
        other => other.clone(),
    }
}

fn real_data(dataset: &ImageDataset, quiet: bool) -> Result<RealData> {
    let range = |a: usize, b: usize| (a..b).collect::<Vec<_>>();
    match dataset {
        ImageDataset::EmbeddedMnist => {
            let set = gan_data::embedded_mnist();
            let n = set.len();
            Ok(RealData {
                train: set.clone(),
                train_index: range(0, n - 1000),
                check: set.clone(),
                check_index: range(n - 1000, n),
                held_out: set,
                validation: range(n - 2000, n - 1000),
                test: range(n - 1000, n),
                reference: range(0, n),
                clean_limit: Some(n - 2000),
            })
        }
        ImageDataset::Folder(_) | ImageDataset::Optdigits | ImageDataset::Emoji(_) => {
            let (set, _) = dataset.load(quiet)?;
            let n = set.len();
            if n < 2100 {
                return Err(GanError::Invalid {
                    field: "dataset",
                    value: format!("{} ({n} images)", dataset.label()),
                    expected: "at least 2,100 images for held-out evaluation".into(),
                });
            }
            let split = n - n / 10;
            Ok(RealData {
                train: set.clone(),
                train_index: range(0, split),
                check: set.clone(),
                check_index: range(split, n),
                held_out: set,
                validation: range(n - 2000, n - 1000),
                test: range(n - 1000, n),
                reference: range(0, n),
                clean_limit: Some(n - 2000),
            })
        }
        _ => {
            let (train, _) = with_split(dataset, Split::Train).load(quiet)?;
            let (test, _) = with_split(dataset, Split::Test).load(quiet)?;
            let n = test.len();
            Ok(RealData {
                train_index: range(0, train.len()),
                train,
                check_index: range(0, n),
                check: test.clone(),
                validation: range(0, 1000.min(n)),
                test: range(1000.min(n), n),
                reference: range(0, n),
                held_out: test,
                clean_limit: None,
            })
        }
    }
}

/// `n` generated samples in `[0, 1]` (images) or as points, generated 500 at a time (chunk
/// `c` uses noise seed `seed + c`), with the sample shape.
fn generate<B: Backend>(
    dir: &Path,
    n: usize,
    seed: u64,
    weights: GeneratorWeights,
    device: &B::Device,
) -> Result<(Vec<f32>, Vec<usize>)> {
    let request = SampleRequest {
        n,
        seed,
        label: None,
        weights,
        chunk: Some(500),
    };
    let samples = sample_run::<B>(dir, &request, device)?;
    Ok((samples.unit_values(), samples.shape[1..].to_vec()))
}

/// The domain classifier for `dataset`: loaded from the cache, or trained and cached.
fn domain_classifier<B: AutodiffBackend>(
    label: &str,
    real: &RealData,
    request: &EvalRequest,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<(DomainClassifier<B::InnerBackend>, ClassifierCard)> {
    let config = classifier_config_for(&real.train)?;
    let dir = request
        .classifier_dir
        .clone()
        .unwrap_or_else(|| gan_data::cache_dir().join("classifiers"));
    let (weights, card_path) = cache_paths(&dir, label, &config, &request.classifier_training);
    if let Some(found) = load_classifier::<B::InnerBackend>(&weights, &card_path, &config, device)?
    {
        log(format!("domain classifier: {}", weights.display()));
        return Ok(found);
    }
    log(format!(
        "training the domain classifier on {} {} images (cached in {})",
        real.train_index.len(),
        label,
        dir.display()
    ));
    let mut last = Instant::now();
    let model = train_classifier::<B>(
        &real.train,
        &real.train_index,
        &config,
        &request.classifier_training,
        device,
        &mut |epoch, step, steps, loss| {
            if last.elapsed().as_secs_f64() > 2.0 || step + 1 == steps {
                last = Instant::now();
                log(format!(
                    "classifier epoch {}/{} step {}/{steps} loss {loss:.4}",
                    epoch + 1,
                    request.classifier_training.epochs,
                    step + 1
                ));
            }
        },
    )?;
    let acc = accuracy(&model, &real.check, &real.check_index, device);
    let card = ClassifierCard {
        dataset: label.to_string(),
        config: serde_json::to_value(&config).expect("serialisable"),
        training: serde_json::to_value(&request.classifier_training).expect("serialisable"),
        train_images: real.train_index.len(),
        held_out_accuracy: acc,
        held_out_images: real.check_index.len(),
        sha256: String::new(),
    };
    let card = save_classifier(&model, &weights, &card_path, card)?;
    log(format!("classifier held-out accuracy {:.2}%", 100.0 * acc));
    Ok((model, card))
}

/// Inception features of `images` (`[n, c, h, w]` in `[0, 1]`), 25 at a time. `after` more
/// images wait for the same network in this evaluation: when the speed of the first 50 says
/// that all of them will take more than 10 minutes (a CPU, usually), a warning says how long
/// and what a smaller `--n` costs.
fn inception_features<B: Backend>(
    model: &FidInception<B>,
    images: &[f32],
    shape: [usize; 3],
    what: &str,
    after: usize,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<Features> {
    let per: usize = shape.iter().product();
    let n = images.len() / per;
    let mut out = Features::empty(gan_eval::inception::FEATURES);
    let start = Instant::now();
    for from in (0..n).step_by(25) {
        let to = (from + 25).min(n);
        let x = Tensor::<B, 4>::from_data(
            TensorData::new(
                images[from * per..to * per].to_vec(),
                [to - from, shape[0], shape[1], shape[2]],
            ),
            device,
        );
        out.push(model.features(x))?;
        let rate = to as f64 / start.elapsed().as_secs_f64().max(1e-9);
        if from < 50
            && to >= 50
            && let Some(warning) = slow_inception_warning(n - to + after, rate)
        {
            log(warning);
        }
        log(format!(
            "Inception features of {what}: {to}/{n} ({rate:.1} images/s, ETA {:.0} s)",
            (n - to) as f64 / rate
        ));
    }
    Ok(out)
}

/// The warning for `images` more Inception images at `rate` images/s, when they take more
/// than 10 minutes.
fn slow_inception_warning(images: usize, rate: f64) -> Option<String> {
    let seconds = images as f64 / rate.max(1e-9);
    (seconds > 600.0).then(|| {
        format!(
            "warning: the Inception network will take about {:.0} minutes more for {images} \
             images at {rate:.1} images/s on this device; --n 1000 takes a tenth of the \
             samples' part (its FID is biased upwards), a GPU (--backend tch --device cuda:0) \
             a few minutes",
            seconds / 60.0
        )
    })
}

/// FID and KID of Inception features; the real images' features are cached beside the
/// domain classifiers.
fn inception_metrics<B: Backend>(
    label: &str,
    real: &RealData,
    values: &[f32],
    shape: [usize; 3],
    request: &EvalRequest,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<InceptionMetrics> {
    let weights = request
        .inception_weights
        .clone()
        .unwrap_or_else(gan_eval::default_inception_weights);
    let model = FidInception::<B>::load(&weights, device)?;
    let cache = request
        .classifier_dir
        .clone()
        .unwrap_or_else(|| gan_data::cache_dir().join("classifiers"))
        .join(format!("inception-{label}-{}.f32", real.reference.len()));
    let samples = values.len() / shape.iter().product::<usize>().max(1);
    let real_features = match Features::load(&cache)? {
        Some(f) => {
            log(format!(
                "real images: Inception features of {} images read from the cache {}",
                f.len(),
                cache.display()
            ));
            f
        }
        None => {
            let pixels = unit_pixels(&real.held_out, &real.reference);
            let f =
                inception_features(&model, &pixels, shape, "real images", samples, device, log)?;
            f.save(&cache)?;
            log(format!(
                "real images: Inception features of {} images cached in {} for the next runs",
                f.len(),
                cache.display()
            ));
            f
        }
    };
    let fake = inception_features(&model, values, shape, "samples", 0, device, log)?;
    Ok(InceptionMetrics {
        fid: gan_eval::frechet_distance(&real_features.stats(), &fake.stats())?,
        kid: gan_eval::kid::<B>(&real_features, &fake, &KidConfig::default(), device)?,
        real_images: real_features.len(),
        weights,
    })
}

/// The PNG and JPEG images under `dir` (searched recursively, as pytorch-fid reads a
/// folder), center-cropped and resized to the size and channels of `data`'s images, as
/// `[N, C, H, W]` values in `[0, 1]`. Files that do not decode are skipped with a log line.
fn read_image_dir(
    dir: &Path,
    data: &EvalData,
    log: &mut dyn FnMut(String),
) -> Result<(Vec<f32>, Vec<usize>)> {
    let [channels, size] = match data {
        EvalData::Points(_) => {
            return Err(GanError::Invalid {
                field: "--samples",
                value: dir.display().to_string(),
                expected: format!(
                    "a .npy file of [N, 2] points for {} (a folder of images is for image \
                     datasets)",
                    data.label()
                ),
            });
        }
        EvalData::Images { dataset, .. } => match dataset {
            ImageDataset::EmbeddedMnist
            | ImageDataset::Optdigits
            | ImageDataset::Mnist(_)
            | ImageDataset::FashionMnist(_) => [1, 28],
            ImageDataset::Cifar10(_) => [3, 32],
            ImageDataset::Folder(folder) => [folder.channels, folder.size],
            ImageDataset::Emoji(emoji) => [3, emoji.size],
        },
    };
    let load = gan_data::ImageFolderConfig::new(dir.to_path_buf())
        .with_size(size)
        .with_channels(channels)
        .load()?;
    for skipped in &load.skipped {
        log(format!("skipped: {skipped}"));
    }
    let n = load.images.len();
    log(format!(
        "read {n} images from {} as {channels}x{size}x{size}",
        dir.display()
    ));
    let values = load
        .images
        .pixels()
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    Ok((values, vec![n, channels, size, size]))
}

/// The requested metrics (or the defaults), each checked to apply to `data`.
fn chosen_metrics(data: &EvalData, request: &EvalRequest) -> Result<Vec<Metric>> {
    let metrics: Vec<Metric> = if request.metrics.is_empty() {
        Metric::defaults(data)
    } else {
        request.metrics.clone()
    };
    if metrics.is_empty() {
        return Err(GanError::NoMetric {
            data: data.label(),
            reason: "its distribution has no modes to count and its points are not images",
        });
    }
    for &m in &metrics {
        if !m.applies_to(data) {
            let applicable: Vec<&str> = Metric::ALL
                .iter()
                .filter(|m| m.applies_to(data))
                .map(|m| m.name())
                .collect();
            return Err(GanError::Invalid {
                field: "--metric",
                value: m.name().into(),
                expected: format!(
                    "a metric for {} samples: {}",
                    data.label(),
                    if applicable.is_empty() {
                        "none (the distribution has no modes)".to_string()
                    } else {
                        applicable.join(", ")
                    }
                ),
            });
        }
    }
    Ok(metrics)
}

/// The most samples `gan eval` draws and scores.
pub const MAX_EVAL_SAMPLES: usize = 1_000_000;

fn check_sample_count(n: usize) -> Result<()> {
    if !(10..=MAX_EVAL_SAMPLES).contains(&n) {
        return Err(GanError::Invalid {
            field: "--n",
            value: n.to_string(),
            expected: format!(
                "at least 10 and at most {MAX_EVAL_SAMPLES} samples (FID and KID are usually \
                 reported on 10,000 to 50,000)"
            ),
        });
    }
    Ok(())
}

/// Evaluates the run in `dir` on backend `B` (autodiff, to train a domain classifier on first
/// use); `log` receives progress messages.
pub fn evaluate_run<B: AutodiffBackend>(
    dir: &Path,
    request: &EvalRequest,
    backend: &str,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<EvalReport> {
    let start = Instant::now();
    let spec = RunSpec::load_run(dir)?;
    let checkpoint = crate::sample::run_checkpoint(dir)?;
    let data = EvalData::of_run(&spec);
    let metrics = chosen_metrics(&data, request)?;
    let toy = matches!(spec, RunSpec::Toy(_));
    let n = request.n.unwrap_or(if toy { 2500 } else { 10_000 });
    check_sample_count(n)?;
    let report = EvalReport {
        model: spec.model_label().into(),
        checkpoint: Some(checkpoint),
        weights: format!("{:?}", request.weights).to_lowercase(),
        ..EvalReport::empty(dir, &data, metrics, n, request.seed, backend)
    };
    log(format!("generating {n} samples"));
    let (values, shape) =
        generate::<B::InnerBackend>(dir, n, request.seed, request.weights, device)?;
    score::<B>(report, &data, &values, &shape, request, device, log, start)
}

/// Evaluates samples drawn elsewhere (another framework, or `gan sample --out FILE.npy`): a
/// `.npy` array of `float32`, `[N, C, H, W]` in `[0, 1]` for images or `[N, 2]` for points,
/// scored against `data` exactly as [`evaluate_run`] scores a run's samples. `request.n`
/// takes the first `n` samples (default: all); `request.weights` does not apply.
pub fn evaluate_samples<B: AutodiffBackend>(
    file: &Path,
    data: &EvalData,
    request: &EvalRequest,
    backend: &str,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<EvalReport> {
    let start = Instant::now();
    let metrics = chosen_metrics(data, request)?;
    let (mut values, shape) = if file.is_dir() {
        read_image_dir(file, data, log)?
    } else {
        crate::sample::read_npy(file)?
    };
    let bad = |reason: String| GanError::Npy {
        path: file.to_path_buf(),
        reason,
    };
    let expected = match data {
        EvalData::Points(_) => "[N, 2] (points)",
        EvalData::Images { .. } => "[N, channels, height, width] (images)",
    };
    let rank_ok = match data {
        EvalData::Points(_) => shape.len() == 2 && shape[1] == 2,
        EvalData::Images { .. } => shape.len() == 4,
    };
    if !rank_ok {
        return Err(bad(format!(
            "shape {shape:?}, expected {expected} for {}",
            data.label()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "value {} at index {i} is not finite",
            values[i]
        )));
    }
    if matches!(data, EvalData::Images { .. }) {
        let (lo, hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if lo < 0.0 || hi > 1.0 {
            return Err(bad(format!(
                "pixel values span [{lo}, {hi}], expected [0, 1] (map a tanh output x to \
                 (x + 1) / 2)"
            )));
        }
    }
    let available = shape[0];
    let n = request.n.unwrap_or(available);
    if n > available {
        return Err(GanError::Invalid {
            field: "--n",
            value: n.to_string(),
            expected: format!("at most the {available} samples in {}", file.display()),
        });
    }
    check_sample_count(n)?;
    values.truncate(n * shape[1..].iter().product::<usize>());
    // An image folder is read at the samples' size.
    let mut data = data.clone();
    if let EvalData::Images {
        dataset: ImageDataset::Folder(folder),
        ..
    } = &mut data
    {
        folder.channels = shape[1];
        folder.size = shape[2];
    }
    let report = EvalReport::empty(file, &data, metrics, n, request.seed, backend);
    score::<B>(
        report,
        &data,
        &values,
        &shape[1..],
        request,
        device,
        log,
        start,
    )
}

/// Mixed into the seed of the real points a 2-D evaluation scores for scale.
const REAL_SEED: u64 = 0x005e_ed0f_da7a;

/// Real images scored in place of the samples, for scale.
struct RealSide {
    /// Parzen's kernels: training images that the validation and test images are not among.
    parzen: Vec<f32>,
    /// The images the domain metrics compare with `domain_reference`.
    domain: Vec<f32>,
    /// Rows of the reference set they are compared with.
    domain_reference: std::ops::Range<usize>,
    /// Which images, against which.
    what: String,
}

/// The real images that stand in for `n` samples, described for the metrics computed (`parzen`,
/// `domain_metrics`). With a training split apart from the
/// reference (MNIST, Fashion-MNIST, CIFAR-10): the first `n` training images, against the same
/// reference as the samples. With one set of images (the embedded digits, a folder), whose
/// every image is in the reference: the first `n` images of its first half against its second
/// half for the domain metrics, and the first `n` images before the Parzen validation set as
/// Parzen's kernels.
fn real_side(real: &RealData, n: usize, parzen: bool, domain_metrics: bool) -> RealSide {
    match real.clean_limit {
        Some(clean) => {
            let m = n.min(clean);
            let total = real.reference.len();
            let half = total / 2;
            let h = n.min(half);
            let domain = format!(
                "images 0-{} against {}-{} (the dataset has no split apart from the reference)",
                h.saturating_sub(1),
                half,
                total.saturating_sub(1)
            );
            RealSide {
                parzen: unit_pixels(&real.held_out, &(0..m).collect::<Vec<_>>()),
                domain: unit_pixels(&real.held_out, &real.reference[..h]),
                domain_reference: half..total,
                what: match (parzen, domain_metrics) {
                    (true, true) => format!(
                        "Parzen: images 0-{} as the samples; the other metrics: {domain}",
                        m.saturating_sub(1)
                    ),
                    (true, false) => format!("images 0-{} as the samples", m.saturating_sub(1)),
                    _ => domain,
                },
            }
        }
        None => {
            let m = n.min(real.train_index.len());
            let pixels = unit_pixels(&real.train, &real.train_index[..m]);
            RealSide {
                parzen: pixels.clone(),
                domain: pixels,
                domain_reference: 0..real.reference.len(),
                what: format!(
                    "the first {m} training images in place of the samples, against the same \
                     test images"
                ),
            }
        }
    }
}

/// What the domain metrics of one set of images are computed from.
struct DomainInputs<'a> {
    fake: &'a Features,
    fake_probs: &'a [f32],
    real: &'a Features,
    real_probs: &'a [f32],
    classes: usize,
}

/// The domain-feature metrics among `metrics` of `inputs.fake` against `inputs.real`.
fn domain_metrics<B: Backend>(
    inputs: DomainInputs<'_>,
    metrics: &[Metric],
    card: ClassifierCard,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> Result<DomainMetrics> {
    let DomainInputs {
        fake,
        fake_probs,
        real,
        real_probs,
        classes,
    } = inputs;
    let mut class_shares = vec![0.0; classes];
    let mut confident = 0.0;
    for row in fake_probs.chunks_exact(classes) {
        let (best, p) = row
            .iter()
            .enumerate()
            .fold((0, f32::MIN), |a, (i, &p)| if p > a.1 { (i, p) } else { a });
        class_shares[best] += 1.0 / fake.len() as f64;
        if p >= 0.9 {
            confident += 1.0 / fake.len() as f64;
        }
    }
    let mut domain = DomainMetrics {
        confident,
        class_shares,
        classifier: card,
        real_images: real.len(),
        fid: None,
        kid: None,
        classifier_score: None,
        real_classifier_score: None,
        prdc: None,
    };
    if metrics.contains(&Metric::Fid) {
        domain.fid = Some(gan_eval::frechet_distance(&real.stats(), &fake.stats())?);
    }
    if metrics.contains(&Metric::Kid) {
        domain.kid = Some(gan_eval::kid::<B>(
            real,
            fake,
            &KidConfig::default(),
            device,
        )?);
    }
    if metrics.contains(&Metric::Is) {
        domain.classifier_score = Some(gan_eval::classifier_score(fake_probs, classes, 10)?);
        domain.real_classifier_score = Some(gan_eval::classifier_score(real_probs, classes, 10)?);
    }
    if metrics.contains(&Metric::Prdc) {
        log("precision and recall".into());
        domain.prdc = Some(gan_eval::prdc::<B>(real, fake, 3, 500, device)?);
    }
    Ok(domain)
}

/// Computes `report.metrics` of generated `values` (sample shape `shape`) against `data`.
#[allow(clippy::too_many_arguments)]
fn score<B: AutodiffBackend>(
    mut report: EvalReport,
    data: &EvalData,
    values: &[f32],
    shape: &[usize],
    request: &EvalRequest,
    device: &B::Device,
    log: &mut dyn FnMut(String),
    start: Instant,
) -> Result<EvalReport> {
    let metrics = report.metrics.clone();
    match data {
        EvalData::Points(toy) => {
            report.modes = toy.coverage(values);
            let n = values.len() / 2;
            let points =
                toy.sample_points(n, &mut gan_models::rng_from_seed(request.seed ^ REAL_SEED));
            report.real = Some(RealFigures {
                what: format!("{n} points drawn from the mixture itself"),
                modes: toy.coverage(&points),
                parzen: None,
                domain: None,
            });
        }
        EvalData::Images { dataset, limit } => {
            let real = real_data(dataset, request.quiet)?;
            let dim: usize = shape.iter().product();
            if let (Some(clean), true) = (real.clean_limit, metrics.contains(&Metric::Parzen))
                && limit.is_none_or(|l| l > clean)
            {
                report.notes.push(format!(
                    "the run trained on images the Parzen estimate holds out (it used {}; \
                     train with --limit {clean} for a clean figure)",
                    limit.map_or("all of them".to_string(), |l| format!("the first {l}"))
                ));
            }
            if real.held_out.shape() != [shape[0], shape[1], shape[2]] {
                return Err(GanError::Invalid {
                    field: "sample shape",
                    value: format!("{shape:?}"),
                    expected: format!("the dataset's image shape {:?}", real.held_out.shape()),
                });
            }
            let side = real_side(
                &real,
                values.len() / dim,
                metrics.contains(&Metric::Parzen),
                metrics.iter().any(|m| m.needs_classifier()),
            );
            let mut figures = RealFigures {
                what: side.what.clone(),
                modes: None,
                parzen: None,
                domain: None,
            };
            if metrics.contains(&Metric::Parzen) {
                log("Parzen window".into());
                let validation = Features::new(unit_pixels(&real.held_out, &real.validation), dim)?;
                let test = Features::new(unit_pixels(&real.held_out, &real.test), dim)?;
                let parzen = |kernels: &[f32]| -> Result<ParzenEstimate> {
                    Ok(gan_eval::parzen_evaluate::<B::InnerBackend>(
                        &Features::new(kernels.to_vec(), dim)?,
                        &validation,
                        &test,
                        &gan_eval::paper_sigmas(),
                        100,
                        device,
                    )?)
                };
                report.parzen = Some(parzen(values)?);
                log("Parzen window of real images".into());
                figures.parzen = Some(parzen(&side.parzen)?);
            }
            if metrics.iter().any(|m| m.needs_classifier()) {
                let (classifier, card) =
                    domain_classifier::<B>(&dataset.label(), &real, request, device, log)?;
                log("domain features".into());
                let img = [shape[0], shape[1], shape[2]];
                let reference = classifier.embed(
                    &unit_pixels(&real.held_out, &real.reference),
                    img,
                    250,
                    device,
                );
                let domain = |values: &[f32],
                              rows: std::ops::Range<usize>,
                              log: &mut dyn FnMut(String)|
                 -> Result<DomainMetrics> {
                    let (fake, fake_probs) = classifier.embed(values, img, 250, device);
                    let d = reference.0.dim();
                    let classes = reference.1.len() / reference.0.len().max(1);
                    let real_f = Features::new(
                        reference.0.values()[rows.start * d..rows.end * d].to_vec(),
                        d,
                    )?;
                    let real_probs = &reference.1[rows.start * classes..rows.end * classes];
                    domain_metrics::<B::InnerBackend>(
                        DomainInputs {
                            fake: &fake,
                            fake_probs: &fake_probs,
                            real: &real_f,
                            real_probs,
                            classes,
                        },
                        &metrics,
                        card.clone(),
                        device,
                        log,
                    )
                };
                report.domain = Some(domain(values, 0..real.reference.len(), log)?);
                log("domain features of real images".into());
                figures.domain = Some(domain(&side.domain, side.domain_reference.clone(), log)?);
            }
            report.real = Some(figures);
            if metrics.contains(&Metric::Inception) {
                report.inception = Some(inception_metrics::<B::InnerBackend>(
                    &dataset.label(),
                    &real,
                    values,
                    [shape[0], shape[1], shape[2]],
                    request,
                    device,
                    log,
                )?);
            }
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::slow_inception_warning;

    #[test]
    fn slow_inception_runs_are_announced_with_their_time() {
        // 20,000 images at 16 images/s: 1,250 s, about 21 minutes.
        let warning = slow_inception_warning(20_000, 16.0).unwrap();
        assert!(
            warning.contains("about 21 minutes") && warning.contains("--n 1000"),
            "{warning}"
        );
        assert!(
            warning.contains("20000 images at 16.0 images/s"),
            "{warning}"
        );
        // Under 10 minutes (a GPU, or a small --n): nothing.
        assert_eq!(slow_inception_warning(20_000, 500.0), None);
        assert_eq!(slow_inception_warning(5_000, 10.0), None);
    }
}
