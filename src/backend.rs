//! Backend selection.
//!
//! Library code in this workspace is generic over Burn's `Backend`; this module is where a
//! concrete backend gets named. Each backend compiled in through a Cargo feature gets a type
//! alias here (the plain backend for inference and its [`Autodiff`] wrapper for training), and
//! binaries choose one at run time with [`BackendKind`] and [`run_on`], which monomorphises the
//! same generic [`BackendTask`] for each backend.
//!
//! | feature   | backend                    | devices                |
//! |-----------|----------------------------|------------------------|
//! | `flex`    | Burn's Flex (CPU, default) | `cpu`                  |
//! | `ndarray` | ndarray (CPU)              | `cpu`                  |
//! | `wgpu`    | wgpu (Vulkan/Metal/DX12)   | `default`, `cpu`, `gpu:N` |
//! | `tch`     | libtorch 2.9               | `cpu`, `cuda:N`        |

use std::fmt;
use std::str::FromStr;

#[allow(unused_imports)]
use burn::backend::Autodiff;
use burn::tensor::backend::{AutodiffBackend, Backend};
use thiserror::Error;

/// Burn's Flex CPU backend.
#[cfg(feature = "flex")]
pub type Flex = burn::backend::Flex;
/// [`Flex`] with automatic differentiation, for training.
#[cfg(feature = "flex")]
pub type FlexAutodiff = Autodiff<Flex>;

/// Burn's ndarray CPU backend.
#[cfg(feature = "ndarray")]
pub type NdArray = burn::backend::NdArray;
/// [`NdArray`] with automatic differentiation, for training.
#[cfg(feature = "ndarray")]
pub type NdArrayAutodiff = Autodiff<NdArray>;

/// Burn's wgpu GPU backend.
#[cfg(feature = "wgpu")]
pub type Wgpu = burn::backend::Wgpu;
/// [`Wgpu`] with automatic differentiation, for training.
#[cfg(feature = "wgpu")]
pub type WgpuAutodiff = Autodiff<Wgpu>;

/// Burn's libtorch backend (f32).
#[cfg(feature = "tch")]
pub type LibTorch = burn::backend::LibTorch<f32>;
/// [`LibTorch`] with automatic differentiation, for training.
#[cfg(feature = "tch")]
pub type LibTorchAutodiff = Autodiff<LibTorch>;

/// The first backend compiled in, in the order flex, ndarray, wgpu, tch, with automatic
/// differentiation: programs that select their backend by Cargo feature alone (the examples)
/// train on this. Every backend's device implements `Default` (the CPU, or wgpu's default
/// adapter).
#[cfg(feature = "flex")]
pub type DefaultAutodiff = FlexAutodiff;
/// The first backend compiled in (see the `flex` variant of this alias).
#[cfg(all(feature = "ndarray", not(feature = "flex")))]
pub type DefaultAutodiff = NdArrayAutodiff;
/// The first backend compiled in (see the `flex` variant of this alias).
#[cfg(all(feature = "wgpu", not(any(feature = "flex", feature = "ndarray"))))]
pub type DefaultAutodiff = WgpuAutodiff;
/// The first backend compiled in (see the `flex` variant of this alias).
#[cfg(all(
    feature = "tch",
    not(any(feature = "flex", feature = "ndarray", feature = "wgpu"))
))]
pub type DefaultAutodiff = LibTorchAutodiff;
/// [`DefaultAutodiff`] without automatic differentiation, for sampling.
#[cfg(any(
    feature = "flex",
    feature = "ndarray",
    feature = "wgpu",
    feature = "tch"
))]
pub type DefaultBackend = <DefaultAutodiff as AutodiffBackend>::InnerBackend;

/// Errors choosing a backend or device.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BackendError {
    /// An unknown backend name.
    #[error("unknown backend `{0}`: expected one of flex, ndarray, wgpu, tch")]
    UnknownBackend(String),
    /// A backend whose Cargo feature was not enabled at build time.
    #[error(
        "backend `{backend}` is not compiled into this binary: rebuild with `--features {feature}`"
    )]
    NotCompiled {
        /// The backend asked for.
        backend: BackendKind,
        /// The Cargo feature that enables it.
        feature: &'static str,
    },
    /// A device string that could not be parsed.
    #[error("unknown device `{0}`: expected default, cpu, cuda:N or gpu:N")]
    UnknownDevice(String),
    /// A device the chosen backend cannot run on.
    #[error("backend `{backend}` cannot run on device `{device}`: it supports {supported}")]
    UnsupportedDevice {
        /// The backend.
        backend: BackendKind,
        /// The device asked for.
        device: DeviceChoice,
        /// The devices it supports.
        supported: &'static str,
    },
}

impl From<BackendError> for crate::GanError {
    fn from(error: BackendError) -> Self {
        crate::GanError::Backend(Box::new(error))
    }
}

/// The backends this project supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// Burn's Flex CPU backend.
    Flex,
    /// ndarray CPU backend.
    NdArray,
    /// wgpu GPU backend.
    Wgpu,
    /// libtorch backend.
    Tch,
}

impl BackendKind {
    /// Every backend, compiled in or not.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Flex,
        BackendKind::NdArray,
        BackendKind::Wgpu,
        BackendKind::Tch,
    ];

    /// The name used on the command line and in configs.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::NdArray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Tch => "tch",
        }
    }

    /// The Cargo feature that compiles the backend in.
    pub fn feature(self) -> &'static str {
        self.name()
    }

    /// Whether this binary was built with the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::NdArray => cfg!(feature = "ndarray"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Tch => cfg!(feature = "tch"),
        }
    }

    /// The backends compiled into this binary.
    pub fn compiled() -> Vec<BackendKind> {
        Self::ALL.into_iter().filter(|b| b.is_compiled()).collect()
    }

    /// The default backend: Flex when compiled in, else the first compiled backend.
    pub fn default_compiled() -> Option<BackendKind> {
        Self::compiled().into_iter().next()
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| BackendError::UnknownBackend(s.to_string()))
    }
}

