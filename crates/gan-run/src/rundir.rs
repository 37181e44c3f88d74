//! What every run of the `gan` crate does with its directory before training.

use std::path::Path;

use burn::config::Config;

use crate::error::{GanError, Result as GanResult};

/// Creates `dir` and writes `config` as `config.json`, tagged with its run kind (`"kind":
/// "toy"` or `"image"`, see [`crate::sample::RunSpec`]), atomically ([`gan_data::write_atomic`]):
/// a run killed at any moment keeps a complete config, which resuming needs. When resuming,
/// the saved config must equal `config` once `allow` has copied over the fields a resumed run
/// may change (the iteration count).
pub(crate) fn save_config<C: Config + PartialEq>(
    config: &C,
    kind: &str,
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
        let mut saved = parse_config::<C>(&config_path, &read_text(&config_path)?)?;
        allow(&mut saved);
        if saved != *config {
            return Err(GanError::ResumeConfig { path: config_path });
        }
    }
    let mut json = serde_json::to_value(config).expect("run configs serialise to JSON");
    if let Some(object) = json.as_object_mut() {
        object.insert(crate::sample::KIND.into(), kind.into());
    }
    let text = serde_json::to_string_pretty(&json).expect("JSON values serialise");
    gan_data::write_atomic(&config_path, text.as_bytes()).map_err(|source| GanError::Io {
        action: "cannot write",
        path: config_path,
        source,
    })
}

/// Reads a text file.
pub(crate) fn read_text(path: &Path) -> GanResult<String> {
    std::fs::read_to_string(path).map_err(|source| GanError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    })
}

/// Parses the text of the run config file `path`, filling in the fields that files written by
/// earlier versions lack: an image run without an `algorithm` trained the classic one.
pub(crate) fn parse_config<C: Config>(path: &Path, text: &str) -> GanResult<C> {
    let parsed = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut fields))
            if fields.contains_key("networks") && !fields.contains_key("algorithm") =>
        {
            fields.insert("algorithm".into(), serde_json::json!("Classic"));
            C::load_binary(serde_json::Value::Object(fields).to_string().as_bytes())
        }
        _ => C::load_binary(text.as_bytes()),
    };
    parsed.map_err(|source| GanError::Config {
        path: path.to_path_buf(),
        source,
    })
}
