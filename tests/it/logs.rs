//! `metrics.csv` and the TensorBoard event file of a run say what `metrics.jsonl` says, and
//! TensorBoard's own reader (the `tensorboard` package of the setup venv) reads the events
//! with their checksums; a resume rebuilds both from the lines it keeps.

use std::path::Path;
use std::process::Command;

fn gan(args: &[&str]) {
    let o = crate::common::gan_output(args);
    assert!(
        o.status.success(),
        "gan {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

use crate::common::venv_python as python;

/// TensorBoard's scalars of the run in `dir`: tag -> [(step, value)].
fn tensorboard_scalars(dir: &Path) -> serde_json::Value {
    let script = r#"
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
acc.Reload()
print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))
"#;
    let o = Command::new(python())
        .args(["-c", script, dir.to_str().unwrap()])
        .output()
        .expect("the setup venv's python runs (scripts/setup.sh)");
    assert!(
        o.status.success(),
        "tensorboard's reader: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn check(run: &Path, steps: &[usize]) {
    let metrics = gan::train::RunDir::new(run).read_metrics().unwrap();
    assert_eq!(
        metrics.iter().map(|m| m.step).collect::<Vec<_>>(),
        steps,
        "metrics.jsonl"
    );
    // The CSV: a header and one row per line, the same numbers.
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..3],
        ["step", "wall_seconds", "iterations_per_second"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), metrics.len());
    for (row, m) in rows.iter().zip(&metrics) {
        assert_eq!(row[0], m.step.to_string());
        for (name, value) in &m.values {
            let at = header.iter().position(|h| h == name).unwrap();
            assert_eq!(
                row[at].parse::<f32>().unwrap(),
                *value,
                "{name} at {}",
                m.step
            );
        }
    }
    // One event file, read by TensorBoard: every metric at every step, bit for bit.
    let files = gan::run::logs::event_files(run).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let scalars = tensorboard_scalars(run);
    let names = &metrics[0].values;
    assert!(!names.is_empty());
    for (name, _) in names {
        let series = scalars[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {scalars}"));
        assert_eq!(series.len(), metrics.len(), "{name}");
        for (point, m) in series.iter().zip(&metrics) {
            assert_eq!(point[0].as_u64().unwrap() as usize, m.step);
            assert_eq!(
                point[1].as_f64().unwrap() as f32,
                m.get(name).unwrap(),
                "{name}"
            );
        }
    }
    assert!(scalars["iterations_per_second"].is_array());
}

#[test]
fn csv_and_tensorboard_follow_metrics_across_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_s = run.to_str().unwrap();
    let common = ["--dataset", "ring8", "--log-every", "2", "--quiet"];
    let mut args = vec![
        "train",
        "--steps",
        "6",
        "--checkpoint-every",
        "4",
        "--out",
        run_s,
    ];
    args.extend(common);
    gan(&args);
    check(&run, &[2, 4, 6]);
    // Resume from iteration 4 (the newest checkpoint removed): line 6 is dropped and written
    // again, and both logs are rebuilt.
    std::fs::remove_dir_all(run.join("checkpoints/step-00000006")).unwrap();
    gan(&["train", "--resume", run_s, "--steps", "10", "--quiet"]);
    check(&run, &[2, 4, 6, 8, 10]);
}
