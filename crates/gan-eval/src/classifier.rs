//! A small CNN trained on a dataset's own training split, whose penultimate activations are
//! the "domain features" for cheap FID/KID/precision-recall and whose softmax gives the
//! classifier score. Figures from these features are comparable only within this project
//! (between runs, backends and losses here), not with published Inception numbers.
//!
//! Trained classifiers are cached as safetensors with a JSON sidecar holding their SHA-256,
//! configs and held-out accuracy; a file that no longer matches its checksum is refused.

use std::fs;
use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use gan_data::ImageSet;
use rand::RngExt;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{EvalError, Result as EvalResult};
use crate::features::Features;

/// The architecture: two 3x3 convolutions (`width`, `2 width` channels) each followed by ReLU
/// and 2x2 max pooling, a hidden layer of `features` ReLU units (the domain features) and the
/// class logits.
#[derive(Config, Debug, PartialEq)]
pub struct DomainClassifierConfig {
    /// Image channels (1 or 3).
    pub channels: usize,
    /// Image side in pixels (a multiple of 4: 28 or 32 for the built-in datasets).
    pub size: usize,
    /// Number of classes.
    pub classes: usize,
    /// Channels of the first convolution.
    #[config(default = 16)]
    pub width: usize,
    /// Dimension of the feature layer.
    #[config(default = 128)]
    pub features: usize,
}

impl DomainClassifierConfig {
    /// Checks the sizes.
    pub fn validate(&self) -> EvalResult<()> {
        let bad = |field, value: usize, expected| {
            Err(EvalError::Invalid {
                field,
                value: value.to_string(),
                expected,
            })
        };
        if self.channels == 0 {
            return bad("channels", self.channels, "at least 1");
        }
        if self.size < 4 || !self.size.is_multiple_of(4) {
            return bad("size", self.size, "a multiple of 4 (28 or 32)");
        }
        if self.classes < 2 {
            return bad("classes", self.classes, "at least 2");
        }
        if self.width == 0 || self.features == 0 {
            return bad("width/features", 0, "at least 1");
        }
        Ok(())
    }

    /// The untrained network on `device`.
    pub fn init<B: Backend>(&self, device: &B::Device) -> EvalResult<DomainClassifier<B>> {
        self.validate()?;
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        let side = self.size / 4;
        Ok(DomainClassifier {
            conv1: conv(self.channels, self.width),
            conv2: conv(self.width, 2 * self.width),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(2 * self.width * side * side, self.features).init(device),
            out: LinearConfig::new(self.features, self.classes).init(device),
        })
    }
}

/// The domain classifier (see [`DomainClassifierConfig`]).
#[derive(Module, Debug)]
pub struct DomainClassifier<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    pool: MaxPool2d,
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: Backend> DomainClassifier<B> {
    /// The feature layer for images `[n, channels, size, size]` in `[0, 1]`: `[n, features]`.
    pub fn features(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.pool.forward(relu(self.conv1.forward(images)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        relu(self.hidden.forward(x.flatten(1, 3)))
    }

    /// Class logits `[n, classes]` from the feature layer.
    pub fn head(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        self.out.forward(features)
    }

    /// Class logits `[n, classes]`.
    pub fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        self.head(self.features(images))
    }

    /// Features and class probabilities of many images (`[n, c, h, w]` row-major in
    /// `[0, 1]`), `batch` at a time.
    pub fn embed(
        &self,
        images: &[f32],
        shape: [usize; 3],
        batch: usize,
        device: &B::Device,
    ) -> (Features, Vec<f32>) {
        let per: usize = shape.iter().product();
        let n = images.len() / per;
        let mut features = Features::empty(self.out.weight.dims()[0]);
        let mut probs = Vec::with_capacity(n * self.out.weight.dims()[1]);
        for from in (0..n).step_by(batch.max(1)) {
            let to = (from + batch.max(1)).min(n);
            let x = Tensor::from_data(
                TensorData::new(
                    images[from * per..to * per].to_vec(),
                    [to - from, shape[0], shape[1], shape[2]],
                ),
                device,
            );
            let f = self.features(x);
            probs.extend(softmax(self.head(f.clone()), 1).into_data().iter::<f32>());
            features.push(f).expect("the feature layer's width");
        }
        (features, probs)
    }
}

/// How the classifier is trained.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierTrainingConfig {
    /// Passes over the training images.
    #[config(default = 5)]
    pub epochs: usize,
    /// Minibatch size.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 1e-3)]
    pub lr: f64,
    /// Seed of the weights, the minibatch order and the shifts.
    #[config(default = 17)]
    pub seed: u64,
    /// Augmentation: each training image is moved by a random whole number of pixels in
    /// `-shift..=shift` along each axis, drawn anew for every minibatch, with black filling
    /// the uncovered border (see [`shift_image`]). 0 trains on the images as they are. A
    /// small set (the 1,497 optical digits) overfits without it.
    #[config(default = 0)]
    pub shift: usize,
}

