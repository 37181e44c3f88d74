//! Translation runs: CycleGAN (Zhu et al. 2017) between two unpaired image domains, from the
//! run config to the run directory, and the translation of new images by a trained run.
//!
//! A translation run's `config.json` has `"kind": "translation"`. Its checkpoints hold the four
//! networks (`generator_ab`, `generator_ba`, `discriminator_a`, `discriminator_b`), their
//! optimizers and the two image pools. The preview pictures show, for eight fixed images of
//! each domain (held-out ones where the run has them), rows of `a`, `G(a)`, `F(G(a))` and then `b`, `F(b)`, `G(F(b))`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use gan_data::{ImageDataset, ImageLoader, ImageSet, PixelRange, Unpaired};
use gan_models::{
    NLayerDiscriminator, NLayerDiscriminatorConfig, ResnetGenerator, ResnetGeneratorConfig,
    Translator,
};
use gan_train::{
    CheckpointReader, CycleGan, CycleGanConfig, Metrics, OptimizerConfig, RunConfig, RunDir,
    TrainConfig,
};

use crate::error::{GanError, Result as GanResult};
use crate::image::replica;
use crate::options::RunOptions;
use crate::preview::SampleView;

/// Which images of a domain a translation run holds out for evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HeldOutRule {
    /// The last `held_out` images. Configs written before [`HeldOutRule::Random`] existed
    /// mean this. A set stored class by class (or whose tail differs, as the embedded MNIST
    /// digits' does: their last 300 hold only the classes 0, 1, 2, 3, 6 and 7, 138 of them
    /// ones) is then measured on a few classes.
    Last,
    /// `held_out` images drawn at random without replacement, by an RNG seeded with
    /// [`HELD_OUT_SEED`] whatever the run's seed (runs of different seeds are measured on the
    /// same images), so that they follow the whole set's make-up whatever its order. (Evenly
    /// spaced images would not: every 33rd of the embedded MNIST digits, which cycle through
    /// the classes, are nearly all 0s, 3s and 6s.)
    Random,
}

/// The seed of [`HeldOutRule::Random`].
pub const HELD_OUT_SEED: u64 = 0x4E1D_0077;

/// The positions of the `k` held-out images among `n` under `rule`, ascending.
pub fn held_out_indices(n: usize, k: usize, rule: HeldOutRule) -> Vec<usize> {
    let k = k.min(n);
    match rule {
        HeldOutRule::Last => (n - k..n).collect(),
        HeldOutRule::Random => {
            let mut rng = gan_models::rng_from_seed(HELD_OUT_SEED);
            let mut index = rand::seq::index::sample(&mut rng, n, k).into_vec();
            index.sort_unstable();
            index
        }
    }
}

/// The images `index` of `set` (with their labels), in that order, named `name`.
fn select_images(set: &ImageSet, index: &[usize], name: String) -> GanResult<ImageSet> {
    let mut pixels = Vec::with_capacity(index.len() * set.features());
    for &i in index {
        pixels.extend_from_slice(set.image(i));
    }
    let labels = set
        .labels()
        .map(|l| index.iter().map(|&i| l[i]).collect::<Vec<u16>>());
    Ok(ImageSet::new(
        name,
        set.shape(),
        pixels,
        labels,
        set.class_names().map(<[String]>::to_vec),
    )?)
}

/// The `k` held-out images of `set` under `rule` (with their labels), named
/// `NAME (held out)`.
pub fn held_out_images(set: &ImageSet, k: usize, rule: HeldOutRule) -> GanResult<ImageSet> {
    let name = format!("{} (held out)", set.name());
    select_images(set, &held_out_indices(set.len(), k, rule), name)
}

/// The images of `set` a run trains on: all but the `k` held out under `rule`, in order.
pub fn training_images(set: ImageSet, k: usize, rule: HeldOutRule) -> GanResult<ImageSet> {
    let n = set.len();
    if k == 0 {
        return Ok(set);
    }
    if rule == HeldOutRule::Last {
        return Ok(set.truncate(n - k.min(n)));
    }
    let held = held_out_indices(n, k, rule);
    let mut held = held.iter().peekable();
    let kept: Vec<usize> = (0..n)
        .filter(|i| {
            if held.peek() == Some(&i) {
                held.next();
                false
            } else {
                true
            }
        })
        .collect();
    // The name stays the dataset's: the classifiers' cache names derive from it.
    select_images(&set, &kept, set.name().to_string())
}

/// The `kind` of a translation run's `config.json`.
pub const TRANSLATION: &str = "translation";

/// Fixed images of each domain in the preview pictures.
pub const PREVIEW_IMAGES: usize = 8;

