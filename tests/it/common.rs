//! Shared test helpers: the `backend_tests!` macro and parameter snapshots.
#![allow(dead_code)]

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Expands generic test bodies `fn name<B: AutodiffBackend>(device: &B::Device)` into one
/// `#[test]` per backend compiled in, in modules `flex`, `ndarray`, `wgpu` and `tch`.
///
/// The tch tests run on `$GAN_TEST_TCH_DEVICE` (`cpu` when unset, or `cuda:N`).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "flex")]
        mod flex {
            $(#[test]
            fn $name() {
                super::$name::<gan::backend::FlexAutodiff>(&Default::default());
            })*
        }
        #[cfg(feature = "ndarray")]
        mod ndarray {
            $(#[test]
            fn $name() {
                super::$name::<gan::backend::NdArrayAutodiff>(&Default::default());
            })*
        }
        #[cfg(feature = "wgpu")]
        mod wgpu {
            $(#[test]
            fn $name() {
                let device = burn::backend::wgpu::WgpuDevice::DefaultDevice;
                let _idle = gan::backend::SyncOnDrop::<gan::backend::WgpuAutodiff>(
                    device.clone(),
                );
                super::$name::<gan::backend::WgpuAutodiff>(&device);
            })*
        }
        #[cfg(feature = "tch")]
        mod tch {
            $(#[test]
            fn $name() {
                super::$name::<gan::backend::LibTorchAutodiff>(&$crate::common::tch_device());
            })*
        }
    };
}

/// Expands generic test bodies into `#[test]`s on Flex only, in a module `flex_only`: the long
/// statistical runs. The other backends are tied to Flex by `equivalence`: the same weights
/// and batches give the same training run.
#[macro_export]
macro_rules! flex_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "flex")]
        mod flex_only {
            $(#[test]
            fn $name() {
                super::$name::<gan::backend::FlexAutodiff>(&Default::default());
            })*
        }
    };
}

/// Runs the `gan` binary with `args` and returns its output. The tch backend must start
/// without the user's library path (build.rs sets an rpath), so it is removed.
pub fn gan_output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("gan binary runs")
}

/// The setup venv's Python (`$GAN_TORCH_VENV`, default `~/.cache/gan-rs/torch-venv`), which
/// must exist: `scripts/setup.sh` makes it.
pub fn venv_python() -> std::path::PathBuf {
    let venv = std::env::var_os("GAN_TORCH_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap())
                .join(".cache/gan-rs/torch-venv")
        });
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup.sh",
        python.display()
    );
    python
}

/// The libtorch device for tests: `$GAN_TEST_TCH_DEVICE` (`cpu` or `cuda:N`), default cpu.
#[cfg(feature = "tch")]
pub fn tch_device() -> burn::backend::libtorch::LibTorchDevice {
    use burn::backend::libtorch::LibTorchDevice;
    match std::env::var("GAN_TEST_TCH_DEVICE").as_deref() {
        Ok("cpu") | Err(_) => LibTorchDevice::Cpu,
        Ok(other) => {
            let index = other
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .unwrap_or_else(|| panic!("GAN_TEST_TCH_DEVICE={other}: expected cpu or cuda:N"));
            LibTorchDevice::Cuda(index)
        }
    }
}

/// Every float parameter of a module, flattened, in visiting order.
pub fn param_values<B: Backend, M: Module<B>>(module: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0
                .extend(param.val().into_data().convert::<f32>().iter::<f32>());
        }
    }
    let mut c = Collect(Vec::new());
    module.visit(&mut c);
    c.0
}