/// `image` (`channels` planes of `side x side`, row-major) moved `dx` pixels right and `dy`
/// down, the pixels moved out dropped and the uncovered ones set to 0.
pub fn shift_image(image: &[f32], channels: usize, side: usize, dx: isize, dy: isize) -> Vec<f32> {
    let mut out = vec![0.0; image.len()];
    let n = side as isize;
    for c in 0..channels {
        let plane = c * side * side;
        for y in 0..n {
            let sy = y - dy;
            if !(0..n).contains(&sy) {
                continue;
            }
            for x in 0..n {
                let sx = x - dx;
                if (0..n).contains(&sx) {
                    out[plane + (y * n + x) as usize] = image[plane + (sy * n + sx) as usize];
                }
            }
        }
    }
    out
}

/// Images of `set` (indices `index`) in `[0, 1]`, row-major.
pub fn unit_pixels(set: &ImageSet, index: &[usize]) -> Vec<f32> {
    let mut v = Vec::with_capacity(index.len() * set.features());
    for &i in index {
        v.extend(set.image(i).iter().map(|&p| f32::from(p) / 255.0));
    }
    v
}

fn batch<B: Backend>(
    set: &ImageSet,
    index: &[usize],
    device: &B::Device,
) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
    upload(set, index, unit_pixels(set, index), device)
}

/// The images `index` of `set` as a minibatch, each moved by its own random shift (see
/// [`ClassifierTrainingConfig::shift`]) on the host before the one upload.
fn shifted_batch<B: Backend>(
    set: &ImageSet,
    index: &[usize],
    shift: usize,
    rng: &mut gan_models::GanRng,
    device: &B::Device,
) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
    let [c, h, _] = set.shape();
    let s = shift as i64;
    let pixels = unit_pixels(set, index);
    let mut out = Vec::with_capacity(pixels.len());
    for image in pixels.chunks_exact(set.features()) {
        let dx = rng.random_range(-s..=s) as isize;
        let dy = rng.random_range(-s..=s) as isize;
        out.extend(shift_image(image, c, h, dx, dy));
    }
    upload(set, index, out, device)
}

/// `pixels` (the images `index` of `set`, row-major) and their labels on `device`.
fn upload<B: Backend>(
    set: &ImageSet,
    index: &[usize],
    pixels: Vec<f32>,
    device: &B::Device,
) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
    let [c, h, w] = set.shape();
    let labels: Vec<i64> = index
        .iter()
        .map(|&i| i64::from(set.labels().expect("labelled")[i]))
        .collect();
    (
        Tensor::from_data(TensorData::new(pixels, [index.len(), c, h, w]), device),
        Tensor::from_ints(labels.as_slice(), device),
    )
}

