use std::path::Path;

use crate::canvas::{Canvas, Rgb};
use crate::error::{Result, VizError};

/// One set of points in a [`ScatterPlot`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Points as a flat `[x0, y0, x1, y1, ...]` vector.
    pub points: Vec<f32>,
    /// Marker colour.
    pub colour: Rgb,
    /// Marker radius in pixels.
    pub radius: f64,
    /// Marker opacity in `[0, 1]`.
    pub alpha: f32,
}

/// A square scatter plot of 2-D point sets over a fixed data range, with grid lines at every
/// integer coordinate and the axes through the origin drawn darker.
#[derive(Debug, Clone)]
pub struct ScatterPlot {
    /// Side of the image in pixels.
    pub size: usize,
    /// Data range shown on both axes.
    pub range: (f64, f64),
    /// Point sets, drawn in order (later sets on top).
    pub series: Vec<Series>,
}

impl ScatterPlot {
    /// An empty plot of `size` x `size` pixels showing `[range.0, range.1]` on both axes.
    pub fn new(size: usize, range: (f64, f64)) -> Self {
        Self {
            size,
            range,
            series: Vec::new(),
        }
    }

    /// Adds a point set.
    pub fn with_series(mut self, points: Vec<f32>, colour: Rgb, radius: f64, alpha: f32) -> Self {
        self.series.push(Series {
            points,
            colour,
            radius,
            alpha,
        });
        self
    }

    /// Pixel coordinates of a data point (y grows upwards in data, downwards in pixels).
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        let (lo, hi) = self.range;
        let scale = (self.size - 1) as f64 / (hi - lo);
        ((x - lo) * scale, (hi - y) * scale)
    }

    /// Draws the plot.
    pub fn render(&self) -> Result<Canvas> {
        let (lo, hi) = self.range;
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return Err(VizError::InvalidInput(
                "scatter range must be finite with max > min",
            ));
        }
        if self.size < 16 {
            return Err(VizError::InvalidInput(
                "scatter plot must be at least 16 pixels wide",
            ));
        }
        let mut canvas = Canvas::new(self.size, self.size, Rgb::WHITE);
        let last = (self.size - 1) as f64;
        for tick in (lo.ceil() as i64)..=(hi.floor() as i64) {
            let colour = if tick == 0 {
                Rgb(150, 150, 150)
            } else {
                Rgb::LIGHT_GREY
            };
            let (px, py) = self.to_pixel(tick as f64, tick as f64);
            canvas.line((px, 0.0), (px, last), colour);
            canvas.line((0.0, py), (last, py), colour);
        }
        for series in &self.series {
            if series.points.len() % 2 != 0 {
                return Err(VizError::InvalidInput(
                    "scatter points must come in (x, y) pairs",
                ));
            }
            for p in series.points.chunks_exact(2) {
                let (px, py) = self.to_pixel(p[0] as f64, p[1] as f64);
                canvas.disc(px, py, series.radius, series.colour, series.alpha);
            }
        }
        let frame = [
            (0.0, 0.0),
            (last, 0.0),
            (last, last),
            (0.0, last),
            (0.0, 0.0),
        ];
        for w in frame.windows(2) {
            canvas.line(w[0], w[1], Rgb::BLACK);
        }
        Ok(canvas)
    }

    /// Draws the plot and writes it as a PNG file.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        self.render()?.save_png(path)
    }
}
