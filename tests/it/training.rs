//! The trainer's machinery on every backend: first-order gradient penalties against their exact
//! gradients, checkpoint errors, divergence, observers, the weight average and conditional
//! training.

use crate::common;

use std::path::Path;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor};
use gan::data::{Toy2d, ToySampler};
use gan::models::{
    ConditionConfig, Discriminator, MlpDiscriminator, MlpDiscriminatorConfig, MlpGenerator,
    MlpGeneratorConfig, OutputActivation, Prior,
};
use gan::toy::ToyRunConfig;
use gan::train::{
    CheckpointError, GanLoss, GradientPenalty, Metrics, Observer, RunConfig, RunDir, TrainConfig,
    TrainError, Trainer, ema_update, fit, gradient_penalty,
};
use rand::{RngExt, SeedableRng};

use crate::common::{Gaussian1d, host_init, mean_std, param_values, set_params};

/// `D(x) = v · tanh(W x + b) + c` on the plane: smooth (so the central difference has an
/// `O(h²)` error, not zero) and with an input gradient whose parameter derivatives have a
/// closed form.
#[derive(Module, Debug)]
struct TanhCritic<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: Backend> Discriminator<B> for TanhCritic<B> {
    fn input_features(&self) -> usize {
        2
    }

    fn discriminate(&self, x: Tensor<B, 2>, _: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.out.forward(self.hidden.forward(x).tanh())
    }
}

const HIDDEN: usize = 3;

/// The critic's parameters: `w[j][k]` (input j, unit k), `b[k]`, `v[k]`, `c`.
struct CriticParams {
    w: [[f64; HIDDEN]; 2],
    b: [f64; HIDDEN],
    v: [f64; HIDDEN],
    c: f64,
}

impl CriticParams {
    fn flat(&self) -> Vec<f32> {
        let mut out: Vec<f32> = self.w.iter().flatten().map(|&x| x as f32).collect();
        out.extend(self.b.iter().map(|&x| x as f32));
        out.extend(self.v.iter().map(|&x| x as f32));
        out.push(self.c as f32);
        out
    }

    /// The exact penalty value and its gradient with respect to `(w, b, v, c)` (flattened
    /// like [`Self::flat`]) for `φ(n)` with derivative `φ'(n)`, averaged over `points`.
    fn exact_penalty(
        &self,
        points: &[[f64; 2]],
        phi: impl Fn(f64) -> (f64, f64),
    ) -> (f64, Vec<f64>) {
        let mut value = 0.0;
        let mut grad = vec![0.0; 2 * HIDDEN + 2 * HIDDEN + 1];
        for x in points {
            let mut t = [0.0; HIDDEN];
            let mut s = [0.0; HIDDEN];
            for k in 0..HIDDEN {
                let u = x[0] * self.w[0][k] + x[1] * self.w[1][k] + self.b[k];
                t[k] = u.tanh();
                s[k] = 1.0 - t[k] * t[k];
            }
            // g_j = Σ_k v_k s_k w_jk
            let g: Vec<f64> = (0..2)
                .map(|j| (0..HIDDEN).map(|k| self.v[k] * s[k] * self.w[j][k]).sum())
                .collect();
            let n = (g[0] * g[0] + g[1] * g[1]).sqrt();
            let (phi_n, slope) = phi(n);
            value += phi_n;
            let unit = [g[0] / n, g[1] / n];
            for k in 0..HIDDEN {
                let ds = -2.0 * t[k] * s[k]; // d s_k / d u_k
                for i in 0..2 {
                    // d g_j / d w_ik = v_k (s_k δ_ij + w_jk ds x_i)
                    let dn: f64 = (0..2)
                        .map(|j| {
                            let delta = if i == j { s[k] } else { 0.0 };
                            unit[j] * self.v[k] * (delta + self.w[j][k] * ds * x[i])
                        })
                        .sum();
                    grad[i * HIDDEN + k] += slope * dn;
                }
                // d g_j / d b_k = v_k w_jk ds
                let dn_b: f64 = (0..2)
                    .map(|j| unit[j] * self.v[k] * self.w[j][k] * ds)
                    .sum();
                grad[2 * HIDDEN + k] += slope * dn_b;
                // d g_j / d v_k = s_k w_jk
                let dn_v: f64 = (0..2).map(|j| unit[j] * s[k] * self.w[j][k]).sum();
                grad[3 * HIDDEN + k] += slope * dn_v;
            }
        }
        let m = points.len() as f64;
        (value / m, grad.into_iter().map(|g| g / m).collect())
    }
}