/// Everything that defines a translation run; saved as `config.json` in the run directory.
#[derive(Config, Debug, PartialEq)]
pub struct TranslationRunConfig {
    /// The images of domain `A`.
    pub a: ImageDataset,
    /// The images of domain `B`.
    pub b: ImageDataset,
    /// `held_out` images of each domain (which ones: `held_out_rule`) are never trained on:
    /// `gan eval` measures the translations on them.
    #[config(default = 0)]
    pub held_out: usize,
    /// Which images are held out. Missing in a config, it is [`HeldOutRule::Last`], what
    /// configs meant before the rule existed; the presets draw them at random.
    #[config(default = "HeldOutRule::Last")]
    pub held_out_rule: HeldOutRule,
    /// Train on at most this many images of each domain (their first ones).
    #[config(default = "None")]
    pub limit: Option<usize>,
    /// Train for this many epochs of the larger domain instead of `training.iterations`:
    /// `ceil(epochs · max(|A|, |B|) / batch_size)` iterations.
    #[config(default = "None")]
    pub epochs: Option<usize>,
    /// `G: A → B`.
    pub generator_ab: ResnetGeneratorConfig,
    /// `F: B → A`.
    pub generator_ba: ResnetGeneratorConfig,
    /// `D_A`, on images of `A`.
    pub discriminator_a: NLayerDiscriminatorConfig,
    /// `D_B`, on images of `B`.
    pub discriminator_b: NLayerDiscriminatorConfig,
    /// The shared training settings: optimizers, rates and their linear decay, minibatch,
    /// iterations.
    #[config(default = "TranslationRunConfig::default_training()")]
    pub training: TrainConfig,
    /// CycleGAN's own settings: `λ`, `λ_id` and the pool size.
    #[config(default = "CycleGanConfig::new()")]
    pub cyclegan: CycleGanConfig,
    /// Logging, preview pictures and checkpoints.
    #[config(default = "TranslationRunConfig::default_run()")]
    pub run: RunConfig,
    /// Seed for the weights, the data order and the pools.
    #[config(default = 0)]
    pub seed: u64,
}

impl TranslationRunConfig {
    /// The paper's optimisation: Adam at 2e-4 with β₁ = 0.5 for all four networks, the rate
    /// constant for the first half and decaying linearly to 0 over the second; minibatches
    /// of 4 (the paper trains on single 256 px images; small images get a few per step),
    /// 4,000 iterations.
    pub fn default_training() -> TrainConfig {
        let adam = OptimizerConfig::adam();
        TrainConfig::new()
            .with_iterations(4000)
            .with_batch_size(4)
            .with_g_lr(2e-4)
            .with_d_lr(2e-4)
            .with_g_optimizer(adam.clone())
            .with_d_optimizer(adam)
            .with_lr_decay_start(Some(0.5))
    }

    /// A metrics line every 50 iterations, a preview every 500, a checkpoint every 500.
    pub fn default_run() -> RunConfig {
        RunConfig::new()
            .with_sample_every(500)
            .with_checkpoint_every(500)
            .with_samples(6 * PREVIEW_IMAGES)
    }

    /// A run between `a` and `b`, whose images are `[channels, size, size]` of `channels_a`
    /// and `channels_b`, with the networks scaled to `size`
    /// ([`ResnetGeneratorConfig::for_size`], [`NLayerDiscriminatorConfig::for_size`]). The
    /// identity term is kept only when the two domains' channels agree.
    pub fn for_domains(
        a: ImageDataset,
        b: ImageDataset,
        size: usize,
        channels_a: usize,
        channels_b: usize,
    ) -> Self {
        let identity = if channels_a == channels_b { 0.5 } else { 0.0 };
        Self::new(
            a,
            b,
            ResnetGeneratorConfig::for_size(channels_a, channels_b, size),
            ResnetGeneratorConfig::for_size(channels_b, channels_a, size),
            NLayerDiscriminatorConfig::for_size(channels_a, size),
            NLayerDiscriminatorConfig::for_size(channels_b, size),
        )
        .with_cyclegan(CycleGanConfig::new().with_lambda_identity(identity))
    }

    /// The `digits` task: the embedded MNIST digits (`A`) and the UCI optical digits in
    /// MNIST's layout (`B`), 28x28 grey; 300 of each, drawn at random, are held out for
    /// evaluation ([`HeldOutRule::Random`]).
    pub fn digits() -> Self {
        Self::for_domains(
            ImageDataset::EmbeddedMnist,
            ImageDataset::Optdigits,
            28,
            1,
            1,
        )
        .with_held_out(300)
        .with_held_out_rule(HeldOutRule::Random)
    }

    /// The `emoji` task: Twemoji (`A`) and Noto Emoji (`B`) of the same code points at `size`
    /// pixels, RGB, trained unpaired on the training split of the code points; the packages
    /// are fetched from the npm registry when missing. The test split's emoji exist in both
    /// styles, so `gan eval` compares each translation with its true counterpart.
    pub fn emoji(size: usize) -> Self {
        use gan_data::Split;
        use gan_data::{EmojiSet, EmojiStyle};
        let set = |style| ImageDataset::Emoji(EmojiSet::new(style, size, Split::Train, true));
        Self::for_domains(
            set(EmojiStyle::Twitter),
            set(EmojiStyle::Google),
            size,
            3,
            3,
        )
    }

    /// The images a run of this config is measured on, for each domain: its `held_out`
    /// images (see [`HeldOutRule`]), or the test split of an emoji set (`None` for a domain with neither).
    pub fn held_out_set(&self, dataset: &ImageDataset) -> GanResult<Option<ImageSet>> {
        if self.held_out > 0 {
            return Ok(Some(held_out_images(
                &dataset.load(true)?.0,
                self.held_out,
                self.held_out_rule,
            )?));
        }
        Ok(match dataset {
            ImageDataset::Emoji(e) if e.source.split == gan_data::Split::Train => {
                let mut test = e.clone();
                test.source.split = gan_data::Split::Test;
                Some(test.load(true)?)
            }
            _ => None,
        })
    }

