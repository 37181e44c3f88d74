//! gan-models on every backend: shapes, ranges, parameter counts, spectral norm, determinism.

use crate::common;

use burn::module::Module;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use gan::models::{
    ConditionConfig, DcganDiscriminatorConfig, DcganGeneratorConfig, Discriminator,
    DiscriminatorConditioning, Generator, LabelEncoding, MlpDiscriminatorConfig,
    MlpGeneratorConfig, Prior, SnConv2d, SnLinear, SpectralNorm, lerp, rng_from_seed, slerp,
    trainable_params,
};

fn range_of<B: Backend, const D: usize>(t: Tensor<B, D>) -> (f32, f32) {
    let v: Vec<f32> = t.into_data().convert::<f32>().to_vec().unwrap();
    assert!(v.iter().all(|x| x.is_finite()));
    v.iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)))
}

fn labels<B: Backend>(values: &[i64], device: &B::Device) -> Tensor<B, 1, Int> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
}

fn noise<B: Backend>(n: usize, dim: usize, device: &B::Device) -> Tensor<B, 2> {
    Prior::Normal.sample(n, dim, &mut rng_from_seed(3), device)
}

/// MLP: sigmoid outputs in [0, 1], logits [batch, 1], the paper's parameter counts.
fn mlp_shapes_ranges_and_counts<B: AutodiffBackend>(device: &B::Device) {
    let g = MlpGeneratorConfig::new().try_init::<B>(device).unwrap();
    let d = MlpDiscriminatorConfig::new().try_init::<B>(device).unwrap();
    let x = g.generate(
        Prior::Uniform.sample(5, 100, &mut rng_from_seed(1), device),
        None,
    );
    assert_eq!(x.dims(), [5, 784]);
    let (lo, hi) = range_of(x.clone());
    assert!(lo >= 0.0 && hi <= 1.0, "sigmoid range [{lo}, {hi}]");
    assert_eq!(d.discriminate(x, None).dims(), [5, 1]);
    let g_count = (100 * 1200 + 1200) + (1200 * 1200 + 1200) + (1200 * 784 + 784);
    let d_count = (784 * 1200 + 1200) + (240 * 1200 + 1200) + (240 + 1);
    assert_eq!(trainable_params(&g), g_count);
    assert_eq!(trainable_params(&d), d_count);

    // Conditional MLP: labels joined to z and to x.
    let cond = ConditionConfig::new(10);
    let g = MlpGeneratorConfig::new()
        .with_condition(Some(cond.clone()))
        .try_init::<B>(device)
        .unwrap();
    let d = MlpDiscriminatorConfig::new()
        .with_condition(Some(cond.with_encoding(LabelEncoding::Embedding(8))))
        .try_init::<B>(device)
        .unwrap();
    assert_eq!(g.num_classes(), Some(10));
    let y = labels::<B>(&[0, 3, 9], device);
    let x = g.generate(
        Prior::Uniform.sample(3, 100, &mut rng_from_seed(1), device),
        Some(y.clone()),
    );
    assert_eq!(d.discriminate(x, Some(y)).dims(), [3, 1]);
}

/// Analytic parameter count of the default DCGAN pair (bias-free convolutions before batch
/// norm, gamma and beta per batch-norm channel, a linear logit with bias).
fn dcgan_counts(size: usize, c: usize, w: usize, z: usize) -> (usize, usize) {
    let (base, stages) = match size {
        28 => (7, 2),
        32 => (4, 3),
        _ => (4, 4),
    };
    let top = w << (stages - 1);
    let mut g = z * top * base * base + 2 * top;
    for i in (0..stages).rev() {
        let (c_in, c_out) = (w << i, if i == 0 { c } else { w << (i - 1) });
        g += c_in * c_out * 16 + if i == 0 { 0 } else { 2 * c_out };
    }
    let mut d = 0;
    let mut c_in = c;
    for i in 0..stages {
        let c_out = w << i;
        d += c_in * c_out * 16 + if i == 0 { c_out } else { 2 * c_out };
        c_in = c_out;
    }
    d += top * base * base + 1;
    (g, d)
}

