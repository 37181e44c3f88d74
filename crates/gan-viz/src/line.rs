use std::path::Path;

use crate::canvas::{Canvas, Rgb};
use crate::error::{Result, VizError};
use crate::font::text_width;

/// One curve of a [`LinePlot`].
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend label.
    pub name: String,
    /// Line colour.
    pub colour: Rgb,
    /// Points `(x, y)` in increasing `x`; non-finite values are skipped (and break the line).
    pub points: Vec<(f64, f64)>,
}

/// Curves against a shared x axis (e.g. losses against training step), with a legend, a
/// title and labelled axis ranges.
#[derive(Debug, Clone)]
pub struct LinePlot {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Title drawn above the plot.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// The curves, drawn in order.
    pub curves: Vec<Curve>,
}

/// Palette for successive curves (matplotlib's tab10).
pub const PALETTE: [Rgb; 6] = [
    Rgb(31, 119, 180),
    Rgb(214, 39, 40),
    Rgb(44, 160, 44),
    Rgb(255, 127, 14),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
];

/// A short label for an axis value.
fn label(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl LinePlot {
    /// An empty plot.
    pub fn new(width: usize, height: usize, title: impl Into<String>) -> Self {
        Self {
            width,
            height,
            title: title.into(),
            x_label: "step".into(),
            curves: Vec::new(),
        }
    }

    /// Adds a curve, coloured from [`PALETTE`] in order.
    pub fn with_curve(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        let colour = PALETTE[self.curves.len() % PALETTE.len()];
        self.curves.push(Curve {
            name: name.into(),
            colour,
            points,
        });
        self
    }

    /// The x and y ranges covered by the finite points.
    pub fn bounds(&self) -> Option<((f64, f64), (f64, f64))> {
        let finite = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let mut out: Option<((f64, f64), (f64, f64))> = None;
        for &(x, y) in finite {
            out = Some(match out {
                None => ((x, x), (y, y)),
                Some(((x0, x1), (y0, y1))) => ((x0.min(x), x1.max(x)), (y0.min(y), y1.max(y))),
            });
        }
        out
    }

    /// Draws the plot.
    pub fn render(&self) -> Result<Canvas> {
        if self.width < 160 || self.height < 120 {
            return Err(VizError::InvalidInput(
                "line plots must be at least 160 x 120 pixels",
            ));
        }
        let Some(((x0, mut x1), (mut y0, mut y1))) = self.bounds() else {
            return Err(VizError::InvalidInput("line plot has no finite points"));
        };
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y0 -= 0.5;
            y1 += 0.5;
        }
        let pad = (y1 - y0) * 0.05;
        let (y0, y1) = (y0 - pad, y1 + pad);

        let mut canvas = Canvas::new(self.width, self.height, Rgb::WHITE);
        let (left, right, top, bottom) = (
            70.0,
            (self.width - 15) as f64,
            40.0,
            (self.height - 30) as f64,
        );
        let px = |x: f64| left + (x - x0) / (x1 - x0) * (right - left);
        let py = |y: f64| bottom - (y - y0) / (y1 - y0) * (bottom - top);
        for i in 0..=4 {
            let y = y0 + (y1 - y0) * i as f64 / 4.0;
            canvas.line((left, py(y)), (right, py(y)), Rgb::LIGHT_GREY);
            let text = label(y);
            let tx = left as i64 - 6 - text_width(&text, 2) as i64;
            canvas.text(tx, py(y) as i64 - 5, &text, 2, Rgb::BLACK);
        }
        if y0 < 0.0 && y1 > 0.0 {
            canvas.line((left, py(0.0)), (right, py(0.0)), Rgb(150, 150, 150));
        }
        for curve in &self.curves {
            let mut previous: Option<(f64, f64)> = None;
            for &(x, y) in &curve.points {
                if !(x.is_finite() && y.is_finite()) {
                    previous = None;
                    continue;
                }
                let p = (px(x), py(y));
                if let Some(q) = previous {
                    canvas.line(q, p, curve.colour);
                } else {
                    canvas.set(p.0.round() as i64, p.1.round() as i64, curve.colour);
                }
                previous = Some(p);
            }
        }
        let frame = [
            (left, top),
            (right, top),
            (right, bottom),
            (left, bottom),
            (left, top),
        ];
        for w in frame.windows(2) {
            canvas.line(w[0], w[1], Rgb::BLACK);
        }
        let baseline = bottom as i64 + 8;
        canvas.text(left as i64, baseline, &label(x0), 2, Rgb::BLACK);
        let end = label(x1);
        canvas.text(
            right as i64 - text_width(&end, 2) as i64,
            baseline,
            &end,
            2,
            Rgb::BLACK,
        );
        let centre = (left + right) as i64 / 2 - text_width(&self.x_label, 2) as i64 / 2;
        canvas.text(centre, baseline, &self.x_label, 2, Rgb::BLACK);
        canvas.text(left as i64, 8, &self.title, 2, Rgb::BLACK);
        let mut lx = left as i64 + text_width(&self.title, 2) as i64 + 30;
        for curve in &self.curves {
            for dy in 0..3 {
                canvas.line(
                    (lx as f64, 12.0 + dy as f64),
                    (lx as f64 + 20.0, 12.0 + dy as f64),
                    curve.colour,
                );
            }
            canvas.text(lx + 26, 8, &curve.name, 2, Rgb::BLACK);
            lx += 26 + text_width(&curve.name, 2) as i64 + 20;
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

    #[test]
    fn curves_are_drawn_in_their_colour_within_the_frame() {
        let plot = LinePlot::new(400, 200, "LOSS")
            .with_curve("D", (0..100).map(|i| (i as f64, 1.0)).collect())
            .with_curve("G", (0..100).map(|i| (i as f64, i as f64 / 10.0)).collect());
        let canvas = plot.render().unwrap();
        let count = |colour| {
            (0..canvas.width())
                .flat_map(|x| (0..canvas.height()).map(move |y| (x, y)))
                .filter(|&(x, y)| canvas.get(x, y) == Some(colour))
                .count()
        };
        // The flat curve spans the plot width (minus the legend swatch, which is 3 x 21).
        assert!(count(PALETTE[0]) >= 300, "{}", count(PALETTE[0]));
        assert!(count(PALETTE[1]) >= 300);
        assert_eq!(plot.bounds(), Some(((0.0, 99.0), (0.0, 9.9))));
    }

    #[test]
    fn non_finite_points_are_skipped_and_empty_plots_rejected() {
        let plot = LinePlot::new(400, 200, "X").with_curve("A", vec![(0.0, f64::NAN)]);
        assert!(plot.render().is_err());
        let plot = LinePlot::new(400, 200, "X")
            .with_curve("A", vec![(0.0, 1.0), (1.0, f64::INFINITY), (2.0, 3.0)]);
        assert_eq!(plot.bounds(), Some(((0.0, 2.0), (1.0, 3.0))));
        assert!(plot.render().is_ok());
    }
}
