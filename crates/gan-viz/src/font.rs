//! A 3x5 pixel bitmap font, enough for axis labels and legends.

use crate::canvas::{Canvas, Rgb};

/// Glyph rows, top to bottom, three pixels each (`#` is ink).
fn glyph(c: char) -> Option<&'static str> {
    Some(match c.to_ascii_uppercase() {
        '0' => "###,#.#,#.#,#.#,###",
        '1' => ".#.,##.,.#.,.#.,###",
        '2' => "###,..#,###,#..,###",
        '3' => "###,..#,###,..#,###",
        '4' => "#.#,#.#,###,..#,..#",
        '5' => "###,#..,###,..#,###",
        '6' => "###,#..,###,#.#,###",
        '7' => "###,..#,..#,..#,..#",
        '8' => "###,#.#,###,#.#,###",
        '9' => "###,#.#,###,..#,###",
        '.' => "...,...,...,...,.#.",
        '-' => "...,...,###,...,...",
        '+' => "...,.#.,###,.#.,...",
        ':' => "...,.#.,...,.#.,...",
        '(' => ".#.,#..,#..,#..,.#.",
        ')' => ".#.,..#,..#,..#,.#.",
        '_' => "...,...,...,...,###",
        '/' => "..#,..#,.#.,#..,#..",
        '=' => "...,###,...,###,...",
        'A' => ".#.,#.#,###,#.#,#.#",
        'B' => "##.,#.#,##.,#.#,##.",
        'C' => ".##,#..,#..,#..,.##",
        'D' => "##.,#.#,#.#,#.#,##.",
        'E' => "###,#..,##.,#..,###",
        'F' => "###,#..,##.,#..,#..",
        'G' => ".##,#..,#.#,#.#,.##",
        'H' => "#.#,#.#,###,#.#,#.#",
        'I' => "###,.#.,.#.,.#.,###",
        'J' => "..#,..#,..#,#.#,.#.",
        'K' => "#.#,#.#,##.,#.#,#.#",
        'L' => "#..,#..,#..,#..,###",
        'M' => "#.#,###,###,#.#,#.#",
        'N' => "##.,#.#,#.#,#.#,#.#",
        'O' => ".#.,#.#,#.#,#.#,.#.",
        'P' => "##.,#.#,##.,#..,#..",
        'Q' => ".#.,#.#,#.#,##.,.##",
        'R' => "##.,#.#,##.,#.#,#.#",
        'S' => ".##,#..,.#.,..#,##.",
        'T' => "###,.#.,.#.,.#.,.#.",
        'U' => "#.#,#.#,#.#,#.#,###",
        'V' => "#.#,#.#,#.#,#.#,.#.",
        'W' => "#.#,#.#,###,###,#.#",
        'X' => "#.#,#.#,.#.,#.#,#.#",
        'Y' => "#.#,#.#,.#.,.#.,.#.",
        'Z' => "###,..#,.#.,#..,###",
        ' ' => "...,...,...,...,...",
        _ => return None,
    })
}

/// Width in pixels of `text` drawn at `scale`.
pub fn text_width(text: &str, scale: usize) -> usize {
    text.chars().count() * 4 * scale
}

impl Canvas {
    /// Draws `text` with its top-left corner at `(x, y)`, each font pixel `scale` pixels wide.
    /// Characters without a glyph are drawn as a box.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, colour: Rgb) {
        let s = scale.max(1) as i64;
        for (i, c) in text.chars().enumerate() {
            let rows = glyph(c).unwrap_or("###,#.#,#.#,#.#,###");
            let x0 = x + i as i64 * 4 * s;
            for (row, bits) in rows.split(',').enumerate() {
                for (col, bit) in bits.chars().enumerate() {
                    if bit == '#' {
                        for dy in 0..s {
                            for dx in 0..s {
                                self.set(x0 + col as i64 * s + dx, y + row as i64 * s + dy, colour);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_three_by_five() {
        for c in "0123456789.-+:()_/=ABCDEFGHIJKLMNOPQRSTUVWXYZ ".chars() {
            let rows: Vec<&str> = glyph(c).unwrap().split(',').collect();
            assert_eq!(rows.len(), 5, "{c}");
            assert!(rows.iter().all(|r| r.len() == 3), "{c}");
        }
    }

    #[test]
    fn text_inks_the_expected_pixels() {
        let mut canvas = Canvas::new(12, 6, Rgb::WHITE);
        canvas.text(0, 0, "1-", 1, Rgb::BLACK);
        // '1': top row .#. ; '-' middle row ###, starting at x = 4.
        assert_eq!(canvas.get(1, 0), Some(Rgb::BLACK));
        assert_eq!(canvas.get(0, 0), Some(Rgb::WHITE));
        assert_eq!(canvas.get(4, 2), Some(Rgb::BLACK));
        assert_eq!(canvas.get(6, 2), Some(Rgb::BLACK));
        assert_eq!(canvas.get(5, 0), Some(Rgb::WHITE));
        assert_eq!(text_width("1-", 2), 16);
    }
}
