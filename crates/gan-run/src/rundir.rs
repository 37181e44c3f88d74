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
    // Refused before anything is written: a new run never touches an earlier run's files, and
    // a resume needs a checkpoint to start from and metrics it can keep.
    gan_train::RunDir::new(dir).check_start(resume)?;
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
            let saved = serde_json::to_value(&saved).expect("run configs serialise to JSON");
            let requested = serde_json::to_value(config).expect("run configs serialise to JSON");
            let differences = gan_train::checkpoint::json_differences(&saved, &requested)
                .into_iter()
                .map(|(at, saved, requested)| {
                    let at = if at.is_empty() { "config" } else { &at };
                    format!("`{at}`: {saved} -> {requested}")
                })
                .collect();
            return Err(GanError::ResumeConfig {
                path: config_path,
                differences,
            });
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

/// Writes `overlay` over `base`: objects merge field by field, at any depth; anything else
/// replaces. An enum written as `{"Variant": {...}}` merges with the base only when it names
/// the base's variant, and replaces it when it names another.
pub(crate) fn merge_json(base: &mut serde_json::Value, overlay: &serde_json::Value) {
    use serde_json::Value;
    let variant = |o: &serde_json::Map<String, Value>| {
        (o.len() == 1)
            .then(|| o.keys().next())
            .flatten()
            .filter(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
            .cloned()
    };
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            if let (Some(x), Some(y)) = (variant(b), variant(o))
                && x != y
            {
                *b = o.clone();
                return;
            }
            for (key, value) in o {
                match b.get_mut(key) {
                    Some(slot) => merge_json(slot, value),
                    None => {
                        b.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
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
/// earlier versions lack: an image run without an `algorithm` trained the classic one, and a
/// translation run without a `held_out_rule` held out the last images, and one without a
/// `cyclegan.lambda_semantic` trained without the semantic term.
pub(crate) fn parse_config<C: Config>(path: &Path, text: &str) -> GanResult<C> {
    let mut json = json_of(path, text)?;
    if let serde_json::Value::Object(fields) = &mut json {
        if fields.contains_key("networks") && !fields.contains_key("algorithm") {
            fields.insert("algorithm".into(), serde_json::json!("Classic"));
        }
        if fields.contains_key("generator_ab") && !fields.contains_key("held_out_rule") {
            fields.insert("held_out_rule".into(), serde_json::json!("Last"));
        }
        if fields.contains_key("generator_ab")
            && let Some(serde_json::Value::Object(cyclegan)) = fields.get_mut("cyclegan")
        {
            cyclegan
                .entry("lambda_semantic")
                .or_insert(serde_json::json!(0.0));
        }
    }
    let config = match C::load_binary(json.to_string().as_bytes()) {
        Ok(config) => config,
        Err(source) => {
            // A misspelt required field reads as a missing one: name the misspelling.
            let message = source.to_string();
            if let Some(missing) = message
                .split("missing field `")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
            {
                let mut near = Vec::new();
                keys_near(&json, "", missing, &mut near);
                if !near.is_empty() {
                    return Err(GanError::ConfigContent {
                        path: path.to_path_buf(),
                        problem: format!(
                            "unknown field {} (did you mean `{missing}`?); `{missing}` is required",
                            near.join(", ")
                        ),
                    });
                }
            }
            return Err(GanError::Config {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    // Serde ignores fields it does not know: a misspelt one would silently keep its default.
    let known = serde_json::to_value(&config).expect("configs serialise to JSON");
    let mut unknown = Vec::new();
    unknown_fields("", &json, &known, &mut unknown);
    if unknown.is_empty() {
        Ok(config)
    } else {
        Err(GanError::ConfigContent {
            path: path.to_path_buf(),
            problem: format!("unknown field {}", unknown.join(", unknown field ")),
        })
    }
}

/// The JSON of config file `path`, or an error naming the line and column (JSON has no NaN or
/// Infinity).
pub(crate) fn json_of(path: &Path, text: &str) -> GanResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| GanError::ConfigContent {
        path: path.to_path_buf(),
        problem: format!(
            "not valid JSON at line {}, column {}: {e}{}",
            e.line(),
            e.column(),
            if text.contains("NaN") || text.contains("Infinity") {
                " (JSON has no NaN or Infinity: every number must be finite)"
            } else {
                ""
            }
        ),
    })
}

/// Appends to `out` each object key of `given` that the parsed config `known` does not have,
/// as `path` with the nearest known key at that level.
fn unknown_fields(
    at: &str,
    given: &serde_json::Value,
    known: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, value) in g {
                let field = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match k.get(key) {
                    Some(inner) => unknown_fields(&field, value, inner, out),
                    // The run kind tag that run directories carry.
                    None if at.is_empty() && key == crate::sample::KIND => {}
                    None => {
                        let nearest = k
                            .keys()
                            .min_by_key(|candidate| edit_distance(key, candidate))
                            .map(|c| format!(" (did you mean `{c}`?)"))
                            .unwrap_or_default();
                        out.push(format!("`{field}`{nearest}"));
                    }
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (u, v)) in g.iter().zip(k).enumerate() {
                unknown_fields(&format!("{at}.{i}"), u, v, out);
            }
        }
        _ => {}
    }
}

/// Appends to `out` every key of `json` (at any depth, as its dotted path) within two edits of
/// `name` but not equal to it.
fn keys_near(json: &serde_json::Value, at: &str, name: &str, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                let field = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                if key != name && edit_distance(key, name) <= 2 {
                    out.push(format!("`{field}`"));
                }
                keys_near(value, &field, name, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                keys_near(item, &format!("{at}.{i}"), name, out);
            }
        }
        _ => {}
    }
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
