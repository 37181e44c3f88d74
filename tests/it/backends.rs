//! The same generic training code on every backend compiled in.

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use gan::data::{Toy2d, ToySampler};
use gan::models::{MlpDiscriminatorConfig, MlpGeneratorConfig, OutputActivation, Prior};
use gan::toy::{ToyRunConfig, run_toy};
use gan::train::{GanLoss, TrainConfig, Trainer};
use gan::train::{RunConfig, RunDir};

use crate::common::{max_abs_diff, param_values};

fn tiny_pair<B: AutodiffBackend>(
    device: &B::Device,
) -> (
    gan::models::MlpGenerator<B>,
    gan::models::MlpDiscriminator<B>,
) {
    let g = MlpGeneratorConfig::new()
        .with_latent_dim(4)
        .with_hidden(vec![16])
        .with_output_dim(2)
        .with_output_activation(OutputActivation::Identity)
        .with_prior(Prior::Normal)
        .try_init::<B>(device)
        .unwrap();
    let d = MlpDiscriminatorConfig::new()
        .with_input_dim(2)
        .with_hidden(vec![16])
        .with_pieces(2)
        .with_input_dropout(0.0)
        .with_hidden_dropout(0.1)
        .try_init::<B>(device)
        .unwrap();
    (g, d)
}

/// A few iterations of Algorithm 1 with each loss: losses stay finite and both networks move.
fn tiny_mlp_gan_trains<B: AutodiffBackend>(device: &B::Device) {
    for (loss, k) in [
        (GanLoss::NonSaturating, 1),
        (GanLoss::Minimax, 2),
        (GanLoss::LeastSquares, 1),
        (GanLoss::Hinge, 1),
        (GanLoss::Wasserstein, 2),
    ] {
        let (g, d) = tiny_pair::<B>(device);
        let (g0, d0) = (param_values(&g), param_values(&d));
        let config = TrainConfig::new()
            .with_loss(loss)
            .with_k(k)
            .with_batch_size(32)
            .with_g_lr(1e-2)
            .with_d_lr(1e-2)
            .with_weight_clip((loss == GanLoss::Wasserstein).then_some(0.05));
        let mut trainer = Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap();
        let mut data = ToySampler::new(Toy2d::ring8(), 7).unwrap();
        for _ in 0..5 {
            let losses = trainer.step(&mut data).unwrap().to_host();
            assert_eq!(losses.non_finite(), None, "{loss:?}: {losses:?}");
            assert!(
                (0.0..=1.0).contains(&losses.d_real),
                "D(x) = {}",
                losses.d_real
            );
            assert!(
                (0.0..=1.0).contains(&losses.d_fake),
                "D(G(z)) = {}",
                losses.d_fake
            );
        }
        assert_eq!(trainer.iteration(), 5);
        let samples = trainer.sample(10);
        assert_eq!(samples.dims(), [10, 2]);
        let (g, d) = trainer.into_models();
        let (g1, d1) = (param_values(&g), param_values(&d));
        assert!(
            max_abs_diff(&g0, &g1) > 1e-5,
            "{loss:?}: generator did not change"
        );
        assert!(
            max_abs_diff(&d0, &d1) > 1e-5,
            "{loss:?}: discriminator did not change"
        );
        if loss == GanLoss::Wasserstein {
            let max = d1.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(max <= 0.05 + 1e-6, "weight clipping left |w| = {max}");
        }
    }
}

/// The full toy run writes its config, metrics, PNG pictures and a checkpoint.
fn toy_run_writes_run_directory<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ToyRunConfig::new().with_plot_samples(100);
    config.training.iterations = 10;
    config.run = RunConfig::new()
        .with_log_every(5)
        .with_sample_every(5)
        .with_samples(100);
    let report = run_toy::<B>(&config, dir.path(), device, gan::RunOptions::new()).unwrap();
    let last = report.last.expect("a final metrics line");
    assert_eq!(last.step, 10);
    assert!(last["d_loss"].is_finite() && last["g_loss"].is_finite());
    assert!(
        last["g_grad_norm"] > 0.0 && last["d_grad_norm"] > 0.0,
        "{last:?}"
    );
    assert_eq!(report.samples.len(), 200);
    for png in [
        "samples.png",
        "loss_curve.png",
        "samples/step-00000005.png",
        "samples/step-00000010.png",
    ] {
        let bytes = std::fs::read(dir.path().join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
    }
    let run = RunDir::new(dir.path());
    let steps: Vec<usize> = run.read_metrics().unwrap().iter().map(|m| m.step).collect();
    assert_eq!(steps, [5, 10]);
    assert_eq!(
        run.latest_checkpoint().unwrap(),
        run.checkpoints().join("step-00000010")
    );
    let saved = ToyRunConfig::load(dir.path().join("config.json")).unwrap();
    assert_eq!(saved, config);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(json["kind"], "toy");
    assert!(matches!(
        gan::sample::RunSpec::load_run(dir.path()).unwrap(),
        gan::sample::RunSpec::Toy(c) if c == config
    ));
}

