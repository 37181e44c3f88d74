//! The IDX file format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes, a type
//! code, the number of dimensions, one `u32` per dimension) followed by the values. Files may be
//! gzip-compressed; compression is detected from the content, not the name.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::error::{DataError, Result};

/// The type code of unsigned bytes, the only element type image and label files use.
const TYPE_U8: u8 = 0x08;
/// Largest number of dimensions accepted (MNIST uses 1 for labels and 3 for images).
const MAX_DIMS: usize = 4;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// The values in row-major order.
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes, gzip-compressed or raw.
///
/// Errors name the file: [`DataError::Gzip`] for a damaged or truncated gzip stream,
/// [`DataError::Idx`] for a wrong magic number, an element type other than unsigned bytes, or
/// a body shorter or longer than the header promises.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(DataError::io("cannot read", path))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| DataError::Gzip {
                path: path.to_path_buf(),
                source,
            })?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|problem| DataError::Idx {
        path: path.to_path_buf(),
        problem,
    })
}

/// Parses IDX bytes (already decompressed); the error says what was wrong.
pub fn parse_idx(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "{} bytes is too short for the 4-byte magic number",
            bytes.len()
        ));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(format!(
            "magic number 0x{magic:08x} does not start with two zero bytes \
             (expected 0x00000801 for labels or 0x00000803 for images)"
        ));
    }
    if bytes[2] != TYPE_U8 {
        return Err(format!(
            "magic number 0x{magic:08x} has element type 0x{:02x}, expected 0x08 (unsigned bytes)",
            bytes[2]
        ));
    }
    let ndims = bytes[3] as usize;
    if ndims == 0 || ndims > MAX_DIMS {
        return Err(format!(
            "magic number 0x{magic:08x} declares {ndims} dimensions, expected 1 to {MAX_DIMS}"
        ));
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(format!(
            "truncated header: {} bytes, expected {header} for {ndims} dimensions",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    let body = bytes.len() - header;
    if body < count {
        return Err(format!(
            "truncated: dimensions {dims:?} need {count} bytes of data, found {body}"
        ));
    }
    if body > count {
        return Err(format!(
            "{} unexpected bytes after the {count} bytes that dimensions {dims:?} describe",
            body - count
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Writes an IDX file of unsigned bytes, gzip-compressed when `gzip` is set. The gzip header
/// carries no file name or time, so equal arrays give byte-identical files.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8], gzip: bool) -> Result<()> {
    let expected: usize = dims.iter().product();
    if dims.is_empty() || dims.len() > MAX_DIMS || expected != data.len() {
        return Err(DataError::Idx {
            path: path.to_path_buf(),
            problem: format!(
                "cannot write {} values with dimensions {dims:?}",
                data.len()
            ),
        });
    }
    let mut bytes = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    bytes.extend_from_slice(&[0, 0, TYPE_U8, dims.len() as u8]);
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| DataError::Idx {
            path: path.to_path_buf(),
            problem: format!("dimension {d} does not fit in 32 bits"),
        })?;
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    let file = File::create(path).map_err(DataError::io("cannot create", path))?;
    let mut out = BufWriter::new(file);
    let write = |out: &mut BufWriter<File>| -> std::io::Result<()> {
        if gzip {
            let mut enc = flate2::GzBuilder::new()
                .mtime(0)
                .write(&mut *out, Compression::best());
            enc.write_all(&bytes)?;
            enc.finish()?;
        } else {
            out.write_all(&bytes)?;
        }
        out.flush()
    };
    write(&mut out).map_err(DataError::io("cannot write", path))
}

/// Gzip-compresses `bytes` (no file name, time 0), for tests and tools that build fixtures.
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// Decompresses gzip `bytes` (used for data embedded in the binary).
pub(crate) fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dims: &[u32]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn parses_a_valid_array() {
        let mut b = header(&[2, 3]);
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let a = parse_idx(&b).unwrap();
        assert_eq!(a.dims, vec![2, 3]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rejects_bad_headers_and_sizes() {
        let mut b = header(&[2, 3]);
        b.extend_from_slice(&[1, 2, 3, 4, 5]);
        assert!(parse_idx(&b).unwrap_err().contains("truncated"));
        b.extend_from_slice(&[6, 7]);
        assert!(parse_idx(&b).unwrap_err().contains("1 unexpected bytes"));
        let mut f32_file = header(&[1]);
        f32_file[2] = 0x0d;
        f32_file.extend_from_slice(&[0; 4]);
        assert!(
            parse_idx(&f32_file)
                .unwrap_err()
                .contains("element type 0x0d")
        );
        assert!(
            parse_idx(&[0x1f, 0x8b, 8, 1, 0, 0, 0, 0])
                .unwrap_err()
                .contains("magic")
        );
        assert!(parse_idx(&[0, 0, 8]).unwrap_err().contains("too short"));
        assert!(
            parse_idx(&[0, 0, 8, 3, 0, 0])
                .unwrap_err()
                .contains("truncated header")
        );
    }
}