/// DCGAN at every supported size: image shapes, tanh range, logits, parameter counts.
fn dcgan_shapes_ranges_and_counts<B: AutodiffBackend>(device: &B::Device) {
    for (size, channels, width) in [(28, 1, 8), (32, 3, 8), (64, 3, 4)] {
        let g = DcganGeneratorConfig::new()
            .with_image_size(size)
            .with_channels(channels)
            .with_width(width)
            .with_latent_dim(16)
            .try_init::<B>(device)
            .unwrap();
        let d = DcganDiscriminatorConfig::new()
            .with_image_size(size)
            .with_channels(channels)
            .with_width(width)
            .try_init::<B>(device)
            .unwrap();
        let images = g.forward(noise::<B>(4, 16, device), None);
        assert_eq!(images.dims(), [4, channels, size, size]);
        let (lo, hi) = range_of(images.clone());
        assert!(
            lo >= -1.0 && hi <= 1.0 && hi > lo,
            "tanh range [{lo}, {hi}]"
        );
        assert_eq!(g.sample_shape(), vec![channels, size, size]);
        let (logits, aux) = d.forward(images, None);
        assert_eq!(logits.dims(), [4, 1]);
        assert!(aux.is_none());
        let (gc, dc) = dcgan_counts(size, channels, width, 16);
        assert_eq!(
            (trainable_params(&g), trainable_params(&d)),
            (gc, dc),
            "size {size}"
        );
    }
    // The default width (64) and latent size (100) at every image size.
    for (size, channels) in [(28, 1), (32, 3), (64, 3)] {
        let g = DcganGeneratorConfig::new()
            .with_image_size(size)
            .with_channels(channels)
            .try_init::<B>(device)
            .unwrap();
        let d = DcganDiscriminatorConfig::new()
            .with_image_size(size)
            .with_channels(channels)
            .try_init::<B>(device)
            .unwrap();
        let counts = (trainable_params(&g), trainable_params(&d));
        assert_eq!(
            counts,
            dcgan_counts(size, channels, 64, 100),
            "default size {size}"
        );
    }
    // The 64x64 generator of the DCGAN paper has 3,576,704 parameters.
    assert_eq!(dcgan_counts(64, 3, 64, 100).0, 3_576_704);

    // InfoGAN's networks (Lucic et al. 2018), layer by layer. G: FC 1024 (weight and bias),
    // BN; FC to 128x7x7 (the bias-free projection), BN per unit; deconv 128->64 4x4, BN;
    // deconv 64->1 4x4. D: conv 1->64 4x4 with bias; conv 64->128 4x4, BN; FC 6272->1024, BN;
    // FC 1024->1.
    let g = DcganGeneratorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_hidden(Some(1024))
        .try_init::<B>(device)
        .unwrap();
    let d = DcganDiscriminatorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_hidden(Some(1024))
        .try_init::<B>(device)
        .unwrap();
    let g_count =
        (100 * 1024 + 1024) + 2 * 1024 + 1024 * 6272 + 2 * 6272 + 128 * 64 * 16 + 2 * 64 + 64 * 16;
    let d_count =
        (64 * 16 + 64) + (64 * 128 * 16 + 2 * 128) + (6272 * 1024 + 1024) + 2 * 1024 + (1024 + 1);
    assert_eq!(
        (trainable_params(&g), trainable_params(&d)),
        (g_count, d_count)
    );
    let images = g.forward(noise::<B>(4, 100, device), None);
    assert_eq!(images.dims(), [4, 1, 28, 28]);
    let (lo, hi) = range_of(images.clone());
    assert!(
        lo >= -1.0 && hi <= 1.0 && hi > lo,
        "tanh range [{lo}, {hi}]"
    );
    assert_eq!(d.features(images.clone(), None).dims(), [4, 1024]);
    assert_eq!(d.forward(images, None).0.dims(), [4, 1]);
    assert_eq!(
        DcganDiscriminatorConfig::new()
            .with_hidden(Some(1024))
            .feature_dim(),
        Ok(1024)
    );
}

