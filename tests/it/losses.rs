//! The loss family's values and gradients against closed forms, on every backend.

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use gan::train::{GanLoss, softplus};

fn column<B: AutodiffBackend>(values: &[f32], device: &B::Device) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1]), device)
}

fn scalar<B: AutodiffBackend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem::<f64>()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tol {tol})"
    );
}

/// softplus is exact where log(1 + exp(x)) overflows or underflows in f32.
fn softplus_is_stable<B: AutodiffBackend>(device: &B::Device) {
    let x = column::<B>(&[-100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0], device);
    let y: Vec<f32> = softplus(x).into_data().convert::<f32>().to_vec().unwrap();
    let want = [
        0.0,
        2.061_153_6e-9,
        0.313_261_7,
        std::f64::consts::LN_2,
        1.313_261_7,
        20.0,
        100.0,
    ];
    for (got, want) in y.iter().zip(want) {
        assert!(got.is_finite());
        close(*got as f64, want, 1e-6 * want.abs().max(1.0), "softplus");
    }
}

/// At D = 1/2 everywhere the minimax criterion V(D, G) is -log 4 (Goodfellow et al., Thm 1).
fn minimax_value_at_equilibrium<B: AutodiffBackend>(device: &B::Device) {
    let half = column::<B>(&[0.0; 8], device);
    let d_loss = scalar(GanLoss::Minimax.discriminator(half.clone(), half.clone()));
    close(-d_loss, -(4.0f64.ln()), 1e-6, "V(D=1/2)");
    close(
        scalar(GanLoss::Minimax.generator(half.clone())),
        -(2.0f64.ln()),
        1e-6,
        "minimax G",
    );
    close(
        scalar(GanLoss::NonSaturating.generator(half)),
        2.0f64.ln(),
        1e-6,
        "NS G",
    );
}

/// Closed-form values of each loss on fixed logits.
fn loss_values<B: AutodiffBackend>(device: &B::Device) {
    let real = column::<B>(&[2.0, 0.5], device);
    let fake = column::<B>(&[-2.0, 0.0], device);
    let sp = |x: f64| (1.0 + x.exp()).ln();
    let want_d = (sp(-2.0) + sp(-0.5)) / 2.0 + (sp(-2.0) + sp(0.0)) / 2.0;
    for loss in [GanLoss::Minimax, GanLoss::NonSaturating] {
        let got = scalar(loss.discriminator(real.clone(), fake.clone()));
        close(got, want_d, 1e-5, "cross-entropy D");
    }
    close(
        scalar(GanLoss::NonSaturating.generator(fake.clone())),
        (sp(2.0) + sp(0.0)) / 2.0,
        1e-5,
        "NS G",
    );
    close(
        scalar(GanLoss::Minimax.generator(fake.clone())),
        -(sp(-2.0) + sp(0.0)) / 2.0,
        1e-5,
        "minimax G",
    );
    // LSGAN: ((r-1)^2 + f^2) / 2 averaged; G: (f-1)^2 / 2.
    let ls = ((1.0 + 0.25) / 2.0 + (4.0 + 0.0) / 2.0) * 0.5;
    close(
        scalar(GanLoss::LeastSquares.discriminator(real.clone(), fake.clone())),
        ls,
        1e-6,
        "LS D",
    );
    close(
        scalar(GanLoss::LeastSquares.generator(fake.clone())),
        (9.0 + 1.0) / 2.0 * 0.5,
        1e-6,
        "LS G",
    );
    // WGAN: mean f - mean r; G: -mean f.
    close(
        scalar(GanLoss::Wasserstein.discriminator(real.clone(), fake.clone())),
        -1.0 - 1.25,
        1e-6,
        "W D",
    );
    close(
        scalar(GanLoss::Wasserstein.generator(fake.clone())),
        1.0,
        1e-6,
        "W G",
    );
    // Hinge: mean relu(1 - r) + mean relu(1 + f).
    close(
        scalar(GanLoss::Hinge.discriminator(real, fake.clone())),
        0.25 + 0.5,
        1e-6,
        "hinge D",
    );
    close(scalar(GanLoss::Hinge.generator(fake)), 1.0, 1e-6, "hinge G");
}

/// When D confidently rejects samples (logit -10), the minimax generator loss saturates: its
/// gradient is sigmoid(-10) ~ 4.5e-5 per sample, while the non-saturating loss still gives ~1.
fn non_saturating_gradient_does_not_vanish<B: AutodiffBackend>(device: &B::Device) {
    let grad = |loss: GanLoss| {
        let f = column::<B>(&[-10.0; 4], device).require_grad();
        let grads = loss.generator(f.clone()).backward();
        let g: Vec<f32> = f
            .grad(&grads)
            .unwrap()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap();
        g.iter().map(|v| v.abs() as f64 * 4.0).sum::<f64>() / 4.0
    };
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    close(
        grad(GanLoss::Minimax),
        sigmoid(-10.0),
        1e-7,
        "minimax dL/dl",
    );
    close(
        grad(GanLoss::NonSaturating),
        sigmoid(10.0),
        1e-5,
        "NS dL/dl",
    );
}

backend_tests!(
    softplus_is_stable,
    minimax_value_at_equilibrium,
    loss_values,
    non_saturating_gradient_does_not_vanish
);
