//! `gan export`: PyTorch loads the exported generator into the same architecture
//! (`python/gan_generator.py`, strictly: no missing, extra or misshapen tensor) and computes
//! what Burn computes from the run's checkpoint, to 1e-4, for each generator family: DCGAN with
//! InfoGAN's fully connected layer and a learned label embedding, DCGAN with InfoGAN's codes,
//! a conditional MLP on images (one-hot labels, sigmoid) and the 2-D MLP.

use std::path::{Path, PathBuf};
use std::process::Command;

use gan::backend::DefaultBackend;
use gan::sample::{generate_from_codes, read_npy, write_npy};
use gan::train::GeneratorWeights;

use crate::common::{gan_output as gan, venv_python as python};

fn ok(args: &[&str]) -> String {
    let o = gan(args);
    assert!(
        o.status.success(),
        "gan {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn loader() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/gan_generator.py")
}

/// Deterministic codes in [-1.5, 1.5] (a fixed linear congruential sequence).
fn codes(n: usize, dim: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_u64;
    (0..n * dim)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 3.0 - 1.5
        })
        .collect()
}

/// Trains a few iterations with `args`, exports, and compares PyTorch's outputs with Burn's on
/// 12 codes. Returns the largest absolute difference.
fn round_trip(dir: &Path, name: &str, args: &[&str], weights: &str, classes: Option<usize>) -> f32 {
    let run = dir.join(name);
    let run_s = run.to_str().unwrap();
    let mut train = vec!["train", "--out", run_s, "--quiet", "--seed", "3"];
    train.extend(args);
    ok(&train);
    let file = dir.join(format!("{name}.safetensors"));
    let said = ok(&[
        "export",
        "--run",
        run_s,
        "--out",
        file.to_str().unwrap(),
        "--weights",
        weights,
    ]);
    assert!(said.contains(file.to_str().unwrap()), "{said}");

    let spec = gan::sample::RunSpec::load_run(&run).unwrap();
    let latent = spec.latent_dim();
    let n = 12;
    let z = codes(n, latent);
    let labels: Option<Vec<usize>> = classes.map(|k| (0..n).map(|i| (i * 7) % k).collect());
    let which = match weights {
        "trained" => GeneratorWeights::Trained,
        "ema" => GeneratorWeights::Ema,
        _ => GeneratorWeights::Inference,
    };
    let burn = generate_from_codes::<DefaultBackend>(
        &run,
        which,
        &z,
        labels.as_deref(),
        &Default::default(),
    )
    .unwrap();

    let z_path = dir.join(format!("{name}.z.npy"));
    write_npy(&z_path, &z, &[n, latent]).unwrap();
    let out = dir.join(format!("{name}.out.npy"));
    let mut cmd = Command::new(python());
    cmd.arg(loader())
        .arg(&file)
        .arg("--z")
        .arg(&z_path)
        .arg("--out")
        .arg(&out);
    if let Some(l) = &labels {
        let path = dir.join(format!("{name}.labels.npy"));
        let values: Vec<f32> = l.iter().map(|&c| c as f32).collect();
        write_npy(&path, &values, &[n]).unwrap();
        cmd.arg("--labels").arg(path);
    }
    let o = cmd
        .output()
        .expect("the setup venv's python runs (scripts/setup.sh)");
    assert!(
        o.status.success(),
        "{name}: python/gan_generator.py: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (torch, shape) = read_npy(&out).unwrap();
    assert_eq!(shape[0], n, "{name}: PyTorch's batch");
    assert_eq!(torch.len(), burn.len(), "{name}: output sizes");
    let diff = torch
        .iter()
        .zip(&burn)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    // The outputs must vary with the code, or the comparison proves little.
    let spread = burn.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(spread > 1e-3, "{name}: outputs are all near 0");
    diff
}

#[test]
fn pytorch_loads_the_exported_generator_and_computes_the_same_samples() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.json");
    std::fs::write(
        &overlay,
        r#"{"networks": {"Dcgan": {"generator": {"hidden": 48,
            "condition": {"num_classes": 10, "encoding": {"Embedding": 6}}}}}}"#,
    )
    .unwrap();
    let small = ["--limit", "64", "--batch", "8", "--steps", "6"];
    let cases: [(&str, Vec<&str>, &str, Option<usize>); 4] = [
        (
            "dcgan-hidden-embedding",
            [&["--config", overlay.to_str().unwrap()][..], &small].concat(),
            "inference",
            Some(10),
        ),
        (
            "dcgan-infogan",
            [&["--model", "dcgan", "--algorithm", "infogan"][..], &small].concat(),
            "trained",
            None,
        ),
        (
            "cgan-mlp",
            [&["--model", "cgan-mlp"][..], &small].concat(),
            "ema",
            Some(10),
        ),
        (
            "ring8",
            vec!["--dataset", "ring8", "--steps", "6"],
            "trained",
            None,
        ),
    ];
    for (name, args, weights, classes) in cases {
        let diff = round_trip(dir.path(), name, &args, weights, classes);
        println!("{name}: largest |PyTorch - Burn| = {diff:e}");
        assert!(diff <= 1e-4, "{name}: PyTorch and Burn differ by {diff}");
    }
}

#[test]
fn export_refuses_a_wrong_name_and_missing_weights_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_s = run.to_str().unwrap();
    ok(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        "2",
        "--out",
        run_s,
        "--quiet",
    ]);
    let pt = dir.path().join("g.pt");
    let o = gan(&["export", "--run", run_s, "--out", pt.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("--out") && err.contains(".safetensors"),
        "{err}"
    );
    assert!(!pt.exists());
    // The 2-D runs keep no moving average by default.
    let st = dir.path().join("g.safetensors");
    let o = gan(&[
        "export",
        "--run",
        run_s,
        "--out",
        st.to_str().unwrap(),
        "--weights",
        "ema",
    ]);
    assert!(!o.status.success());
    assert!(!st.exists(), "a refused export wrote its file");
    let o = gan(&[
        "export",
        "--run",
        dir.path().to_str().unwrap(),
        "--out",
        "x.safetensors",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("config.json"), "{err}");
}