/// The architecture for a labelled image set (28 or 32 px).
pub fn classifier_config_for(set: &ImageSet) -> EvalResult<DomainClassifierConfig> {
    let [c, h, w] = set.shape();
    let classes = set.num_classes().ok_or(EvalError::Invalid {
        field: "dataset",
        value: set.name().to_string(),
        expected: "a labelled dataset (the domain classifier learns its classes)",
    })?;
    if h != w {
        return Err(EvalError::Invalid {
            field: "image size",
            value: format!("{h}x{w}"),
            expected: "square images",
        });
    }
    let config = DomainClassifierConfig::new(c, h, classes);
    config.validate()?;
    Ok(config)
}

/// Trains a classifier on the images `train` of `set`; `progress(epoch, step, steps, loss)`
/// is called after every minibatch.
pub fn train_classifier<B: AutodiffBackend>(
    set: &ImageSet,
    train: &[usize],
    config: &DomainClassifierConfig,
    training: &ClassifierTrainingConfig,
    device: &B::Device,
    progress: &mut dyn FnMut(usize, usize, usize, f32),
) -> EvalResult<DomainClassifier<B::InnerBackend>> {
    if set.labels().is_none() {
        return Err(EvalError::Invalid {
            field: "dataset",
            value: set.name().to_string(),
            expected: "labelled images",
        });
    }
    if training.batch_size == 0 || training.epochs == 0 || train.len() < training.batch_size {
        return Err(EvalError::Invalid {
            field: "classifier training",
            value: format!(
                "{} epochs of batches of {} over {} images",
                training.epochs,
                training.batch_size,
                train.len()
            ),
            expected: "at least one epoch and one full batch",
        });
    }
    B::seed(device, training.seed);
    let mut model = config.init::<B>(device)?;
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut rng = gan_models::rng_from_seed(training.seed);
    let mut order = train.to_vec();
    let steps = train.len() / training.batch_size;
    for epoch in 0..training.epochs {
        order.shuffle(&mut rng);
        for (step, index) in order.chunks_exact(training.batch_size).enumerate() {
            let (x, y) = if training.shift > 0 {
                shifted_batch::<B>(set, index, training.shift, &mut rng, device)
            } else {
                batch::<B>(set, index, device)
            };
            let loss = loss_fn.forward(model.forward(x), y);
            let value: f32 = loss.clone().into_scalar().elem_to_f32();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(training.lr, model, grads);
            progress(epoch, step, steps, value);
        }
    }
    Ok(model.valid())
}

trait ElemToF32 {
    fn elem_to_f32(self) -> f32;
}

impl<E: burn::tensor::ElementConversion> ElemToF32 for E {
    fn elem_to_f32(self) -> f32 {
        self.elem()
    }
}

/// Share of the images `index` of `set` classified correctly.
pub fn accuracy<B: Backend>(
    model: &DomainClassifier<B>,
    set: &ImageSet,
    index: &[usize],
    device: &B::Device,
) -> f64 {
    let mut correct = 0usize;
    for chunk in index.chunks(500) {
        let (x, y) = batch::<B>(set, chunk, device);
        let predicted: Vec<i64> = model
            .forward(x)
            .argmax(1)
            .into_data()
            .iter::<i64>()
            .collect();
        let truth: Vec<i64> = y.into_data().iter::<i64>().collect();
        correct += predicted.iter().zip(&truth).filter(|(p, t)| p == t).count();
    }
    correct as f64 / index.len().max(1) as f64
}

/// The sidecar of a cached classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierCard {
    /// The dataset it was trained on.
    pub dataset: String,
    /// Its architecture.
    pub config: serde_json::Value,
    /// How it was trained.
    pub training: serde_json::Value,
    /// Images trained on.
    pub train_images: usize,
    /// Accuracy on the held-out images.
    pub held_out_accuracy: f64,
    /// Held-out images.
    pub held_out_images: usize,
    /// SHA-256 of the weights file, hex.
    pub sha256: String,
}

