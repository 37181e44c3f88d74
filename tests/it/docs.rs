//! Every `gan` command in README.md, docs/guide.md and docs/parallel.md (in `sh` blocks, and
//! inline in the prose)
//! still works, so the docs cannot drift from the command line:
//! - training commands (`gan`, `gan train ...`) resolve their config (`--print-config`, which
//!   checks every flag, the config file and the resume without training);
//! - `gan sample`, `gan interpolate`, `gan report` and `gan export` run on a small trained run (`--n` capped
//!   at 100);
//! - `gan eval` commands run on the small run with `--n 100` (samples files are written by
//!   `gan sample` first; scored against another dataset, with the Parzen window only, since its
//!   domain classifier would train for minutes on a cold cache), except those that name
//!   Inception features or a CUDA device, which take many minutes or a GPU: they are parsed
//!   with every flag and value (`--help` after them), and Inception is tested in
//!   `eval_inception`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::gan_output as gan;

/// The commands of `file`: lines of `sh` blocks and inline code spans that start with `gan` or
/// `cargo run --release`, without their comments, as `gan`'s arguments. Spans that show a
/// choice (`a|b`) or an elision (`...`) are patterns, not commands.
fn commands(file: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = Vec::new();
    let mut in_shell = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(fence) = trimmed.strip_prefix("```") {
            in_shell = !in_shell && (fence == "sh" || fence == "bash");
            continue;
        }
        if in_shell {
            lines.push(trimmed.split(" #").next().unwrap().trim().to_string());
        } else {
            lines.extend(
                line.split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|span| {
                        !span.contains('|') && !span.contains("...") && !span.contains('>')
                    })
                    .map(str::to_string),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    lines
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .filter_map(|l| {
            let words: Vec<String> = l.split_whitespace().map(str::to_string).collect();
            // A placeholder other than the run directories marks a pattern (`--label J`).
            let pattern = |w: &String| {
                !w.is_empty()
                    && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                    && w != "RUN_DIR"
                    && w != "NEW_DIR"
                    && w != "TRANSLATION_DIR"
            };
            if words.iter().any(pattern) {
                return None;
            }
            match words
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice()
            {
                ["gan", ..] => Some(words[1..].to_vec()),
                ["cargo", "run", "--release", "--", ..] => Some(words[4..].to_vec()),
                ["cargo", "run", "--release"] => Some(Vec::new()),
                _ => None,
            }
        })
        .collect()
}

/// `args` with the docs' placeholders replaced: the run, the translation run (`run` beside it,
/// named `translation`), files to read, and outputs in `tmp`.
fn concrete(args: &[String], run: &Path, tmp: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous = String::new();
    let translation = run.with_file_name("translation");
    for arg in args {
        let mut a = arg.replace("TRANSLATION_DIR", translation.to_str().unwrap());
        a = a.replace("RUN_DIR", run.to_str().unwrap());
        a = a.replace("NEW_DIR", tmp.join("new").to_str().unwrap());
        if previous == "--out" {
            // A relative output goes into `tmp` (`Path::join` keeps an absolute one, and a
            // trailing `/`).
            a = tmp.join(&a).to_str().unwrap().to_string();
        }
        if previous == "--samples" || previous == "--input" {
            a = tmp.join(&a).to_str().unwrap().to_string();
        }
        if previous == "--n" && a.parse::<usize>().is_ok_and(|n| n > 100) {
            a = "100".into();
        }
        previous = a.clone();
        out.push(a);
    }
    out
}

fn ok(what: &[String], o: &Output) {
    assert!(
        o.status.success(),
        "gan {}: {}{}",
        what.join(" "),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_documented_command_works() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let train: Vec<String> = [
        "train", "--limit", "64", "--steps", "2", "--batch", "8", "--quiet", "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([run.to_str().unwrap().to_string()])
    .collect();
    ok(&train, &gan(&train));
    // A small translation run for `gan translate` and its `gan eval`.
    let translation: Vec<String> = [
        "train",
        "--algorithm",
        "cyclegan",
        "--limit",
        "64",
        "--steps",
        "2",
        "--batch",
        "2",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([tmp.path().join("translation").to_str().unwrap().to_string()])
    .collect();
    ok(&translation, &gan(&translation));
    let mut seen = 0;
    for (file, at_least) in [
        ("README.md", 8),
        ("docs/guide.md", 16),
        ("docs/parallel.md", 4),
    ] {
        let found = commands(&root.join(file));
        assert!(found.len() >= at_least, "{file}: {found:?}");
        for args in found {
            let mut args = concrete(&args, &run, tmp.path());
            let sub = match args.first().map(String::as_str) {
                None => "train".to_string(),
                Some(flag) if flag.starts_with("--") => "train".to_string(),
                Some(sub) => sub.to_string(),
            };
            let of_translation = args.iter().any(|a| a.ends_with("translation"));
            match sub.as_str() {
                "train" => args.push("--print-config".into()),
                // A translation run is measured on its held-out images, as it is.
                "eval" if of_translation => {}
                "translate" => {
                    // The input: four digits in [0, 1], written where the docs read them.
                    // `gan translate` alone names the command in prose.
                    match args.iter().position(|a| a == "--input") {
                        Some(at) => {
                            let values: Vec<f32> =
                                (0..4 * 784).map(|i| (i % 7) as f32 / 6.0).collect();
                            let input = Path::new(&args[at + 1]);
                            gan::sample::write_npy(input, &values, &[4, 1, 28, 28]).unwrap();
                        }
                        None if args.len() == 1 => args.push("--help".into()),
                        None => {}
                    }
                }
                // `gan eval` alone names the command in prose.
                "eval"
                    if args.len() == 1
                        || args
                            .iter()
                            .any(|a| a.contains("inception") || a.starts_with("cuda")) =>
                {
                    args.push("--help".into())
                }
                "eval" => {
                    // Another dataset's domain classifier trains for minutes on a cold cache:
                    // such a command is scored with the Parzen window only.
                    let other = args
                        .iter()
                        .position(|a| a == "--dataset")
                        .is_some_and(|at| args[at + 1] != "mnist-embedded");
                    if other && !args.iter().any(|a| a == "--metric") {
                        args.extend(["--metric".into(), "parzen".into()]);
                    }
                    if !args.iter().any(|a| a == "--n") {
                        args.extend(["--n".into(), "100".into()]);
                    }
                    if let Some(at) = args.iter().position(|a| a == "--samples") {
                        let file = args[at + 1].clone();
                        let sample: Vec<String> = ["sample", "--run", run.to_str().unwrap()]
                            .iter()
                            .map(|s| s.to_string())
                            .chain(["--n".into(), "100".into(), "--out".into(), file])
                            .collect();
                        ok(&sample, &gan(&sample));
                    }
                }
                // It serves until stopped: only its flags are checked.
                "orchestrator" => args.push("--help".into()),
                "sample" | "interpolate" | "report" | "export" | "completions" => {}
                other => panic!("{file}: unknown command `gan {other}`"),
            }
            let o = gan(&args);
            ok(&args, &o);
            if let Some(at) = args.iter().position(|a| a == "--out")
                && sub != "train"
            {
                let out = Path::new(&args[at + 1]);
                assert!(
                    out.exists(),
                    "gan {} wrote no {}",
                    args.join(" "),
                    out.display()
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 24, "{seen} commands");
}
