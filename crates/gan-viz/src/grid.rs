use std::path::Path;

use crate::canvas::{Canvas, Rgb};
use crate::error::{Result, VizError};

/// Tiles a batch of images into one picture, row by row, like torchvision's `make_grid`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageGrid {
    /// Images per row.
    pub columns: usize,
    /// Pixels of background between and around images.
    pub padding: usize,
    /// Integer upscaling factor of every image pixel.
    pub scale: usize,
}

impl Default for ImageGrid {
    fn default() -> Self {
        Self {
            columns: 8,
            padding: 2,
            scale: 1,
        }
    }
}

impl ImageGrid {
    /// Draws `images`, a flat `[n, channels, height, width]` buffer with values in `[0, 1]`
    /// (clamped), with 1 (grey) or 3 (RGB) channels.
    pub fn render(&self, images: &[f32], shape: [usize; 4]) -> Result<Canvas> {
        let [n, c, h, w] = shape;
        if c != 1 && c != 3 {
            return Err(VizError::InvalidInput("image grids take 1 or 3 channels"));
        }
        if images.len() != n * c * h * w || n == 0 || h == 0 || w == 0 {
            return Err(VizError::InvalidInput(
                "image buffer does not match its shape",
            ));
        }
        if self.columns == 0 || self.scale == 0 {
            return Err(VizError::InvalidInput(
                "grid columns and scale must be at least 1",
            ));
        }
        let cols = self.columns.min(n);
        let rows = n.div_ceil(cols);
        let (cell_w, cell_h) = (w * self.scale + self.padding, h * self.scale + self.padding);
        let mut canvas = Canvas::new(
            cols * cell_w + self.padding,
            rows * cell_h + self.padding,
            Rgb::BLACK,
        );
        let level = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        for i in 0..n {
            let (x0, y0) = (
                self.padding + (i % cols) * cell_w,
                self.padding + (i / cols) * cell_h,
            );
            let image = &images[i * c * h * w..(i + 1) * c * h * w];
            for y in 0..h * self.scale {
                for x in 0..w * self.scale {
                    let p = (y / self.scale) * w + x / self.scale;
                    let colour = if c == 1 {
                        let g = level(image[p]);
                        Rgb(g, g, g)
                    } else {
                        Rgb(
                            level(image[p]),
                            level(image[h * w + p]),
                            level(image[2 * h * w + p]),
                        )
                    };
                    canvas.set((x0 + x) as i64, (y0 + y) as i64, colour);
                }
            }
        }
        Ok(canvas)
    }

    /// Draws the grid and writes it as a PNG file.
    pub fn save_png(
        &self,
        images: &[f32],
        shape: [usize; 4],
        path: impl AsRef<Path>,
    ) -> Result<()> {
        self.render(images, shape)?.save_png(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_images_in_rows() {
        // Three 2x2 grey images: black, white, mid-grey, two per row.
        let mut images = vec![0.0; 4];
        images.extend([1.0; 4]);
        images.extend([0.5; 4]);
        let grid = ImageGrid {
            columns: 2,
            padding: 1,
            scale: 2,
        };
        let canvas = grid.render(&images, [3, 1, 2, 2]).unwrap();
        assert_eq!((canvas.width(), canvas.height()), (2 * 5 + 1, 2 * 5 + 1));
        assert_eq!(canvas.get(1, 1), Some(Rgb(0, 0, 0)));
        assert_eq!(canvas.get(6, 1), Some(Rgb(255, 255, 255)));
        assert_eq!(canvas.get(9, 4), Some(Rgb(255, 255, 255)));
        assert_eq!(canvas.get(1, 6), Some(Rgb(128, 128, 128)));
    }

    #[test]
    fn rgb_channels_and_bad_shapes() {
        let images = [1.0, 0.0, 0.25];
        let canvas = ImageGrid {
            columns: 1,
            padding: 0,
            scale: 1,
        }
        .render(&images, [1, 3, 1, 1])
        .unwrap();
        assert_eq!(canvas.get(0, 0), Some(Rgb(255, 0, 64)));
        let grid = ImageGrid::default();
        assert!(grid.render(&images, [1, 2, 1, 1]).is_err());
        assert!(grid.render(&images, [2, 3, 1, 1]).is_err());
    }

    #[test]
    fn writes_a_png() {
        let dir = std::env::temp_dir().join(format!("gan-viz-grid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("grid.png");
        ImageGrid::default()
            .save_png(&[0.5; 16], [4, 1, 2, 2], &path)
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(dir).unwrap();
        let err = ImageGrid::default()
            .save_png(&[0.5; 4], [1, 1, 2, 2], "/nonexistent-dir/grid.png")
            .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent-dir/grid.png"),
            "{err}"
        );
    }
}
