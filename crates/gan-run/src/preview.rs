//! Preview pictures and the loss curve of a run.

use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use gan_data::BatchSource;
use gan_train::{
    Algorithm, Metrics, Observer, Preview, RunConfig, RunDir, RunSummary, TrainError, fit,
};
use gan_viz::{ImageGrid, LinePlot, Rgb, ScatterPlot, VizError};

/// How preview samples are drawn.
#[derive(Debug, Clone)]
pub enum SampleView {
    /// A scatter plot of 2-D samples over reference points from the data.
    Scatter {
        /// Data range shown on both axes.
        range: (f64, f64),
        /// Real points drawn underneath, flat `[x0, y0, x1, y1, ...]`.
        reference: Vec<f32>,
    },
    /// An image grid; generator outputs in `[low, high]` are mapped to black..white.
    Images {
        /// Shape of one image, `[channels, height, width]`.
        shape: [usize; 3],
        /// Output value drawn black.
        low: f32,
        /// Output value drawn white.
        high: f32,
    },
    /// No pictures.
    None,
}

/// Draws `n` samples (flat `values`) as a picture at `path`.
pub fn draw_preview(
    view: &SampleView,
    n: usize,
    values: &[f32],
    path: &Path,
) -> Result<(), VizError> {
    match view {
        SampleView::Scatter { range, reference } => ScatterPlot::new(512, *range)
            .with_series(reference.clone(), Rgb(120, 120, 120), 1.5, 0.5)
            .with_series(values.to_vec(), Rgb(214, 39, 40), 2.0, 0.7)
            .save_png(path),
        SampleView::Images { shape, low, high } => {
            let span = (high - low).max(f32::EPSILON);
            let scaled: Vec<f32> = values.iter().map(|v| (v - low) / span).collect();
            let columns = (n as f64).sqrt().ceil() as usize;
            ImageGrid {
                columns,
                padding: 2,
                scale: if shape[1] <= 32 { 2 } else { 1 },
            }
            .save_png(&scaled, [n, shape[0], shape[1], shape[2]], path)
        }
        SampleView::None => Ok(()),
    }
}

/// An observer that draws every preview of a run into its directory:
/// `samples/step-NNNNNNNN.png` during training and `samples.png` at the end.
#[derive(Debug, Clone)]
pub struct PreviewWriter {
    dir: RunDir,
    view: SampleView,
}

impl PreviewWriter {
    /// Draws into `dir` as `view` says.
    pub fn new(dir: RunDir, view: SampleView) -> Self {
        Self { dir, view }
    }
}

impl Observer for PreviewWriter {
    fn wants_previews(&self) -> bool {
        !matches!(self.view, SampleView::None)
    }

    fn on_preview(&mut self, preview: &Preview) -> gan_train::Result<()> {
        let path = if preview.last {
            self.dir.final_samples()
        } else {
            self.dir.samples_at(preview.iteration)
        };
        draw_preview(&self.view, preview.count, &preview.values, &path)
            .map_err(|e| TrainError::Observer(Box::new(e)))
    }
}

/// Draws `loss_curve.png` from the metrics: every watched loss the algorithm logged (for the
/// classic algorithm `d_loss`, `g_loss`, and `penalty` and `aux` where present).
pub fn draw_loss_curve(metrics: &[Metrics], path: &Path) -> Result<(), VizError> {
    if metrics.is_empty() {
        return Ok(());
    }
    let series = |key: &str| -> Vec<(f64, f64)> {
        metrics
            .iter()
            .filter_map(|m| m.get(key).map(|v| (m.step as f64, v as f64)))
            .collect()
    };
    let mut plot = LinePlot::new(900, 420, "LOSSES");
    for (key, label) in [
        ("d_loss", "D LOSS"),
        ("g_loss", "G LOSS"),
        ("penalty", "PENALTY"),
        ("aux", "AUX"),
    ] {
        let points = series(key);
        if !points.is_empty() {
            plot = plot.with_curve(label, points);
        }
    }
    plot.save_png(path)
}

/// [`fit`], drawing previews as `view` says (see [`PreviewWriter`]), keeping `metrics.csv` and
/// a TensorBoard event file (see [`crate::logs`]), and drawing `loss_curve.png` at the end,
/// before the observers in `observers`.
pub fn train<B, A, S>(
    algorithm: &mut A,
    data: &mut S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
) -> gan_train::Result<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B> + ?Sized,
{
    let mut writer = PreviewWriter::new(dir.clone(), view.clone());
    let mut logs = crate::logs::ScalarLogs::new(dir.clone());
    let mut all: Vec<&mut dyn Observer> = Vec::with_capacity(observers.len() + 2);
    all.push(&mut writer);
    all.push(&mut logs);
    for o in observers.iter_mut() {
        all.push(&mut **o);
    }
    let summary = fit(algorithm, data, dir, run, resume, &mut all)?;
    if let Some(source) = logs.take_error() {
        return Err(TrainError::Io {
            action: "cannot write the scalar logs (metrics.csv, events.out.tfevents.*) in",
            path: dir.root().to_path_buf(),
            source,
        });
    }
    draw_loss_curve(&dir.read_metrics()?, &dir.loss_curve())
        .map_err(|e| TrainError::Observer(Box::new(e)))?;
    Ok(summary)
}