    /// Whether image `i` of domain `A`'s held-out set and image `i` of `B`'s are the same
    /// thing in two styles (the two styles of the emoji).
    pub fn paired(&self) -> bool {
        matches!(
            (&self.a, &self.b),
            (ImageDataset::Emoji(a), ImageDataset::Emoji(b))
                if a.style != b.style && a.size == b.size && self.held_out == 0
        )
    }

    /// A short name for run directories: `A-to-B`.
    pub fn label(&self) -> String {
        format!("{}-to-{}", self.a.label(), self.b.label())
    }

    /// Loads the training images of both domains (without the held-out ones, `limit`
    /// applied) and checks them against the networks.
    pub fn load_domains(&self, quiet: bool) -> GanResult<(ImageSet, ImageSet)> {
        let load = |dataset: &ImageDataset| -> GanResult<ImageSet> {
            let (images, _) = dataset.load(quiet)?;
            let n = images.len();
            if n <= self.held_out {
                return Err(GanError::Invalid {
                    field: "held_out",
                    value: self.held_out.to_string(),
                    expected: format!(
                        "fewer images than {} has ({n}), leaving some to train on",
                        images.name()
                    ),
                });
            }
            let train = training_images(images, self.held_out, self.held_out_rule)?;
            let n = train.len();
            Ok(train.truncate(self.limit.map_or(n, |l| l.min(n))))
        };
        let (a, b) = (load(&self.a)?, load(&self.b)?);
        let checks: [(&ImageSet, &'static str, [usize; 3]); 4] = [
            (&a, "generator_ab", self.generator_ab.input_shape()),
            (&b, "generator_ba", self.generator_ba.input_shape()),
            (&a, "discriminator_a", self.discriminator_a.input_shape()),
            (&b, "discriminator_b", self.discriminator_b.input_shape()),
        ];
        for (images, network, model) in checks {
            if images.shape() != model {
                return Err(GanError::ImageShape {
                    dataset: images.name().to_string(),
                    shape: images.shape(),
                    network,
                    model: model.to_vec(),
                });
            }
        }
        if self.generator_ab.output_shape() != b.shape()
            || self.generator_ba.output_shape() != a.shape()
        {
            return Err(GanError::Invalid {
                field: "generator_ab",
                value: format!("{:?}", self.generator_ab.output_shape()),
                expected: format!(
                    "generators that map {:?} to {:?} and back",
                    a.shape(),
                    b.shape()
                ),
            });
        }
        Ok((a, b))
    }

    /// This config with `training.iterations` set from `epochs` (when set) for domains of
    /// `n_a` and `n_b` images.
    pub fn with_epochs_applied(&self, n_a: usize, n_b: usize) -> Self {
        let mut c = self.clone();
        if let Some(epochs) = c.epochs {
            let batch = c.training.batch_size.max(1);
            c.training.iterations = epochs.saturating_mul(n_a.max(n_b)).div_ceil(batch);
        }
        c
    }
}

/// What a finished translation run produced.
#[derive(Debug, Clone)]
pub struct TranslationReport {
    /// The run directory.
    pub dir: PathBuf,
    /// The metrics of the last logged iteration.
    pub last: Option<Metrics>,
    /// Images of `A` and of `B`.
    pub images: (usize, usize),
    /// Wall-clock seconds spent training in this process.
    pub seconds: f64,
    /// The iteration training started from (non-zero when resumed).
    pub started_at: usize,
}

type Cycle<B> = CycleGan<B, ResnetGenerator<B>, NLayerDiscriminator<B>>;

/// The first `n` images of `set` as `[n, features]` in `[-1, 1]`.
/// The preview images of one domain, in `[-1, 1]`: the first [`PREVIEW_IMAGES`] held-out
/// images when the run holds some out (the ones `gan translate --held-out` and the results
/// pictures show first), else images spread evenly over the training set (its first few can
/// all be alike: the emoji start with the keycaps).
fn preview_images<B: Backend>(
    config: &TranslationRunConfig,
    dataset: &ImageDataset,
    train: &ImageSet,
    device: &B::Device,
) -> GanResult<Tensor<B, 2>> {
    let held_out = config
        .held_out_set(dataset)?
        .filter(|set| set.shape() == train.shape() && !set.is_empty());
    let set = held_out.as_ref().unwrap_or(train);
    let picks = preview_picks(set.len(), PREVIEW_IMAGES, held_out.is_some());
    let mut values = Vec::with_capacity(picks.len() * set.features());
    for &i in &picks {
        values.extend(
            set.image(i)
                .iter()
                .map(|&v| PixelRange::MinusOneToOne.scale(v)),
        );
    }
    Ok(Tensor::from_data(
        TensorData::new(values, [picks.len(), set.features()]),
        device,
    ))
}

/// Which `k` of `n` images a preview shows: the first `k` (`first`), or `k` spread evenly
/// from the first to the last.
pub fn preview_picks(n: usize, k: usize, first: bool) -> Vec<usize> {
    let k = k.min(n);
    if first || k < 2 {
        return (0..k).collect();
    }
    (0..k).map(|i| i * (n - 1) / (k - 1)).collect()
}

/// Trains CycleGAN on backend `B` between the two domains of `config`, writing `config.json`,
/// `metrics.jsonl`, the preview pictures, the loss curve and checkpoints into `dir`, starting
/// or resuming as `options` say (see [`RunOptions`]). Images are scaled to `[-1, 1]`.
pub fn run_translation<B: AutodiffBackend>(
    config: &TranslationRunConfig,
    dir: &Path,
    device: &B::Device,
    options: RunOptions<'_>,
) -> GanResult<TranslationReport> {
    let RunOptions {
        resume,
        quiet,
        mut observers,
        parallel,
    } = options;
    config.run.validate()?;
    config.generator_ab.validate()?;
    config.generator_ba.validate()?;
    config.discriminator_a.validate()?;
    config.discriminator_b.validate()?;
    gan_train::check_shared(&config.training, gan_train::CYCLEGAN, false)?;
    config.cyclegan.validate()?;
    let (a, b) = config.load_domains(quiet)?;
    let resolved = config.with_epochs_applied(a.len(), b.len());
    let config = &resolved;
    config.training.validate()?;
    parallel.validate(config.training.batch_size)?;
    // Before anything is written: a semantic term needs a labelled A to train its judge on.
    let semantic = (config.cyclegan.lambda_semantic > 0.0)
        .then(|| semantic_classifier::<B>(config, &a, quiet, device))
        .transpose()?;
    crate::rundir::save_config(config, TRANSLATION, dir, resume, |saved| {
        saved.training.iterations = config.training.iterations;
        saved.epochs = config.epochs;
    })?;

    B::seed(device, config.seed);
    let training = config.training.clone().with_seed(config.seed);
    let g_ab = config.generator_ab.try_init::<B>(device)?;
    let g_ba = config.generator_ba.try_init::<B>(device)?;
    let d_a = config.discriminator_a.try_init::<B>(device)?;
    let d_b = config.discriminator_b.try_init::<B>(device)?;
    let preview = (
        preview_images::<B::InnerBackend>(config, &config.a, &a, device)?,
        preview_images::<B::InnerBackend>(config, &config.b, &b, device)?,
    );
    let replicas = (0..parallel.devices)
        .map(|i| {
            CycleGan::new(
                training.clone(),
                config.cyclegan.clone(),
                (replica(i, &g_ab, device), replica(i, &g_ba, device)),
                (replica(i, &d_a, device), replica(i, &d_b, device)),
                device.clone(),
            )
            .map(|c: Cycle<B>| {
                let c = c.with_preview(preview.0.clone(), preview.1.clone());
                match &semantic {
                    Some(model) => c.with_semantic(semantic_judge(model.clone(), a.shape())),
                    None => c,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let images = (a.len(), b.len());
    let shape = a.shape();
    let loader =
        |set: ImageSet, seed: u64| ImageLoader::new(Arc::new(set), PixelRange::MinusOneToOne, seed);
    let data = Unpaired::new(
        loader(a, config.seed.wrapping_add(1))?,
        loader(b, config.seed.wrapping_add(2))?,
    );
    // The previews stack rows of both domains: pictures only when the shapes agree.
    let view = if config.generator_ab.input_shape() == config.generator_ab.output_shape() {
        SampleView::Rows {
            shape,
            low: -1.0,
            high: 1.0,
            columns: PREVIEW_IMAGES,
        }
    } else {
        SampleView::None
    };
    let run_dir = RunDir::new(dir);
    let (summary, _) = crate::parallel::train_any(
        replicas,
        data,
        &run_dir,
        &config.run,
        &view,
        resume,
        &mut observers,
        &parallel,
        device,
    )?;
    Ok(TranslationReport {
        dir: dir.to_path_buf(),
        last: summary.last,
        images,
        seconds: summary.seconds,
        started_at: summary.started_at,
    })
}

/// The fixed classifier of `A`'s training images that the semantic-consistency term trains
/// the generators against ([`SEMANTIC_SEED`]; cached with `gan eval`'s classifiers), on the
/// autodiff backend with its weights untracked. Refused when `A` has no labels.
fn semantic_classifier<B: AutodiffBackend>(
    config: &TranslationRunConfig,
    train_a: &ImageSet,
    quiet: bool,
    device: &B::Device,
) -> GanResult<gan_eval::DomainClassifier<B>> {
    if train_a.labels().is_none() || train_a.num_classes().is_none_or(|k| k < 2) {
        return Err(GanError::Invalid {
            field: "cyclegan.lambda_semantic",
            value: config.cyclegan.lambda_semantic.to_string(),
            expected: format!(
                "0: the semantic term trains a classifier of domain A, and A ({}) has no labels of two or more classes",
                train_a.name()
            ),
        });
    }
    let held_out = config.held_out_set(&config.a)?;
    let dir = gan_data::cache_dir().join("classifiers");
    let mut log = |line: String| {
        if !quiet {
            eprintln!("semantic term: {line}");
        }
    };
    let model = translation_classifier::<B>(
        train_a,
        held_out.as_ref(),
        config.held_out_rule,
        SEMANTIC_SEED,
        &dir,
        &mut log,
        device,
    )?;
    Ok(gan_eval::DomainClassifier::from_inner(model).no_grad())
}

/// The semantic term's judge as the generators see it: images `[n, c·h·w]` in `[-1, 1]`
/// mapped to the classifier's `[0, 1]` and shape, then its class logits.
fn semantic_judge<B: Backend>(
    model: gan_eval::DomainClassifier<B>,
    [c, h, w]: [usize; 3],
) -> impl Fn(Tensor<B, 2>) -> Tensor<B, 2> + Send + 'static {
    move |images: Tensor<B, 2>| {
        let n = images.dims()[0];
        model.forward(((images + 1.0) * 0.5).reshape([n, c, h, w]))
    }
}

/// Which way a trained run translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `G: A → B`.
    AToB,
    /// `F: B → A`.
    BToA,
}

impl Direction {
    /// The generator's name in checkpoints.
    pub fn generator(self) -> &'static str {
        match self {
            Direction::AToB => "generator_ab",
            Direction::BToA => "generator_ba",
        }
    }
}

/// Reads the config of the translation run in `dir`, refusing other runs.
pub fn load_translation_run(dir: &Path) -> GanResult<TranslationRunConfig> {
    let path = dir.join("config.json");
    if !path.is_file() {
        return Err(GanError::RunDir {
            path: dir.to_path_buf(),
            reason: "it has no config.json (is it the directory `gan train` printed?)".into(),
        });
    }
    let text = crate::rundir::read_text(&path)?;
    let json = crate::rundir::json_of(&path, &text)?;
    if json.get(crate::sample::KIND).and_then(|k| k.as_str()) != Some(TRANSLATION) {
        return Err(GanError::Invalid {
            field: "--run",
            value: dir.display().to_string(),
            expected: "a translation run (trained with --algorithm cyclegan)".into(),
        });
    }
    crate::rundir::parse_config(&path, &text)
}

/// Translates `images` (`[n, features]` in `[-1, 1]`) with the newest checkpoint of the run in
/// `dir`, in `direction`, on backend `B`: `[n, output features]` in `[-1, 1]`, with the output
/// image shape.
pub fn translate_run<B: Backend>(
    dir: &Path,
    direction: Direction,
    images: &[f32],
    device: &B::Device,
) -> GanResult<(Vec<f32>, [usize; 3])> {
    let config = load_translation_run(dir)?;
    let generator = match direction {
        Direction::AToB => &config.generator_ab,
        Direction::BToA => &config.generator_ba,
    };
    let features: usize = generator.input_shape().iter().product();
    if images.is_empty() || !images.len().is_multiple_of(features) {
        return Err(GanError::Invalid {
            field: "--input",
            value: format!("{} values", images.len()),
            expected: format!(
                "images of {:?} ({features} values each) for {}",
                generator.input_shape(),
                direction.generator()
            ),
        });
    }
    let g = load_translator::<B>(dir, &config, direction, device)?;
    Ok((
        translate_images(&g, images, device),
        generator.output_shape(),
    ))
}

/// The generator of the run in `dir` (whose config is `config`) in `direction`, with the
/// weights of its newest checkpoint.
fn load_translator<B: Backend>(
    dir: &Path,
    config: &TranslationRunConfig,
    direction: Direction,
    device: &B::Device,
) -> GanResult<ResnetGenerator<B>> {
    let generator = match direction {
        Direction::AToB => &config.generator_ab,
        Direction::BToA => &config.generator_ba,
    };
    let reader = CheckpointReader::open(&crate::sample::run_checkpoint(dir)?)?;
    Ok(reader.module(direction.generator(), generator.try_init::<B>(device)?)?)
}

/// Translates flat images (`[n, input features]` in `[-1, 1]`) with `g`, 64 at a time, so that
/// a large input does not hold every activation at once.
fn translate_images<B: Backend>(
    g: &ResnetGenerator<B>,
    images: &[f32],
    device: &B::Device,
) -> Vec<f32> {
    let features: usize = g.input_shape().iter().product();
    let mut out = Vec::with_capacity(images.len());
    for chunk in images.chunks(64 * features) {
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(chunk.to_vec(), [chunk.len() / features, features]),
            device,
        );
        out.extend(g.translate(x).into_data().iter::<f32>());
    }
    out
}

/// A translation config file given to `gan train --config`: a complete config, as
/// `--print-config` writes it, with the `backend` and `device` it names (if any).
pub fn load_translation_config(
    path: &Path,
) -> GanResult<(TranslationRunConfig, Option<String>, Option<String>)> {
    let text = crate::rundir::read_text(path)?;
    let mut json = crate::rundir::json_of(path, &text)?;
    let mut take = |field: &str| {
        json.as_object_mut()
            .and_then(|o| o.remove(field))
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let kind = take(crate::sample::KIND);
    let (backend, device) = (take("backend"), take("device"));
    if let Some(kind) = kind.filter(|k| k != TRANSLATION) {
        return Err(GanError::Invalid {
            field: "kind",
            value: kind,
            expected: format!("\"{TRANSLATION}\" in {}", path.display()),
        });
    }
    let config = crate::rundir::parse_config(path, &json.to_string())?;
    Ok((config, backend, device))
}

/// Whether the config file at `path` is a translation run's: its `kind` is `"translation"`,
/// or it has no `kind` and names a `generator_ab`.
pub fn is_translation_config(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|json| match json.get(crate::sample::KIND) {
            Some(kind) => kind.as_str() == Some(TRANSLATION),
            None => json.get("generator_ab").is_some(),
        })
}

/// What `gan eval` measures on a translation run, on the held-out images of both domains.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TranslationEval {
    /// The run's iteration at the checkpoint evaluated.
    pub iteration: usize,
    /// Held-out images of `A` and of `B`.
    pub held_out: (usize, usize),
    /// Label preservation, when both domains are labelled with the same classes: the share of
    /// `G(a)` that `B`'s classifier gives `a`'s label, and of `F(b)` that `A`'s classifier gives
    /// `b`'s label.
    pub labels: Option<LabelScores>,
    /// Each translation against its true counterpart, where the two domains draw the same
    /// things (the emoji).
    pub paired: Option<PairedScores>,
    /// `‖F(G(a)) − a‖₁` and `‖G(F(b)) − b‖₁`, mean absolute difference per value on the
    /// `[0, 1]` scale.
    pub cycle_error: (f64, f64),
    /// Fréchet distance between the features of `G(a)` and of real `b` (and of `F(b)` and
    /// real `a`), with each target domain's classifier's features; `untranslated` is the same
    /// for the sources as they are (translating nothing); `None` without labelled domains.
    pub fid: Option<DomainDistances>,
    /// KID (the unbiased MMD² estimate, not scaled) in the same features.
    pub kid: Option<DomainDistances>,
}

/// Label-preservation accuracies, with the references a translation is judged against.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelScores {
    /// `B`'s classifier on `G(a)` against `a`'s labels.
    pub a_to_b: f64,
    /// `A`'s classifier on `F(b)` against `b`'s labels.
    pub b_to_a: f64,
    /// Source only: `B`'s classifier on `a` itself, and `A`'s on `b` (no translation).
    pub source_only: (f64, f64),
    /// Each classifier on its own domain's held-out images (`B`'s on `b`, `A`'s on `a`): the
    /// target-supervised reference.
    pub in_domain: (f64, f64),
}