/// Conditional DCGAN: input conditioning, projection and an ACGAN head.
fn conditional_dcgan<B: AutodiffBackend>(device: &B::Device) {
    let cond = ConditionConfig::new(10);
    let g = DcganGeneratorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(8)
        .with_latent_dim(16)
        .with_condition(Some(
            cond.clone().with_encoding(LabelEncoding::Embedding(10)),
        ))
        .try_init::<B>(device)
        .unwrap();
    let y = labels::<B>(&[1, 2, 7, 9], device);
    let x = g.generate(noise::<B>(4, 16, device), Some(y.clone()));
    assert_eq!(x.dims(), [4, 784]);
    for conditioning in [
        DiscriminatorConditioning::Input,
        DiscriminatorConditioning::Projection,
        DiscriminatorConditioning::AuxClassifier,
    ] {
        let d = DcganDiscriminatorConfig::new()
            .with_image_size(28)
            .with_channels(1)
            .with_width(8)
            .with_condition(Some(cond.clone()))
            .with_conditioning(conditioning)
            .with_spectral_norm(conditioning == DiscriminatorConditioning::Projection)
            .try_init::<B>(device)
            .unwrap();
        assert_eq!(d.num_classes(), Some(10));
        let (logits, aux) = d.discriminate_with_aux(x.clone(), Some(y.clone()));
        assert_eq!(logits.dims(), [4, 1]);
        assert_eq!(
            aux.map(|a| a.dims()),
            (conditioning == DiscriminatorConditioning::AuxClassifier).then_some([4, 10])
        );
    }
    // The label changes a projection discriminator's score of the same image.
    let d = DcganDiscriminatorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(8)
        .with_batch_norm(false)
        .with_condition(Some(cond))
        .with_conditioning(DiscriminatorConditioning::Projection)
        .try_init::<B>(device)
        .unwrap();
    let same = x.clone().narrow(0, 0, 1).repeat_dim(0, 2);
    let scores = range_of(d.discriminate(same, Some(labels::<B>(&[0, 5], device))));
    assert!(scores.1 - scores.0 > 1e-6, "projection ignores the label");
}

/// Largest singular value of a row-major matrix, by power iteration in f64.
fn top_singular_value(w: &[f32], rows: usize, cols: usize) -> f64 {
    let mut v = vec![1.0f64; cols];
    let mut sigma = 0.0;
    for _ in 0..500 {
        let u: Vec<f64> = (0..rows)
            .map(|r| (0..cols).map(|c| w[r * cols + c] as f64 * v[c]).sum())
            .collect();
        let nu = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        let u: Vec<f64> = u.iter().map(|x| x / nu).collect();
        let wt: Vec<f64> = (0..cols)
            .map(|c| (0..rows).map(|r| w[r * cols + c] as f64 * u[r]).sum())
            .collect();
        sigma = wt.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = wt.iter().map(|x| x / sigma).collect();
    }
    sigma
}

