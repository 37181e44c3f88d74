//! Training curves drawn with plotters: a panel of losses over the iteration and, when the run
//! logged them, a panel of the discriminator's mean outputs `D(x)` and `D(G(z))`. Each series
//! is drawn raw (thin, pale) under a moving average (solid), with integer iteration ticks, axis
//! labels, a title and a legend.

use std::path::Path;

use plotters::prelude::*;

use crate::canvas::{Canvas, Rgb};
use crate::error::Result;
use crate::text::{FAMILY, colour, draw_error, register};

/// Colours of successive series (matplotlib's tab10, in its order).
pub const PALETTE: [Rgb; 6] = [
    Rgb(31, 119, 180),
    Rgb(255, 127, 14),
    Rgb(44, 160, 44),
    Rgb(214, 39, 40),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
];

/// A named series of `(iteration, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedSeries {
    /// The legend's name.
    pub name: String,
    /// The points, in increasing iteration.
    pub points: Vec<(u64, f64)>,
}

/// Training curves: losses above, the discriminator's outputs below (see the module
/// documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingChart {
    /// The chart's title.
    pub title: String,
    /// The losses (upper panel).
    pub losses: Vec<NamedSeries>,
    /// The discriminator's mean outputs (lower panel; none: no panel).
    pub outputs: Vec<NamedSeries>,
    /// Size in pixels.
    pub size: (u32, u32),
}

/// A centred moving average over `window` points (fewer at the ends).
pub fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let half = window.max(1) / 2;
    (0..values.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(values.len());
            values[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

impl TrainingChart {
    /// An empty chart of `size` pixels.
    pub fn new(title: impl Into<String>, size: (u32, u32)) -> Self {
        Self {
            title: title.into(),
            losses: Vec::new(),
            outputs: Vec::new(),
            size,
        }
    }

    /// The number of logged points: the longest series'.
    pub fn points(&self) -> usize {
        self.losses
            .iter()
            .chain(&self.outputs)
            .map(|s| s.points.len())
            .max()
            .unwrap_or(0)
    }

    /// Draws the chart. With fewer than 2 logged points there is no curve to draw, and the
    /// chart says so instead.
    pub fn render(&self) -> Result<Canvas> {
        register();
        let (w, h) = self.size;
        let mut canvas = Canvas::new(w as usize, h as usize, Rgb::WHITE);
        if self.points() < 2 {
            let message = format!(
                "{}: {} logged point{} - a curve needs at least 2 (log more often with --log-every)",
                self.title,
                self.points(),
                if self.points() == 1 { "" } else { "s" }
            );
            canvas.text(&message, (16, h as i32 / 2 - 10), 16, Rgb::BLACK)?;
            return Ok(canvas);
        }
        {
            let root = BitMapBackend::with_buffer(canvas.pixels_mut(), (w, h)).into_drawing_area();
            let (upper, lower) = if self.outputs.is_empty() {
                (root.clone(), None)
            } else {
                let (a, b) = root.split_vertically((h as f64 * 0.62) as u32);
                (a, Some(b))
            };
            panel(&upper, &self.title, "loss", &self.losses, 0)?;
            if let Some(lower) = lower {
                panel(
                    &lower,
                    "discriminator outputs",
                    "mean D",
                    &self.outputs,
                    self.losses.len(),
                )?;
            }
            root.present().map_err(draw_error)?;
        }
        Ok(canvas)
    }

    /// Draws the chart and writes it as a PNG file.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        self.render()?.save_png(path)
    }
}

/// One panel: `series` over the iteration, colours from [`PALETTE`] starting at `first`.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    series: &[NamedSeries],
    first: usize,
) -> Result<()> {
    let finite = |s: &NamedSeries| {
        s.points
            .iter()
            .filter(|(_, v)| v.is_finite())
            .copied()
            .collect::<Vec<_>>()
    };
    let all: Vec<(u64, f64)> = series.iter().flat_map(finite).collect();
    let (Some(x0), Some(x1)) = (all.iter().map(|p| p.0).min(), all.iter().map(|p| p.0).max())
    else {
        return Ok(());
    };
    let x1 = x1.max(x0 + 1);
    let lo = all.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = all.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 18))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(58)
        .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc(y_label)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|x| x.to_string())
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(draw_error)?;
    for (i, s) in series.iter().enumerate() {
        let points = finite(s);
        if points.is_empty() {
            continue;
        }
        let c = colour(PALETTE[(first + i) % PALETTE.len()]);
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        let smooth = moving_average(&values, (points.len() / 25).max(1) | 1);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.mix(0.3)))
            .map_err(draw_error)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| p.0).zip(smooth),
                c.stroke_width(2),
            ))
            .map_err(draw_error)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(draw_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_keeps_length_and_smooths() {
        assert_eq!(moving_average(&[1.0, 2.0, 3.0], 1), vec![1.0, 2.0, 3.0]);
        assert_eq!(
            moving_average(&[0.0, 3.0, 0.0, 3.0], 3),
            vec![1.5, 1.0, 2.0, 1.5]
        );
    }

    #[test]
    fn charts_draw_curves_or_say_why_not() {
        let mut chart = TrainingChart::new("losses", (640, 400));
        chart.losses.push(NamedSeries {
            name: "D loss".into(),
            points: vec![(10, 1.0)],
        });
        // One point: a message, no axes (the canvas is white but for the text).
        let canvas = chart.render().unwrap();
        let dark = |c: &Canvas| {
            (0..c.height())
                .flat_map(|y| (0..c.width()).map(move |x| (x, y)))
                .filter(|&(x, y)| c.get(x, y).is_some_and(|p| p.0 < 100 && p.1 < 100))
                .count()
        };
        let text_only = dark(&canvas);
        assert!(text_only > 50, "the message is drawn");
        chart.losses[0].points = (1..=40).map(|i| (i * 10, (i as f64).sin())).collect();
        chart.outputs.push(NamedSeries {
            name: "D(x)".into(),
            points: (1..=40).map(|i| (i * 10, 0.5)).collect(),
        });
        let canvas = chart.render().unwrap();
        assert!(
            dark(&canvas) > text_only,
            "axes, ticks and labels are drawn"
        );
        // The first palette colour (the losses' first series) appears in the upper panel.
        let first = PALETTE[0];
        let found = (0..canvas.height() * 6 / 10)
            .flat_map(|y| (0..canvas.width()).map(move |x| (x, y)))
            .any(|(x, y)| canvas.get(x, y) == Some(first));
        assert!(found);
    }
}
