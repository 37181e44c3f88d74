use burn::config::Config;
use burn::module::AutodiffModule;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    Adam, AdamConfig, GradientsParams, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
    adaptor::OptimizerAdaptor,
};
use burn::tensor::backend::AutodiffBackend;

/// SGD hyper-parameters (the 2014 paper trains with momentum 0.5).
#[derive(Config, Debug, PartialEq)]
pub struct SgdParams {
    /// Momentum factor; 0 disables momentum.
    #[config(default = 0.5)]
    pub momentum: f64,
    /// Nesterov momentum.
    #[config(default = false)]
    pub nesterov: bool,
}

/// Adam hyper-parameters. The defaults are DCGAN's (`beta_1 = 0.5`) with PyTorch's epsilon.
#[derive(Config, Debug, PartialEq)]
pub struct AdamParams {
    /// Decay of the first moment estimate.
    #[config(default = 0.5)]
    pub beta_1: f32,
    /// Decay of the second moment estimate.
    #[config(default = 0.999)]
    pub beta_2: f32,
    /// Term added to the denominator for numerical stability.
    #[config(default = 1e-8)]
    pub epsilon: f32,
}

/// RMSProp hyper-parameters. The defaults follow WGAN (no momentum).
#[derive(Config, Debug, PartialEq)]
pub struct RmsPropParams {
    /// Smoothing constant of the squared-gradient average.
    #[config(default = 0.99)]
    pub alpha: f32,
    /// Momentum factor; 0 disables momentum.
    #[config(default = 0.0)]
    pub momentum: f32,
    /// Term added to the denominator for numerical stability.
    #[config(default = 1e-8)]
    pub epsilon: f32,
}

/// The optimizer of one network.
#[derive(Config, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// Stochastic gradient descent with momentum.
    Sgd(SgdParams),
    /// Adam.
    Adam(AdamParams),
    /// RMSProp.
    RmsProp(RmsPropParams),
}

impl OptimizerConfig {
    /// Checks each hyper-parameter's range; `field` names this optimizer in the error
    /// (`g_optimizer` or `d_optimizer`).
    pub fn validate(&self, field: &'static str) -> crate::Result<()> {
        // Each hyper-parameter with the range it must lie in: `true` for [0, 1), `false` for a
        // finite number > 0.
        let checks: &[(&str, f64, bool, &'static str)] = match self {
            OptimizerConfig::Sgd(p) => &[("momentum", p.momentum, true, "momentum in [0, 1)")],
            OptimizerConfig::Adam(p) => &[
                ("beta_1", p.beta_1 as f64, true, "Adam's beta_1 in [0, 1)"),
                ("beta_2", p.beta_2 as f64, true, "Adam's beta_2 in [0, 1)"),
                (
                    "epsilon",
                    p.epsilon as f64,
                    false,
                    "Adam's epsilon, a finite number > 0",
                ),
            ],
            OptimizerConfig::RmsProp(p) => &[
                ("alpha", p.alpha as f64, true, "RMSProp's alpha in [0, 1)"),
                (
                    "momentum",
                    p.momentum as f64,
                    true,
                    "RMSProp's momentum in [0, 1)",
                ),
                (
                    "epsilon",
                    p.epsilon as f64,
                    false,
                    "RMSProp's epsilon, a finite number > 0",
                ),
            ],
        };
        for &(name, value, unit, expected) in checks {
            let ok = value.is_finite()
                && if unit {
                    (0.0..1.0).contains(&value)
                } else {
                    value > 0.0
                };
            if !ok {
                return Err(crate::TrainError::InvalidParameter {
                    field,
                    value: format!("{name} = {value}"),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Adam with DCGAN's settings.
    pub fn adam() -> Self {
        OptimizerConfig::Adam(AdamParams::new())
    }

    /// Builds the optimizer for module type `M`.
    pub fn init<B: AutodiffBackend, M: AutodiffModule<B>>(&self) -> GanOptimizer<M, B> {
        match self {
            OptimizerConfig::Sgd(p) => {
                let momentum = (p.momentum > 0.0).then_some(MomentumConfig {
                    momentum: p.momentum,
                    dampening: 0.0,
                    nesterov: p.nesterov,
                });
                GanOptimizer::Sgd(SgdConfig::new().with_momentum(momentum).init())
            }
            OptimizerConfig::Adam(p) => GanOptimizer::Adam(
                AdamConfig::new()
                    .with_beta_1(p.beta_1)
                    .with_beta_2(p.beta_2)
                    .with_epsilon(p.epsilon)
                    .init(),
            ),
            OptimizerConfig::RmsProp(p) => GanOptimizer::RmsProp(
                RmsPropConfig::new()
                    .with_alpha(p.alpha)
                    .with_momentum(p.momentum)
                    .with_epsilon(p.epsilon)
                    .init(),
            ),
        }
    }
}

/// A built optimizer for module type `M`, whichever kind the config chose.
pub enum GanOptimizer<M: AutodiffModule<B>, B: AutodiffBackend> {
    /// SGD.
    Sgd(OptimizerAdaptor<Sgd<B::InnerBackend>, M, B>),
    /// Adam.
    Adam(OptimizerAdaptor<Adam, M, B>),
    /// RMSProp.
    RmsProp(OptimizerAdaptor<RmsProp, M, B>),
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> GanOptimizer<M, B> {
    /// Applies one update with learning rate `lr` and returns the updated module.
    pub fn step(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        match self {
            GanOptimizer::Sgd(o) => o.step(lr, module, grads),
            GanOptimizer::Adam(o) => o.step(lr, module, grads),
            GanOptimizer::RmsProp(o) => o.step(lr, module, grads),
        }
    }
}
