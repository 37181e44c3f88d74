//! Pictures of GAN runs written as PNG files: grids of generated images, 2-D scatter plots
//! of data against samples, and line plots of training curves.
//!
//! The crate draws into a plain RGB [`Canvas`] and encodes it with the `png` crate; charts with
//! axes, ticks, labels and legends ([`TrainingChart`], captions, legends of scatter plots) are
//! drawn into the same canvas by plotters, in DejaVu Sans (`fonts/`, under its licence). It has
//! no dependency on Burn, so callers hand it host-side `f32` slices.

mod canvas;
mod chart;
mod error;
mod grid;
mod scatter;
mod text;

pub use canvas::{Canvas, Rgb};
pub use chart::{NamedSeries, PALETTE, TrainingChart, moving_average};
pub use error::{Result, VizError};
pub use grid::ImageGrid;
pub use scatter::{Background, ScatterPlot, Series, diverging};
