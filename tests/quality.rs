//! The default job delivers what the README promises, measured with fixed seeds: its digits
//! are recognisable. Of 2,000 samples, at least 70% are classified with confidence >= 0.9 by a
//! CNN trained on real digits, and every digit is at least 3% of the samples.
//!
//! It trains on Flex, the default backend (the other backends are checked against it
//! elsewhere).
#![cfg(feature = "flex")]

use burn::module::{AutodiffModule, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use gan::backend::{Flex, FlexAutodiff};
use gan::data::{ImageSet, embedded_mnist};
use gan::image::{ImageRunConfig, run_images};
use gan::sample::{SampleRequest, sample_run};

/// A small CNN digit classifier: two 3x3 convolutions with max pooling, two linear layers.
#[derive(Module, Debug)]
struct DigitClassifier<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    pool: MaxPool2d,
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: Backend> DigitClassifier<B> {
    fn new(device: &B::Device) -> Self {
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        Self {
            conv1: conv(1, 16),
            conv2: conv(16, 32),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(32 * 7 * 7, 128).init(device),
            out: LinearConfig::new(128, 10).init(device),
        }
    }

    /// `[n, 1, 28, 28]` in `[0, 1]` to class logits `[n, 10]`.
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x = relu(self.hidden.forward(x.flatten(1, 3)));
        self.out.forward(x)
    }
}

/// Images `from..to` of `set` in `[0, 1]`, with their labels.
fn slice<B: Backend>(
    set: &ImageSet,
    from: usize,
    to: usize,
    device: &B::Device,
) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
    let pixels: Vec<f32> = set.pixels()[from * 784..to * 784]
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let labels: Vec<i64> = set.labels().unwrap()[from..to]
        .iter()
        .map(|&l| i64::from(l))
        .collect();
    (
        Tensor::from_data(TensorData::new(pixels, [to - from, 1, 28, 28]), device),
        Tensor::from_ints(labels.as_slice(), device),
    )
}

/// Trains the classifier on the first 9,000 embedded digits (3 epochs of Adam) and returns it
/// with its accuracy on the last 1,000.
fn train_classifier<B: AutodiffBackend>(
    device: &B::Device,
) -> (DigitClassifier<B::InnerBackend>, f64) {
    B::seed(device, 17);
    let set = embedded_mnist();
    let mut model = DigitClassifier::<B>::new(device);
    let mut optim = AdamConfig::new().init();
    let batch = 64;
    let mut order: Vec<usize> = (0..9000 / batch).collect();
    for epoch in 0..3 {
        // A fixed rotation of the minibatch order per epoch.
        order.rotate_left(epoch * 37);
        for &b in &order {
            let (x, y) = slice::<B>(&set, b * batch, (b + 1) * batch, device);
            let logits = model.forward(x);
            let loss = gan::train::cross_entropy(logits, y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
        }
    }
    let model = model.valid();
    let (x, y) = slice::<B::InnerBackend>(&set, 9000, 10_000, device);
    let predicted = model.forward(x).argmax(1).flatten::<1>(0, 1);
    let correct: i64 = predicted.equal(y).int().sum().into_scalar().elem();
    (model, correct as f64 / 1000.0)
}

/// The default job (`cargo run --release`, i.e. `gan train` with no flags) trains a generator
/// whose samples a CNN trained on real digits recognises: at least 70% of 2,000 samples are
/// classified with confidence >= 0.9, and every digit is at least 3% of the samples.
#[test]
fn default_job_draws_recognisable_digits_of_every_class() {
    let device = Default::default();
    let (classifier, accuracy) = train_classifier::<FlexAutodiff>(&device);
    assert!(accuracy >= 0.97, "classifier held-out accuracy {accuracy}");

    let dir = tempfile::tempdir().unwrap();
    let config = ImageRunConfig::new();
    run_images::<FlexAutodiff>(&config, dir.path(), &device, false, true, &mut []).unwrap();
    let n = 2000;
    let request = SampleRequest {
        n,
        seed: 99,
        ..SampleRequest::default()
    };
    let samples = sample_run::<Flex>(dir.path(), &request, &device).unwrap();
    let images: Tensor<Flex, 4> = Tensor::from_data(
        TensorData::new(samples.unit_values(), [n, 1, 28, 28]),
        &device,
    );
    let probs = softmax(classifier.forward(images), 1);
    let confidence: Vec<f32> = probs.clone().max_dim(1).into_data().iter::<f32>().collect();
    let class: Vec<i64> = probs.argmax(1).into_data().iter::<i64>().collect();
    let confident = confidence.iter().filter(|&&c| c >= 0.9).count() as f64 / n as f64;
    let mut share = [0.0f64; 10];
    for &c in &class {
        share[c as usize] += 1.0 / n as f64;
    }
    let report = format!("confident {confident:.3}, class shares {share:.3?}");
    eprintln!("default job: {report}");
    assert!(confident >= 0.70, "{report}");
    assert!(share.iter().all(|&s| s >= 0.03), "{report}");
}