/// The cache file names for a dataset and configs: `<dir>/<dataset>-<hash>.safetensors` and
/// `.json`; the hash covers the configs, so changing them trains a new classifier.
pub fn cache_paths(
    dir: &Path,
    dataset: &str,
    config: &DomainClassifierConfig,
    training: &ClassifierTrainingConfig,
) -> (PathBuf, PathBuf) {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(config).unwrap_or_default());
    // Without augmentation the hash is the one from before `shift` existed, so classifiers
    // cached then are found again.
    let mut training = serde_json::to_value(training).unwrap_or_default();
    if let Some(fields) = training.as_object_mut()
        && fields.get("shift").and_then(|v| v.as_u64()) == Some(0)
    {
        fields.remove("shift");
    }
    h.update(serde_json::to_vec(&training).unwrap_or_default());
    let hash: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = format!("{dataset}-{hash}");
    (
        dir.join(format!("{stem}.safetensors")),
        dir.join(format!("{stem}.json")),
    )
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> EvalResult<()> {
    let io = |action| {
        move |source| EvalError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io("cannot create the directory of"))?;
    }
    gan_data::write_atomic(path, bytes).map_err(io("cannot write"))
}

/// Saves a trained classifier and its card (weights first, each file atomically).
pub fn save_classifier<B: Backend>(
    model: &DomainClassifier<B>,
    weights: &Path,
    card_path: &Path,
    mut card: ClassifierCard,
) -> EvalResult<ClassifierCard> {
    let mut store = SafetensorsStore::from_bytes(None);
    let bytes = model
        .save_into(&mut store)
        .and_then(|()| store.get_bytes())
        .map_err(|e| EvalError::Weights {
            path: weights.to_path_buf(),
            reason: format!("cannot serialise the classifier: {e}"),
        })?;
    card.sha256 = hex_sha256(&bytes);
    write_atomic(weights, &bytes)?;
    let json = serde_json::to_vec_pretty(&card).expect("serialisable card");
    write_atomic(card_path, &json)?;
    Ok(card)
}

