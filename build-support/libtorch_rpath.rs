// Shared by the build scripts of every package in this workspace (each `build.rs` includes it).
//
// When libtorch can be located, embed its library directory as an rpath in the package's
// binaries, tests and examples, so that a build linking the `tch` backend starts without
// `LD_LIBRARY_PATH`. The directory is found the way `torch-sys` finds libtorch:
// `$LIBTORCH_LIB`, `$LIBTORCH/lib`, or (with `LIBTORCH_USE_PYTORCH`) the `torch/lib` directory
// of the active Python. Without any of these nothing is emitted.

fn main() {
    for var in ["LIBTORCH", "LIBTORCH_LIB", "LIBTORCH_USE_PYTORCH", "VIRTUAL_ENV"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "linux" && target_os != "macos" {
        return;
    }
    if let Some(dir) = libtorch_lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
}

fn libtorch_lib_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    if let Some(lib) = std::env::var_os("LIBTORCH_LIB") {
        let lib = PathBuf::from(lib);
        return Some(if lib.ends_with("lib") { lib } else { lib.join("lib") });
    }
    if let Some(root) = std::env::var_os("LIBTORCH") {
        return Some(PathBuf::from(root).join("lib"));
    }
    std::env::var_os("LIBTORCH_USE_PYTORCH")?;
    let python = if std::env::var_os("VIRTUAL_ENV").is_some() {
        "python"
    } else {
        "python3"
    };
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.is_dir().then_some(dir)
}