/// A translation against the true counterpart of its input, on the `[0, 1]` scale: the mean
/// absolute difference and the mean SSIM, in each direction, next to the identity map
/// (translating nothing: `a` against `b`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairedScores {
    /// `G(a)` against `b`, `F(b)` against `a`.
    pub l1: (f64, f64),
    /// The same pairs' SSIM.
    pub ssim: (f64, f64),
    /// `a` against `b`.
    pub identity_l1: f64,
    /// `a` against `b`.
    pub identity_ssim: f64,
}

/// A distance in each direction, for the translations and for the untranslated sources.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DomainDistances {
    /// `G(a)` against `b`, and `F(b)` against `a`.
    pub translated: (f64, f64),
    /// `a` against `b`, and `b` against `a`.
    pub untranslated: (f64, f64),
}

/// The random shift, in pixels, the translation domains' classifiers train with (see
/// [`gan_eval::ClassifierTrainingConfig::shift`]).
pub const TRANSLATION_CLASSIFIER_SHIFT: usize = 2;

/// The training seed of the classifiers that judge a translation run (`gan eval`).
pub const JUDGE_SEED: u64 = 17;

/// The training seed of the classifier of domain `A` that the semantic-consistency term
/// trains against ([`CycleGanConfig::lambda_semantic`]): another network than the judge of
/// `gan eval`, so that the measure does not score the very classifier the generators were
/// trained to please.
pub const SEMANTIC_SEED: u64 = 18;