fn tanh_critic<B: Backend>(params: &CriticParams, device: &B::Device) -> TanhCritic<B> {
    let critic = TanhCritic {
        hidden: LinearConfig::new(2, HIDDEN).init(device),
        out: LinearConfig::new(HIDDEN, 1).init(device),
    };
    set_params(critic, &params.flat())
}

/// The first-order penalty's parameter gradient matches the exact one (closed form, f64) to
/// 1e-3 of its largest component with the default step h = 1e-2, for WGAN-GP, DRAGAN and R1
/// (the penalty's value and gradient at given points; DRAGAN's points are in `variants`); the
/// reported value matches to 1e-5 relative; and the error shrinks like h² (h = 0.1 is at
/// least 20x worse than h = 0.01, which shows that the test can tell).
fn penalty_gradient_matches_exact<B: AutodiffBackend>(device: &B::Device) {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(17);
    let mut draw = |scale: f64| rng.random_range(-scale..scale);
    let params = CriticParams {
        w: [
            [draw(1.5), draw(1.5), draw(1.5)],
            [draw(1.5), draw(1.5), draw(1.5)],
        ],
        b: [draw(0.5), draw(0.5), draw(0.5)],
        v: [draw(1.5), draw(1.5), draw(1.5)],
        c: draw(0.5),
    };
    let points: Vec<[f64; 2]> = (0..16).map(|_| [draw(1.0), draw(1.0)]).collect();
    let flat_points: Vec<f32> = points.iter().flatten().map(|&x| x as f32).collect();

    for penalty in [
        GradientPenalty::WganGp { lambda: 10.0 },
        GradientPenalty::Dragan { lambda: 10.0 },
        GradientPenalty::R1 { gamma: 4.0 },
    ] {
        let phi = |n: f64| match penalty {
            GradientPenalty::WganGp { lambda } | GradientPenalty::Dragan { lambda } => {
                (lambda * (n - 1.0).powi(2), 2.0 * lambda * (n - 1.0))
            }
            GradientPenalty::R1 { gamma } => (gamma / 2.0 * n * n, gamma * n),
        };
        let (exact_value, exact_grad) = params.exact_penalty(&points, phi);
        let scale = exact_grad.iter().fold(0.0f64, |a, g| a.max(g.abs()));
        let error_at = |h: f64| {
            let critic = tanh_critic::<B>(&params, device);
            let x = Tensor::<B::InnerBackend, 1>::from_floats(flat_points.as_slice(), device)
                .reshape([points.len(), 2]);
            let terms = gradient_penalty::<B, _>(&penalty, &critic, x, None, h);
            let value: f32 = terms.value.into_scalar().elem();
            let grads = terms.surrogate.backward();
            let mut got: Vec<f32> = Vec::new();
            for t in [
                critic.hidden.weight.val().grad(&grads).unwrap().into_data(),
                critic
                    .hidden
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(&grads)
                    .unwrap()
                    .into_data(),
                critic.out.weight.val().grad(&grads).unwrap().into_data(),
            ] {
                got.extend(t.iter::<f32>());
            }
            // c does not change the input gradient: its gradient is zero or absent.
            let c_grad = critic
                .out
                .bias
                .as_ref()
                .unwrap()
                .val()
                .grad(&grads)
                .map_or(0.0, |g| g.into_scalar().elem::<f32>());
            got.push(c_grad);
            let error = got
                .iter()
                .zip(&exact_grad)
                .fold(0.0f64, |a, (g, e)| a.max((*g as f64 - e).abs()));
            (value, error)
        };
        let (value, error) = error_at(1e-2);
        assert!(
            (value as f64 - exact_value).abs() <= 1e-5 * exact_value.abs().max(1.0),
            "{penalty:?}: value {value} vs exact {exact_value}"
        );
        assert!(
            error <= 1e-3 * scale,
            "{penalty:?}: gradient error {error:e} vs largest component {scale:e}"
        );
        let (_, coarse) = error_at(1e-1);
        assert!(
            coarse >= 20.0 * error,
            "{penalty:?}: error at h = 0.1 is {coarse:e}, at h = 0.01 {error:e}: not O(h²)"
        );
    }
}

