//! The UCI optical digits (Alpaydin and Kaynak 1998): 1,797 handwritten digits by other writers
//! than MNIST's, at 8x8, embedded in this crate. CC BY 4.0; `crates/gan-data/assets/README.md`
//! says where the file comes from.
//!
//! Each 8x8 value counts the set pixels (0-16) of a 4x4 block of a 32x32 bitmap in which the
//! digit was size-normalised. [`embedded_optdigits`] puts them in MNIST's layout, so that the
//! two sets are two domains of the same task: the 8x8 grid is resampled bilinearly (pixel
//! centres aligned, edges clamped) to the 20x20 box MNIST normalises its digits into, centred in
//! a 28x28 image with a 4-pixel black border, and the counts are scaled from 0-16 to 0-255.

use crate::error::{DataError, Result};
use crate::idx::gunzip;
use crate::images::ImageSet;

/// The embedded file: scikit-learn's copy of the UCI test set, 1,797 lines of 64 values and a
/// label.
const EMBEDDED: &[u8] = include_bytes!("../assets/optdigits-1797.csv.gz");

/// SHA-256 of the embedded file (`assets/optdigits-1797.csv.gz`).
pub const OPTDIGITS_SHA256: &str =
    "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22";

/// Number of embedded optical digits.
pub const OPTDIGITS_LEN: usize = 1797;

/// Side of the box the digits are resampled into inside the 28x28 image (MNIST's 20).
pub const OPTDIGITS_BOX: usize = 20;

/// The raw embedded file (gzip), e.g. to verify its checksum.
pub fn embedded_optdigits_file() -> &'static [u8] {
    EMBEDDED
}

/// Parses the optical digits' CSV text: per line 64 counts in 0-16 and a label in 0-9. Errors
/// name the line and the value.
pub fn parse_optdigits(text: &str) -> Result<(Vec<[u8; 64]>, Vec<u16>)> {
    let bad = |line: usize, reason: String| DataError::InvalidParameter {
        field: "optical digits",
        value: format!("line {}: {reason}", line + 1),
        expected: "64 integer counts in 0-16 and a label in 0-9 per line",
    };
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values = line
            .split(',')
            .map(|v| {
                let v = v.trim();
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.fract() == 0.0 && (0.0..=16.0).contains(x))
                    .map(|x| x as u8)
                    .ok_or_else(|| bad(i, format!("`{v}` is not an integer in 0-16")))
            })
            .collect::<Result<Vec<u8>>>()?;
        if values.len() != 65 {
            return Err(bad(i, format!("{} values", values.len())));
        }
        if values[64] > 9 {
            return Err(bad(i, format!("label {}", values[64])));
        }
        images.push(values[..64].try_into().expect("64 values"));
        labels.push(u16::from(values[64]));
    }
    Ok((images, labels))
}

/// Resamples one 8x8 grid of counts (0-16) into a 28x28 grey image in MNIST's layout (see the
/// module documentation).
pub fn upsample_optdigit(cells: &[u8; 64]) -> [u8; 784] {
    let mut out = [0u8; 784];
    let scale = 8.0 / OPTDIGITS_BOX as f64;
    let border = (28 - OPTDIGITS_BOX) / 2;
    // Source coordinate of an output pixel's centre, clamped to the grid's pixel centres.
    let source = |i: usize| ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, 7.0);
    for y in 0..OPTDIGITS_BOX {
        let sy = source(y);
        let (y0, fy) = (sy.floor() as usize, sy.fract());
        let y1 = (y0 + 1).min(7);
        for x in 0..OPTDIGITS_BOX {
            let sx = source(x);
            let (x0, fx) = (sx.floor() as usize, sx.fract());
            let x1 = (x0 + 1).min(7);
            let at = |r: usize, c: usize| f64::from(cells[8 * r + c]);
            let v = (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x1))
                + fy * ((1.0 - fx) * at(y1, x0) + fx * at(y1, x1));
            out[28 * (y + border) + x + border] = (v * 255.0 / 16.0).round() as u8;
        }
    }
    out
}

/// The 1,797 optical digits as 28x28 grey images in MNIST's layout, labelled 0-9 (set name
/// `optdigits`).
pub fn embedded_optdigits() -> ImageSet {
    let text = gunzip(EMBEDDED).expect("the embedded optical digits decompress");
    let (cells, labels) = parse_optdigits(std::str::from_utf8(&text).expect("ASCII"))
        .expect("the embedded optical digits parse");
    let pixels = cells.iter().flat_map(upsample_optdigit).collect();
    let names = (0..10).map(|d| d.to_string()).collect();
    ImageSet::new("optdigits", [1, 28, 28], pixels, Some(labels), Some(names))
        .expect("the embedded optical digits are consistent")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_set_is_whole_and_balanced() {
        let set = embedded_optdigits();
        assert_eq!(set.len(), OPTDIGITS_LEN);
        assert_eq!(set.shape(), [1, 28, 28]);
        assert_eq!(
            set.class_counts().unwrap(),
            [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        // The 4-pixel border is black in every image.
        for i in 0..set.len() {
            let image = set.image(i);
            for y in 0..28 {
                for x in 0..28 {
                    if !(4..24).contains(&y) || !(4..24).contains(&x) {
                        assert_eq!(image[28 * y + x], 0, "image {i}, pixel ({y}, {x})");
                    }
                }
            }
        }
    }

    #[test]
    fn upsampling_by_hand() {
        // A full cell keeps its value at the centre of its 2.5x2.5 pixel block; a constant grid
        // stays constant; the interpolation between two columns is linear.
        let constant = upsample_optdigit(&[8; 64]);
        for y in 4..24 {
            for x in 4..24 {
                assert_eq!(
                    constant[28 * y + x],
                    128,
                    "8/16 of 255 is 127.5, rounded up"
                );
            }
        }
        let mut columns = [0u8; 64];
        for r in 0..8 {
            columns[8 * r + 4] = 8;
        }
        let out = upsample_optdigit(&columns);
        let row: Vec<u8> = (0..20).map(|x| out[28 * 10 + 4 + x]).collect();
        // Output pixel x samples source column (x + 0.5)·0.4 − 0.5: 3.7 at x = 10 (0.7 of
        // column 4's 8), 4.1 at x = 11 (0.9 of it); 8/16 of 255 is 127.5, so 89.25 and 114.75.
        assert_eq!(row[10], 89);
        assert_eq!(row[11], 115);
        assert_eq!(row[0], 0);
        assert_eq!(row[19], 0);
    }

    #[test]
    fn bad_lines_are_named() {
        let ok = format!("{}0,3\n", "1,".repeat(63));
        assert_eq!(parse_optdigits(&ok).unwrap().1, [3]);
        let err = parse_optdigits(&format!("{ok}{}17,1\n", "1,".repeat(63)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("`17`"), "{err}");
        let err = parse_optdigits("1,2,3\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("3 values"), "{err}");
    }
}