/// Loads a cached classifier, refusing weights whose SHA-256 differs from the card's.
/// `Ok(None)` when no cache exists.
pub fn load_classifier<B: Backend>(
    weights: &Path,
    card_path: &Path,
    config: &DomainClassifierConfig,
    device: &B::Device,
) -> EvalResult<Option<(DomainClassifier<B>, ClassifierCard)>> {
    if !weights.is_file() || !card_path.is_file() {
        return Ok(None);
    }
    let read = |path: &Path| {
        fs::read(path).map_err(|source| EvalError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })
    };
    let card: ClassifierCard =
        serde_json::from_slice(&read(card_path)?).map_err(|e| EvalError::Weights {
            path: card_path.to_path_buf(),
            reason: format!("not a classifier card ({e}); delete it to retrain"),
        })?;
    let bytes = read(weights)?;
    let digest = hex_sha256(&bytes);
    if digest != card.sha256 {
        return Err(EvalError::Weights {
            path: weights.to_path_buf(),
            reason: format!(
                "SHA-256 is {digest}, expected {} from {}; the file is damaged: delete both \
                 files to retrain the classifier",
                card.sha256,
                card_path.display()
            ),
        });
    }
    let mut model = config.init::<B>(device)?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let result = model
        .load_from(&mut store)
        .map_err(|e| EvalError::Weights {
            path: weights.to_path_buf(),
            reason: format!("cannot load the classifier: {e}"),
        })?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(EvalError::Weights {
            path: weights.to_path_buf(),
            reason: "its tensors do not match the classifier's architecture; delete it to retrain"
                .into(),
        });
    }
    Ok(Some((model, card)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;

    /// A 2-channel 4x4 image with pixel value `10·channel + index`.
    fn ramp() -> Vec<f32> {
        (0..2)
            .flat_map(|c| (0..16).map(move |i| (10 * c + i) as f32 + 1.0))
            .collect()
    }

    #[test]
    fn shift_image_moves_each_plane_and_fills_with_black() {
        let image = ramp();
        assert_eq!(shift_image(&image, 2, 4, 0, 0), image);
        // One right, two up: out(y, x) = in(y + 2, x - 1), zero where that is outside.
        let moved = shift_image(&image, 2, 4, 1, -2);
        for c in 0..2 {
            for y in 0..4 {
                for x in 0..4 {
                    let expected = if y + 2 < 4 && x >= 1 {
                        image[c * 16 + (y + 2) * 4 + (x - 1)]
                    } else {
                        0.0
                    };
                    assert_eq!(moved[c * 16 + y * 4 + x], expected, "({c}, {y}, {x})");
                }
            }
        }
        // Moved out entirely.
        assert!(shift_image(&image, 2, 4, 4, 0).iter().all(|&v| v == 0.0));
        assert!(shift_image(&image, 2, 4, 0, -4).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn shifted_batches_move_each_image_by_its_own_offset_within_the_bound() {
        // 200 images of one lit pixel at (5, 5) on 12x12: where it lands gives the offset.
        let n = 200;
        let mut pixels = vec![0u8; n * 144];
        for i in 0..n {
            pixels[i * 144 + 5 * 12 + 5] = 255;
        }
        let labels = (0..n).map(|i| (i % 3) as u16).collect();
        let set = ImageSet::new("dots", [1, 12, 12], pixels, Some(labels), None).unwrap();
        let device = Default::default();
        let index: Vec<usize> = (0..n).collect();
        let mut rng = gan_models::rng_from_seed(3);
        let (x, y) = shifted_batch::<Flex>(&set, &index, 2, &mut rng, &device);
        assert_eq!(x.dims(), [n, 1, 12, 12]);
        let y: Vec<i64> = y.into_data().iter::<i64>().collect();
        assert_eq!(y, (0..n as i64).map(|i| i % 3).collect::<Vec<_>>());
        let out: Vec<f32> = x.into_data().iter::<f32>().collect();
        let mut seen = std::collections::BTreeSet::new();
        for image in out.chunks_exact(144) {
            let lit: Vec<usize> = (0..144).filter(|&i| image[i] == 1.0).collect();
            assert_eq!(lit.len(), 1, "one pixel, moved and kept");
            assert_eq!(image.iter().sum::<f32>(), 1.0);
            let (dy, dx) = (lit[0] as i64 / 12 - 5, lit[0] as i64 % 12 - 5);
            assert!(dx.abs() <= 2 && dy.abs() <= 2, "offset ({dx}, {dy})");
            seen.insert((dx, dy));
        }
        // All 25 offsets turn up among 200 draws (each is missed with probability
        // (24/25)^200 < 3e-4; the seed is fixed).
        assert_eq!(seen.len(), 25);
    }

    #[test]
    fn cache_names_without_shift_are_the_ones_from_before_it() {
        let config = DomainClassifierConfig::new(1, 28, 10);
        let plain = ClassifierTrainingConfig::new();
        // The hash input of a training config before `shift` existed: its other fields.
        let before = serde_json::json!({
            "epochs": plain.epochs,
            "batch_size": plain.batch_size,
            "lr": plain.lr,
            "seed": plain.seed,
        });
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(&config).unwrap());
        h.update(serde_json::to_vec(&before).unwrap());
        let hash: String = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = Path::new("cache");
        let (weights, card) = cache_paths(dir, "mnist", &config, &plain);
        assert_eq!(weights, dir.join(format!("mnist-{hash}.safetensors")));
        assert_eq!(card, dir.join(format!("mnist-{hash}.json")));
        // A shift is another training: another file.
        let (shifted, _) = cache_paths(dir, "mnist", &config, &plain.clone().with_shift(2));
        assert_ne!(shifted, weights);
    }
}
