//! The `gan` binary as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        // The tch backend must start without the user's library path (build.rs sets an rpath).
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("gan binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
}

/// `gan train` on each compiled backend writes the run directory and prints its path last.
#[test]
fn train_on_every_compiled_backend() {
    for backend in gan::backend::BackendKind::compiled() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let out_str = out.to_str().unwrap();
        let o = gan(&[
            "train",
            "--dataset",
            "ring8",
            "--steps",
            "6",
            "--batch",
            "32",
            "--quiet",
            "--backend",
            backend.name(),
            "--out",
            out_str,
        ]);
        assert!(
            o.status.success(),
            "{backend}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        let stdout = text(&o.stdout);
        assert_eq!(stdout.lines().last(), Some(out_str), "{stdout}");
        assert!(
            stdout.contains(&format!("trained ring8 on {backend}")),
            "{stdout}"
        );
        assert_png(&out.join("samples.png"));
        assert!(out.join("config.json").is_file());
    }
}

/// The default job (DCGAN on the embedded MNIST digits) on each compiled backend, a few
/// iterations: an image grid, and a config.json that --resume continues from.
#[test]
fn default_job_trains_dcgan_on_embedded_mnist() {
    for backend in gan::backend::BackendKind::compiled() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let out_str = out.to_str().unwrap();
        let o = gan(&[
            "train",
            "--steps",
            "2",
            "--batch",
            "8",
            "--quiet",
            "--backend",
            backend.name(),
            "--out",
            out_str,
        ]);
        assert!(
            o.status.success(),
            "{backend}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        let stdout = text(&o.stdout);
        assert!(
            stdout.contains(&format!("trained mnist-embedded on {backend}")),
            "{stdout}"
        );
        assert_png(&out.join("samples.png"));
        let saved = gan::image::ImageRunConfig::load(out.join("config.json")).unwrap();
        assert_eq!(saved.dataset, gan::data::ImageDataset::EmbeddedMnist);
        assert_eq!(saved.generator.image_size, 28);
        // An 8x8 grid of 28x28 digits with 2-pixel gaps is wider than 8 * 28.
        let png = std::fs::read(out.join("samples.png")).unwrap();
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert!(width >= 8 * 28, "grid width {width}");

        if backend.name() == "flex" {
            let o = gan(&["train", "--resume", out_str, "--steps", "3", "--quiet"]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            assert!(
                text(&o.stdout).contains("resumed at iteration 2"),
                "{}",
                text(&o.stdout)
            );
        }
    }
}

/// Fashion-MNIST from Debian's package and an image folder train through the command line;
/// a folder without --data-dir and mismatched shapes are clear errors.
#[test]
fn image_datasets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fashion");
    let o = gan(&[
        "train",
        "--dataset",
        "fashion-mnist",
        "--limit",
        "256",
        "--steps",
        "2",
        "--batch",
        "8",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("trained fashion-mnist on flex"));
    assert_png(&out.join("samples.png"));

    let images = dir.path().join("faces");
    std::fs::create_dir(&images).unwrap();
    for i in 0..4u8 {
        image::RgbImage::from_fn(40, 48, |x, y| {
            image::Rgb([i * 60, x as u8 * 5, y as u8 * 5])
        })
        .save(images.join(format!("{i}.png")))
        .unwrap();
    }
    std::fs::write(images.join("broken.jpg"), b"not an image").unwrap();
    let out = dir.path().join("faces-run");
    let o = gan(&[
        "train",
        "--dataset",
        "folder",
        "--data-dir",
        images.to_str().unwrap(),
        "--image-size",
        "32",
        "--steps",
        "1",
        "--batch",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("broken.jpg"),
        "skipped files are reported"
    );
    assert_png(&out.join("samples.png"));

    let o = gan(&["train", "--dataset", "folder", "--steps", "1"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("--data-dir is required"),
        "{}",
        text(&o.stderr)
    );

    let config = dir.path().join("c.json");
    gan::image::ImageRunConfig::new()
        .with_image_shape(32, 1)
        .save(&config)
        .unwrap();
    let o = gan(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--steps",
        "1",
        "--quiet",
    ]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("embedded-mnist has images of shape [1, 28, 28]"),
        "{err}"
    );
    assert!(err.contains("[1, 32, 32]"), "{err}");
}

/// A config file is loaded and flags override it.
#[test]
fn config_file_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.json");
    let mut base = gan::toy::ToyRunConfig::new().with_seed(11);
    base.training.iterations = 3;
    base.save(&config).unwrap();
    let out = dir.path().join("run");
    let o = gan(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--dataset",
        "grid25",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let saved = gan::toy::ToyRunConfig::load(out.join("config.json")).unwrap();
    assert_eq!(saved.training.iterations, 3);
    assert_eq!(saved.seed, 11);
    assert_eq!(saved.dataset, gan::data::Toy2d::grid25());
}

use burn::config::Config;

#[test]
fn bad_values_name_the_flag_and_choices() {
    let o = gan(&["train", "--backend", "cuda"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("--backend"), "{err}");
    assert!(err.contains("flex, ndarray, wgpu, tch"), "{err}");

    let o = gan(&["train", "--device", "tpu:0"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("cpu, cuda:N or gpu:N"));

    let o = gan(&[
        "train",
        "--backend",
        "flex",
        "--device",
        "cuda:0",
        "--steps",
        "1",
    ]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("cannot run on device `cuda:0`"), "{err}");

    let o = gan(&["train", "--config", "/nonexistent/c.json"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("/nonexistent/c.json"));

    let o = gan(&[
        "train",
        "--steps",
        "1",
        "--k",
        "0",
        "--quiet",
        "--out",
        "/tmp/gan-k0",
    ]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("`k` = 0"), "{}", text(&o.stderr));
}
