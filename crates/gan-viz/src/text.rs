//! Text on a [`Canvas`], set in DejaVu Sans (shipped with this crate under its licence in
//! `fonts/`) through plotters' `ab_glyph` renderer: no system fonts are needed.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::canvas::{Canvas, Rgb};
use crate::error::{Result, VizError};

/// The font family name the charts use.
pub(crate) const FAMILY: &str = "sans-serif";

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Makes DejaVu Sans plotters' `sans-serif` (once per process).
pub(crate) fn register() {
    REGISTER.call_once(|| {
        // The file is part of this crate: it parses.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

pub(crate) fn colour(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

pub(crate) fn draw_error<E: std::fmt::Display>(e: E) -> VizError {
    VizError::Draw(e.to_string())
}

impl Canvas {
    /// Writes `text` with its top-left corner at `(x, y)`, `size` pixels high.
    pub fn text(&mut self, text: &str, (x, y): (i32, i32), size: u32, c: Rgb) -> Result<()> {
        register();
        let (w, h) = (self.width() as u32, self.height() as u32);
        let root = BitMapBackend::with_buffer(self.pixels_mut(), (w, h)).into_drawing_area();
        let style = (FAMILY, size).into_font().color(&colour(c));
        root.draw(&Text::new(text, (x, y), style))
            .map_err(draw_error)?;
        root.present().map_err(draw_error)
    }

    /// This canvas below a white strip holding `caption` (a grid's iteration, for instance).
    pub fn with_caption(self, caption: &str) -> Result<Canvas> {
        let strip = 26;
        let mut out = Canvas::new(self.width().max(120), self.height() + strip, Rgb::WHITE);
        for y in 0..self.height() {
            for x in 0..self.width() {
                if let Some(c) = self.get(x, y) {
                    out.set(x as i64, (y + strip) as i64, c);
                }
            }
        }
        out.text(caption, (6, 5), 16, Rgb::BLACK)?;
        Ok(out)
    }
}