/// Largest absolute elementwise difference.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Redraws every float tensor of a module from a host RNG seeded with `seed`: matrices
/// uniformly in `±1/sqrt(fan_in)` (rows are inputs, Burn's `[in, out]` layout), vectors in
/// `±0.1`. Unlike the backend's initialisers this does not touch the backend's global RNG, so
/// tests running in parallel get exactly the same weights.
pub fn host_init<B: Backend, M: Module<B>>(module: M, seed: u64) -> M {
    use burn::module::ModuleMapper;
    use burn::tensor::TensorData;
    use rand::{RngExt, SeedableRng};
    struct Redraw(rand_pcg::Pcg64);
    impl<B: Backend> ModuleMapper<B> for Redraw {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, value, mapper) = param.consume();
            let shape = value.shape();
            let dims = shape.dims::<D>();
            let bound = if D >= 2 {
                1.0 / (dims[0] as f32).sqrt()
            } else {
                0.1
            };
            let values: Vec<f32> = (0..shape.num_elements())
                .map(|_| self.0.random_range(-bound..bound))
                .collect();
            let redrawn = Tensor::from_data(TensorData::new(values, dims), &value.device());
            let redrawn = if value.is_require_grad() {
                redrawn.require_grad()
            } else {
                redrawn
            };
            Param::from_mapped_value(id, redrawn, mapper)
        }
    }
    module.map(&mut Redraw(rand_pcg::Pcg64::seed_from_u64(seed)))
}

/// Replaces the float tensors of a module, in visiting order, by `values` (flattened).
pub fn set_params<B: Backend, M: Module<B>>(module: M, values: &[f32]) -> M {
    use burn::module::ModuleMapper;
    use burn::tensor::TensorData;
    struct Set<'a>(&'a [f32]);
    impl<B: Backend> ModuleMapper<B> for Set<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, value, mapper) = param.consume();
            let shape = value.shape();
            let n = shape.num_elements();
            assert!(self.0.len() >= n, "set_params: not enough values");
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            let new = Tensor::from_data(
                TensorData::new(head.to_vec(), shape.dims::<D>()),
                &value.device(),
            );
            let new = if value.is_require_grad() {
                new.require_grad()
            } else {
                new
            };
            Param::from_mapped_value(id, new, mapper)
        }
    }
    let mut set = Set(values);
    let module = module.map(&mut set);
    assert!(
        set.0.is_empty(),
        "set_params: {} values left over",
        set.0.len()
    );
    module
}

/// Whether the backend's arithmetic is bitwise reproducible across a checkpoint and resume.
///
/// Only Flex: ndarray's SIMD kernels (on since the `ndarray` feature enables them) round
/// differently with the memory alignment of their inputs, so tensors loaded from a checkpoint
/// can differ from the ones kept in memory in the last bits.
pub fn is_bitwise_backend<B: Backend>() -> bool {
    std::any::type_name::<B>().contains("Flex")
}

/// A 1-D Gaussian data source `N(mean, std²)` (optionally several labelled components), with
/// a saved and restored RNG.
pub struct Gaussian1d {
    /// `(mean, std)` of each class.
    pub components: Vec<(f32, f32)>,
    /// Whether batches carry labels (the component index).
    pub labelled: bool,
    /// The sampling RNG.
    pub rng: rand_pcg::Pcg64,
}

impl Gaussian1d {
    /// One unlabelled Gaussian.
    pub fn new(mean: f32, std: f32, seed: u64) -> Self {
        use rand::SeedableRng;
        Self {
            components: vec![(mean, std)],
            labelled: false,
            rng: rand_pcg::Pcg64::seed_from_u64(seed),
        }
    }

    /// Labelled components drawn with equal probability.
    pub fn labelled(components: Vec<(f32, f32)>, seed: u64) -> Self {
        Self {
            components,
            labelled: true,
            ..Self::new(0.0, 1.0, seed)
        }
    }

    /// `n` host samples and their labels.
    pub fn draw(&mut self, n: usize) -> (Vec<f32>, Vec<i64>) {
        use rand::RngExt;
        use rand_distr::{Distribution, StandardNormal};
        let mut xs = Vec::with_capacity(n);
        let mut ys = Vec::with_capacity(n);
        for _ in 0..n {
            let c = self.rng.random_range(0..self.components.len());
            let (mean, std) = self.components[c];
            let e: f32 = StandardNormal.sample(&mut self.rng);
            xs.push(mean + std * e);
            ys.push(c as i64);
        }
        (xs, ys)
    }
}