/// After 50 training-mode forward passes (one power iteration each), the normalised weight's
/// top singular value is 1 within 1e-2, for a linear layer and a convolution.
fn spectral_norm_converges<B: AutodiffBackend>(device: &B::Device) {
    // Weights from a host RNG: the backend's global RNG is shared with tests running in
    // parallel, and the power iteration's speed depends on the weights' spectral gap.
    let linear = SnLinear::new(common::host_init(
        burn::nn::LinearConfig::new(12, 7).init::<B>(device),
        5,
    ));
    let x = noise::<B>(3, 12, device);
    for _ in 0..100 {
        let _ = linear.forward(x.clone());
    }
    let w: Vec<f32> = linear
        .normalized_weight()
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    let sigma = top_singular_value(&w, 7, 12);
    assert!((sigma - 1.0).abs() < 1e-2, "linear: sigma = {sigma}");

    let conv = SnConv2d::new(common::host_init(
        burn::nn::conv::Conv2dConfig::new([3, 5], [3, 3]).init::<B>(device),
        6,
    ));
    let img = noise::<B>(2, 3 * 8 * 8, device).reshape([2, 3, 8, 8]);
    for _ in 0..100 {
        let _ = conv.forward(img.clone());
    }
    assert_eq!(conv.forward(img).dims(), [2, 5, 6, 6]);
    let w: Vec<f32> = conv
        .normalized_weight()
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    let sigma = top_singular_value(&w, 5, 27);
    assert!((sigma - 1.0).abs() < 1e-2, "conv: sigma = {sigma}");

    // `u` is module state, not a trainable parameter.
    let sn = SpectralNorm::<B>::new(4, device);
    assert_eq!(trainable_params(&sn), 0);
    assert_eq!(sn.num_params(), 4);
}

/// Weights made on Flex, loaded into this backend, give the same forward outputs within 1e-4.
fn forward_matches_flex<B: AutodiffBackend>(device: &B::Device) {
    type Ref = gan::backend::Flex;
    let rd = Default::default();
    let g_config = DcganGeneratorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(8)
        .with_latent_dim(16);
    let d_config = DcganDiscriminatorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(8)
        .with_spectral_norm(true);
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let g_ref = g_config.try_init::<Ref>(&rd).unwrap();
    let d_ref = d_config.try_init::<Ref>(&rd).unwrap();
    let z: Vec<f32> = noise::<Ref>(3, 16, &rd).into_data().to_vec().unwrap();
    let z_ref = Tensor::<Ref, 2>::from_data(TensorData::new(z.clone(), [3, 16]), &rd);
    // Run the reference first: parameters initialise lazily, and recording a clone of an
    // uninitialised module would draw different weights.
    let x_ref = g_ref.generate(z_ref, None);
    let l_ref = d_ref.discriminate(x_ref.clone(), None);
    let g_bytes = recorder.record(g_ref.into_record(), ()).unwrap();
    let d_bytes = recorder.record(d_ref.into_record(), ()).unwrap();

    // Inference mode (batch norm on running statistics) on the inner backend.
    let g = g_config
        .try_init::<B::InnerBackend>(&device.clone())
        .unwrap()
        .load_record(recorder.load(g_bytes, device).unwrap());
    let d = d_config
        .try_init::<B::InnerBackend>(&device.clone())
        .unwrap()
        .load_record(recorder.load(d_bytes, device).unwrap());
    let z_b = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(z, [3, 16]), device);
    let x_b = g.generate(z_b, None);
    let flat = |t: Vec<f32>| t;
    let xr: Vec<f32> = flat(x_ref.clone().into_data().to_vec().unwrap());
    let xb: Vec<f32> = x_b.clone().into_data().convert::<f32>().to_vec().unwrap();
    assert!(
        common::max_abs_diff(&xr, &xb) < 1e-4,
        "generator differs by {}",
        common::max_abs_diff(&xr, &xb)
    );
    let lr: Vec<f32> = l_ref.into_data().to_vec().unwrap();
    let lb: Vec<f32> = d
        .discriminate(x_b, None)
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    assert!(
        common::max_abs_diff(&lr, &lb) < 1e-4,
        "discriminator differs by {}",
        common::max_abs_diff(&lr, &lb)
    );
}

