//! Pictures of GAN runs written as PNG files: grids of generated images, 2-D scatter plots
//! of data against samples, and line plots of training curves.
//!
//! The crate draws into a plain RGB [`Canvas`] and encodes it with the `png` crate; it has no
//! dependency on Burn, so callers hand it host-side `f32` slices.

mod canvas;
mod error;
mod font;
mod grid;
mod line;
mod scatter;

pub use canvas::{Canvas, Rgb};
pub use error::{Result, VizError};
pub use font::text_width;
pub use grid::ImageGrid;
pub use line::{Curve, LinePlot, PALETTE};
pub use scatter::{Background, ScatterPlot, Series, diverging};