impl<B: Backend> gan::data::BatchSource<B> for Gaussian1d {
    fn sample_shape(&self) -> Vec<usize> {
        vec![1]
    }

    fn num_classes(&self) -> Option<usize> {
        self.labelled.then_some(self.components.len())
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> gan::data::Batch<B> {
        let (xs, ys) = self.draw(m);
        gan::data::Batch {
            samples: Tensor::<B, 1>::from_floats(xs.as_slice(), device).reshape([m, 1]),
            labels: self
                .labelled
                .then(|| Tensor::from_ints(ys.as_slice(), device)),
        }
    }

    fn state(&self) -> Option<String> {
        serde_json::to_string(&self.rng).ok()
    }

    fn restore_state(&mut self, state: &str) -> gan::data::Result<()> {
        self.rng = serde_json::from_str(state)
            .map_err(|e| gan::data::DataError::InvalidState(e.to_string()))?;
        Ok(())
    }
}

/// Mean and standard deviation.
pub fn mean_std(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    (mean, var.sqrt())
}

/// A small ACGAN pair for 28x28 grey images of 3 classes: a DCGAN generator of width 4 with an
/// 8-dimensional latent code, and a DCGAN discriminator with an auxiliary class head.
pub fn acgan_dcgan28<B: Backend>(
    device: &B::Device,
) -> (
    gan::models::DcganGenerator<B>,
    gan::models::DcganDiscriminator<B>,
) {
    use gan::models::{
        ConditionConfig, DcganDiscriminatorConfig, DcganGeneratorConfig, DiscriminatorConditioning,
    };
    let condition = ConditionConfig::new(3);
    let g = DcganGeneratorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(4)
        .with_latent_dim(8)
        .with_condition(Some(condition.clone()))
        .init::<B>(device);
    let d = DcganDiscriminatorConfig::new()
        .with_image_size(28)
        .with_channels(1)
        .with_width(4)
        .with_condition(Some(condition))
        .with_conditioning(DiscriminatorConditioning::AuxClassifier)
        .init::<B>(device);
    (g, d)
}

/// Stands in for a killed process: panics when the given iteration has run.
pub struct KillAt(pub usize);

impl gan::train::Observer for KillAt {
    fn on_iteration(&mut self, iteration: usize) {
        if iteration == self.0 {
            panic!("killed at iteration {iteration} (expected by the test)");
        }
    }
}

/// `G(z) = scale * z + shift` for `z ~ N(0, 1)`: exactly `N(shift, scale²)`.
pub fn affine_generator<B: burn::tensor::backend::AutodiffBackend>(
    scale: f32,
    shift: f32,
    device: &B::Device,
) -> gan::models::MlpGenerator<B> {
    let g = gan::models::MlpGeneratorConfig::new()
        .with_latent_dim(1)
        .with_hidden(vec![])
        .with_output_dim(1)
        .with_output_activation(gan::models::OutputActivation::Identity)
        .with_prior(gan::models::Prior::Normal)
        .init::<B>(device);
    set_params(g, &[scale, shift])
}

/// A 1-D discriminator: two hidden layers of `width` LeakyReLU units, no dropout.
pub fn small_discriminator<B: burn::tensor::backend::AutodiffBackend>(
    width: usize,
    seed: u64,
    device: &B::Device,
) -> gan::models::MlpDiscriminator<B> {
    let d = gan::models::MlpDiscriminatorConfig::new()
        .with_input_dim(1)
        .with_hidden(vec![width, width])
        .with_pieces(1)
        .with_input_dropout(0.0)
        .with_hidden_dropout(0.0)
        .init::<B>(device);
    host_init(d, seed)
}

/// The temporary directories that killed checkpoint saves left under `checkpoints` (the next
/// save removes them).
#[cfg(all(unix, feature = "flex"))]
pub fn checkpoint_debris(checkpoints: &std::path::Path) -> usize {
    std::fs::read_dir(checkpoints)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tmp")
        })
        .count()
}
