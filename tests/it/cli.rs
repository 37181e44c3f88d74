//! The `gan` binary as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::gan_output as gan;

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
        let stdout = ok_on(backend, &o);
        assert_eq!(stdout.lines().last(), Some(out_str), "{stdout}");
        assert!(
            stdout.contains(&format!("trained ring8 (mlp) on {backend}")),
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
        let stdout = ok_on(backend, &o);
        assert!(
            stdout.contains(&format!("trained mnist-embedded (cgan-dcgan) on {backend}")),
            "{stdout}"
        );
        assert_png(&out.join("samples.png"));
        let saved = gan::image::ImageRunConfig::load(out.join("config.json")).unwrap();
        assert_eq!(saved.dataset, gan::data::ImageDataset::EmbeddedMnist);
        assert_eq!(saved.networks.kind(), gan::image::ModelKind::CganDcgan);
        // A 10x10 grid of 28x28 digits with 2-pixel gaps is wider than 10 * 28.
        let png = std::fs::read(out.join("samples.png")).unwrap();
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert!(width >= 10 * 28, "grid width {width}");

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
    assert!(text(&o.stdout).contains("trained fashion-mnist (cgan-dcgan) on flex"));
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
        text(&o.stderr).contains("--dataset folder:PATH (or --data-dir) is required"),
        "{}",
        text(&o.stderr)
    );

    let config = dir.path().join("c.json");
    gan::image::ImageRunConfig::new()
        .with_model(gan::image::ModelKind::Dcgan, 32, 1, 10)
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

/// Trains ring8 for 4 iterations into `dir/name` (with `extra` flags) and returns the run.
fn ring8_run(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let run = dir.join(name);
    let mut args = vec!["train", "--dataset", "ring8", "--steps", "4", "--quiet"];
    args.extend_from_slice(extra);
    args.extend(["--out", run.to_str().unwrap()]);
    ok(&gan(&args));
    run
}

/// A refused command changes nothing on disk: a new run into a directory that holds a
/// checkpoint leaves the earlier run's config and metrics as they were, and a resume of a run
/// without a checkpoint is refused instead of training it anew over its metrics.
#[test]
fn refused_runs_leave_the_run_directory_alone() {
    let dir = tempfile::tempdir().unwrap();
    let run = ring8_run(dir.path(), "a", &[]);
    let run_s = run.to_str().unwrap();
    let files =
        |run: &Path| ["config.json", "metrics.jsonl"].map(|f| std::fs::read(run.join(f)).unwrap());
    let before = files(&run);
    fails_with(
        &gan(&[
            "train",
            "--dataset",
            "grid25",
            "--steps",
            "4",
            "--quiet",
            "--out",
            run_s,
        ]),
        &["already holds a checkpoint", run_s],
    );
    assert_eq!(
        files(&run),
        before,
        "the refused run rewrote the earlier run's files"
    );
    // The earlier run still resumes on its own dataset.
    let saved = gan::toy::ToyRunConfig::load(run.join("config.json")).unwrap();
    assert_eq!(saved.dataset, gan::data::Toy2d::ring8());
    // A resume that would change more than the iterations names the field, old and new.
    fails_with(
        &gan(&["train", "--resume", run_s, "--batch", "7", "--quiet"]),
        &["`training.batch_size`", "-> 7", "config.json"],
    );
    assert_eq!(
        files(&run),
        before,
        "the refused resume rewrote the run's files"
    );

    // Without checkpoints (a run stopped before its first), --resume is refused and says how
    // to start again.
    std::fs::remove_dir_all(run.join("checkpoints")).unwrap();
    let before = files(&run);
    fails_with(
        &gan(&["train", "--resume", run_s, "--quiet"]),
        &["holds no checkpoint", "--config", "config.json"],
    );
    assert_eq!(
        files(&run),
        before,
        "the refused resume rewrote the run's files"
    );
}

/// A metrics line torn by a full disk or a kill is dropped on resume with a warning, and the
/// whole lines before it are kept; a damaged line before the last is still an error.
#[test]
fn resume_repairs_a_torn_last_metrics_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = ring8_run(dir.path(), "a", &[]);
    let run_s = run.to_str().unwrap();
    let metrics = run.join("metrics.jsonl");
    let whole = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        whole.ends_with('\n') && whole.contains("\"step\":4"),
        "{whole}"
    );
    std::fs::write(&metrics, format!("{whole}{{\"step\":5,\"val")).unwrap();
    let o = gan(&["train", "--resume", run_s, "--steps", "6", "--quiet"]);
    ok(&o);
    let err = text(&o.stderr);
    assert!(err.contains("dropped an incomplete last line"), "{err}");
    assert!(err.contains("metrics.jsonl line 2"), "{err}");
    let repaired = std::fs::read_to_string(&metrics).unwrap();
    let steps: Vec<u64> = repaired
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, [4, 6], "{repaired}");

    // Damage before the last line is not a torn append: refused, nothing rewritten.
    let damaged = format!("{{\"step\":4,\"va\n{}", repaired.lines().last().unwrap());
    std::fs::write(&metrics, &damaged).unwrap();
    let config = std::fs::read(run.join("config.json")).unwrap();
    fails_with(
        &gan(&["train", "--resume", run_s, "--steps", "8", "--quiet"]),
        &["metrics.jsonl", "line 1"],
    );
    assert_eq!(std::fs::read_to_string(&metrics).unwrap(), damaged);
    assert_eq!(std::fs::read(run.join("config.json")).unwrap(), config);
}

