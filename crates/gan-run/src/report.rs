//! `gan report`: one self-contained HTML page of a run (no file or network beside it): what
//! ran, the training chart, the sample grids over time, the evaluation and the config.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use gan_train::RunDir;

use crate::error::{GanError, Result};
use crate::sample::RunSpec;

/// Writes the report of the run in `dir` to `out` (default `dir/report.html`), atomically, and
/// returns its path. The run needs its `config.json` (of a GAN run or a translation run); the
/// chart, grids and evaluation appear when the run has them (a chart is drawn from
/// `metrics.jsonl`). A translation run's evaluation pairs read A → B, then B → A.
pub fn write_report(dir: &Path, out: Option<&Path>) -> Result<PathBuf> {
    let translation = crate::translation::is_translation_config(&dir.join("config.json"));
    // What ran: dataset, model and algorithm, from the run's own kind of config.
    let facts: [(&str, String); 3] = if translation {
        let config = crate::translation::load_translation_run(dir)?;
        [
            (
                "domains",
                format!("A: {}, B: {}", config.a.label(), config.b.label()),
            ),
            (
                "model",
                "ResNet generators G: A → B and F: B → A, PatchGAN discriminators".into(),
            ),
            ("algorithm", gan_train::CYCLEGAN.into()),
        ]
    } else {
        let spec = RunSpec::load_run(dir)?;
        [
            ("dataset", spec.dataset_label()),
            ("model", spec.model_label().into()),
            ("algorithm", spec.algorithm_label().into()),
        ]
    };
    let run = RunDir::new(dir);
    let metrics = run.read_metrics()?;
    let out = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());

    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n",
        title = escape(&name)
    );
    let last = metrics.last();
    html.push_str("<table class=\"facts\">");
    for (key, value) in &facts {
        let _ = write!(html, "<tr><th>{key}</th><td>{}</td></tr>", escape(value));
    }
    let _ = write!(
        html,
        "<tr><th>iterations logged</th><td>{}</td></tr>",
        last.map_or("none".to_string(), |m| m.step.to_string()),
    );
    if let Some(m) = last {
        for (key, value) in m.values.iter().filter(|(k, _)| !k.ends_with("grad_norm")) {
            let _ = write!(
                html,
                "<tr><th>{} (last)</th><td>{value:.4}</td></tr>",
                escape(key)
            );
        }
    }
    html.push_str("</table>\n<h2>Training</h2>\n");
    let chart = crate::preview::loss_chart(&metrics).render()?;
    let _ = writeln!(
        html,
        "<img class=\"chart\" alt=\"training chart\" src=\"{}\">",
        data_uri(&chart.png_bytes()?)
    );

    html.push_str("<h2>Samples over training</h2>\n<div class=\"grids\">\n");
    let mut grids: Vec<PathBuf> = std::fs::read_dir(run.samples())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    grids.sort();
    if run.final_samples().is_file() {
        grids.push(run.final_samples());
    }
    if grids.is_empty() {
        html.push_str("<p>No sample grids were drawn.</p>\n");
    }
    for path in &grids {
        let bytes = std::fs::read(path).map_err(|source| GanError::Io {
            action: "cannot read",
            path: path.clone(),
            source,
        })?;
        let caption = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let _ = writeln!(
            html,
            "<figure><img alt=\"samples\" src=\"{}\"><figcaption>{}</figcaption></figure>",
            data_uri(&bytes),
            escape(&caption.unwrap_or_default())
        );
    }
    html.push_str("</div>\n<h2>Evaluation</h2>\n");
    let eval = dir.join("eval.json");
    match std::fs::read_to_string(&eval) {
        Ok(text) => {
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| GanError::ConfigContent {
                    path: eval.clone(),
                    problem: format!("not valid JSON: {e}"),
                })?;
            html.push_str("<table class=\"eval\"><tr><th>metric</th><th>value</th></tr>");
            let sections: &[&str] = if translation {
                &["labels", "cycle_error", "fid", "kid", "paired"]
            } else {
                &["modes", "parzen", "domain", "inception"]
            };
            for section in sections {
                rows(&mut html, &section.replace('_', " "), &json[section]);
            }
            html.push_str("</table>\n");
        }
        Err(_) => html.push_str(
            "<p>Not evaluated yet: <code>gan eval --run RUN_DIR</code> writes eval.json.</p>\n",
        ),
    }
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap_or_default();
    let _ = write!(
        html,
        "<h2>Config</h2>\n<pre>{}</pre>\n</body></html>\n",
        escape(&config)
    );
    crate::sample::write_file(&out, html.as_bytes())?;
    Ok(out)
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}\
    table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;\
    text-align:left}th{background:#f3f3f3}img.chart{max-width:100%}\
    .grids{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}\
    figure img{max-width:300px;image-rendering:pixelated}figcaption{font-size:12px}\
    pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}";

/// One table row per number in `value` (at any depth under `section`).
fn rows(html: &mut String, at: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, v) in fields {
                rows(html, &format!("{at} / {}", key.replace('_', " ")), v);
            }
        }
        serde_json::Value::Number(n) => {
            let _ = write!(html, "<tr><td>{}</td><td>{n}</td></tr>", escape(at));
        }
        // A translation run's pairs are (A → B, B → A).
        serde_json::Value::Array(items) if items.len() == 2 => {
            for (way, v) in ["A → B", "B → A"].iter().zip(items) {
                rows(html, &format!("{at} / {way}"), v);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                rows(html, &format!("{at} / {i}"), v);
            }
        }
        _ => {}
    }
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// `text` with the characters HTML gives a meaning escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
