use burn::config::Config;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

/// `softplus(x) = log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(-|x|))` so that it
/// neither overflows for large `x` nor loses precision for very negative `x`.
///
/// With `D(x) = sigmoid(l)` for a logit `l`: `-log D(x) = softplus(-l)` and
/// `-log(1 - D(x)) = softplus(l)`.
pub fn softplus<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    relu(x.clone()) + x.abs().neg().exp().log1p()
}

/// The adversarial loss. `r` are the discriminator's logits on real data, `f` on generated
/// samples; every loss is a mean over the batch and is minimised by its network.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum GanLoss {
    /// The minimax game of the 2014 paper, `min_G max_D E log D(x) + E log(1 - D(G(z)))`.
    ///
    /// - D: `softplus(-r) + softplus(f)` = `-log D(x) - log(1 - D(G(z)))`
    /// - G: `-softplus(f)` = `log(1 - D(G(z)))` (saturates when D rejects samples confidently)
    Minimax,
    /// The paper's practical variant: G maximises `log D(G(z))` instead.
    ///
    /// - D: `softplus(-r) + softplus(f)`
    /// - G: `softplus(-f)` = `-log D(G(z))`
    NonSaturating,
    /// Least squares GAN (Mao et al. 2017) with targets a = 0, b = c = 1 on the raw output.
    ///
    /// - D: `(r - 1)^2 / 2 + f^2 / 2`
    /// - G: `(f - 1)^2 / 2`
    LeastSquares,
    /// Wasserstein GAN (Arjovsky et al. 2017): the critic estimates the Wasserstein-1 distance;
    /// pair it with weight clipping or a gradient penalty to keep it Lipschitz.
    ///
    /// - D: `f - r`
    /// - G: `-f`
    Wasserstein,
    /// Hinge loss (Lim & Ye 2017; Miyato et al. 2018).
    ///
    /// - D: `relu(1 - r) + relu(1 + f)`
    /// - G: `-f`
    Hinge,
}

impl GanLoss {
    /// Discriminator loss from the logits on a real batch and a generated batch.
    ///
    /// # Shapes
    /// - `real`, `fake`: `[batch, 1]`
    /// - output: `[1]`
    pub fn discriminator<B: Backend>(
        &self,
        real: Tensor<B, 2>,
        fake: Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        match self {
            GanLoss::Minimax | GanLoss::NonSaturating => {
                softplus(real.neg()).mean() + softplus(fake).mean()
            }
            GanLoss::LeastSquares => {
                ((real - 1.0).powi_scalar(2).mean() + fake.powi_scalar(2).mean()) * 0.5
            }
            GanLoss::Wasserstein => fake.mean() - real.mean(),
            GanLoss::Hinge => relu(real.neg() + 1.0).mean() + relu(fake + 1.0).mean(),
        }
    }

    /// Generator loss from the discriminator's logits on a generated batch.
    ///
    /// # Shapes
    /// - `fake`: `[batch, 1]`
    /// - output: `[1]`
    pub fn generator<B: Backend>(&self, fake: Tensor<B, 2>) -> Tensor<B, 1> {
        match self {
            GanLoss::Minimax => softplus(fake).mean().neg(),
            GanLoss::NonSaturating => softplus(fake.neg()).mean(),
            GanLoss::LeastSquares => (fake - 1.0).powi_scalar(2).mean() * 0.5,
            GanLoss::Wasserstein | GanLoss::Hinge => fake.mean().neg(),
        }
    }
}