/// Ctrl-C and SIGTERM stop training at a checkpoint of the iteration they interrupted, say how to
/// resume, and exit with the shell's status (130, 143); the resume continues from there.
#[test]
fn signals_stop_training_at_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, status) in [("-INT", 130), ("-TERM", 143)] {
        let run = dir.path().join(&signal[1..]);
        let run_s = run.to_str().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_gan"))
            .args([
                "train",
                "--dataset",
                "ring8",
                "--steps",
                "100000000",
                "--checkpoint-every",
                "100000000",
                "--quiet",
                "--out",
                run_s,
            ])
            .env_remove("LD_LIBRARY_PATH")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Training has started once the loop has created metrics.jsonl.
        let start = std::time::Instant::now();
        while !run.join("metrics.jsonl").exists() {
            assert!(start.elapsed().as_secs() < 120, "the run never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let kill = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let o = child.wait_with_output().unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(status), "{err}");
        assert!(err.contains("resume with: gan train --resume"), "{err}");
        let stopped: usize = err
            .split("after iteration ")
            .nth(1)
            .and_then(|t| t.split(';').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no iteration in {err}"));
        assert!(stopped >= 1, "{err}");
        let latest = std::fs::read_to_string(run.join("checkpoints/latest")).unwrap();
        assert_eq!(latest.trim(), format!("step-{stopped:08}"), "{err}");
        // The resume starts where the signal stopped the run.
        let more = (stopped + 2).to_string();
        let stdout = ok(&gan(&[
            "train", "--resume", run_s, "--steps", &more, "--quiet",
        ]));
        assert!(
            stdout.contains(&format!("resumed at iteration {stopped}")),
            "{stdout}"
        );
    }
}

/// Config files with misspelt fields, out-of-range values or non-JSON numbers, and flags that do
/// nothing for the chosen dataset, are refused with the field, the value and what is expected.
#[test]
fn config_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = gan::toy::ToyRunConfig::new();
    let text = serde_json::to_string_pretty(&good).unwrap();
    let config = dir.path().join("c.json");
    let config_s = config.to_str().unwrap();
    let refused = |text: String, needles: &[&str]| {
        std::fs::write(&config, text).unwrap();
        let out = dir.path().join("run");
        fails_with(
            &gan(&[
                "train",
                "--config",
                config_s,
                "--steps",
                "1",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ]),
            needles,
        );
        assert!(!out.exists(), "a refused config wrote {}", out.display());
    };
    refused(
        text.replace("\"batch_size\"", "\"batch_sise\""),
        &[
            "c.json",
            "unknown field `training.batch_sise`",
            "did you mean `batch_size`",
        ],
    );
    refused(
        text.replacen("\"beta_1\": 0.5", "\"beta_1\": 1.5", 1),
        &["g_optimizer", "beta_1 = 1.5", "[0, 1)"],
    );
    let lr = format!("\"g_lr\": {}", good.training.g_lr);
    assert!(text.contains(&lr), "{text}");
    assert!(text.contains("\"beta_1\": 0.5"), "{text}");
    refused(
        text.replace(&lr, "\"g_lr\": NaN"),
        &["c.json", "not valid JSON at line", "no NaN"],
    );
    for (flag, value, dataset) in [
        ("--image-size", "32", "mnist-embedded"),
        ("--data-dir", "/tmp", "ring8"),
        ("--limit", "100", "moons"),
        ("--download", "", "mnist-embedded"),
    ] {
        let mut args = vec!["train", "--dataset", dataset, flag];
        if !value.is_empty() {
            args.push(value);
        }
        args.extend(["--steps", "1", "--quiet", "--print-config"]);
        fails_with(&gan(&args), &[flag, dataset, "only with"]);
    }
}

/// A newest checkpoint without its state file is skipped with a warning; a damaged one stops
/// the resume with the next newest named.
#[test]
fn resume_says_which_checkpoint_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    for damage in ["state", "weights"] {
        let run = ring8_run(dir.path(), damage, &["--checkpoint-every", "2"]);
        let run_s = run.to_str().unwrap();
        let newest = run.join("checkpoints/step-00000004");
        match damage {
            "state" => std::fs::remove_file(newest.join("state.json")).unwrap(),
            _ => {
                std::fs::write(newest.join("generator.safetensors"), b"not a tensor file").unwrap()
            }
        }
        let o = gan(&["train", "--resume", run_s, "--steps", "6", "--quiet"]);
        let err = text(&o.stderr);
        if damage == "state" {
            let stdout = ok(&o);
            assert!(stdout.contains("resumed at iteration 2"), "{stdout}");
            assert!(
                err.contains("step-00000004, which has no state.json"),
                "{err}"
            );
            assert!(err.contains("newest complete checkpoint"), "{err}");
        } else {
            fails_with(
                &o,
                &[
                    "cannot resume from",
                    "step-00000004",
                    "next newest checkpoint is",
                    "step-00000002",
                ],
            );
        }
    }
}

/// A damaged optimizer state whose tensor claims another rank than its data (found by the fuzz
/// harness: Burn asserts on it while building the tensor) is refused, not a panic.
#[test]
fn damaged_optimizer_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = ring8_run(dir.path(), "a", &[]);
    let file = run.join("checkpoints/step-00000004/discriminator_optim.mpk");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(5)
        .position(|w| w == b"Rank2")
        .expect("a rank-2 moment in the optimizer state");
    bytes[at + 4] = b'6';
    std::fs::write(&file, bytes).unwrap();
    let o = gan(&[
        "train",
        "--resume",
        run.to_str().unwrap(),
        "--steps",
        "6",
        "--quiet",
    ]);
    fails_with(
        &o,
        &["cannot resume from", "discriminator_optim.mpk", "rank"],
    );
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
}

/// `--dataset` next to an image config file replaces the data, not the config's networks, when
/// they fit the images; a dataset of another shape or `--model` gets that family's defaults.
#[test]
fn config_file_keeps_its_networks_with_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.json");
    let mut base =
        gan::image::ImageRunConfig::new().with_model(gan::image::ModelKind::Dcgan, 28, 1, 10);
    match &mut base.networks {
        gan::image::ImageNetworks::Dcgan(n) => {
            n.generator.width = 48;
            n.generator.hidden = Some(1024);
            n.discriminator.width = 48;
        }
        other => panic!("a DCGAN config, not {other:?}"),
    }
    base.save(&config).unwrap();
    let printed = |extra: &[&str]| {
        let mut args = vec!["train", "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push("--print-config");
        let json: serde_json::Value = serde_json::from_str(&ok(&gan(&args))).unwrap();
        json["networks"]["Dcgan"].clone()
    };
    let kept = printed(&["--dataset", "mnist-embedded"]);
    assert_eq!(kept["generator"]["width"], 48, "{kept}");
    assert_eq!(kept["generator"]["hidden"], 1024, "{kept}");
    assert_eq!(kept["discriminator"]["width"], 48, "{kept}");
    assert!(kept["generator"]["condition"].is_null(), "{kept}");
    // --model asks for that family's defaults.
    let remodelled = printed(&["--dataset", "mnist-embedded", "--model", "cgan-dcgan"]);
    assert_eq!(remodelled["generator"]["width"], 32, "{remodelled}");
    assert_eq!(remodelled["generator"]["condition"]["num_classes"], 10);
    // Images of another size: the config's family (unconditional DCGAN) at their shape.
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let other = printed(&[
        "--dataset",
        &format!("folder:{}", images.display()),
        "--image-size",
        "32",
    ]);
    assert_eq!(other["generator"]["image_size"], 32, "{other}");
    assert!(other["generator"]["condition"].is_null(), "{other}");
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

/// Reads a `.npy` file of float32: its shape and values.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "npy magic and version");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + header_len) % 64, 0, "header padded to 64 bytes");
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.contains("'descr': '<f4'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    assert!(header.ends_with('\n'));
    let dims = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = dims
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().unwrap())
        .collect();
    let values: Vec<f32> = bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(values.len(), shape.iter().product::<usize>());
    (shape, values)
}

fn png_size(path: &Path) -> (u32, u32) {
    assert_png(path);
    let png = std::fs::read(path).unwrap();
    (
        u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
        u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
    )
}

fn ok(o: &Output) -> String {
    ok_on("gan", o)
}

