//! Parsing and dispatching backend and device choices.

use burn::tensor::backend::AutodiffBackend;
use gan::backend::{BackendError, BackendKind, BackendTask, DeviceChoice, run_on};

#[test]
fn backend_names_round_trip() {
    for kind in BackendKind::ALL {
        assert_eq!(kind.name().parse::<BackendKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
    }
    assert_eq!("NdArray".parse::<BackendKind>(), Ok(BackendKind::NdArray));
    assert_eq!(
        "cuda".parse::<BackendKind>(),
        Err(BackendError::UnknownBackend("cuda".into()))
    );
}

#[test]
fn device_strings() {
    assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
    assert_eq!("default".parse(), Ok(DeviceChoice::Default));
    assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
    assert_eq!("CUDA:3".parse(), Ok(DeviceChoice::Cuda(3)));
    assert_eq!("gpu:1".parse(), Ok(DeviceChoice::Gpu(1)));
    for bad in ["cuda:x", "tpu", "cuda:-1", ""] {
        assert_eq!(
            bad.parse::<DeviceChoice>(),
            Err(BackendError::UnknownDevice(bad.into()))
        );
    }
    assert_eq!(DeviceChoice::Cuda(2).to_string(), "cuda:2");
}

/// Reports which backend type the task was monomorphised for.
struct Name;

impl BackendTask for Name {
    type Output = String;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> String {
        B::name(&device)
    }
}

#[test]
fn dispatch_reaches_each_compiled_backend() {
    let compiled = BackendKind::compiled();
    assert_eq!(
        compiled.len(),
        [
            cfg!(feature = "flex"),
            cfg!(feature = "ndarray"),
            cfg!(feature = "wgpu"),
            cfg!(feature = "tch")
        ]
        .iter()
        .filter(|on| **on)
        .count()
    );
    for kind in BackendKind::ALL {
        let result = run_on(kind, DeviceChoice::Cpu, Name);
        if kind.is_compiled() {
            let name = result.unwrap().to_lowercase();
            let expected = match kind {
                BackendKind::Flex => "flex",
                BackendKind::NdArray => "ndarray",
                BackendKind::Wgpu => "wgpu",
                BackendKind::Tch => "libtorch",
            };
            assert!(name.contains(expected), "{kind}: backend reports `{name}`");
        } else {
            assert_eq!(
                result,
                Err(BackendError::NotCompiled {
                    backend: kind,
                    feature: kind.feature()
                })
            );
        }
    }
}

#[test]
fn unsupported_devices_are_refused() {
    for kind in [BackendKind::Flex, BackendKind::NdArray] {
        if kind.is_compiled() {
            let err = run_on(kind, DeviceChoice::Cuda(0), Name).unwrap_err();
            assert!(
                matches!(err, BackendError::UnsupportedDevice { .. }),
                "{err}"
            );
            assert!(err.to_string().contains("supports cpu"), "{err}");
        }
    }
    if BackendKind::Tch.is_compiled() {
        let err = run_on(BackendKind::Tch, DeviceChoice::Gpu(0), Name).unwrap_err();
        assert!(err.to_string().contains("cuda:N"), "{err}");
    }
}
