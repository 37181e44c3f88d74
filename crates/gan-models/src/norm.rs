//! Batch normalisation of image batches, computed in the shape CPU backends handle fastest.
//!
//! [`batch_norm_2d`] is the function of Burn's [`BatchNorm::forward`] on `[N, C, H, W]`
//! tensors, with the same module, parameters, running statistics and records. Burn computes
//! `(x - mean) / std * gamma + beta` with four operations whose right-hand side `[1, C, 1, 1]`
//! is broadcast over the batch; Flex has no fast path for that broadcast and walks the whole
//! batch element by element through a strided iterator, four times forward and again in the
//! backward pass. Here the batch statistics fold into one per-channel scale and shift,
//! `y = x * (gamma / std) + (beta - mean * gamma / std)`, and both are repeated to
//! `[N, C, 1, 1]`, which Flex broadcasts over `H x W` with its vectorised per-row kernel. The
//! other backends compute the same function (the tests compare it with `BatchNorm::forward`).

use burn::module::RunningState;
use burn::nn::BatchNorm;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Batch-normalises `x` (`[N, C, H, W]`) with `bn`, exactly as `bn.forward(x)` does: with
/// autodiff enabled, by the batch's per-channel mean and biased variance over `N x H x W`,
/// updating `bn`'s running averages with its momentum; otherwise by the running averages.
pub fn batch_norm_2d<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let device = x.device();
    // [C] -> [N, C, 1, 1], materialised: broadcast over the trailing H x W only.
    let per_row = |v: Tensor<B, 1>| v.reshape([1, c, 1, 1]).repeat_dim(0, n);
    // Per-channel mean over N x H x W of a [N, C, H, W] tensor, as [C].
    let channel_mean = |t: Tensor<B, 4>| {
        t.reshape([n, c, h * w])
            .mean_dim(2)
            .mean_dim(0)
            .reshape([c])
    };
    let (mean, var) = if B::ad_enabled(&device) {
        let mean = channel_mean(x.clone());
        let var = channel_mean((x.clone() - per_row(mean.clone())).square());
        // running <- (1 - momentum) * running + momentum * batch statistic, as Burn does.
        let follow = |running: &RunningState<Tensor<B, 1>>, batch: &Tensor<B, 1>| {
            let previous = running.value_sync().to_device(&device);
            running.update(
                previous
                    .mul_scalar(1.0 - bn.momentum)
                    .add(batch.clone().detach().mul_scalar(bn.momentum))
                    .detach(),
            );
        };
        follow(&bn.running_mean, &mean);
        follow(&bn.running_var, &var);
        (mean, var)
    } else {
        (
            bn.running_mean.value().to_device(&device),
            bn.running_var.value().to_device(&device),
        )
    };
    let scale = bn.gamma.val() / var.add_scalar(bn.epsilon).sqrt();
    let shift = bn.beta.val() - mean * scale.clone();
    x * per_row(scale) + per_row(shift)
}