/// Adding a penalty of weight zero changes nothing: the penalty's own backward pass (for the
/// input gradient) must not disturb the adversarial loss's graph. One step with R1 at γ = 0 and
/// one without a penalty give the same discriminator (within 1e-6).
fn zero_penalty_changes_nothing<B: AutodiffBackend>(device: &B::Device) {
    let step_with = |penalty: Option<GradientPenalty>| {
        let mut trainer = ring_trainer::<B>(quick_config().with_penalty(penalty), 16, device);
        let mut data = ToySampler::new(Toy2d::ring8(), 3).unwrap();
        trainer.step(&mut data).unwrap();
        param_values(trainer.discriminator())
    };
    let plain = step_with(None);
    let penalised = step_with(Some(GradientPenalty::R1 { gamma: 0.0 }));
    let diff = common::max_abs_diff(&plain, &penalised);
    assert!(diff <= 1e-6, "a zero penalty changed D by {diff}");
}

fn ring_models<B: AutodiffBackend>(
    hidden: usize,
    device: &B::Device,
) -> (MlpGenerator<B>, MlpDiscriminator<B>) {
    let base = ToyRunConfig::new();
    let g = base
        .generator
        .with_hidden(vec![hidden, hidden])
        .init::<B>(device);
    let d = base
        .discriminator
        .with_hidden(vec![hidden, hidden])
        .init::<B>(device);
    (host_init(g, 1), host_init(d, 2))
}

fn ring_trainer<B: AutodiffBackend>(
    config: TrainConfig,
    hidden: usize,
    device: &B::Device,
) -> Trainer<B, MlpGenerator<B>, MlpDiscriminator<B>> {
    let (g, d) = ring_models::<B>(hidden, device);
    Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap()
}

fn quick_config() -> TrainConfig {
    TrainConfig::new()
        .with_iterations(4)
        .with_batch_size(32)
        .with_ema_decay(Some(0.5))
}

fn checkpoint_error(result: gan::train::Result<()>) -> CheckpointError {
    match result {
        Err(TrainError::Checkpoint(e)) => e,
        other => panic!("expected a checkpoint error, got {other:?}"),
    }
}