/// Asserts that the command succeeded (saying `what` ran otherwise) and returns its stdout.
fn ok_on(what: impl std::fmt::Display, o: &Output) -> String {
    assert!(
        o.status.success(),
        "{what}: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn fails_with(o: &Output, needles: &[&str]) {
    assert!(!o.status.success(), "should fail: {}", text(&o.stdout));
    let err = text(&o.stderr);
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
}

/// `gan sample` and `gan interpolate` on a (briefly) trained conditional image run and a 2-D run:
/// PNG grids, `.npy` arrays NumPy can read, class selection, and errors naming the flag.
#[test]
fn sample_and_interpolate_from_trained_runs() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("digits");
    let run_s = run.to_str().unwrap();
    ok(&gan(&[
        "train", "--limit", "64", "--steps", "2", "--batch", "8", "--quiet", "--out", run_s,
    ]));

    // Counts that cannot fit in memory are refused with the limit, before any allocation, and
    // nothing is written.
    let huge = dir.path().join("huge.npy");
    let huge_s = huge.to_str().unwrap();
    for (command, flag, value) in [
        ("sample", "--n", "18446744073709551615"),
        ("sample", "--n", "1000000000"),
        ("interpolate", "--rows", "100000000"),
        ("eval", "--n", "1000000000000"),
    ] {
        let mut args = vec![command, "--run", run_s, flag, value];
        if command == "eval" {
            args.extend(["--quiet", "--metric", "parzen"]);
        } else {
            args.extend(["--out", huge_s]);
        }
        fails_with(&gan(&args), &[flag, value, "at most"]);
    }
    assert!(!huge.exists());
    assert!(!run.join("eval.json").exists());
    for (flag, value) in [
        ("--batch", "4294967295"),
        ("--steps", "18446744073709551615"),
    ] {
        let out = dir.path().join("refused");
        fails_with(
            &gan(&[
                "train",
                "--dataset",
                "ring8",
                flag,
                value,
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ]),
            &[value],
        );
        assert!(
            !out.join("config.json").exists(),
            "{flag} {value} wrote a config"
        );
    }
    let out = dir.path().join("epochs");
    fails_with(
        &gan(&[
            "train",
            "--limit",
            "64",
            "--epochs",
            "18446744073709551615",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]),
        &["iterations", "at most 1,000,000,000"],
    );
    assert!(!out.join("config.json").exists());

    let png = dir.path().join("s.png");
    let stdout = ok(&gan(&[
        "sample",
        "--run",
        run_s,
        "--n",
        "20",
        "--out",
        png.to_str().unwrap(),
    ]));
    assert!(stdout.contains("20 samples"), "{stdout}");
    // One class per column: 10 columns of 28x28 digits, scaled x2 with 2-pixel gaps.
    let (w, h) = png_size(&png);
    assert!(w > h && w >= 10 * 56, "{w}x{h}");

    let npy = dir.path().join("s.npy");
    let sample = |n: &str, seed: &str, out: &Path| {
        ok(&gan(&[
            "sample",
            "--run",
            run_s,
            "--n",
            n,
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]))
    };
    sample("30", "4", &npy);
    let (shape, values) = read_npy(&npy);
    assert_eq!(shape, [30, 1, 28, 28]);
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(values.iter().any(|&v| v > 0.0 && v < 1.0));
    // The labels beside it: int64, the classes in turn.
    let labels = std::fs::read(dir.path().join("s.labels.npy")).unwrap();
    let header_len = u16::from_le_bytes([labels[8], labels[9]]) as usize;
    let header = std::str::from_utf8(&labels[10..10 + header_len]).unwrap();
    assert!(
        header.contains("'descr': '<i8'") && header.contains("'shape': (30,)"),
        "{header}"
    );
    let classes: Vec<i64> = labels[10 + header_len..]
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(classes, (0..30).map(|i| i % 10).collect::<Vec<i64>>());
    // One PNG per sample: the same images (8 bits each) and a labels.csv.
    let pngs = dir.path().join("pngs/");
    let stdout = sample("30", "4", &pngs);
    assert!(
        stdout.contains("one PNG each") && stdout.contains("labels.csv"),
        "{stdout}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&pngs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 31, "{files:?}");
    assert_eq!(
        (files[0].as_str(), files[29].as_str()),
        ("000000.png", "000029.png")
    );
    let csv = std::fs::read_to_string(pngs.join("labels.csv")).unwrap();
    assert_eq!(csv.lines().nth(13), Some("000012.png,2"));
    let image = image::open(pngs.join("000007.png")).unwrap().to_luma8();
    assert_eq!(image.dimensions(), (28, 28));
    for (p, v) in image.pixels().zip(&values[7 * 784..8 * 784]) {
        assert!(
            (p.0[0] as f32 - v * 255.0).abs() <= 1.0,
            "{} vs {v}",
            p.0[0]
        );
    }
    // The folder scores as the array does, as pytorch-fid reads folders (8-bit pixels).
    let score = |samples: &Path| {
        ok(&gan(&[
            "eval",
            "--samples",
            samples.to_str().unwrap(),
            "--dataset",
            "mnist-embedded",
            "--metric",
            "parzen",
            "--quiet",
        ]));
        let report = read_json(&samples.with_extension("eval.json"));
        assert_eq!(report["samples"], 30, "{report}");
        report["parzen"]["mean"].as_f64().unwrap()
    };
    let (from_array, from_folder) = (score(&npy), score(&pngs));
    assert!(
        (from_array - from_folder).abs() < 1.0,
        "{from_array} vs {from_folder}"
    );
    // A directory with files in it is refused before anything is drawn.
    fails_with(
        &gan(&[
            "sample",
            "--run",
            run_s,
            "--n",
            "3",
            "--out",
            pngs.to_str().unwrap(),
        ]),
        &["--out", "a new or empty directory"],
    );
    // The same seed draws the same samples; another seed others.
    let again = dir.path().join("again.npy");
    sample("30", "4", &again);
    assert_eq!(read_npy(&again).1, values);
    sample("30", "5", &again);
    assert_ne!(read_npy(&again).1, values);

    let sevens = dir.path().join("sevens.npy");
    ok(&gan(&[
        "sample",
        "--run",
        run_s,
        "--n",
        "5",
        "--label",
        "7",
        "--out",
        sevens.to_str().unwrap(),
    ]));
    assert_eq!(read_npy(&sevens).0, [5, 1, 28, 28]);

    fails_with(
        &gan(&[
            "sample",
            "--run",
            run_s,
            "--label",
            "10",
            "--out",
            sevens.to_str().unwrap(),
        ]),
        &["--label", "0 to 9"],
    );
    fails_with(
        &gan(&["sample", "--run", run_s, "--out", "x.txt"]),
        &["--out", ".png", ".npy"],
    );
    fails_with(
        &gan(&[
            "sample",
            "--run",
            dir.path().to_str().unwrap(),
            "--out",
            "x.png",
        ]),
        &["no config.json"],
    );
    fails_with(
        &gan(&[
            "sample",
            "--run",
            run_s,
            "--weights",
            "latest",
            "--out",
            "x.png",
        ]),
        &["--weights", "inference", "trained", "ema"],
    );

    let walk = dir.path().join("walk.png");
    let stdout = ok(&gan(&[
        "interpolate",
        "--run",
        run_s,
        "--rows",
        "3",
        "--steps",
        "6",
        "--out",
        walk.to_str().unwrap(),
    ]));
    assert!(stdout.contains("3 walks of 6 steps"), "{stdout}");
    let (w, h) = png_size(&walk);
    assert!(w > h, "6 columns, 3 rows: {w}x{h}");
    let walk_npy = dir.path().join("walk.npy");
    ok(&gan(&[
        "interpolate",
        "--run",
        run_s,
        "--rows",
        "2",
        "--steps",
        "4",
        "--out",
        walk_npy.to_str().unwrap(),
    ]));
    let (shape, values) = read_npy(&walk_npy);
    assert_eq!(shape, [8, 1, 28, 28]);
    // Neighbouring points of a walk are closer to each other than its two ends are.
    let image = |i: usize| &values[i * 784..(i + 1) * 784];
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>();
    assert!(dist(image(0), image(1)) < dist(image(0), image(3)));
    fails_with(
        &gan(&[
            "interpolate",
            "--run",
            run_s,
            "--steps",
            "1",
            "--out",
            "w.png",
        ]),
        &["--steps", "at least 2"],
    );

    let ring = dir.path().join("ring");
    let ring_s = ring.to_str().unwrap();
    ok(&gan(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        "3",
        "--quiet",
        "--out",
        ring_s,
    ]));
    let points = dir.path().join("points.npy");
    ok(&gan(&[
        "sample",
        "--run",
        ring_s,
        "--n",
        "50",
        "--out",
        points.to_str().unwrap(),
    ]));
    assert_eq!(read_npy(&points).0, [50, 2]);
    let scatter = dir.path().join("points.png");
    ok(&gan(&[
        "sample",
        "--run",
        ring_s,
        "--out",
        scatter.to_str().unwrap(),
    ]));
    assert_eq!(png_size(&scatter), (512, 512));
    fails_with(
        &gan(&["sample", "--run", ring_s, "--label", "1", "--out", "x.png"]),
        &["--label", "not class-conditional"],
    );
    fails_with(
        &gan(&["interpolate", "--run", ring_s, "--out", "w.png"]),
        &["image runs"],
    );
}

