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
                super::$name::<gan::backend::WgpuAutodiff>(
                    &burn::backend::wgpu::WgpuDevice::DefaultDevice,
                );
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
