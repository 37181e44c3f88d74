//! Preview pictures and the loss curve of a run.

use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use gan_data::BatchSource;
use gan_train::{
    Algorithm, Metrics, Observer, Preview, RunConfig, RunDir, RunSummary, TrainError, fit,
};
use gan_viz::{ImageGrid, NamedSeries, Rgb, ScatterPlot, TrainingChart, VizError};

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
    /// Images in rows of a given length (a translation run's `a`, `G(a)`, `F(G(a))`, ...).
    Rows {
        /// Shape of one image, `[channels, height, width]`.
        shape: [usize; 3],
        /// Output value drawn black.
        low: f32,
        /// Output value drawn white.
        high: f32,
        /// Images per row.
        columns: usize,
    },
    /// No pictures.
    None,
}

/// Draws `n` samples (flat `values`) as a picture at `path`, under `caption` when given (the
/// iteration, say). 2-D samples are red over grey data points, with a legend.
pub fn draw_preview(
    view: &SampleView,
    n: usize,
    values: &[f32],
    caption: Option<&str>,
    path: &Path,
) -> Result<(), VizError> {
    let canvas = match view {
        SampleView::Scatter { range, reference } => ScatterPlot::new(512, *range)
            .with_series(reference.clone(), DATA, 1.5, 0.5)
            .with_series(values.to_vec(), SAMPLES, 2.0, 0.7)
            .with_legend("data", DATA)
            .with_legend("samples", SAMPLES)
            .render()?,
        SampleView::Images { shape, low, high }
        | SampleView::Rows {
            shape, low, high, ..
        } => {
            let span = (high - low).max(f32::EPSILON);
            let scaled: Vec<f32> = values.iter().map(|v| (v - low) / span).collect();
            let columns = match view {
                SampleView::Rows { columns, .. } => (*columns).max(1),
                _ => (n as f64).sqrt().ceil() as usize,
            };
            ImageGrid {
                columns,
                padding: 2,
                scale: if shape[1] <= 32 { 2 } else { 1 },
            }
            .render(&scaled, [n, shape[0], shape[1], shape[2]])?
        }
        SampleView::None => return Ok(()),
    };
    match caption {
        Some(caption) => canvas.with_caption(caption)?.save_png(path),
        None => canvas.save_png(path),
    }
}

/// The colour of data points in scatter plots.
pub const DATA: Rgb = Rgb(120, 120, 120);
/// The colour of generated points in scatter plots.
pub const SAMPLES: Rgb = Rgb(214, 39, 40);

/// `n` with thousands separators: `18,750`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
        let caption = format!(
            "iteration {}{}",
            thousands(preview.iteration),
            if preview.last { " (final)" } else { "" }
        );
        draw_preview(
            &self.view,
            preview.count,
            &preview.values,
            Some(&caption),
            &path,
        )
        .map_err(|e| TrainError::Observer(Box::new(e)))
    }
}

/// Draws `loss_curve.png` from the metrics (see [`gan_viz::TrainingChart`]): every logged
/// scalar but the discriminator's outputs and the gradient norms in the upper panel (for the
/// classic algorithm `d_loss`, `g_loss`, and `penalty` and `aux` where present), `D(x)` and
/// `D(G(z))` (`d_real`, `d_fake`) in the lower one. With fewer than 2 lines the chart says so.
pub fn draw_loss_curve(metrics: &[Metrics], path: &Path) -> Result<(), VizError> {
    loss_chart(metrics).save_png(path)
}

