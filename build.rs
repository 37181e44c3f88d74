//! With the `tch` feature, embed libtorch's library directory as an rpath in every binary, test
//! and example of this package, so they start without `LD_LIBRARY_PATH`.
//!
//! The directory is found the way `torch-sys` finds libtorch: `$LIBTORCH/lib` when `LIBTORCH`
//! is set, else (with `LIBTORCH_USE_PYTORCH`) the `torch/lib` directory of the active Python.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_LIB");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    if env::var_os("CARGO_FEATURE_TCH").is_none() {
        return;
    }
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "linux" && target_os != "macos" {
        return;
    }
    if let Some(dir) = libtorch_lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    } else {
        println!(
            "cargo:warning=tch feature: libtorch not located (set LIBTORCH or \
             LIBTORCH_USE_PYTORCH=1); binaries will need LD_LIBRARY_PATH"
        );
    }
}

fn libtorch_lib_dir() -> Option<PathBuf> {
    if let Some(lib) = env::var_os("LIBTORCH_LIB") {
        let lib = PathBuf::from(lib);
        return Some(if lib.ends_with("lib") {
            lib
        } else {
            lib.join("lib")
        });
    }
    if let Some(root) = env::var_os("LIBTORCH") {
        return Some(PathBuf::from(root).join("lib"));
    }
    env::var_os("LIBTORCH_USE_PYTORCH")?;
    let python = if env::var_os("VIRTUAL_ENV").is_some() {
        "python"
    } else {
        "python3"
    };
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.is_dir().then_some(dir)
}