/// Linear and spherical interpolation hit both ends; slerp keeps the norm of equal-norm codes.
fn interpolation<B: AutodiffBackend>(device: &B::Device) {
    let z0 = [3.0f32, 0.0, 0.0, 4.0];
    let z1 = [0.0f32, 5.0, 0.0, 0.0];
    for path in [
        lerp::<B>(&z0, &z1, 5, device),
        slerp::<B>(&z0, &z1, 5, device),
    ] {
        let v: Vec<f32> = path.into_data().convert::<f32>().to_vec().unwrap();
        assert_eq!(v.len(), 20);
        assert!(common::max_abs_diff(&v[..4], &z0) < 1e-6);
        assert!(common::max_abs_diff(&v[16..], &z1) < 1e-5);
    }
    let v: Vec<f32> = slerp::<B>(&z0, &z1, 5, device)
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    for row in v.chunks(4) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 5.0).abs() < 1e-4, "slerp norm {norm}");
    }
    let mid: Vec<f32> = lerp::<B>(&z0, &z1, 3, device)
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    assert!(common::max_abs_diff(&mid[4..8], &[1.5, 2.5, 0.0, 2.0]) < 1e-6);
}

/// `try_init` returns the specific typed error for each invalid config, before allocating.
fn invalid_configs_are_typed_errors<B: AutodiffBackend>(device: &B::Device) {
    use gan::models::ModelError;
    let err = |r: Result<(), ModelError>| r.unwrap_err();
    let g = |c: DcganGeneratorConfig| err(c.try_init::<B>(device).map(|_| ()));
    let d = |c: DcganDiscriminatorConfig| err(c.try_init::<B>(device).map(|_| ()));
    assert_eq!(
        g(DcganGeneratorConfig::new().with_image_size(48)),
        ModelError::UnsupportedImageSize { size: 48 }
    );
    assert_eq!(
        d(DcganDiscriminatorConfig::new().with_image_size(100)),
        ModelError::UnsupportedImageSize { size: 100 }
    );
    assert_eq!(
        g(DcganGeneratorConfig::new().with_width(0)),
        ModelError::ZeroSize { field: "width" }
    );
    assert_eq!(
        d(
            DcganDiscriminatorConfig::new()
                .with_conditioning(DiscriminatorConditioning::Projection)
        ),
        ModelError::MissingClasses {
            feature: "conditioning"
        }
    );
    assert_eq!(
        err(MlpGeneratorConfig::new()
            .with_condition(Some(ConditionConfig::new(0)))
            .try_init::<B>(device)
            .map(|_| ())),
        ModelError::TooFewClasses { num_classes: 0 }
    );
    assert_eq!(
        err(MlpDiscriminatorConfig::new()
            .with_input_dropout(1.5)
            .try_init::<B>(device)
            .map(|_| ())),
        ModelError::InvalidDropout {
            field: "input_dropout",
            value: 1.5
        }
    );
    let message = g(DcganGeneratorConfig::new().with_image_size(48)).to_string();
    assert!(
        message.contains("48x48") && message.contains("28, 32 and 64"),
        "{message}"
    );
}

