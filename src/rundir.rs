//! What every run of the `gan` crate does with its directory before training.

use std::path::Path;

use burn::config::Config;

use crate::error::{GanError, Result as GanResult};

/// Creates `dir` and writes `config` as `config.json`, atomically (temporary file, then
/// rename): a run killed at any moment keeps a complete config, which resuming needs. When
/// resuming, the saved config must equal `config` once `allow` has copied over the fields a
/// resumed run may change (the iteration count).
pub(crate) fn save_config<C: Config + PartialEq>(
    config: &C,
    dir: &Path,
    resume: bool,
    allow: impl FnOnce(&mut C),
) -> GanResult<()> {
    std::fs::create_dir_all(dir).map_err(|source| GanError::Io {
        action: "cannot create run directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let config_path = dir.join("config.json");
    if resume && config_path.is_file() {
        let mut saved = C::load(&config_path).map_err(|source| GanError::Config {
            path: config_path.clone(),
            source,
        })?;
        allow(&mut saved);
        if saved != *config {
            return Err(GanError::ResumeConfig { path: config_path });
        }
    }
    gan_data::write_atomic(&config_path, burn::config::config_to_json(config).as_bytes())
        .map_err(|source| GanError::Io {
            action: "cannot write",
            path: config_path,
            source,
        })
}
