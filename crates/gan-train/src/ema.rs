//! Exponential moving average of a module's weights (Karras et al. 2018; Yazıcı et al. 2019):
//! `θ_ema ← β θ_ema + (1 − β) θ` after every generator update. Sampling from the averaged
//! generator gives visibly smoother, better-scoring samples than the last iterate.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Flattens every float tensor of a module (parameters and state such as batch norm's running
/// statistics), in the module's visiting order.
pub(crate) fn flat_tensors<B: Backend, M: Module<B>>(module: &M) -> Vec<Tensor<B, 1>> {
    struct Collect<B: Backend>(Vec<Tensor<B, 1>>);
    impl<B: Backend> ModuleVisitor<B> for Collect<B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let value = param.val();
            let n = value.shape().num_elements();
            self.0.push(value.reshape([n]));
        }
    }
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Moves every float tensor of `average` towards the matching tensor of `current`:
/// `average ← decay · average + (1 − decay) · current`. Both modules must have the same
/// architecture (they are matched in visiting order).
pub fn ema_update<B: Backend, M: Module<B>>(average: M, current: &M, decay: f64) -> M {
    struct Blend<B: Backend> {
        current: std::vec::IntoIter<Tensor<B, 1>>,
        decay: f64,
    }
    impl<B: Backend> ModuleMapper<B> for Blend<B> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, value, mapper) = param.consume();
            let target = self
                .current
                .next()
                .expect("the averaged module has the architecture of the current one")
                .reshape(value.shape());
            let blended = value * self.decay + target * (1.0 - self.decay);
            Param::from_mapped_value(id, blended, mapper)
        }
    }
    average.map(&mut Blend {
        current: flat_tensors(current).into_iter(),
        decay,
    })
}
