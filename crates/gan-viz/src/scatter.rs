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
    /// Values in `[0, 1]` shaded under the points (see [`ScatterPlot::with_background`]).
    pub background: Option<Background>,
    /// Legend entries (name, colour), drawn in the upper-left corner (see
    /// [`ScatterPlot::with_legend`]).
    pub legend: Vec<(String, Rgb)>,
}

/// A field of values in `[0, 1]` on a square grid over the plot's range, shaded from blue (0)
/// through white (1/2) to red (1): a discriminator's `D(x)`, for instance.
#[derive(Debug, Clone)]
pub struct Background {
    /// `resolution * resolution` values, row by row from the bottom (lowest y) up, each row
    /// from the lowest x.
    pub values: Vec<f32>,
    /// Cells per side.
    pub resolution: usize,
}

/// The shade of `v` in `[0, 1]`: blue, white at 1/2, red.
pub fn diverging(v: f32) -> Rgb {
    let v = v.clamp(0.0, 1.0);
    let mix =
        |a: u8, b: u8, t: f32| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    if v < 0.5 {
        let t = v * 2.0;
        Rgb(mix(80, 255, t), mix(120, 255, t), mix(220, 255, t))
    } else {
        let t = (v - 0.5) * 2.0;
        Rgb(mix(255, 230, t), mix(255, 90, t), mix(255, 80, t))
    }
}

impl ScatterPlot {
    /// An empty plot of `size` x `size` pixels showing `[range.0, range.1]` on both axes.
    pub fn new(size: usize, range: (f64, f64)) -> Self {
        Self {
            size,
            range,
            series: Vec::new(),
            background: None,
            legend: Vec::new(),
        }
    }

    /// Adds a legend entry: a dot of `colour` and `name` (`data`, `samples`, ...).
    pub fn with_legend(mut self, name: impl Into<String>, colour: Rgb) -> Self {
        self.legend.push((name.into(), colour));
        self
    }

    /// Shades `values` (in `[0, 1]`, `resolution` x `resolution` cells over the range, rows from
    /// the bottom up) under the points.
    pub fn with_background(mut self, values: Vec<f32>, resolution: usize) -> Self {
        self.background = Some(Background { values, resolution });
        self
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
        if let Some(bg) = &self.background {
            if bg.resolution == 0 || bg.values.len() != bg.resolution * bg.resolution {
                return Err(VizError::InvalidInput(
                    "background must have resolution * resolution values",
                ));
            }
            for py in 0..self.size {
                // Pixel rows go down, background rows go up.
                let row = (self.size - 1 - py) * bg.resolution / self.size;
                for px in 0..self.size {
                    let col = px * bg.resolution / self.size;
                    let colour = diverging(bg.values[row * bg.resolution + col]);
                    canvas.set(px as i64, py as i64, colour);
                }
            }
        }
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
        if !self.legend.is_empty() {
            let longest = self.legend.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            let (width, height) = (34 + 8 * longest as i64, 8 + 20 * self.legend.len() as i64);
            for y in 6..6 + height {
                for x in 6..6 + width {
                    canvas.blend(x, y, Rgb::WHITE, 0.85);
                }
            }
            for (i, (name, colour)) in self.legend.iter().enumerate() {
                let y = 14 + 20 * i as i64;
                canvas.disc(18.0, y as f64 + 4.0, 4.0, *colour, 1.0);
                canvas.text(name, (28, y as i32 - 4), 15, Rgb::BLACK)?;
            }
        }
        Ok(canvas)
    }

    /// Draws the plot and writes it as a PNG file.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        self.render()?.save_png(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The background is drawn with y upwards: the bottom-left cell at the bottom-left pixel.
    #[test]
    fn background_shades_cells_with_y_upwards() {
        // 2x2 cells: bottom row [0, 0], top row [1, 1]. The range holds no integer, so no grid
        // line crosses the cells.
        let plot = ScatterPlot::new(64, (0.1, 0.9)).with_background(vec![0.0, 0.0, 1.0, 1.0], 2);
        let canvas = plot.render().unwrap();
        assert_eq!(canvas.get(10, 50), Some(diverging(0.0)));
        assert_eq!(canvas.get(10, 10), Some(diverging(1.0)));
        assert_eq!(diverging(0.5), Rgb(255, 255, 255));
        assert!(
            ScatterPlot::new(64, (0.0, 1.0))
                .with_background(vec![0.0; 3], 2)
                .render()
                .is_err()
        );
    }
}
