//! The fuzz harness: seeded structured mutation, in process, of every file the toolkit reads.
//!
//! Each reader gets valid seed files (written by the toolkit itself) and then `GAN_FUZZ_EXECS`
//! mutated versions of them (default 2,000 in CI; `scripts/fuzz.sh` runs 1,000,000). A
//! reader may refuse an input with an error, never panic, and never allocate more than
//! [`HEADROOM`] beyond what the harness holds: a header that claims 2^32 images must be
//! refused before anything that size is allocated. An allocation over the cap aborts the
//! process (Rust's allocation-failure handler); the input that did it is then the reader's
//! `input` file in the harness directory, which is printed at the start.
//!
//! The mutations are a pure function of the reader's name and the execution's index, so
//! `GAN_FUZZ_REPLAY=READER:INDEX` rewrites one input to disk, for a regression test.
//!
//! This is a separate test binary (not a module of `tests/it`) because it installs a global
//! allocator with a cap.

#![cfg(all(unix, feature = "flex"))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use cap::Cap;

#[path = "../fuzz/src/readers.rs"]
mod readers;
use readers::{Reader, Rng, mutate, readers};

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// What one input may allocate beyond the harness's own memory.
const HEADROOM: usize = 256 << 20;

/// The outcome counts of one reader's executions.
#[derive(Default, Debug)]
struct Tally {
    executions: u64,
    accepted: u64,
    refused: u64,
    panics: Vec<u64>,
    seconds: f64,
}

fn run_reader(reader: &mut Reader, executions: u64, crashes: &Path) -> Tally {
    let mut tally = Tally::default();
    let start = Instant::now();
    for index in 0..executions {
        let mut rng = Rng::new(reader.name, index);
        let seed = &reader.seeds[rng.below(reader.seeds.len())];
        let input = mutate(seed, &mut rng, reader.text);
        std::fs::write(&reader.input, &input).unwrap();
        let base = ALLOCATOR.allocated();
        ALLOCATOR.set_limit(base + HEADROOM).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| (reader.read)(&reader.input)));
        ALLOCATOR.set_limit(usize::MAX).unwrap();
        match outcome {
            Ok(true) => tally.accepted += 1,
            Ok(false) => tally.refused += 1,
            Err(_) => {
                let kept = crashes.join(format!("{}-{index}", reader.name));
                std::fs::write(&kept, &input).unwrap();
                tally.panics.push(index);
            }
        }
        tally.executions += 1;
    }
    tally.seconds = start.elapsed().as_secs_f64();
    tally
}

#[test]
fn readers_refuse_mutated_files_without_panics_or_huge_allocations() {
    let executions: u64 = std::env::var("GAN_FUZZ_EXECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let only = std::env::var("GAN_FUZZ_READERS").ok();
    let dir = match std::env::var_os("GAN_FUZZ_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("gan-fuzz-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let crashes = dir.join("crashes");
    std::fs::create_dir_all(&crashes).unwrap();
    eprintln!(
        "fuzz harness directory (inputs, crashes): {}",
        dir.display()
    );
    // Panics are caught and counted; their messages would only flood the output.
    std::panic::set_hook(Box::new(|_| {}));

    let mut readers = readers(&dir);
    if let Ok(replay) = std::env::var("GAN_FUZZ_REPLAY") {
        let (name, index) = replay
            .split_once(':')
            .expect("GAN_FUZZ_REPLAY=READER:INDEX");
        let reader = readers
            .iter()
            .find(|r| r.name == name)
            .expect("a reader's name");
        let index: u64 = index.parse().unwrap();
        let mut rng = Rng::new(reader.name, index);
        let seed = &reader.seeds[rng.below(reader.seeds.len())];
        let path = crashes.join(format!("{name}-{index}"));
        std::fs::write(&path, mutate(seed, &mut rng, reader.text)).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let mut failures = Vec::new();
    for reader in &mut readers {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|n| n == reader.name))
        {
            continue;
        }
        let tally = run_reader(reader, executions, &crashes);
        eprintln!(
            "{:<9} {:>9} executions in {:>7.1} s ({:>6.0}/s): {:>5.1}% accepted, {:>5.1}% refused, {} panics",
            reader.name,
            tally.executions,
            tally.seconds,
            tally.executions as f64 / tally.seconds.max(1e-9),
            100.0 * tally.accepted as f64 / tally.executions as f64,
            100.0 * tally.refused as f64 / tally.executions as f64,
            tally.panics.len()
        );
        // Every mutation strategy must reach the reader: some inputs refused, not all.
        assert!(
            tally.refused > 0,
            "{}: no mutated input was refused",
            reader.name
        );
        if !tally.panics.is_empty() {
            failures.push(format!(
                "{}: panics at {:?} (inputs in {})",
                reader.name,
                &tally.panics[..tally.panics.len().min(10)],
                crashes.display()
            ));
        }
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if std::env::var_os("GAN_FUZZ_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