/// A checkpoint for another architecture, a truncated weights file, a damaged optimizer state,
/// a changed config and another format version are each a typed error naming the file (and the
/// field, or both versions); the trainer is left as it was.
fn checkpoint_errors_are_clear<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let mut data = ToySampler::new(Toy2d::ring8(), 3).unwrap();
    let mut trainer = ring_trainer::<B>(quick_config(), 16, device);
    trainer.step(&mut data).unwrap();
    let checkpoint = trainer.save_checkpoint(&data, dir.path()).unwrap();
    assert!(checkpoint.join("generator_ema.safetensors").is_file());

    // Another architecture.
    let mut wider = ring_trainer::<B>(quick_config(), 32, device);
    let before = param_values(wider.generator());
    match checkpoint_error(wider.load_checkpoint(&mut data, &checkpoint)) {
        CheckpointError::Architecture { path, details } => {
            assert!(path.ends_with("generator.safetensors"), "{path:?}");
            assert!(!details.is_empty());
        }
        other => panic!("expected Architecture, got {other}"),
    }
    assert_eq!(
        param_values(wider.generator()),
        before,
        "a failed load changed the model"
    );
    assert_eq!(wider.iteration(), 0);

    // Another config.
    let mut other = ring_trainer::<B>(quick_config().with_loss(GanLoss::Hinge), 16, device);
    match checkpoint_error(other.load_checkpoint(&mut data, &checkpoint)) {
        CheckpointError::ConfigMismatch { field, .. } => assert_eq!(field, "loss"),
        other => panic!("expected ConfigMismatch, got {other}"),
    }
    // Only the iteration count may differ.
    let mut longer = ring_trainer::<B>(quick_config().with_iterations(100), 16, device);
    longer.load_checkpoint(&mut data, &checkpoint).unwrap();
    assert_eq!(longer.iteration(), 1);
    assert_eq!(
        param_values(longer.generator()),
        param_values(trainer.generator())
    );

    let mut damaged = |file: &str, damage: &dyn Fn(&Path)| {
        let copy = dir.path().join(format!("damaged-{file}"));
        std::fs::create_dir_all(&copy).unwrap();
        for entry in std::fs::read_dir(&checkpoint).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        damage(&copy.join(file));
        let mut fresh = ring_trainer::<B>(quick_config(), 16, device);
        let error = checkpoint_error(fresh.load_checkpoint(&mut data, &copy));
        let message = error.to_string();
        assert!(message.contains(file), "{file}: {message}");
        error
    };
    let truncate = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
    };
    for file in [
        "generator.safetensors",
        "discriminator.safetensors",
        "generator_ema.safetensors",
    ] {
        assert!(
            matches!(damaged(file, &truncate), CheckpointError::Corrupt { .. }),
            "{file}"
        );
    }
    for file in [
        "generator_optim.mpk",
        "discriminator_optim.mpk",
        "state.json",
    ] {
        let garbage = |path: &Path| std::fs::write(path, b"\x00\x01 not a record").unwrap();
        assert!(
            matches!(damaged(file, &garbage), CheckpointError::Corrupt { .. }),
            "{file}"
        );
    }
    let missing = |path: &Path| std::fs::remove_file(path).unwrap();
    assert!(matches!(
        damaged("discriminator.safetensors", &missing),
        CheckpointError::Io { .. }
    ));

    // Another format version, older or newer (whose fields this build may not know), and no
    // version at all: refused before any field is parsed, naming both versions. Sampling
    // (`load_generator`, `load_discriminator`) refuses the same checkpoints.
    let current = gan::train::CHECKPOINT_FORMAT;
    fn edit_state(path: &Path, edit: impl Fn(&mut serde_json::Map<String, serde_json::Value>)) {
        let mut state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        edit(state.as_object_mut().unwrap());
        std::fs::write(path, serde_json::to_vec(&state).unwrap()).unwrap();
    }
    for found in [0, current + 1] {
        let error = damaged("state.json", &|path| {
            edit_state(path, |state| {
                state.insert("format".into(), found.into());
                if found > current {
                    state.remove("rng");
                    state.insert("players".into(), serde_json::json!(["g", "d"]));
                }
            })
        });
        let message = error.to_string();
        match error {
            CheckpointError::Format {
                found: f, expected, ..
            } => assert_eq!((f, expected), (found, current)),
            other => panic!("format {found}: expected Format, got {other}"),
        }
        assert!(
            message.contains(&format!("format version {found}"))
                && message.contains(&format!("reads version {current}"))
                && message.contains(if found > current { "newer" } else { "older" }),
            "{message}"
        );
        let copy = dir.path().join("damaged-state.json");
        let fresh = ring_trainer::<B>(quick_config(), 16, device);
        let refusals = [
            gan::train::load_generator(
                fresh.generator().clone(),
                &copy,
                gan::train::GeneratorWeights::Inference,
            )
            .err(),
            gan::train::load_discriminator(fresh.discriminator().clone(), &copy).err(),
        ];
        for refusal in refusals {
            assert!(
                matches!(
                    refusal,
                    Some(TrainError::Checkpoint(CheckpointError::Format { .. }))
                ),
                "{refusal:?}"
            );
        }
        std::fs::remove_dir_all(&copy).unwrap();
    }
    let unversioned = |path: &Path| {
        edit_state(path, |state| {
            state.remove("format");
        })
    };
    match damaged("state.json", &unversioned) {
        CheckpointError::Corrupt { reason, .. } => {
            assert!(reason.contains("format version"), "{reason}")
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

/// The weights files are standard safetensors: an 8-byte little-endian header length, a JSON
/// header of F32 tensors whose offsets tile the data exactly, one entry per parameter tensor.
fn weights_are_standard_safetensors<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let data = ToySampler::new(Toy2d::ring8(), 3).unwrap();
    let trainer = ring_trainer::<B>(quick_config(), 16, device);
    let checkpoint = trainer.save_checkpoint(&data, dir.path()).unwrap();
    let bytes = std::fs::read(checkpoint.join("generator.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let body = bytes.len() - 8 - header_len;
    let mut spans = Vec::new();
    let mut elements = 0;
    for (name, entry) in header.as_object().unwrap() {
        if name == "__metadata__" {
            continue;
        }
        assert_eq!(entry["dtype"], "F32", "{name}");
        let shape: Vec<usize> = serde_json::from_value(entry["shape"].clone()).unwrap();
        let [start, end]: [usize; 2] =
            serde_json::from_value(entry["data_offsets"].clone()).unwrap();
        assert_eq!(end - start, 4 * shape.iter().product::<usize>(), "{name}");
        elements += shape.iter().product::<usize>();
        spans.push((start, end));
    }
    spans.sort();
    assert_eq!(spans.first().unwrap().0, 0);
    assert!(spans.windows(2).all(|w| w[0].1 == w[1].0));
    assert_eq!(spans.last().unwrap().1, body);
    assert_eq!(elements, param_values(trainer.generator()).len());
}

/// Ring-of-8 batches until batch `poison_at` (1-based), NaN from then on.
struct Poisoned {
    inner: ToySampler,
    served: usize,
    poison_at: usize,
}

impl<B: Backend> gan::data::BatchSource<B> for Poisoned {
    fn sample_shape(&self) -> Vec<usize> {
        vec![2]
    }
    fn next_batch(&mut self, m: usize, device: &B::Device) -> gan::data::Batch<B> {
        self.served += 1;
        let batch =
            <ToySampler as gan::data::BatchSource<B>>::next_batch(&mut self.inner, m, device);
        if self.served >= self.poison_at {
            gan::data::Batch {
                samples: batch.samples * f32::NAN,
                labels: None,
            }
        } else {
            batch
        }
    }
    fn state(&self) -> Option<String> {
        Some(self.served.to_string())
    }
    fn restore_state(&mut self, state: &str) -> gan::data::Result<()> {
        self.served = state.parse().unwrap();
        Ok(())
    }
}

/// Data that turns to NaN at iteration 17 stops the run with `Diverged` naming step 17 and the
/// discriminator loss, although losses are read back only every 3 iterations; the newest
/// checkpoint is the one of iteration 15, finite, and it loads.
fn divergence_keeps_last_good_checkpoint<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let config = quick_config().with_iterations(40);
    let mut trainer = ring_trainer::<B>(config.clone(), 16, device);
    let mut data = Poisoned {
        inner: ToySampler::new(Toy2d::ring8(), 3).unwrap(),
        served: 0,
        poison_at: 17,
    };
    let runcfg = RunConfig::new()
        .with_log_every(3)
        .with_checkpoint_every(5)
        .with_sample_every(0);
    let error =
        fit(&mut trainer, &mut data, &run, &runcfg, false, &mut []).expect_err("NaN data diverges");
    let TrainError::Diverged { step, what, value } = &error else {
        panic!("expected Diverged, got {error}");
    };
    assert_eq!((*step, *what), (17, "discriminator loss"), "{error}");
    assert!(value.is_nan());
    assert!(error.to_string().contains("step 17"), "{error}");
    let latest = run
        .latest_checkpoint()
        .expect("checkpoints before the divergence");
    assert_eq!(latest, run.checkpoints().join("step-00000015"));
    let mut restored = ring_trainer::<B>(config, 16, device);
    restored.load_checkpoint(&mut data, &latest).unwrap();
    assert_eq!(restored.iteration(), 15);
    assert!(restored.weights_finite());
    assert!(
        param_values(restored.generator())
            .iter()
            .all(|v| v.is_finite())
    );
    assert!(
        param_values(restored.discriminator())
            .iter()
            .all(|v| v.is_finite())
    );
    assert!(
        !trainer.weights_finite(),
        "the diverged trainer itself has NaN weights"
    );
}

#[derive(Default)]
struct Counter {
    start: Option<(usize, usize)>,
    iterations: Vec<usize>,
    metrics: Vec<Metrics>,
    /// Where the preview pictures must already be (drawn by the writer before this observer).
    run: Option<RunDir>,
    samples: usize,
    last_previews: usize,
    checkpoints: Vec<usize>,
    finished: usize,
}

impl Observer for Counter {
    fn on_start(&mut self, first: usize, total: usize) {
        self.start = Some((first, total));
    }
    fn on_iteration(&mut self, iteration: usize) {
        self.iterations.push(iteration);
    }
    fn on_metrics(&mut self, metrics: &Metrics) {
        self.metrics.push(metrics.clone());
    }
    fn wants_previews(&self) -> bool {
        true
    }
    fn on_preview(&mut self, preview: &gan::train::Preview) -> gan::train::Result<()> {
        assert_eq!(preview.values.len(), preview.count * 2);
        if preview.last {
            self.last_previews += 1;
        } else {
            let run = self.run.as_ref().expect("the run directory");
            assert!(run.samples_at(preview.iteration).is_file());
            self.samples += 1;
        }
        Ok(())
    }
    fn on_checkpoint(&mut self, iteration: usize, path: &Path) {
        assert!(path.join("state.json").is_file());
        self.checkpoints.push(iteration);
    }
    fn on_finish(&mut self) {
        self.finished += 1;
    }
}

/// Observers see every iteration, every metrics line (the same as `metrics.jsonl`), every
/// picture and checkpoint, and the end; a metrics line carries finite losses, D outputs in
/// [0, 1] and positive gradient norms.
fn observers_see_the_run<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let mut trainer = ring_trainer::<B>(quick_config().with_iterations(12), 16, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 3).unwrap();
    let runcfg = RunConfig::new()
        .with_log_every(4)
        .with_sample_every(6)
        .with_checkpoint_every(6)
        .with_samples(16);
    let view = gan::run::SampleView::Scatter {
        range: (-3.0, 3.0),
        reference: vec![0.0; 8],
    };
    let mut counter = Counter {
        run: Some(run.clone()),
        ..Counter::default()
    };
    gan::run::train(
        &mut trainer,
        &mut data,
        &run,
        &runcfg,
        &view,
        false,
        &mut [&mut counter],
    )
    .unwrap();
    assert_eq!(counter.start, Some((0, 12)));
    assert_eq!(counter.iterations, (1..=12).collect::<Vec<_>>());
    // The file holds the same lines; f64 timings may differ in the last bit (serde_json's
    // default float parser is not correctly rounded).
    let from_file = run.read_metrics().unwrap();
    assert_eq!(counter.metrics.len(), from_file.len());
    for (seen, read) in counter.metrics.iter().zip(&from_file) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        assert!(
            close(seen.wall_seconds, read.wall_seconds),
            "{seen:?} vs {read:?}"
        );
        assert!(
            close(seen.iterations_per_second, read.iterations_per_second),
            "{seen:?} vs {read:?}"
        );
        let exact = |m: &Metrics| Metrics {
            wall_seconds: 0.0,
            iterations_per_second: 0.0,
            ..m.clone()
        };
        assert_eq!(exact(seen), exact(read));
    }
    assert_eq!(
        counter.metrics.iter().map(|m| m.step).collect::<Vec<_>>(),
        [4, 8, 12]
    );
    for m in &counter.metrics {
        assert!(m["d_loss"].is_finite() && m["g_loss"].is_finite(), "{m:?}");
        assert!(
            (0.0..=1.0).contains(&m["d_real"]) && (0.0..=1.0).contains(&m["d_fake"]),
            "{m:?}"
        );
        assert!(m["g_grad_norm"] > 0.0 && m["d_grad_norm"] > 0.0, "{m:?}");
    }
    assert_eq!(counter.samples, 2);
    assert_eq!(counter.last_previews, 1);
    assert_eq!(counter.checkpoints, [6, 12]);
    assert_eq!(counter.finished, 1);
    for png in ["samples/step-00000006.png", "samples.png", "loss_curve.png"] {
        let bytes = std::fs::read(dir.path().join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
    }
}

/// `ema ← β ema + (1 − β) θ` on every tensor; with EMA enabled the trainer samples from the
/// average, which after one step of decay 0.5 is the mean of the initial and updated weights.
fn ema_is_the_moving_average<B: AutodiffBackend>(device: &B::Device) {
    let (g, _) = ring_models::<B>(8, device);
    let n = param_values(&g).len();
    let zeros = set_params(g.clone(), &vec![0.0; n]);
    let ones = set_params(g.clone(), &vec![1.0; n]);
    let blended = ema_update(zeros, &ones, 0.9);
    assert!(
        param_values(&blended)
            .iter()
            .all(|v| (v - 0.1).abs() < 1e-6)
    );

    let mut trainer = ring_trainer::<B>(quick_config(), 8, device);
    let initial = param_values(trainer.generator());
    let mut data = ToySampler::new(Toy2d::ring8(), 3).unwrap();
    trainer.step(&mut data).unwrap();
    let updated = param_values(trainer.generator());
    let ema = param_values(trainer.ema_generator().unwrap());
    assert_ne!(initial, updated);
    for ((a, b), e) in initial.iter().zip(&updated).zip(&ema) {
        assert!((0.5 * (a + b) - e).abs() < 1e-6);
    }
    assert_eq!(param_values(&trainer.inference_generator()), ema);
}

/// A class-conditional 1-D pair for two classes (one-hot labels into G and D), weights drawn
/// from the host RNG (seeds 3 and 4).
fn conditional_1d_pair<B: AutodiffBackend>(
    g_hidden: Vec<usize>,
    d_hidden: Vec<usize>,
    device: &B::Device,
) -> (MlpGenerator<B>, MlpDiscriminator<B>) {
    let condition = ConditionConfig::new(2);
    let g = MlpGeneratorConfig::new()
        .with_latent_dim(2)
        .with_hidden(g_hidden)
        .with_output_dim(1)
        .with_output_activation(OutputActivation::Identity)
        .with_prior(Prior::Normal)
        .with_condition(Some(condition.clone()))
        .init::<B>(device);
    let d = MlpDiscriminatorConfig::new()
        .with_input_dim(1)
        .with_hidden(d_hidden)
        .with_pieces(1)
        .with_input_dropout(0.0)
        .with_hidden_dropout(0.0)
        .with_condition(Some(condition))
        .init::<B>(device);
    (host_init(g, 3), host_init(d, 4))
}

/// Labels flow through G and D: a conditional 1-D GAN on two labelled Gaussians, `N(-2, 0.3²)`
/// (class 0) and `N(2, 0.3²)` (class 1), generates each class at its own mean (within 0.25)
/// after 1,500 iterations.
fn conditional_gan_learns_each_class<B: AutodiffBackend>(device: &B::Device) {
    let (g, d) = conditional_1d_pair::<B>(vec![32], vec![32, 32], device);
    let config = TrainConfig::new()
        .with_iterations(1500)
        .with_batch_size(128)
        .with_g_lr(2e-3)
        .with_d_lr(2e-3)
        .with_seed(4);
    let mut trainer = Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap();
    let mut data = Gaussian1d::labelled(vec![(-2.0, 0.3), (2.0, 0.3)], 5);
    for _ in 0..1500 {
        trainer.step(&mut data).unwrap();
    }
    for (class, target) in [(0i64, -2.0), (1, 2.0)] {
        let z = Prior::Normal.fixed::<B::InnerBackend>(2000, 2, 6, device);
        let labels = Tensor::from_ints(vec![class; 2000].as_slice(), device);
        let samples: Vec<f32> = trainer
            .generate(z, Some(labels))
            .into_data()
            .iter::<f32>()
            .collect();
        let (mean, _) = mean_std(&samples);
        assert!(
            (mean - target).abs() < 0.25,
            "class {class}: mean {mean:.3}, expected {target}"
        );
    }
}

/// Data without labels for a conditional model is a typed error, not a panic, and the trainer
/// is left as it was (no iteration counted).
fn conditional_model_without_labels_is_an_error<B: AutodiffBackend>(device: &B::Device) {
    let (g, d) = conditional_1d_pair::<B>(vec![8], vec![8], device);
    let mut trainer = Trainer::new(
        TrainConfig::new().with_batch_size(16),
        g,
        d,
        Prior::Normal,
        device.clone(),
    )
    .unwrap();
    let before = param_values(trainer.discriminator());
    let mut unlabelled = Gaussian1d::new(0.0, 1.0, 1);
    assert!(matches!(
        trainer.step(&mut unlabelled),
        Err(TrainError::MissingLabels { .. })
    ));
    assert_eq!(trainer.iteration(), 0);
    assert_eq!(param_values(trainer.discriminator()), before);
}

/// ACGAN: the discriminator's auxiliary classification loss on real and generated batches is
/// reported; at initialisation it is near `2 log 3` (two cross-entropies of 3 classes).
fn acgan_auxiliary_loss<B: AutodiffBackend>(device: &B::Device) {
    let (g, d) = crate::common::acgan_dcgan28::<B>(device);
    let mut trainer = Trainer::new(
        TrainConfig::new().with_batch_size(6),
        g,
        d,
        Prior::Normal,
        device.clone(),
    )
    .unwrap();
    struct Images;
    impl<B: Backend> gan::data::BatchSource<B> for Images {
        fn sample_shape(&self) -> Vec<usize> {
            vec![1, 28, 28]
        }
        fn num_classes(&self) -> Option<usize> {
            Some(3)
        }
        fn next_batch(&mut self, m: usize, device: &B::Device) -> gan::data::Batch<B> {
            let labels: Vec<i64> = (0..m as i64).map(|i| i % 3).collect();
            gan::data::Batch {
                samples: Tensor::<B, 2>::zeros([m, 784], device),
                labels: Some(Tensor::from_ints(labels.as_slice(), device)),
            }
        }
    }
    for _ in 0..2 {
        let losses = trainer.step(&mut Images).unwrap().to_host();
        let aux = losses.aux.expect("ACGAN reports its auxiliary loss");
        // Cross-entropy of 3 classes on near-uniform logits, for real and generated batches.
        assert!(
            aux.is_finite() && aux > 0.0 && aux < 2.0 * 3f32.ln() + 1.0,
            "{losses:?}"
        );
    }
}

backend_tests!(
    penalty_gradient_matches_exact,
    zero_penalty_changes_nothing,
    checkpoint_errors_are_clear,
    weights_are_standard_safetensors,
    divergence_keeps_last_good_checkpoint,
    observers_see_the_run,
    ema_is_the_moving_average,
    conditional_model_without_labels_is_an_error,
    acgan_auxiliary_loss,
);

// 1,500 iterations: the statistic on Flex; `equivalence` trains a conditional pair on the
// other backends.
flex_tests!(conditional_gan_learns_each_class);
