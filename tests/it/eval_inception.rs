//! The Burn FID Inception network against the TorchScript original run by PyTorch (the setup
//! venv): pool3 features of a fixed batch agree within 1e-3, and the FID between two fixed image
//! sets agrees within 0.1%. Needs `scripts/setup.sh` (the venv and the converted weights).
#![cfg(feature = "flex")]

use std::path::PathBuf;
use std::process::Command;

use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};
use gan_eval::{FidInception, GaussianStats, default_inception_weights, frechet_distance};

type B = Flex;

use crate::common::venv_python as python;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fid-inception.py")
}

fn write_npy(path: &std::path::Path, values: &[f32], shape: &[usize]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}",
        dims.join(", ")
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in values {
        bytes.extend(v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

fn read_npy(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Deterministic images in [0, 1]: smooth patterns that vary with the image index.
fn images(n: usize, channels: usize, side: usize, phase: f32) -> Vec<f32> {
    let mut v = Vec::with_capacity(n * channels * side * side);
    for i in 0..n {
        for c in 0..channels {
            for y in 0..side {
                for x in 0..side {
                    let (fx, fy) = (x as f32 / side as f32, y as f32 / side as f32);
                    let t = phase + i as f32 * 0.37 + c as f32 * 1.3;
                    v.push(
                        0.5 + 0.5
                            * ((fx * 7.0 + t).sin() * (fy * (3.0 + i as f32 % 5.0) - t).cos()),
                    );
                }
            }
        }
    }
    v
}

fn features(model: &FidInception<B>, values: &[f32], shape: [usize; 4]) -> Vec<f32> {
    let device = Default::default();
    let x = Tensor::<B, 4>::from_data(TensorData::new(values.to_vec(), shape), &device);
    model.features(x).into_data().iter::<f32>().collect()
}

/// Runs `scripts/fid-inception.py features` on `values` and returns its pool3 features.
fn pytorch_features(dir: &std::path::Path, values: &[f32], shape: [usize; 4]) -> Vec<f32> {
    let (input, output) = (dir.join("x.npy"), dir.join("f.npy"));
    write_npy(&input, values, &shape);
    let status = Command::new(python())
        .arg(script())
        .args(["features", "--images"])
        .arg(&input)
        .arg("--out")
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    read_npy(&output)
}

/// Pool3 features of a grey 28x28 batch (tiled and resized) and of an RGB 32x32 batch match
/// PyTorch's within 1e-3, and the FID between two sets of six grey images (the first of them
/// the grey batch, whose features are reused) matches PyTorch's within 0.1%.
#[test]
fn inception_features_and_fid_match_pytorch() {
    let device = Default::default();
    let model = FidInception::<B>::load(&default_inception_weights(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let n = 6;
    let (a, b) = (images(n, 1, 28, 0.0), images(n, 1, 28, 2.0));
    let rgb = images(3, 3, 32, 0.1);
    let mut grey_features = Vec::new();
    for (x, shape) in [(&a, [n, 1, 28, 28]), (&rgb, [3, 3, 32, 32])] {
        let ours = features(&model, x, shape);
        let theirs = pytorch_features(dir.path(), x, shape);
        assert_eq!(ours.len(), shape[0] * 2048);
        assert_eq!(theirs.len(), ours.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        let (channels, side) = (shape[1], shape[2]);
        eprintln!("{channels}x{side}: max |diff| {worst:e}, max |feature| {scale}");
        assert!(
            worst < 1e-3,
            "{channels}x{side}: features differ by {worst}"
        );
        if channels == 1 {
            grey_features = ours;
        }
    }

    let stats = |f: &[f32]| GaussianStats::from_rows(f, 2048).unwrap();
    let ours = frechet_distance(
        &stats(&grey_features),
        &stats(&features(&model, &b, [n, 1, 28, 28])),
    )
    .unwrap();
    let (pa, pb) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    write_npy(&pa, &a, &[n, 1, 28, 28]);
    write_npy(&pb, &b, &[n, 1, 28, 28]);
    let out = Command::new(python())
        .arg(script())
        .arg("fid")
        .arg("--a")
        .arg(&pa)
        .arg("--b")
        .arg(&pb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    eprintln!("FID ours {ours} vs PyTorch {theirs}");
    assert!(theirs > 1.0);
    assert!(
        ((ours - theirs) / theirs).abs() < 1e-3,
        "FID {ours} vs PyTorch {theirs}"
    );
}

#[test]
fn missing_or_foreign_weights_are_refused_by_name() {
    let device = Default::default();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.safetensors");
    let err = FidInception::<B>::load(&missing, &device).unwrap_err();
    assert!(err.to_string().contains("nothing.safetensors"), "{err}");
    assert!(err.to_string().contains("fid-inception.py"), "{err}");
}
