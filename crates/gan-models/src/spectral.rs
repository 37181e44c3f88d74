//! Spectral normalisation (Miyato et al. 2018): divide a layer's weight by an estimate of its
//! largest singular value, refined by one power iteration per training forward pass.

use burn::module::{Module, RunningState};
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, PaddingConfig2d};
use burn::tensor::backend::Backend;
use burn::tensor::module::{conv2d, linear};
use burn::tensor::ops::PaddedConvOptions;
use burn::tensor::{Distribution, Tensor};

/// The power-iteration state of one spectrally normalised weight: the left singular vector
/// estimate `u`, kept as module state (saved with the module, never trained).
#[derive(Module, Debug)]
pub struct SpectralNorm<B: Backend> {
    u: RunningState<Tensor<B, 1>>,
    eps: f64,
}

impl<B: Backend> SpectralNorm<B> {
    /// State for a weight whose matrix form has `rows` rows (the layer's output features),
    /// started from a random unit vector.
    pub fn new(rows: usize, device: &B::Device) -> Self {
        let u = Tensor::<B, 1>::random([rows], Distribution::Normal(0.0, 1.0), device);
        Self {
            u: RunningState::new(normalize(u, 1e-12)),
            eps: 1e-12,
        }
    }

    /// Normalises a weight matrix `w` (`[rows, cols]`): one power iteration refines `u`
    /// (stored only while autodiff is enabled, i.e. in training), then returns
    /// `w / sigma` with `sigma = u^T w v`. `u` and `v` carry no gradient; `sigma` does.
    pub fn normalize_matrix(&self, w: Tensor<B, 2>) -> Tensor<B, 2> {
        let (sigma, u) = self.estimate(w.clone(), 1);
        if B::ad_enabled(&w.device()) {
            self.u.update(u);
        }
        w / sigma.unsqueeze::<2>()
    }

    /// Normalises a convolution kernel `[channels_out, channels_in / groups, kh, kw]`, viewed
    /// as the matrix `[channels_out, channels_in / groups * kh * kw]`.
    pub fn normalize_kernel(&self, w: Tensor<B, 4>) -> Tensor<B, 4> {
        let shape = w.dims();
        let cols = shape[1] * shape[2] * shape[3];
        self.normalize_matrix(w.reshape([shape[0], cols]))
            .reshape(shape)
    }

    /// Normalises a Burn linear weight, stored `[d_input, d_output]`, as the matrix
    /// `[d_output, d_input]`.
    pub fn normalize_linear(&self, w: Tensor<B, 2>) -> Tensor<B, 2> {
        self.normalize_matrix(w.transpose()).transpose()
    }

    /// Runs `iterations` power iterations from the stored `u` without storing the result and
    /// returns `(sigma, u)`.
    ///
    /// # Shapes
    /// - `w`: `[rows, cols]`
    /// - output: `([1], [rows])`
    pub fn estimate(&self, w: Tensor<B, 2>, iterations: usize) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let wd = w.clone().detach();
        let wt = wd.clone().transpose();
        let eps = self.eps;
        // One power iteration: v = W^T u / |W^T u|, then u = W v / |W v|.
        let step = |u: Tensor<B, 1>| {
            let v = normalize(wt.clone().matmul(u.unsqueeze_dim(1)).squeeze_dim(1), eps);
            let u = normalize(
                wd.clone().matmul(v.clone().unsqueeze_dim(1)).squeeze_dim(1),
                eps,
            );
            (u, v)
        };
        let (mut u, mut v) = step(self.u.value().detach());
        for _ in 1..iterations {
            (u, v) = step(u);
        }
        let wv = w.matmul(v.unsqueeze_dim(1)).squeeze_dim::<1>(1); // [rows]
        let sigma = (u.clone() * wv).sum(); // [1]
        (sigma, u)
    }
}

fn normalize<B: Backend>(x: Tensor<B, 1>, eps: f64) -> Tensor<B, 1> {
    let norm = x.clone().powi_scalar(2).sum().sqrt().clamp_min(eps);
    x / norm
}

