//! Activations whose backward pass is cheaper than Burn's default composition.
//!
//! Burn 0.21's `leaky_relu` is built from a comparison, a scaled copy and `mask_where`, and
//! neither Flex nor libtorch overrides it. Under autodiff, `mask_where`'s backward pass adds two
//! more selections, and libtorch's `where` kernel is not vectorised: on DCGAN-28 at batch 64
//! these selections were the largest single kernel of a libtorch training step (15% of its
//! samples in `perf`). [`leaky_relu`] multiplies instead by a per-element factor that is built
//! outside the graph, so the backward pass is a single multiplication.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Leaky ReLU, `x` where `x >= 0` and `negative_slope * x` elsewhere: the same values and
/// gradient as `burn::tensor::activation::leaky_relu` for slopes in `[0, 1]`. The gradient at
/// `x = 0` is 1, as Burn's.
///
/// The per-element factor is computed from a detached copy of `x`, so autodiff records one
/// multiplication by a constant and the backward pass is `grad * factor`. The factor is
/// `step * (1 - s) + s` with `step` 1 where `x >= 0` and 0 elsewhere, in the float type, with
/// `1 - s` rounded there from `s`'s own rounding: then `(1 - s) + s` rounds to exactly 1, so the
/// factor is exactly 1 or the slope Burn multiplies by. Every operation is an element-wise kernel
/// that the CPU backends vectorise (a `mask_fill` or `mask_where` is not, on libtorch).
pub fn leaky_relu<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    negative_slope: f64,
) -> Tensor<B, D> {
    let slope = negative_slope as f32;
    let factor = x
        .clone()
        .detach()
        .greater_equal_elem(0.0)
        .float()
        .mul_scalar(1.0 - slope)
        .add_scalar(slope);
    x * factor
}