/// The training chart of [`draw_loss_curve`].
pub fn loss_chart(metrics: &[Metrics]) -> TrainingChart {
    let series = |key: &str, name: &str| NamedSeries {
        name: name.to_string(),
        points: metrics
            .iter()
            .filter_map(|m| m.get(key).map(|v| (m.step as u64, v as f64)))
            .collect(),
    };
    let mut names: Vec<&str> = Vec::new();
    for m in metrics {
        for (key, _) in &m.values {
            if !names.contains(&key.as_str()) {
                names.push(key);
            }
        }
    }
    let label = |key: &str| match key {
        "d_loss" => "D loss".to_string(),
        "g_loss" => "G loss".to_string(),
        "d_real" => "D(x)".to_string(),
        "d_fake" => "D(G(z))".to_string(),
        other => other.replace('_', " "),
    };
    let mut chart = TrainingChart::new("losses", (900, 560));
    for key in names {
        if key.ends_with("grad_norm") {
            continue;
        }
        let s = series(key, &label(key));
        if key == "d_real" || key == "d_fake" {
            chart.outputs.push(s);
        } else {
            chart.losses.push(s);
        }
    }
    chart
}

/// [`fit`], drawing previews as `view` says (see [`PreviewWriter`]), keeping `metrics.csv` and
/// a TensorBoard event file (see [`crate::logs`]), and drawing `loss_curve.png` at the end,
/// before the observers in `observers`.
pub fn train<B, A, S>(
    algorithm: &mut A,
    mut data: &mut S,
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
    train_inner(
        algorithm, &mut data, dir, run, view, resume, observers, None,
    )
}

/// [`train`] for one peer of a data-parallel run (see [`gan_train::run::fit_peer`]): the
/// leader draws and logs as [`train`] does; another peer only trains, with `observers`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_peer<B, A, S>(
    algorithm: &mut A,
    data: S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    peer: &gan_train::Peer,
) -> gan_train::Result<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B>,
{
    if !peer.is_leader() {
        return gan_train::run::fit_peer(algorithm, data, dir, run, resume, observers, peer);
    }
    train_inner(
        algorithm,
        &mut Some(data),
        dir,
        run,
        view,
        resume,
        observers,
        Some(peer),
    )
}

/// A data source handed to [`train_inner`]: borrowed for one process, owned by a peer.
trait Feed<B: AutodiffBackend> {
    fn fit<A: Algorithm<B>>(
        &mut self,
        algorithm: &mut A,
        dir: &RunDir,
        run: &RunConfig,
        resume: bool,
        observers: &mut [&mut dyn Observer],
        peer: Option<&gan_train::Peer>,
    ) -> gan_train::Result<RunSummary>;
}

impl<B: AutodiffBackend, S: BatchSource<B> + ?Sized> Feed<B> for &mut S {
    fn fit<A: Algorithm<B>>(
        &mut self,
        algorithm: &mut A,
        dir: &RunDir,
        run: &RunConfig,
        resume: bool,
        observers: &mut [&mut dyn Observer],
        _peer: Option<&gan_train::Peer>,
    ) -> gan_train::Result<RunSummary> {
        fit(algorithm, &mut **self, dir, run, resume, observers)
    }
}

impl<B: AutodiffBackend, S: BatchSource<B>> Feed<B> for Option<S> {
    fn fit<A: Algorithm<B>>(
        &mut self,
        algorithm: &mut A,
        dir: &RunDir,
        run: &RunConfig,
        resume: bool,
        observers: &mut [&mut dyn Observer],
        peer: Option<&gan_train::Peer>,
    ) -> gan_train::Result<RunSummary> {
        let data = self.take().expect("a peer's data source is used once");
        let peer = peer.expect("an owned data source belongs to a peer");
        gan_train::run::fit_peer(algorithm, data, dir, run, resume, observers, peer)
    }
}

#[allow(clippy::too_many_arguments)]
fn train_inner<B, A, F>(
    algorithm: &mut A,
    data: &mut F,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    peer: Option<&gan_train::Peer>,
) -> gan_train::Result<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    F: Feed<B>,
{
    let mut writer = PreviewWriter::new(dir.clone(), view.clone());
    let mut logs = crate::logs::ScalarLogs::new(dir.clone());
    let mut all: Vec<&mut dyn Observer> = Vec::with_capacity(observers.len() + 2);
    all.push(&mut writer);
    all.push(&mut logs);
    for o in observers.iter_mut() {
        all.push(&mut **o);
    }
    let summary = data.fit(algorithm, dir, run, resume, &mut all, peer)?;
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