/// The domain classifier of a translation domain, trained on the images the run trained on
/// for at least 1,000 minibatches or 50 epochs (cached like `gan eval`'s, under a name that
/// says how many images).
fn translation_classifier<B: AutodiffBackend>(
    train: &ImageSet,
    held_out: Option<&ImageSet>,
    rule: HeldOutRule,
    seed: u64,
    classifier_dir: &Path,
    log: &mut dyn FnMut(String),
    device: &B::Device,
) -> GanResult<gan_eval::DomainClassifier<B::InnerBackend>> {
    use gan_eval::classifier::{
        ClassifierCard, accuracy, cache_paths, classifier_config_for, load_classifier,
        save_classifier, train_classifier,
    };
    let config = classifier_config_for(train)?;
    // At least 1,000 minibatches, in 5 to 50 epochs: 5 epochs of MNIST's 9,700 images are 757,
    // of the 1,497 optical digits 116, too few for a fair judge (86% on its own held-out images
    // after 5 epochs, against 98% for MNIST's); a set of a few batches stops at 50 epochs.
    // Shifts of up to 2 pixels each way keep the small set from being learnt by heart: 92% on
    // the optical digits' held-out images without them, against 96% for 3-nearest neighbours
    // on the raw 8x8 counts.
    // A domain smaller than a minibatch (a `limit` of a few images) trains on all of it at once.
    let base = gan_eval::ClassifierTrainingConfig::new()
        .with_shift(TRANSLATION_CLASSIFIER_SHIFT)
        .with_seed(seed);
    let base = base
        .clone()
        .with_batch_size(base.batch_size.min(train.len()).max(1));
    let steps_per_epoch = (train.len() / base.batch_size).max(1);
    let epochs = 1000usize.div_ceil(steps_per_epoch).clamp(base.epochs, 50);
    let training = base.with_epochs(epochs);
    // The cache name says which images it learnt from.
    let label = match rule {
        HeldOutRule::Last => format!("{}-first{}", train.name(), train.len()),
        HeldOutRule::Random => format!(
            "{}-first{}-without-{}-random",
            train.name(),
            train.len(),
            held_out.map_or(0, ImageSet::len)
        ),
    };
    let (weights, card_path) = cache_paths(classifier_dir, &label, &config, &training);
    if let Some((model, _)) =
        load_classifier::<B::InnerBackend>(&weights, &card_path, &config, device)?
    {
        log(format!("domain classifier: {}", weights.display()));
        return Ok(model);
    }
    log(format!(
        "training a classifier on {} {} images (cached in {})",
        train.len(),
        train.name(),
        classifier_dir.display()
    ));
    let all: Vec<usize> = (0..train.len()).collect();
    let model = train_classifier::<B>(
        train,
        &all,
        &config,
        &training,
        device,
        &mut |_, _, _, _| {},
    )?;
    let checked: Vec<usize> = (0..held_out.map_or(0, ImageSet::len)).collect();
    let acc = held_out.map_or(0.0, |set| accuracy(&model, set, &checked, device));
    let card = ClassifierCard {
        dataset: label,
        config: serde_json::to_value(&config).expect("serialisable"),
        training: serde_json::to_value(&training).expect("serialisable"),
        train_images: train.len(),
        held_out_accuracy: acc,
        held_out_images: checked.len(),
        sha256: String::new(),
    };
    save_classifier(&model, &weights, &card_path, card)?;
    log(format!("classifier held-out accuracy {:.2}%", 100.0 * acc));
    Ok(model)
}