/// `--model`, `--epochs`, `folder:PATH` and `--resume` with `--out`.
#[test]
fn model_epochs_folder_and_resume_flags() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("mlp");
    let run_s = run.to_str().unwrap();
    let stdout = ok(&gan(&[
        "train", "--model", "mlp", "--limit", "64", "--epochs", "1", "--batch", "16", "--quiet",
        "--out", run_s,
    ]));
    assert!(stdout.contains("trained mnist-embedded (mlp)"), "{stdout}");
    let saved = gan::image::ImageRunConfig::load(run.join("config.json")).unwrap();
    assert_eq!(saved.networks.kind(), gan::image::ModelKind::Mlp);
    // One epoch of 64 images in minibatches of 16 with k = 1.
    assert_eq!(saved.training.iterations, 4);
    assert_eq!(saved.epochs, Some(1));
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert!(
        metrics.lines().last().unwrap().contains("\"step\":4"),
        "{metrics}"
    );

    // --resume with --out continues the same run; a second epoch doubles the iterations.
    let stdout = ok(&gan(&[
        "train", "--resume", "--out", run_s, "--epochs", "2", "--quiet",
    ]));
    assert!(stdout.contains("resumed at iteration 4"), "{stdout}");
    let saved = gan::image::ImageRunConfig::load(run.join("config.json")).unwrap();
    assert_eq!(saved.training.iterations, 8);
    fails_with(&gan(&["train", "--resume", "--quiet"]), &["--out"]);
    fails_with(
        &gan(&["train", "--resume", dir.path().to_str().unwrap(), "--quiet"]),
        &["no config.json", "no run to resume"],
    );

    fails_with(
        &gan(&[
            "train",
            "--dataset",
            "ring8",
            "--model",
            "dcgan",
            "--steps",
            "1",
        ]),
        &["--model", "mlp for the 2-D datasets"],
    );
    fails_with(
        &gan(&["train", "--dataset", "ring8", "--epochs", "1"]),
        &["--epochs", "--steps"],
    );
    fails_with(
        &gan(&["train", "--model", "gan"]),
        &["--model", "mlp", "dcgan", "cgan-mlp", "cgan-dcgan"],
    );
    fails_with(
        &gan(&["train", "--dataset", "celeba"]),
        &["--dataset", "folder:PATH", "fashion-mnist"],
    );

    // folder:PATH with class subfolders trains a conditional DCGAN on its two classes.
    let images = dir.path().join("shapes");
    for (class, colour) in [("red", [200u8, 30, 30]), ("blue", [30, 30, 200])] {
        std::fs::create_dir_all(images.join(class)).unwrap();
        for i in 0..3u32 {
            image::RgbImage::from_fn(36, 30, |x, _| {
                image::Rgb(colour.map(|c| c.saturating_add((x * i) as u8)))
            })
            .save(images.join(class).join(format!("{i}.png")))
            .unwrap();
        }
    }
    let out = dir.path().join("shapes-run");
    let spec = format!("folder:{}", images.display());
    let stdout = ok(&gan(&[
        "train",
        "--dataset",
        &spec,
        "--model",
        "cgan-dcgan",
        "--image-size",
        "28",
        "--steps",
        "1",
        "--batch",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(stdout.contains("trained shapes (cgan-dcgan)"), "{stdout}");
    assert_eq!(
        gan::sample::RunSpec::load_run(&out).unwrap().num_classes(),
        Some(2)
    );
    // A conditional model on a folder without class subfolders is a clear error.
    let flat = dir.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    std::fs::copy(images.join("red/0.png"), flat.join("a.png")).unwrap();
    fails_with(
        &gan(&[
            "train",
            "--dataset",
            &format!("folder:{}", flat.display()),
            "--model",
            "cgan-dcgan",
            "--image-size",
            "28",
            "--steps",
            "1",
            "--quiet",
            "--out",
            dir.path().join("flat-run").to_str().unwrap(),
        ]),
        &["classes"],
    );
}

/// Reads a run's `eval.json`.
fn eval_json(run: &Path) -> serde_json::Value {
    read_json(&run.join("eval.json"))
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `gan eval`: mode coverage of a 2-D run recomputed here from `gan sample`'s points with the
/// 3-sigma rule; the Parzen window of an image run; the table, `eval.json`, and errors that
/// name the flag and the metrics that apply.
#[test]
fn eval_prints_a_table_and_writes_eval_json() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring");
    let ring_s = ring.to_str().unwrap();
    ok(&gan(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        "300",
        "--batch",
        "128",
        "--quiet",
        "--out",
        ring_s,
    ]));
    let stdout = ok(&gan(&["eval", "--run", ring_s, "--n", "500", "--quiet"]));
    assert!(stdout.contains("modes captured"), "{stdout}");
    assert!(stdout.contains("reverse KL"), "{stdout}");
    // Each metric says which way is better, and where to find figures to compare with.
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(line("metric").ends_with("better"), "{stdout}");
    assert!(line("modes captured").ends_with("higher"), "{stdout}");
    assert!(line("reverse KL").ends_with("lower"), "{stdout}");
    assert!(stdout.contains("docs/results.md"), "{stdout}");
    // Beside each figure, the same metric of 500 points of the mixture itself: all 8 modes,
    // 99.7% of the points within 3 sigma (at least 98.5% of 500), reverse KL near 0.
    assert!(line("metric").contains("real data"), "{stdout}");
    let cells = |name: &str| -> Vec<String> {
        let l = line(name);
        let rest = l[name.len()..].trim().to_string();
        rest.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    assert!(cells("modes captured")[1].ends_with("8 / 8"), "{stdout}");
    let quality: f64 = cells("high-quality samples (3 sigma)")[1]
        .trim_end_matches('%')
        .parse()
        .unwrap();
    assert!(quality >= 98.5, "{stdout}");
    let kl: f64 = cells("reverse KL to uniform")[1].parse().unwrap();
    assert!(kl < 0.03, "{stdout}");
    assert!(
        stdout.contains("real data: 500 points drawn from the mixture"),
        "{stdout}"
    );
    let real = &eval_json(&ring)["real"]["modes"];
    assert_eq!(real["modes_captured"], 8, "{real}");
    // Without a terminal, each phase is a plain line on stderr.
    let o = gan(&["eval", "--run", ring_s, "--n", "500"]);
    ok(&o);
    assert!(
        text(&o.stderr).contains("generating 500 samples"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some(ring.join("eval.json").to_str().unwrap())
    );
    let report = eval_json(&ring);
    assert_eq!(report["samples"], 500);
    assert_eq!(report["metrics"], serde_json::json!(["modes"]));
    // The same 500 points (seed 0) through `gan sample`, scored here: ring of radius 2,
    // std 0.02, a point is of high quality within 0.06 of its nearest centre.
    let npy = dir.path().join("ring.npy");
    ok(&gan(&[
        "sample",
        "--run",
        ring_s,
        "--n",
        "500",
        "--out",
        npy.to_str().unwrap(),
    ]));
    let (_, points) = read_npy(&npy);
    let mut counts = [0usize; 8];
    for p in points.chunks(2) {
        let (mode, dist) = (0..8)
            .map(|i| {
                let a = i as f32 * std::f32::consts::FRAC_PI_4;
                (i, (p[0] - 2.0 * a.cos()).hypot(p[1] - 2.0 * a.sin()))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        if dist <= 0.06 {
            counts[mode] += 1;
        }
    }
    let modes = &report["modes"];
    let hq = counts.iter().sum::<usize>() as f64 / 500.0;
    assert!(
        (modes["high_quality"].as_f64().unwrap() - hq).abs() < 1e-9,
        "{modes} vs {hq}"
    );
    assert_eq!(
        modes["modes_captured"],
        counts.iter().filter(|&&c| c > 0).count()
    );

    // An image run: the Parzen window on held-out digits (the run used only 64 of them, so
    // no note about training on the test images).
    let digits = dir.path().join("digits");
    let digits_s = digits.to_str().unwrap();
    ok(&gan(&[
        "train", "--limit", "64", "--steps", "2", "--batch", "8", "--quiet", "--out", digits_s,
    ]));
    let stdout = ok(&gan(&[
        "eval", "--run", digits_s, "--metric", "parzen", "--n", "300", "--quiet",
    ]));
    assert!(stdout.contains("Parzen log-likelihood (nats)"), "{stdout}");
    let parzen = &eval_json(&digits)["parzen"];
    assert_eq!(parzen["kernels"], 300);
    assert_eq!(parzen["test_points"], 1000);
    assert_eq!(parzen["validation"].as_array().unwrap().len(), 10);
    let sigma = parzen["sigma"].as_f64().unwrap();
    assert!((0.1..=1.0).contains(&sigma), "{sigma}");
    assert!(parzen["mean"].as_f64().unwrap().is_finite());
    assert!(eval_json(&digits)["notes"].as_array().unwrap().is_empty());
    // Beside it, real digits 0-299 as the kernels: far likelier than 2 iterations' samples.
    let real = &eval_json(&digits)["real"]["parzen"];
    assert_eq!(real["kernels"], 300, "{real}");
    assert!(
        real["mean"].as_f64().unwrap() > parzen["mean"].as_f64().unwrap() + 50.0,
        "real {real} against samples {parzen}"
    );
    assert!(
        stdout.contains("real data: images 0-299 as the samples"),
        "{stdout}"
    );
    let missing_weights = dir.path().join("no-inception.safetensors");

    fails_with(
        &gan(&["eval", "--run", digits_s, "--metric", "modes"]),
        &["--metric", "modes", "parzen, fid, kid, is, prdc, inception"],
    );
    // Inception FID without its weights: the file and the way to get it.
    fails_with(
        &gan(&[
            "eval",
            "--run",
            digits_s,
            "--metric",
            "inception",
            "--inception-weights",
            missing_weights.to_str().unwrap(),
        ]),
        &["no-inception.safetensors", "scripts/setup.sh"],
    );
    fails_with(
        &gan(&["eval", "--run", ring_s, "--metric", "fid"]),
        &["--metric", "fid", "ring8", "modes"],
    );
    fails_with(
        &gan(&["eval", "--run", ring_s, "--metric", "bogus"]),
        &["--metric", "bogus", "parzen", "prdc"],
    );
    let missing = dir.path().join("nowhere");
    fails_with(
        &gan(&["eval", "--run", missing.to_str().unwrap()]),
        &["nowhere", "config.json"],
    );

    // Samples from elsewhere: the same points and images as files score exactly as the runs.
    let npy_s = npy.to_str().unwrap();
    let stdout = ok(&gan(&[
        "eval",
        "--samples",
        npy_s,
        "--dataset",
        "ring8",
        "--quiet",
    ]));
    let json = dir.path().join("ring.eval.json");
    assert_eq!(stdout.lines().last(), Some(json.to_str().unwrap()));
    let from_file = read_json(&json);
    assert_eq!(from_file["modes"], report["modes"]);
    assert_eq!(from_file["samples"], 500);
    let digits_npy = dir.path().join("digits.npy");
    let digits_npy_s = digits_npy.to_str().unwrap();
    ok(&gan(&[
        "sample",
        "--run",
        digits_s,
        "--n",
        "300",
        "--out",
        digits_npy_s,
    ]));
    ok(&gan(&[
        "eval",
        "--samples",
        digits_npy_s,
        "--dataset",
        "mnist-embedded",
        "--limit",
        "64",
        "--metric",
        "parzen",
        "--quiet",
    ]));
    let from_file = read_json(&dir.path().join("digits.eval.json"));
    assert_eq!(from_file["parzen"], *parzen);
    assert_eq!(from_file["checkpoint"], serde_json::Value::Null);
    fails_with(
        &gan(&[
            "eval",
            "--samples",
            npy_s,
            "--dataset",
            "mnist-embedded",
            "--quiet",
        ]),
        &["ring.npy", "[500, 2]", "[N, channels, height, width]"],
    );
    fails_with(&gan(&["eval", "--samples", npy_s]), &["--dataset"]);
    fails_with(
        &gan(&[
            "eval",
            "--samples",
            npy_s,
            "--dataset",
            "ring8",
            "--n",
            "501",
        ]),
        &["--n", "501", "500"],
    );
}

/// `gan train --print-config` prints the resolved config (defaults and flags) and trains
/// nothing; the printed JSON, passed back with --config, is that config.
#[test]
fn print_config_shows_the_resolved_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let stdout = ok(&gan(&[
        "train",
        "--dataset",
        "grid25",
        "--loss",
        "hinge",
        "--batch",
        "64",
        "--print-config",
        "--out",
        out.to_str().unwrap(),
    ]));
    let config: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(config["training"]["loss"], "Hinge");
    assert_eq!(config["training"]["batch_size"], 64);
    assert_eq!(config["dataset"]["Grid"]["side"], 5);
    assert!(!out.exists());
    let file = dir.path().join("c.json");
    std::fs::write(&file, &stdout).unwrap();
    let again = ok(&gan(&[
        "train",
        "--config",
        file.to_str().unwrap(),
        "--print-config",
    ]));
    assert_eq!(again, stdout);

    // WGAN-GP on images: the critic loses its batch norm (the penalty is per sample).
    let critic = |loss: &str| {
        let stdout = ok(&gan(&[
            "train",
            "--model",
            "dcgan",
            "--loss",
            loss,
            "--print-config",
        ]));
        let config: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        config["networks"]["Dcgan"]["discriminator"]["batch_norm"].clone()
    };
    assert_eq!(critic("wgan-gp"), false);
    assert_eq!(critic("ns"), true);
}

/// `--config` takes a partial file: its fields are written over the defaults, the loss and
/// algorithm take the command line's spellings (applied as the flags apply them, the file's
/// other fields winning), and the result equals what the same flags give.
#[test]
fn partial_configs_overlay_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.json");
    let file_s = file.to_str().unwrap().to_string();
    let json = |stdout: String| -> serde_json::Value { serde_json::from_str(&stdout).unwrap() };
    let with_file = |text: &str, extra: &[&str]| {
        std::fs::write(&file, text).unwrap();
        let mut args = vec!["train", "--config", &file_s, "--print-config"];
        args.extend(extra);
        json(ok(&gan(&args)))
    };
    let flags = |extra: &[&str]| {
        let mut args = vec!["train", "--print-config"];
        args.extend(extra);
        json(ok(&gan(&args)))
    };

    // One field: everything else is the default job's.
    let mut expected = flags(&[]);
    expected["training"]["g_lr"] = serde_json::json!(0.0005);
    assert_eq!(with_file(r#"{"training": {"g_lr": 5e-4}}"#, &[]), expected);
    assert_eq!(
        with_file(r#"{"training": {"g_lr": 5e-4}}"#, &[]),
        flags(&["--g-lr", "5e-4"])
    );

    // The command line's presets, as --loss and --algorithm apply them.
    for loss in ["hinge", "wgan-gp", "lsgan", "ns", "dragan"] {
        let text = format!(r#"{{"training": {{"loss": "{loss}"}}}}"#);
        assert_eq!(with_file(&text, &[]), flags(&["--loss", loss]), "{loss}");
    }
    for algorithm in ["infogan", "began", "dragan"] {
        let text = format!(r#"{{"algorithm": "{algorithm}"}}"#);
        assert_eq!(
            with_file(&text, &[]),
            flags(&["--algorithm", algorithm]),
            "{algorithm}"
        );
    }
    // The file's own fields win over its preset: WGAN-GP's k = 5 becomes 2.
    let config = with_file(r#"{"training": {"loss": "wgan-gp", "k": 2}}"#, &[]);
    let mut expected = flags(&["--loss", "wgan-gp"]);
    assert_eq!(expected["training"]["k"], 5);
    expected["training"]["k"] = 2.into();
    assert_eq!(config, expected);
    // A config spelling in other case is the same loss; a 2-D run by its kind.
    let config = with_file(r#"{"training": {"loss": "least_squares"}}"#, &[]);
    assert_eq!(config["training"]["loss"], "LeastSquares");
    let config = with_file(r#"{"kind": "toy", "training": {"batch_size": 32}}"#, &[]);
    let mut expected = flags(&["--dataset", "ring8"]);
    expected["training"]["batch_size"] = 32.into();
    assert_eq!(config, expected);

    // Mistakes are named with the file.
    std::fs::write(&file, r#"{"trainig": {"g_lr": 1e-3}}"#).unwrap();
    fails_with(
        &gan(&["train", "--config", &file_s, "--print-config"]),
        &[
            "c.json",
            "unknown field `trainig`",
            "did you mean `training`",
        ],
    );
    std::fs::write(&file, r#"{"algorithm": "cyclegan"}"#).unwrap();
    fails_with(
        &gan(&["train", "--config", &file_s, "--print-config"]),
        &["algorithm", "cyclegan", "c.json"],
    );
    std::fs::write(&file, r#"[1, 2]"#).unwrap();
    fails_with(
        &gan(&["train", "--config", &file_s, "--print-config"]),
        &["c.json", "expected a JSON object"],
    );
    std::fs::write(&file, r#"{"backend": "cuda"}"#).unwrap();
    fails_with(
        &gan(&["train", "--config", &file_s, "--print-config"]),
        &["backend", "cuda", "c.json"],
    );
}

/// The training flags of the first hour: learning rates, EMA, the metrics interval, epochs
/// shown as iterations, the backend and device in the printed config, bare `gan` taking
/// train's flags, defaults in the help, and shell completions.
#[test]
fn training_flags_help_and_completions() {
    let json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&ok(&gan(args))).unwrap() };
    let config = json(&[
        "train",
        "--lr",
        "1e-3",
        "--d-lr",
        "4e-4",
        "--ema",
        "0.999",
        "--log-every",
        "7",
        "--print-config",
    ]);
    assert_eq!(config["training"]["g_lr"], 0.001);
    assert_eq!(config["training"]["d_lr"], 0.0004);
    assert_eq!(config["training"]["ema_decay"], 0.999);
    assert_eq!(config["run"]["log_every"], 7);
    assert_eq!(config["kind"], "image");
    assert!(
        config["backend"].is_string() && config["device"] == "default",
        "{config}"
    );
    // 2 epochs of the 10,000 embedded digits at the default batch and k.
    let image = gan::image::ImageRunConfig::new();
    let toy = gan::toy::ToyRunConfig::new();
    let per_iteration = image.training.batch_size * image.training.k;
    let config = json(&["train", "--epochs", "2", "--print-config"]);
    assert_eq!(config["epochs"], 2);
    assert_eq!(
        config["training"]["iterations"],
        20_000usize.div_ceil(per_iteration)
    );
    let config = json(&[
        "train",
        "--epochs",
        "2",
        "--k",
        "2",
        "--batch",
        "100",
        "--print-config",
    ]);
    assert_eq!(config["training"]["iterations"], 100);
    // `gan FLAGS` is `gan train FLAGS`.
    assert_eq!(
        json(&["--steps", "10", "--dataset", "moons", "--print-config"]),
        json(&[
            "train",
            "--steps",
            "10",
            "--dataset",
            "moons",
            "--print-config"
        ])
    );
    assert_eq!(
        json(&["--steps", "10", "--print-config"])["training"]["iterations"],
        10
    );
    // The defaults in the help come from the default configs.
    let help = ok(&gan(&["train", "--help"]));
    let steps = format!(
        "[default: {}; 2-D datasets: {}]",
        image.training.iterations, toy.training.iterations
    );
    assert_ne!(image.training.iterations, toy.training.iterations);
    assert!(help.contains(&steps), "{steps} not in {help}");
    let batch = match (image.training.batch_size, toy.training.batch_size) {
        (a, b) if a == b => format!("[default: {a}]"),
        (a, b) => format!("[default: {a}; 2-D datasets: {b}]"),
    };
    assert!(help.contains(&batch), "{batch} not in {help}");
    assert!(
        help.contains("--g-lr") && help.contains("--log-every"),
        "{help}"
    );
    assert!(ok(&gan(&["--help"])).contains(&steps));
    // Without a terminal, progress is plain lines: the first metrics line and the last.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = gan(&[
        "--dataset",
        "ring8",
        "--steps",
        "4",
        "--log-every",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let err = text(&o.stderr);
    assert!(
        err.contains("iteration 2/4 (50%), ") && err.contains("iteration 4/4 (100%), "),
        "{err}"
    );
    assert!(
        err.contains(" it/s, ETA ") && err.contains("D(G(z))"),
        "{err}"
    );
    // Rates with three significant digits at most: `524 it/s`, `12.3 it/s`, `0.42 it/s`.
    for line in err.lines().filter(|l| l.starts_with("iteration ")) {
        let rate = line
            .split(" it/s")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap();
        let decimals = rate.split('.').nth(1).map_or(0, str::len);
        let value: f64 = rate.parse().unwrap();
        let expected = if value >= 100.0 {
            0
        } else if value >= 10.0 {
            1
        } else {
            2
        };
        assert_eq!(decimals, expected, "{line}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&gan(&["completions", shell]));
        assert!(
            script.contains("--g-lr") && script.contains("interpolate"),
            "{shell}"
        );
    }
}

/// `gan eval` of a run no metric scores (moons has no modes and no pixels) says so and why,
/// instead of printing an empty table.
#[test]
fn eval_without_an_applicable_metric_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("moons");
    ok(&gan(&[
        "train",
        "--dataset",
        "moons",
        "--steps",
        "2",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]));
    fails_with(
        &gan(&["eval", "--run", run.to_str().unwrap(), "--quiet"]),
        &["no metric applies to moons samples", "no modes", "ring8"],
    );
    assert!(!run.join("eval.json").exists());
}

/// A downloadable dataset that is not on disk names `--download` and `--data-dir`, and the
/// refused run writes nothing.
#[test]
fn missing_datasets_name_download_and_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    for dataset in ["cifar10", "mnist"] {
        let out = dir.path().join(dataset);
        let o = Command::new(env!("CARGO_BIN_EXE_gan"))
            .args([
                "train",
                "--dataset",
                dataset,
                "--steps",
                "1",
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .env("GAN_DATA_DIR", dir.path().join("cache"))
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .unwrap();
        fails_with(
            &o,
            &[
                "not found in",
                "--download",
                "--data-dir DIR",
                "GAN_DATA_DIR",
            ],
        );
        assert!(!out.exists(), "{dataset}");
    }
}

/// `gan report`: one self-contained HTML page (every picture inline, nothing fetched) with the
/// chart, the grids over training, the evaluation and the config; headless Chromium (Debian's,
/// installed by scripts/setup.sh) renders it, and its screenshot shows the chart's and the
/// samples' colours.
#[test]
fn report_is_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("ring");
    let run_s = run.to_str().unwrap();
    ok(&gan(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        "120",
        "--log-every",
        "10",
        "--sample-every",
        "40",
        "--quiet",
        "--out",
        run_s,
    ]));
    ok(&gan(&["eval", "--run", run_s, "--n", "500", "--quiet"]));
    let stdout = ok(&gan(&["report", "--run", run_s]));
    let page = run.join("report.html");
    assert_eq!(stdout.trim(), page.to_str().unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    // The chart, three grids (iterations 40, 80, 120) and the final samples.
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        5,
        "{html}"
    );
    assert_eq!(html.matches("src=\"").count(), 5, "only inline pictures");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("modes / modes captured") && html.contains("&quot;Ring&quot;"));

    let shot = dir.path().join("shot.png");
    let chromium = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2200",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (scripts/setup.sh installs Debian's chromium)");
    assert!(shot.is_file(), "{}", text(&chromium.stderr));
    let image = image::open(&shot).unwrap().to_rgb8();
    let count = |c: [u8; 3]| image.pixels().filter(|p| p.0 == c).count();
    // The D loss line and the generated points, as the page shows them.
    let (blue, red) = (count([31, 119, 180]), count([214, 39, 40]));
    assert!(blue > 200 && red > 200, "blue {blue}, red {red} pixels");
}

/// `gan train --algorithm cyclegan` on the digits (MNIST and the optical digits): a translation
/// run whose config.json says so, checkpoints with the image pools, preview rows of `a`,
/// `G(a)`, `F(G(a))`, `b`, `F(b)`, `G(F(b))` for 8 images, resume, `--print-config` read back by
/// `--config`; `gan translate` from a .npy to a .npy (in [0, 1], the input's count), a grid and
/// a folder of PNGs; and refusals that name the flag and write nothing.
#[test]
fn cyclegan_trains_translates_and_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_str = run.to_str().unwrap();
    let small = [
        "--batch",
        "2",
        "--limit",
        "64",
        "--sample-every",
        "2",
        "--checkpoint-every",
        "2",
        "--quiet",
    ];
    let o = gan(&[
        &[
            "train",
            "--algorithm",
            "cyclegan",
            "--dataset",
            "digits",
            "--steps",
            "4",
        ][..],
        &small,
        &["--out", run_str],
    ]
    .concat());
    let stdout = ok(&o);
    assert!(
        stdout.contains("trained mnist-embedded-to-optdigits (cyclegan) on"),
        "{stdout}"
    );
    for key in ["g_loss", "d_a_loss", "d_b_loss", "cycle", "identity"] {
        assert!(stdout.contains(key), "{key} not in {stdout}");
    }
    let config = read_json(&run.join("config.json"));
    assert_eq!(config["kind"], "translation");
    assert_eq!(config["training"]["iterations"], 4);
    let checkpoint = gan::train::latest_checkpoint(&run.join("checkpoints")).unwrap();
    for file in [
        "generator_ab.safetensors",
        "generator_ba.safetensors",
        "discriminator_a.safetensors",
        "discriminator_b.safetensors",
        "image_pools.safetensors",
    ] {
        assert!(
            checkpoint.join(file).is_file(),
            "{file} in {}",
            checkpoint.display()
        );
    }
    // 8 columns and 6 rows of 28 px images at scale 2 with 2 px padding, plus the caption.
    assert_png(&run.join("samples.png"));
    let (w, h) = png_size(&run.join("samples.png"));
    assert_eq!(w, 8 * 56 + 9 * 2, "grid width");
    assert!(h >= 6 * 56 + 7 * 2, "grid height {h}");

    let o = gan(&["train", "--resume", run_str, "--steps", "6", "--quiet"]);
    let stdout = ok(&o);
    assert!(stdout.contains("resumed at iteration 4"), "{stdout}");

    // gan sample is for GAN runs.
    let o = gan(&[
        "sample",
        "--run",
        run_str,
        "--out",
        tmp.path().join("s.png").to_str().unwrap(),
    ]);
    fails_with(&o, &["translation run", "gan translate"]);

    // gan eval measures the 300 held-out images of each domain, with classifiers trained on
    // the run's 64 training images of each.
    let classifiers = tmp.path().join("classifiers");
    let o = gan(&[
        "eval",
        "--run",
        run_str,
        "--classifier-dir",
        classifiers.to_str().unwrap(),
        "--quiet",
    ]);
    let table = ok(&o);
    for row in [
        "label preservation",
        "source only",
        "cycle error",
        "FID, domain features",
    ] {
        assert!(table.contains(row), "{row} not in {table}");
    }
    let report = read_json(&run.join("eval.json"));
    assert_eq!(report["held_out"], serde_json::json!([300, 300]));
    assert_eq!(report["iteration"], 6);
    for direction in ["a_to_b", "b_to_a"] {
        let acc = report["labels"][direction].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{direction}: {acc}");
    }
    let cycle = report["cycle_error"][0].as_f64().unwrap();
    assert!(cycle > 0.0 && cycle < 1.0, "cycle error {cycle}");
    let o = gan(&["eval", "--run", run_str, "--n", "10"]);
    fails_with(&o, &["--n", "held-out"]);
    // gan report: the domains, the chart, the previews and both directions' measures.
    let stdout = ok(&gan(&["report", "--run", run_str]));
    let page = run.join("report.html");
    assert_eq!(stdout.trim(), page.to_str().unwrap());
    let html = std::fs::read_to_string(&page).unwrap();
    for text in [
        "<td>cyclegan</td>",
        "A: mnist-embedded, B: optdigits",
        "labels / a to b",
        "labels / source only / B → A",
        "cycle error / A → B",
        "fid / translated / B → A",
    ] {
        assert!(html.contains(text), "{text} not in the report");
    }
    // The chart, the previews at iterations 2, 4 and 6, and the final one.
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 5);

    // Five images in [0, 1] through G, then F.
    let input = tmp.path().join("five.npy");
    let values: Vec<f32> = (0..5 * 784)
        .map(|i| ((i * 7) % 256) as f32 / 255.0)
        .collect();
    gan::sample::write_npy(&input, &values, &[5, 1, 28, 28]).unwrap();
    let out = tmp.path().join("out.npy");
    let o = gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "a2b",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = ok(&o);
    assert!(
        stdout.contains("translated 5 images from A to B"),
        "{stdout}"
    );
    let (shape, translated) = read_npy(&out);
    assert_eq!(shape, [5, 1, 28, 28]);
    assert!(translated.iter().all(|v| (0.0..=1.0).contains(v)));
    let grid = tmp.path().join("grid.png");
    ok(&gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "b2a",
        "--input",
        input.to_str().unwrap(),
        "--out",
        grid.to_str().unwrap(),
    ]));
    // One row of the 5 inputs above one row of their translations.
    assert_eq!(png_size(&grid), (5 * 56 + 6 * 2, 2 * 56 + 3 * 2));
    let folder = tmp.path().join("translations");
    ok(&gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "a2b",
        "--input",
        input.to_str().unwrap(),
        "--out",
        folder.to_str().unwrap(),
    ]));
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 5);
    assert_png(&folder.join("000004.png"));
    // A folder of images as the input: the five PNGs back through F.
    let back = tmp.path().join("back.npy");
    ok(&gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "b2a",
        "--input",
        folder.to_str().unwrap(),
        "--out",
        back.to_str().unwrap(),
    ]));
    assert_eq!(read_npy(&back).0, [5, 1, 28, 28]);
    // The run's own held-out optical digits through F.
    let held = tmp.path().join("held.npy");
    let o = gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "b2a",
        "--held-out",
        "12",
        "--out",
        held.to_str().unwrap(),
    ]);
    assert!(ok(&o).contains("translated 12 images from B to A"));
    assert_eq!(read_npy(&held).0, [12, 1, 28, 28]);

    // Two folders of images as the domains (read as RGB at --image-size), trained by two
    // data-parallel peers.
    let folders = tmp.path().join("folders");
    let pair = format!("folder:{},folder:{}", folder.display(), folder.display());
    let o = gan(&[
        "train",
        "--algorithm",
        "cyclegan",
        "--dataset",
        &pair,
        "--image-size",
        "28",
        "--steps",
        "2",
        "--batch",
        "2",
        "--devices",
        "2",
        "--quiet",
        "--out",
        folders.to_str().unwrap(),
    ]);
    let stdout = ok(&o);
    assert!(
        stdout.contains("trained translations-to-translations (cyclegan)"),
        "{stdout}"
    );
    let config = read_json(&folders.join("config.json"));
    assert_eq!(config["generator_ab"]["channels_in"], 3);
    assert_eq!(config["cyclegan"]["lambda_identity"], 0.5);
    assert_png(&folders.join("samples.png"));

    // Refusals name the flag and leave nothing behind.
    let refused = tmp.path().join("refused.txt");
    let o = gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "a2b",
        "--input",
        input.to_str().unwrap(),
        "--out",
        refused.to_str().unwrap(),
    ]);
    fails_with(&o, &["--out", ".png", ".npy"]);
    assert!(!refused.exists());
    let wrong = tmp.path().join("wrong.npy");
    gan::sample::write_npy(&wrong, &vec![0.5; 2 * 64], &[2, 1, 8, 8]).unwrap();
    let o = gan(&[
        "translate",
        "--run",
        run_str,
        "--direction",
        "a2b",
        "--input",
        wrong.to_str().unwrap(),
        "--out",
        tmp.path().join("w.npy").to_str().unwrap(),
    ]);
    fails_with(&o, &["--input", "[2, 1, 8, 8]", "[N, 1, 28, 28]"]);
    assert!(!tmp.path().join("w.npy").exists());
    let fresh = tmp.path().join("fresh");
    for (flags, needles) in [
        (
            &["--algorithm", "cyclegan", "--loss", "hinge"][..],
            &["--loss"][..],
        ),
        (
            &["--algorithm", "cyclegan", "--dataset", "ring8"],
            &["--dataset", "digits"],
        ),
        (
            &["--algorithm", "began", "--dataset", "digits"],
            &["--algorithm", "cyclegan"],
        ),
        (&["--dataset", "digits", "--model", "dcgan"], &["--model"]),
    ] {
        let o = gan(&[&["train"][..], flags, &["--out", fresh.to_str().unwrap()]].concat());
        fails_with(&o, needles);
        assert!(!fresh.exists(), "{flags:?} wrote {}", fresh.display());
    }

    // --print-config is a complete config that --config reads back.
    let o = gan(&[
        "train",
        "--algorithm",
        "cyclegan",
        "--steps",
        "2",
        "--batch",
        "2",
        "--print-config",
    ]);
    let printed = ok(&o);
    let json: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(json["kind"], "translation");
    assert_eq!(json["a"], "EmbeddedMnist");
    assert_eq!(json["b"], "Optdigits");
    assert_eq!(json["cyclegan"]["lambda_cycle"], 10.0);
    let file = tmp.path().join("cyclegan.json");
    std::fs::write(&file, printed).unwrap();
    let again = tmp.path().join("again");
    let o = gan(&[
        "train",
        "--config",
        file.to_str().unwrap(),
        "--limit",
        "16",
        "--quiet",
        "--out",
        again.to_str().unwrap(),
    ]);
    ok(&o);
    assert_eq!(
        read_json(&again.join("config.json"))["training"]["iterations"],
        2
    );

    // CyCADA's semantic term from a --config file: a classifier of A is trained first, each
    // iteration logs the term, and the progress lines show CycleGAN's own losses (not the
    // classic D(x) and D(G(z)) it has not got).
    let mut json = json;
    json["cyclegan"]["lambda_semantic"] = serde_json::json!(1.0);
    let semantic_file = tmp.path().join("semantic.json");
    std::fs::write(&semantic_file, json.to_string()).unwrap();
    let semantic = tmp.path().join("semantic");
    let o = gan(&[
        "train",
        "--config",
        semantic_file.to_str().unwrap(),
        "--limit",
        "16",
        "--log-every",
        "1",
        "--out",
        semantic.to_str().unwrap(),
    ]);
    ok(&o);
    let err = text(&o.stderr);
    assert!(err.contains("semantic term: "), "{err}");
    let progress: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("iteration "))
        .collect();
    assert!(!progress.is_empty(), "{err}");
    for line in progress {
        for needle in ["G ", "d_a_loss ", "d_b_loss ", "cycle ", "semantic "] {
            assert!(line.contains(needle), "{needle:?} in {line}");
        }
        assert!(!line.contains("NaN") && !line.contains("D(x)"), "{line}");
    }
    let metrics = std::fs::read_to_string(semantic.join("metrics.jsonl")).unwrap();
    for line in metrics.lines() {
        let m: serde_json::Value = serde_json::from_str(line).unwrap();
        let term = m["semantic"].as_f64().expect("semantic logged");
        assert!(term.is_finite() && term >= 0.0, "{line}");
    }
    // Domains without labels cannot train the classifier: refused before anything is written.
    let o = gan(&[
        "train",
        "--algorithm",
        "cyclegan",
        "--dataset",
        &pair,
        "--image-size",
        "28",
        "--print-config",
    ]);
    let mut json: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    json["cyclegan"]["lambda_semantic"] = serde_json::json!(1.0);
    std::fs::write(&semantic_file, json.to_string()).unwrap();
    let unlabelled = tmp.path().join("unlabelled");
    let o = gan(&[
        "train",
        "--config",
        semantic_file.to_str().unwrap(),
        "--steps",
        "2",
        "--out",
        unlabelled.to_str().unwrap(),
    ]);
    fails_with(&o, &["lambda_semantic", "labels"]);
    assert!(
        !unlabelled.exists(),
        "a refused run wrote {}",
        unlabelled.display()
    );
}
