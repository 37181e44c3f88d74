//! The fault harness: a small run of the `gan` command that is killed, interrupted, torn and
//! starved of disk, and resumed after each fault, must end with bitwise the weights of the same
//! run left alone (on Flex).
//!
//! CI runs the short form (`GAN_FAULT_KILLS` unset: 10 SIGKILLs); `scripts/faults.sh` runs the
//! full form (50 or more) and prints the figures that docs/reliability.md records.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gan::train::latest_checkpoint;

/// Iterations of the harness run per fault (a ring8 MLP, a checkpoint and a metrics line every
/// iteration; a kill lands 0-40 ms after a new checkpoint), and at least 400.
const STEPS_PER_FAULT: usize = 40;

fn gan_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gan"));
    command
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn step_of(checkpoint: &Path) -> usize {
    let name = checkpoint
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    name.trim_start_matches("step-").parse().unwrap()
}

/// The newest step in the run's metrics (every iteration is logged): how far the process got.
fn logged(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|m| m["step"].as_u64())
        .max()
        .unwrap_or(0) as usize
}

/// The metrics lines by step, without the timings.
fn losses(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
            let object = m.as_object_mut().unwrap();
            object.remove("wall_seconds");
            object.remove("iterations_per_second");
            m
        })
        .collect()
}

/// Every tensor of a safetensors file by name: its dtype, shape and bytes (the file's metadata,
/// whose key order is not fixed, left out).
fn tensors(path: &Path) -> std::collections::BTreeMap<String, (String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    header
        .into_iter()
        .filter(|(name, _)| name != "__metadata__")
        .map(|(name, info)| {
            let range = &info["data_offsets"];
            let (from, to) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            let kind = format!("{} {}", info["dtype"], info["shape"]);
            (name, (kind, data[from..to].to_vec()))
        })
        .collect()
}