/// Images of `set` in `[-1, 1]`, flat.
fn signed(set: &ImageSet) -> Vec<f32> {
    set.pixels()
        .iter()
        .map(|&v| PixelRange::MinusOneToOne.scale(v))
        .collect()
}

fn unit(values: &[f32]) -> Vec<f32> {
    values
        .iter()
        .map(|v| ((v + 1.0) / 2.0).clamp(0.0, 1.0))
        .collect()
}

/// Measures the translation run in `dir` on its held-out images (see [`TranslationEval`]) on
/// backend `B`, training (or loading from `classifier_dir`) a classifier per labelled domain,
/// and writes `eval.json` into the run.
pub fn evaluate_translation<B: AutodiffBackend>(
    dir: &Path,
    classifier_dir: &Path,
    device: &B::Device,
    log: &mut dyn FnMut(String),
) -> GanResult<TranslationEval> {
    let config = load_translation_run(dir)?;
    let no_held_out = || GanError::Invalid {
        field: "held_out",
        value: "0".into(),
        expected: format!(
            "held-out images to measure on: the run in {} trained on every image (set held_out in its config)",
            dir.display()
        ),
    };
    let checkpoint = crate::sample::run_checkpoint(dir)?;
    let iteration = CheckpointReader::open(&checkpoint)?.iteration();
    // The classifiers learn from the images the run trained on; the measures use the others.
    let (train_a, train_b) = config.load_domains(true)?;
    let held_a = config.held_out_set(&config.a)?.ok_or_else(no_held_out)?;
    let held_b = config.held_out_set(&config.b)?.ok_or_else(no_held_out)?;
    // Each generator is read once and translates both ways round.
    let g = load_translator::<B::InnerBackend>(dir, &config, Direction::AToB, device)?;
    let f = load_translator::<B::InnerBackend>(dir, &config, Direction::BToA, device)?;
    let (a, b) = (signed(&held_a), signed(&held_b));
    let g_a = translate_images(&g, &a, device);
    let f_b = translate_images(&f, &b, device);
    let f_g_a = translate_images(&f, &g_a, device);
    let g_f_b = translate_images(&g, &f_b, device);
    log(format!(
        "translated {} + {} held-out images both ways at iteration {iteration}",
        held_a.len(),
        held_b.len()
    ));
    let (a, b, g_a, f_b) = (unit(&a), unit(&b), unit(&g_a), unit(&f_b));
    let paired = if config.paired() && held_a.len() == held_b.len() {
        use gan_eval::translation::{mean_absolute_error as l1, mean_ssim};
        let shape = held_a.shape();
        Some(PairedScores {
            l1: (l1(&g_a, &b)?, l1(&f_b, &a)?),
            ssim: (mean_ssim(&g_a, &b, shape)?, mean_ssim(&f_b, &a, shape)?),
            identity_l1: l1(&a, &b)?,
            identity_ssim: mean_ssim(&a, &b, shape)?,
        })
    } else {
        None
    };
    let cycle_error = (
        gan_eval::translation::mean_absolute_error(&unit(&f_g_a), &a)?,
        gan_eval::translation::mean_absolute_error(&unit(&g_f_b), &b)?,
    );

    // The measures that need a judge of each domain: a classifier, so labelled domains with
    // the same classes (the emoji have none: their paired scores stand in).
    let rule = config.held_out_rule;
    let judged = match (held_a.num_classes(), held_b.num_classes()) {
        (Some(ka), Some(kb))
            if ka == kb && held_a.labels().is_some() && held_b.labels().is_some() =>
        {
            let mut judge = |train, held| {
                translation_classifier::<B>(
                    train,
                    Some(held),
                    rule,
                    JUDGE_SEED,
                    classifier_dir,
                    log,
                    device,
                )
            };
            let classifier_a = judge(&train_a, &held_a)?;
            let classifier_b = judge(&train_b, &held_b)?;
            let (shape_a, shape_b) = (held_a.shape(), held_b.shape());
            let embed = |model: &gan_eval::DomainClassifier<B::InnerBackend>,
                         images: &[f32],
                         shape| { model.embed(images, shape, 250, device) };
            let (feat_b, probs_b) = embed(&classifier_b, &b, shape_b);
            let (feat_g_a, probs_g_a) = embed(&classifier_b, &g_a, shape_b);
            let (feat_a_in_b, probs_a_in_b) = embed(&classifier_b, &a, shape_b);
            let (feat_a, probs_a) = embed(&classifier_a, &a, shape_a);
            let (feat_f_b, probs_f_b) = embed(&classifier_a, &f_b, shape_a);
            let (feat_b_in_a, probs_b_in_a) = embed(&classifier_a, &b, shape_a);
            let argmax = |probs: &[f32]| -> Vec<usize> {
                probs
                    .chunks(ka.max(1))
                    .map(|p| {
                        p.iter()
                            .enumerate()
                            .max_by(|x, y| x.1.total_cmp(y.1))
                            .map_or(0, |(i, _)| i)
                    })
                    .collect()
            };
            let truth = |set: &ImageSet| -> Vec<usize> {
                set.labels()
                    .unwrap_or_default()
                    .iter()
                    .map(|&l| usize::from(l))
                    .collect()
            };
            let (la, lb) = (truth(&held_a), truth(&held_b));
            let acc = |probs: &[f32], truth: &[usize]| {
                gan_eval::translation::label_accuracy(&argmax(probs), truth)
            };
            let labels = LabelScores {
                a_to_b: acc(&probs_g_a, &la)?,
                b_to_a: acc(&probs_f_b, &lb)?,
                source_only: (acc(&probs_a_in_b, &la)?, acc(&probs_b_in_a, &lb)?),
                in_domain: (acc(&probs_b, &lb)?, acc(&probs_a, &la)?),
            };
            let fid = |x: &gan_eval::Features, y: &gan_eval::Features| -> GanResult<f64> {
                let sx = gan_eval::GaussianStats::from_rows(x.values(), x.dim())?;
                let sy = gan_eval::GaussianStats::from_rows(y.values(), y.dim())?;
                Ok(gan_eval::frechet_distance(&sx, &sy)?)
            };
            let kid = |x: &gan_eval::Features, y: &gan_eval::Features| -> GanResult<f64> {
                let config = gan_eval::KidConfig {
                    subset_size: x.len().min(y.len()).min(1000),
                    ..gan_eval::KidConfig::default()
                };
                Ok(gan_eval::kid::<B::InnerBackend>(x, y, &config, device)?.mean)
            };
            Some((
                labels,
                DomainDistances {
                    translated: (fid(&feat_g_a, &feat_b)?, fid(&feat_f_b, &feat_a)?),
                    untranslated: (fid(&feat_a_in_b, &feat_b)?, fid(&feat_b_in_a, &feat_a)?),
                },
                DomainDistances {
                    translated: (kid(&feat_b, &feat_g_a)?, kid(&feat_a, &feat_f_b)?),
                    untranslated: (kid(&feat_b, &feat_a_in_b)?, kid(&feat_a, &feat_b_in_a)?),
                },
            ))
        }
        _ => None,
    };
    let (labels, fid, kid) = match judged {
        Some((labels, fid, kid)) => (Some(labels), Some(fid), Some(kid)),
        None => (None, None, None),
    };
    let report = TranslationEval {
        iteration,
        held_out: (held_a.len(), held_b.len()),
        labels,
        paired,
        cycle_error,
        fid,
        kid,
    };
    let json = serde_json::to_string_pretty(&report).expect("the report serialises");
    crate::sample::write_file(&dir.join("eval.json"), json.as_bytes())?;
    Ok(report)
}