/// A [`Linear`] layer with a spectrally normalised weight.
#[derive(Module, Debug)]
pub struct SnLinear<B: Backend> {
    /// The wrapped layer (its weight is the unnormalised parameter).
    pub inner: Linear<B>,
    /// Power-iteration state.
    pub sn: SpectralNorm<B>,
}

impl<B: Backend> SnLinear<B> {
    /// Wraps a linear layer.
    pub fn new(inner: Linear<B>) -> Self {
        let w = inner.weight.val();
        let [_, d_output] = w.dims();
        let sn = SpectralNorm::new(d_output, &w.device());
        Self { inner, sn }
    }

    /// The normalised weight in matrix form `[d_output, d_input]`.
    pub fn normalized_weight(&self) -> Tensor<B, 2> {
        self.sn
            .normalize_linear(self.inner.weight.val())
            .transpose()
    }

    /// # Shapes
    /// - `x`: `[batch, d_input]`
    /// - output: `[batch, d_output]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        forward_linear(&self.inner, Some(&self.sn), x)
    }
}

/// A [`Conv2d`] layer with a spectrally normalised weight (the kernel reshaped to
/// `[channels_out, channels_in * kh * kw]`).
#[derive(Module, Debug)]
pub struct SnConv2d<B: Backend> {
    /// The wrapped layer (its weight is the unnormalised parameter).
    pub inner: Conv2d<B>,
    /// Power-iteration state.
    pub sn: SpectralNorm<B>,
}

impl<B: Backend> SnConv2d<B> {
    /// Wraps a convolution.
    pub fn new(inner: Conv2d<B>) -> Self {
        let w = inner.weight.val();
        let sn = SpectralNorm::new(w.dims()[0], &w.device());
        Self { inner, sn }
    }

    /// The normalised kernel, `[channels_out, channels_in / groups, kh, kw]`.
    pub fn normalized_weight(&self) -> Tensor<B, 4> {
        self.sn.normalize_kernel(self.inner.weight.val())
    }

    /// # Shapes
    /// - `x`: `[batch, channels_in, height, width]`
    /// - output: `[batch, channels_out, height_out, width_out]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        forward_conv(&self.inner, Some(&self.sn), x)
    }
}

/// `layer`'s forward pass, with its weight spectrally normalised by `sn` when given.
pub(crate) fn forward_linear<B: Backend>(
    layer: &Linear<B>,
    sn: Option<&SpectralNorm<B>>,
    x: Tensor<B, 2>,
) -> Tensor<B, 2> {
    match sn {
        None => layer.forward(x),
        Some(sn) => linear(
            x,
            sn.normalize_linear(layer.weight.val()),
            layer.bias.as_ref().map(|b| b.val()),
        ),
    }
}

/// `conv`'s forward pass, with its kernel spectrally normalised by `sn` when given.
///
/// `Same` padding is computed as PyTorch does for odd kernels (`dilation * (k - 1) / 2` on each
/// side, the extra pixel at the bottom/right when the total is odd).
pub(crate) fn forward_conv<B: Backend>(
    conv: &Conv2d<B>,
    sn: Option<&SpectralNorm<B>>,
    x: Tensor<B, 4>,
) -> Tensor<B, 4> {
    let Some(sn) = sn else {
        return conv.forward(x);
    };
    let weight = sn.normalize_kernel(conv.weight.val());
    let ((top, bottom), (left, right)) = match conv.padding {
        PaddingConfig2d::Valid => ((0, 0), (0, 0)),
        PaddingConfig2d::Explicit(top, left, bottom, right) => ((top, bottom), (left, right)),
        PaddingConfig2d::Same => {
            let total = |i: usize| conv.dilation[i] * (conv.kernel_size[i] - 1);
            let (th, tw) = (total(0), total(1));
            ((th / 2, th - th / 2), (tw / 2, tw - tw / 2))
        }
    };
    let options = PaddedConvOptions::asymmetric(
        conv.stride,
        [top, left],
        [bottom, right],
        conv.dilation,
        conv.groups,
    );
    conv2d(x, weight, conv.bias.as_ref().map(|b| b.val()), options)
}