/// The metrics of `gan-eval` give the same figures on every backend: Parzen window, KID,
/// precision/recall and the streamed feature statistics behind FID, each against Flex (the
/// reference CPU backend) on fixed feature sets.
#[cfg(feature = "flex")]
mod metrics {
    use burn::tensor::backend::AutodiffBackend;
    use burn::tensor::{Tensor, TensorData};
    use gan::backend::Flex;
    use gan::metrics::{
        Features, GaussianStats, KidConfig, frechet_distance, kid, parzen_log_likelihood, prdc,
    };

    /// Deterministic feature rows (a smooth function of the index), `n` x `d`.
    fn rows(n: usize, d: usize, phase: f32) -> Features {
        let v = (0..n * d)
            .map(|k| {
                let (i, j) = ((k / d) as f32, (k % d) as f32);
                (i * 0.37 + j * 1.3 + phase).sin() * (1.0 + 0.1 * j) + 0.05 * (i * j + phase).cos()
            })
            .collect();
        Features::new(v, d).unwrap()
    }

    fn metrics_agree_with_flex<B: AutodiffBackend>(device: &B::Device) {
        type Inner<B> = <B as AutodiffBackend>::InnerBackend;
        let flex = Default::default();
        let (real, fake) = (rows(300, 6, 0.0), rows(280, 6, 0.5));

        let ours = parzen_log_likelihood::<Inner<B>>(&real, &fake, 0.4, 64, device).unwrap();
        let reference = parzen_log_likelihood::<Flex>(&real, &fake, 0.4, 64, &flex).unwrap();
        let worst = ours
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-3, "Parzen differs by {worst}");

        let config = KidConfig {
            subsets: 5,
            subset_size: 200,
            seed: 3,
        };
        let (a, b) = (
            kid::<Inner<B>>(&real, &fake, &config, device).unwrap(),
            kid::<Flex>(&real, &fake, &config, &flex).unwrap(),
        );
        assert!(
            (a.mean - b.mean).abs() < 1e-4 * b.mean.abs().max(1e-2),
            "{a:?} vs {b:?}"
        );

        let (a, b) = (
            prdc::<Inner<B>>(&real, &fake, 3, 100, device).unwrap(),
            prdc::<Flex>(&real, &fake, 3, 100, &flex).unwrap(),
        );
        // A comparison sitting on a radius may flip with the backend's rounding: one sample.
        for (x, y) in [
            (a.precision, b.precision),
            (a.recall, b.recall),
            (a.density, b.density),
            (a.coverage, b.coverage),
        ] {
            assert!((x - y).abs() <= 1.5 / 280.0, "{a:?} vs {b:?}");
        }

        // FID statistics streamed through the backend's matrix product, in batches.
        let mut streamed = GaussianStats::new(6);
        for from in (0..280).step_by(100) {
            let to = (from + 100).min(280);
            let batch = Tensor::<Inner<B>, 2>::from_data(
                TensorData::new(fake.values()[from * 6..to * 6].to_vec(), [to - from, 6]),
                device,
            );
            streamed.update(batch).unwrap();
        }
        let exact = fake.stats();
        assert!(frechet_distance(&streamed, &exact).unwrap().abs() < 1e-4);
        let fid = frechet_distance(&real.stats(), &streamed).unwrap();
        let fid_exact = frechet_distance(&real.stats(), &exact).unwrap();
        assert!(
            (fid - fid_exact).abs() < 1e-4 * fid_exact,
            "{fid} vs {fid_exact}"
        );
    }

    crate::backend_tests!(metrics_agree_with_flex);
}

backend_tests!(tiny_mlp_gan_trains, toy_run_writes_run_directory);