impl TranslationEval {
    /// The report as a markdown table, one row per measure, both directions.
    pub fn table(&self) -> String {
        let mut rows = vec![
            format!(
                "| measure ({} + {} held-out images, iteration {}) | A → B | B → A |",
                self.held_out.0, self.held_out.1, self.iteration
            ),
            "|---|---|---|".to_string(),
        ];
        let pct = |v: f64| format!("{:.1}%", 100.0 * v);
        if let Some(l) = &self.labels {
            rows.push(format!(
                "| label preservation | {} | {} |",
                pct(l.a_to_b),
                pct(l.b_to_a)
            ));
            rows.push(format!(
                "| source only (no translation) | {} | {} |",
                pct(l.source_only.0),
                pct(l.source_only.1)
            ));
            rows.push(format!(
                "| classifier on its own domain | {} | {} |",
                pct(l.in_domain.0),
                pct(l.in_domain.1)
            ));
        }
        if let Some(p) = &self.paired {
            rows.push(format!(
                "| paired L1 to the true counterpart (identity map: {:.4}) | {:.4} | {:.4} |",
                p.identity_l1, p.l1.0, p.l1.1
            ));
            rows.push(format!(
                "| paired SSIM to the true counterpart (identity map: {:.4}) | {:.4} | {:.4} |",
                p.identity_ssim, p.ssim.0, p.ssim.1
            ));
        }
        rows.push(format!(
            "| cycle error (mean abs., [0, 1]) | {:.4} | {:.4} |",
            self.cycle_error.0, self.cycle_error.1
        ));
        for (name, distances, digits) in [("FID", &self.fid, 2), ("KID", &self.kid, 4)] {
            if let Some(d) = distances {
                rows.push(format!(
                    "| {name}, domain features: translated | {:.digits$} | {:.digits$} |",
                    d.translated.0, d.translated.1
                ));
                rows.push(format!(
                    "| {name}, domain features: untranslated | {:.digits$} | {:.digits$} |",
                    d.untranslated.0, d.untranslated.1
                ));
            }
        }
        rows.join("\n")
    }
}