/// `batch_norm_2d` is `BatchNorm::forward` on `[N, C, H, W]`: the same training output, the
/// same gradients for the input, gamma and beta, the same running averages after the update,
/// and the same inference output, within 1e-5 (relative to the largest magnitude).
fn batch_norm_2d_matches_batch_norm<B: AutodiffBackend>(device: &B::Device) {
    use burn::module::{AutodiffModule, Param};
    use burn::nn::BatchNormConfig;
    use burn::tensor::Distribution;
    use gan::models::batch_norm_2d;

    let values = |t: Tensor<B::InnerBackend, 1>| -> Vec<f32> { t.into_data().to_vec().unwrap() };
    let close = |what: &str, ours: Vec<f32>, theirs: Vec<f32>| {
        assert_eq!(ours.len(), theirs.len(), "{what}");
        let scale = theirs.iter().fold(1f32, |m, v| m.max(v.abs()));
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= 1e-5 * scale,
            "{what}: off by {worst} (scale {scale})"
        );
    };
    let (n, c, h, w) = (4, 3, 5, 6);
    let mut rng = rng_from_seed(11);
    let host = |len: usize, rng: &mut rand_pcg::Pcg64, mean: f32| -> Vec<f32> {
        use rand_distr::{Distribution as _, Normal};
        let normal = Normal::new(mean, 1.5).unwrap();
        (0..len).map(|_| normal.sample(rng)).collect()
    };
    let x_host = host(n * c * h * w, &mut rng, 0.7);
    let (gamma, beta) = (host(c, &mut rng, 1.0), host(c, &mut rng, 0.0));
    let make = || {
        let mut bn = BatchNormConfig::new(c).with_momentum(0.3).init::<B>(device);
        bn.gamma = Param::from_tensor(Tensor::from_data(
            TensorData::new(gamma.clone(), [c]),
            device,
        ));
        bn.beta = Param::from_tensor(Tensor::from_data(
            TensorData::new(beta.clone(), [c]),
            device,
        ));
        bn
    };
    let x = || {
        Tensor::<B, 4>::from_data(TensorData::new(x_host.clone(), [n, c, h, w]), device)
            .require_grad()
    };
    // The weights of the output in the loss, so that every gradient is non-trivial.
    let weights = Tensor::<B, 4>::random([n, c, h, w], Distribution::Default, device);

    let (theirs_bn, ours_bn) = (make(), make());
    let (x_theirs, x_ours) = (x(), x());
    let theirs = theirs_bn.forward(x_theirs.clone());
    let ours = batch_norm_2d(&ours_bn, x_ours.clone());
    let flat = |t: Tensor<B, 4>| -> Vec<f32> { t.into_data().to_vec().unwrap() };
    close("training output", flat(ours.clone()), flat(theirs.clone()));
    let g_theirs = (theirs * weights.clone()).sum().backward();
    let g_ours = (ours * weights).sum().backward();
    let grad = |t: &Tensor<B, 4>, g: &<B as AutodiffBackend>::Gradients| -> Vec<f32> {
        t.grad(g).unwrap().into_data().to_vec().unwrap()
    };
    close(
        "input gradient",
        grad(&x_ours, &g_ours),
        grad(&x_theirs, &g_theirs),
    );
    for (what, ours, theirs) in [
        ("gamma gradient", &ours_bn.gamma, &theirs_bn.gamma),
        ("beta gradient", &ours_bn.beta, &theirs_bn.beta),
    ] {
        close(
            what,
            values(ours.val().grad(&g_ours).unwrap()),
            values(theirs.val().grad(&g_theirs).unwrap()),
        );
    }
    let running = |bn: &burn::nn::BatchNorm<B>| {
        (
            values(bn.running_mean.value_sync().inner()),
            values(bn.running_var.value_sync().inner()),
        )
    };
    let ((om, ov), (tm, tv)) = (running(&ours_bn), running(&theirs_bn));
    assert!(
        tm.iter().any(|&m| m.abs() > 0.1),
        "the running mean moved: {tm:?}"
    );
    close("running mean", om, tm);
    close("running variance", ov, tv);

    // Inference: the running averages.
    let (ours_bn, theirs_bn) = (ours_bn.valid(), theirs_bn.valid());
    let x = Tensor::<B::InnerBackend, 4>::from_data(
        TensorData::new(x_host.clone(), [n, c, h, w]),
        device,
    );
    let inner = |t: Tensor<B::InnerBackend, 4>| -> Vec<f32> { t.into_data().to_vec().unwrap() };
    close(
        "inference output",
        inner(batch_norm_2d(&ours_bn, x.clone())),
        inner(theirs_bn.forward(x)),
    );
}

