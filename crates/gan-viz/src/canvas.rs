use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::error::{Result, VizError};

/// An 8-bit RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// White.
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    /// Black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// Light grey, for grid lines.
    pub const LIGHT_GREY: Rgb = Rgb(225, 225, 225);
}

/// An RGB raster image that can be drawn on and saved as PNG.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&[background.0, background.1, background.2]);
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row after row, 3 bytes (R, G, B) each.
    pub(crate) fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.pixels
    }

    /// The colour at `(x, y)`, or `None` outside the canvas.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let i = 3 * (y * self.width + x);
            Rgb(self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])
        })
    }

    /// Blends `colour` over the pixel at `(x, y)` with opacity `alpha` in `[0, 1]`; pixels
    /// outside the canvas are ignored.
    pub fn blend(&mut self, x: i64, y: i64, colour: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return;
        }
        let i = 3 * (y as usize * self.width + x as usize);
        let a = alpha.clamp(0.0, 1.0);
        for (c, new) in [colour.0, colour.1, colour.2].into_iter().enumerate() {
            let old = self.pixels[i + c] as f32;
            self.pixels[i + c] = (old + (new as f32 - old) * a).round() as u8;
        }
    }

    /// Sets the pixel at `(x, y)`; pixels outside the canvas are ignored.
    pub fn set(&mut self, x: i64, y: i64, colour: Rgb) {
        self.blend(x, y, colour, 1.0);
    }

    /// Draws a filled disc of radius `r` pixels.
    pub fn disc(&mut self, cx: f64, cy: f64, r: f64, colour: Rgb, alpha: f32) {
        let (x0, x1) = ((cx - r).floor() as i64, (cx + r).ceil() as i64);
        let (y0, y1) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.blend(x, y, colour, alpha);
                }
            }
        }
    }

    /// Draws a straight line one pixel wide.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), colour: Rgb) {
        let steps = (to.0 - from.0)
            .abs()
            .max((to.1 - from.1).abs())
            .ceil()
            .max(1.0) as usize;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let x = from.0 + (to.0 - from.0) * t;
            let y = from.1 + (to.1 - from.1) * t;
            self.set(x.round() as i64, y.round() as i64, colour);
        }
    }

    /// The canvas encoded as an 8-bit RGB PNG.
    pub fn png_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let encode = |source| VizError::Encode {
            path: "(in memory)".into(),
            source,
        };
        let mut encoder = png::Encoder::new(&mut bytes, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(encode)?;
        writer.write_image_data(&self.pixels).map_err(encode)?;
        writer.finish().map_err(encode)?;
        Ok(bytes)
    }

    /// Writes the canvas as an 8-bit RGB PNG file.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| VizError::Io {
            path: path.to_path_buf(),
            source,
        };
        let encode = |source| VizError::Encode {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(io)?;
        let mut encoder =
            png::Encoder::new(BufWriter::new(file), self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(encode)?;
        writer.write_image_data(&self.pixels).map_err(encode)?;
        writer.finish().map_err(encode)
    }
}
