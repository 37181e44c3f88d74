//! AFL++ target for one of the toolkit's file readers (see `readers.rs`).
//!
//! ```text
//! gan-fuzz READER --seeds DIR   write READER's seed files into DIR (AFL++'s -i)
//! gan-fuzz READER               read inputs from AFL++ (persistent mode)
//! ```
//!
//! A refusal is an ordinary outcome; a panic is a crash, which AFL++ keeps.

// The in-process mutator of `readers.rs` serves tests/fuzz.rs; AFL++ mutates on its own.
#[allow(dead_code)]
mod readers;

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("gan-fuzz-afl-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut all = readers::readers(&dir);
    let names: Vec<&str> = all.iter().map(|r| r.name).collect();
    let Some(at) = all.iter().position(|r| r.name == name) else {
        eprintln!(
            "gan-fuzz: unknown reader {name:?}; expected one of {}",
            names.join(", ")
        );
        std::process::exit(2);
    };
    // A reader that panics is a crash and ends the process: nothing observes its state after.
    let mut reader = std::panic::AssertUnwindSafe(all.swap_remove(at));
    if args.next().as_deref() == Some("--seeds") {
        let out = PathBuf::from(args.next().expect("--seeds DIR"));
        std::fs::create_dir_all(&out).expect("the seed directory");
        for (i, seed) in reader.seeds.iter().enumerate() {
            std::fs::write(out.join(format!("seed-{i}")), seed).expect("a seed file");
        }
        return;
    }
    afl::fuzz!(|data: &[u8]| {
        let reader: &mut readers::Reader = &mut reader;
        std::fs::write(&reader.input, data).expect("the input file");
        let _ = (reader.read)(&reader.input);
    });
}