/// Which device of a backend to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceChoice {
    /// The backend's default device (the CPU for CPU backends and libtorch, the first adapter
    /// for wgpu).
    #[default]
    Default,
    /// The CPU.
    Cpu,
    /// CUDA device `N` (libtorch).
    Cuda(usize),
    /// Discrete GPU `N` (wgpu).
    Gpu(usize),
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Default => f.write_str("default"),
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
            DeviceChoice::Gpu(i) => write!(f, "gpu:{i}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let index = |rest: &str| {
            rest.parse::<usize>()
                .map_err(|_| BackendError::UnknownDevice(s.to_string()))
        };
        match lower.as_str() {
            "default" => Ok(DeviceChoice::Default),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            "gpu" => Ok(DeviceChoice::Gpu(0)),
            _ => {
                if let Some(rest) = lower.strip_prefix("cuda:") {
                    Ok(DeviceChoice::Cuda(index(rest)?))
                } else if let Some(rest) = lower.strip_prefix("gpu:") {
                    Ok(DeviceChoice::Gpu(index(rest)?))
                } else {
                    Err(BackendError::UnknownDevice(s.to_string()))
                }
            }
        }
    }
}

/// Work generic over the training backend, run on a backend chosen at run time by [`run_on`].
pub trait BackendTask {
    /// What the task returns.
    type Output;

    /// Runs the task on backend `B` and `device`.
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output;
}

/// Waits, when dropped, until its device has finished every queued operation.
///
/// On wgpu a computation's last operations may still be queued or running when the code that
/// asked for them returns (fused, lazily executed work whose result nobody read). A process
/// that exits then races the driver: on Mesa's lavapipe the exit handlers destroy the LLVM
/// that its queue thread is still compiling with, and the process aborts after the work has
/// succeeded. [`run_on`] holds one of these around every task; a program (or a test) that
/// drives a backend itself holds one until it is done with the device.
pub struct SyncOnDrop<B: Backend>(pub B::Device);

impl<B: Backend> Drop for SyncOnDrop<B> {
    fn drop(&mut self) {
        // The results are already out (or a panic is unwinding): a device that fails now has
        // nothing left to lose, and its error would only hide the first one.
        let _ = B::sync(&self.0);
    }
}

/// Runs `task` on `B`, then waits until `device` has finished every queued operation.
fn run_to_idle<B: AutodiffBackend, T: BackendTask>(task: T, device: B::Device) -> T::Output {
    let _idle = SyncOnDrop::<B>(device.clone());
    task.run::<B>(device)
}

/// Runs `task` on the chosen backend and device, and waits for the device to finish.
///
/// Fails with [`BackendError::NotCompiled`] when the backend's feature is off, and with
/// [`BackendError::UnsupportedDevice`] when the backend cannot use the device.
pub fn run_on<T: BackendTask>(
    backend: BackendKind,
    device: DeviceChoice,
    task: T,
) -> Result<T::Output, BackendError> {
    let unsupported = |supported| BackendError::UnsupportedDevice {
        backend,
        device,
        supported,
    };
    // Each arm is compiled only with its feature; the unused bindings are expected otherwise.
    let _ = (&unsupported, &task);
    match backend {
        BackendKind::Flex => {
            #[cfg(feature = "flex")]
            {
                match device {
                    DeviceChoice::Default | DeviceChoice::Cpu => {
                        return Ok(run_to_idle::<FlexAutodiff, T>(task, Default::default()));
                    }
                    _ => return Err(unsupported("cpu")),
                }
            }
        }
        BackendKind::NdArray => {
            #[cfg(feature = "ndarray")]
            {
                match device {
                    DeviceChoice::Default | DeviceChoice::Cpu => {
                        return Ok(run_to_idle::<NdArrayAutodiff, T>(task, Default::default()));
                    }
                    _ => return Err(unsupported("cpu")),
                }
            }
        }
        BackendKind::Wgpu => {
            #[cfg(feature = "wgpu")]
            {
                use burn::backend::wgpu::WgpuDevice;
                let dev = match device {
                    DeviceChoice::Default => WgpuDevice::DefaultDevice,
                    DeviceChoice::Cpu => WgpuDevice::Cpu,
                    DeviceChoice::Gpu(i) => WgpuDevice::DiscreteGpu(i),
                    DeviceChoice::Cuda(_) => return Err(unsupported("default, cpu, gpu:N")),
                };
                return Ok(run_to_idle::<WgpuAutodiff, T>(task, dev));
            }
        }
        BackendKind::Tch => {
            #[cfg(feature = "tch")]
            {
                use burn::backend::libtorch::LibTorchDevice;
                let dev = match device {
                    DeviceChoice::Default | DeviceChoice::Cpu => LibTorchDevice::Cpu,
                    DeviceChoice::Cuda(i) => LibTorchDevice::Cuda(i),
                    DeviceChoice::Gpu(_) => return Err(unsupported("cpu, cuda:N")),
                };
                return Ok(run_to_idle::<LibTorchAutodiff, T>(task, dev));
            }
        }
    }
    #[allow(unreachable_code)]
    Err(BackendError::NotCompiled {
        backend,
        feature: backend.feature(),
    })
}