/// A maxout layer keeps, per unit, the largest of its `pieces` affine maps (units are
/// contiguous blocks of `pieces` outputs of its linear map); with one piece it is that affine
/// map. Checked against the same products on the host, within 1e-5.
fn maxout_keeps_the_largest_piece<B: AutodiffBackend>(device: &B::Device) {
    use gan::models::Maxout;

    let (batch, d_in, units) = (5, 3, 4);
    let x = noise::<B>(batch, d_in, device);
    let xs: Vec<f32> = x.clone().into_data().to_vec().unwrap();
    for pieces in [1, 3] {
        B::seed(device, 7);
        let layer = Maxout::<B>::new(d_in, units, pieces, device);
        // Visiting order: the weight [d_in, units * pieces], then the bias [units * pieces].
        let params = common::param_values(&layer);
        let outs = units * pieces;
        assert_eq!(params.len(), d_in * outs + outs);
        let (w, b) = params.split_at(d_in * outs);
        let got: Vec<f32> = layer.forward(x.clone()).into_data().to_vec().unwrap();
        assert_eq!(got.len(), batch * units, "pieces = {pieces}");
        for i in 0..batch {
            for u in 0..units {
                let expected = (0..pieces)
                    .map(|p| {
                        let o = u * pieces + p;
                        b[o] + (0..d_in)
                            .map(|k| xs[i * d_in + k] * w[k * outs + o])
                            .sum::<f32>()
                    })
                    .fold(f32::MIN, f32::max);
                let got = got[i * units + u];
                assert!(
                    (got - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                    "pieces = {pieces}, sample {i}, unit {u}: {got} vs {expected}"
                );
            }
        }
    }
}

/// `gan::models::leaky_relu` has the values and input gradient of Burn's `leaky_relu`, exactly,
/// on normal values with exact zeros among them (where both take the gradient 1), and the
/// definition's values element by element. The factor's construction relies on `(1 - s) + s`
/// rounding to exactly 1 in f32 for every f32 slope `s` in `[0, 1]`: checked here on 100,001.
fn leaky_relu_matches_burns<B: AutodiffBackend>(device: &B::Device) {
    use burn::tensor::Distribution;

    for i in 0..=100_000u32 {
        let s = (i as f64 / 100_000.0) as f32;
        assert_eq!((1.0 - s) + s, 1.0, "slope {s}");
    }

    let mut rng = rng_from_seed(5);
    let host: Vec<f32> = {
        use rand_distr::{Distribution as _, Normal};
        let normal = Normal::new(0.0f32, 1.0).unwrap();
        (0..4 * 5 * 6)
            .map(|i| {
                if i % 7 == 0 {
                    0.0
                } else {
                    normal.sample(&mut rng)
                }
            })
            .collect()
    };
    let upstream = Tensor::<B, 3>::random([4, 5, 6], Distribution::Normal(0.0, 1.0), device);
    let run = |f: &dyn Fn(Tensor<B, 3>) -> Tensor<B, 3>| -> (Vec<f32>, Vec<f32>) {
        let x = Tensor::<B, 3>::from_data(TensorData::new(host.clone(), [4, 5, 6]), device)
            .require_grad();
        let y = f(x.clone());
        let grads = (y.clone() * upstream.clone()).sum().backward();
        let grad = x.grad(&grads).expect("x is tracked");
        (
            y.into_data().to_vec().unwrap(),
            grad.into_data().to_vec().unwrap(),
        )
    };
    for slope in [0.2, 0.01, 0.3, 1.0 / 3.0, 0.0, 1.0] {
        let (ours, ours_grad) = run(&|x| gan::models::leaky_relu(x, slope));
        let (burns, burns_grad) = run(&|x| burn::tensor::activation::leaky_relu(x, slope));
        assert_eq!(ours, burns, "slope {slope}: values");
        assert_eq!(ours_grad, burns_grad, "slope {slope}: gradients");
        let up: Vec<f32> = upstream.clone().into_data().to_vec().unwrap();
        for (i, &v) in host.iter().enumerate() {
            let factor = if v < 0.0 { slope as f32 } else { 1.0 };
            assert_eq!(ours[i], v * factor, "slope {slope}, element {i}");
            assert_eq!(ours_grad[i], up[i] * factor, "slope {slope}, gradient {i}");
        }
    }
}

backend_tests!(
    invalid_configs_are_typed_errors,
    mlp_shapes_ranges_and_counts,
    dcgan_shapes_ranges_and_counts,
    conditional_dcgan,
    spectral_norm_converges,
    forward_matches_flex,
    interpolation,
    batch_norm_2d_matches_batch_norm,
    maxout_keeps_the_largest_piece,
    leaky_relu_matches_burns
);