/// A small deterministic generator for the kill delays (the harness must replay exactly).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A tmpfs mounted for the run (root only), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if o.status.success() {
            Ok(Self(at.to_path_buf()))
        } else {
            Err(format!("mount -t tmpfs failed: {}", text(&o.stderr).trim()))
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Starts `gan train` (a new run in round 0, a resume after), waits until it has written a
/// checkpoint newer than `after`, and returns it with that checkpoint's step.
fn start(run: &Path, config: &Path, first: bool, after: usize) -> (std::process::Child, usize) {
    let run_s = run.to_str().unwrap();
    let args: Vec<&str> = if first {
        vec![
            "train",
            "--config",
            config.to_str().unwrap(),
            "--quiet",
            "--out",
            run_s,
        ]
    } else {
        vec!["train", "--resume", run_s, "--quiet"]
    };
    let mut child = gan_command(&args).spawn().unwrap();
    let begun = Instant::now();
    loop {
        if let Some(step) = latest_checkpoint(&run.join("checkpoints")).map(|p| step_of(&p))
            && step > after
        {
            return (child, step);
        }
        if let Some(status) = child.try_wait().unwrap() {
            let o = child.wait_with_output().unwrap();
            panic!("`gan train` ended early with {status}: {}", text(&o.stderr));
        }
        assert!(begun.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// What the harness measured.
#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    resumes: usize,
    worst_lost: usize,
    debris: usize,
    disk_full: Option<String>,
}

#[test]
fn faults_never_change_the_final_weights() {
    let kills: usize = std::env::var("GAN_FAULT_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    // The run's config: a metrics line and a checkpoint every iteration, no pictures.
    let config = dir.path().join("faults.json");
    let total = (kills + 3) * STEPS_PER_FAULT;
    let total = total.max(400);
    let steps = total.to_string();
    let o = gan_command(&[
        "train",
        "--dataset",
        "ring8",
        "--steps",
        &steps,
        "--seed",
        "7",
        "--checkpoint-every",
        "1",
        "--sample-every",
        "0",
        "--print-config",
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    json["run"]["log_every"] = 1.into();
    std::fs::write(&config, json.to_string()).unwrap();

    let reference = dir.path().join("reference");
    let o = gan_command(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--quiet",
        "--out",
        reference.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));

    // The faulted run lives on a small tmpfs when one can be mounted, so that the disk can fill.
    let disk = dir.path().join("disk");
    let tmpfs = Tmpfs::mount(&disk);
    if let Err(why) = &tmpfs {
        eprintln!("full-disk fault skipped: {why} (it needs root)");
        std::fs::create_dir_all(&disk).unwrap();
    }
    let run = disk.join("run");
    let checkpoints = run.join("checkpoints");
    let mut figures = Figures::default();
    let mut rng = Lcg(0x5eed);
    let mut last = 0;
    // (fault, the checkpoint the next resume starts from)
    let mut faults: Vec<(&str, usize)> = Vec::new();

    // SIGKILLs while checkpoints are written (one every iteration): the newest complete
    // checkpoint survives, and no more than the iterations since it are lost.
    for round in 0..kills {
        let (mut child, seen) = start(&run, &config, round == 0, last);
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let kept = step_of(&latest_checkpoint(&checkpoints).expect("a checkpoint survives"));
        assert!(
            kept >= seen,
            "round {round}: checkpoint {kept} older than {seen} seen"
        );
        figures.worst_lost = figures.worst_lost.max(logged(&run).saturating_sub(kept));
        figures.debris += crate::common::checkpoint_debris(&checkpoints);
        figures.kills += 1;
        if round > 0 {
            figures.resumes += 1;
        }
        last = kept;
        assert!(
            last < total,
            "the run ended before the faults did: raise STEPS_PER_FAULT"
        );
    }

    // Ctrl-C: the iteration finishes, a checkpoint is written, the exit status is 130.
    let (child, _) = start(&run, &config, false, last);
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("resume with: gan train --resume"), "{err}");
    figures.resumes += 1;
    last = step_of(&latest_checkpoint(&checkpoints).unwrap());
    assert_eq!(logged(&run), last, "SIGINT lost logged iterations");
    faults.push(("sigint", last));

    // A metrics line torn by a kill during its write: the resume drops it with a warning.
    let metrics = run.join("metrics.jsonl");
    let mut torn = std::fs::read_to_string(&metrics).unwrap();
    torn.push_str("{\"step\":99999,\"d_lo");
    std::fs::write(&metrics, torn).unwrap();
    let (mut child, _) = start(&run, &config, false, last);
    child.kill().unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        text(&o.stderr).contains("dropped an incomplete last line"),
        "{}",
        text(&o.stderr)
    );
    figures.resumes += 1;
    last = step_of(&latest_checkpoint(&checkpoints).unwrap());
    faults.push(("torn line", last));

    // A full disk: a filler file takes the tmpfs's free space while the run writes. The run
    // stops with the error, its metrics end in a whole line, and once space is freed it resumes.
    if tmpfs.is_ok() {
        let (child, _) = start(&run, &config, false, last);
        let filler = disk.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 << 10];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
        let o = child.wait_with_output().unwrap();
        let err = text(&o.stderr);
        assert!(!o.status.success(), "the run went on with a full disk");
        assert!(err.contains("No space left on device"), "{err}");
        assert!(err.contains("is intact"), "{err}");
        assert!(err.contains("resume with: gan train --resume"), "{err}");
        let tail = std::fs::read(&metrics).unwrap();
        assert_eq!(
            tail.last(),
            Some(&b'\n'),
            "a torn metrics line on a full disk"
        );
        figures.disk_full = Some(err.trim().to_string());
        faults.push((
            "full disk",
            step_of(&latest_checkpoint(&checkpoints).unwrap()),
        ));
        drop(file);
        std::fs::remove_file(&filler).unwrap();
        figures.resumes += 1;
    }

    // The last resume runs to the end.
    let o = gan_command(&["train", "--resume", run.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    figures.resumes += 1;

    let final_dir = |run: &Path| run.join(format!("checkpoints/step-{total:08}"));
    // The first logged step that differs points at the fault that changed the run.
    let (ours, theirs) = (losses(&run), losses(&reference));
    assert_eq!(ours.len(), theirs.len(), "logged steps");
    if let Some((a, b)) = ours.iter().zip(&theirs).find(|(a, b)| a != b) {
        panic!("faults: {faults:?}\nfirst differing line:\n{a}\n{b}");
    }
    for file in ["generator.safetensors", "discriminator.safetensors"] {
        let a = tensors(&final_dir(&reference).join(file));
        let b = tensors(&final_dir(&run).join(file));
        assert!(!a.is_empty());
        assert!(a == b, "{file} differs from the uninterrupted run's");
    }
    eprintln!(
        "fault harness: {} SIGKILLs, 1 SIGINT, 1 torn metrics line, full disk {}; {} resumes; \
         at most {} iteration(s) lost to a kill; {} temporary checkpoint directories left by \
         kills (removed by the next save); final weights and all {total} logged losses bitwise \
         equal to the uninterrupted run",
        figures.kills,
        if figures.disk_full.is_some() {
            "tested"
        } else {
            "skipped (not root)"
        },
        figures.resumes,
        figures.worst_lost,
        figures.debris,
    );
    if let Some(message) = figures.disk_full {
        eprintln!("full disk: {message}");
    }
}
