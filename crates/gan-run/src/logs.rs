//! The run's scalars beside `metrics.jsonl`, for the tools people already use: `metrics.csv`
//! (a spreadsheet, pandas) and a TensorBoard event file, so that `tensorboard --logdir runs/`
//! shows every run.
//!
//! Both are rebuilt from `metrics.jsonl` when a run starts or resumes (which keeps the lines up
//! to the checkpoint it resumes from) and then follow it line by line, so they always say what
//! `metrics.jsonl` says.
//!
//! The event file is TensorBoard's format written directly: TFRecord framing (length, masked
//! CRC-32C of the length, the record, masked CRC-32C of the record) around `Event` protocol
//! buffers, each with a `Summary` of `simple_value`s tagged with the metric's name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use gan_train::{Metrics, Observer, RunDir};

/// The name of the CSV file in a run directory.
pub const METRICS_CSV: &str = "metrics.csv";
/// What every TensorBoard event file's name starts with.
pub const EVENTS_PREFIX: &str = "events.out.tfevents.";

/// Keeps `metrics.csv` and the TensorBoard event file of a run directory in step with its
/// metrics (see the [module documentation](self)). The first write error is kept and returned
/// by [`ScalarLogs::take_error`]; writing stops after it.
pub struct ScalarLogs {
    dir: RunDir,
    columns: Vec<String>,
    csv: Option<BufWriter<File>>,
    events: Option<BufWriter<File>>,
    error: Option<io::Error>,
}

impl ScalarLogs {
    /// Logs for the run in `dir` (nothing is written before [`Observer::on_start`]).
    pub fn new(dir: RunDir) -> Self {
        Self {
            dir,
            columns: Vec::new(),
            csv: None,
            events: None,
            error: None,
        }
    }

    /// The first error met while writing, if any.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Writes both files afresh from `metrics`: the CSV atomically, a new event file, and the
    /// run's older event files removed.
    pub fn rebuild(&mut self, metrics: &[Metrics]) -> io::Result<()> {
        let root = self.dir.root().to_path_buf();
        self.columns = columns(metrics.iter());
        let mut text = csv_header(&self.columns);
        for m in metrics {
            text.push_str(&csv_row(&self.columns, m));
        }
        let csv = root.join(METRICS_CSV);
        gan_data::write_atomic(&csv, text.as_bytes())?;
        self.csv = Some(BufWriter::new(OpenOptions::new().append(true).open(&csv)?));

        let old = event_files(&root)?;
        let path = root.join(format!("{EVENTS_PREFIX}{}.gan", now_nanos()));
        let mut events = BufWriter::new(File::create_new(&path)?);
        write_record(&mut events, &file_version_event(unix_seconds()))?;
        for m in metrics {
            write_record(&mut events, &scalar_event(m, unix_seconds()))?;
        }
        events.flush()?;
        for file in old.into_iter().filter(|f| *f != path) {
            fs::remove_file(file)?;
        }
        self.events = Some(events);
        Ok(())
    }

    /// Appends one metrics line to both files (the CSV is rewritten whole when the line
    /// brings a new column).
    pub fn append(&mut self, m: &Metrics) -> io::Result<()> {
        if m.values.iter().any(|(k, _)| !self.columns.contains(k)) {
            let all = self.dir.read_metrics().map_err(io::Error::other)?;
            return self.rebuild(&all);
        }
        if let Some(csv) = &mut self.csv {
            csv.write_all(csv_row(&self.columns, m).as_bytes())?;
            csv.flush()?;
        }
        if let Some(events) = &mut self.events {
            write_record(events, &scalar_event(m, unix_seconds()))?;
            events.flush()?;
        }
        Ok(())
    }

    fn keep(&mut self, result: io::Result<()>) {
        if let Err(e) = result
            && self.error.is_none()
        {
            self.error = Some(e);
            self.csv = None;
            self.events = None;
        }
    }
}

impl Observer for ScalarLogs {
    fn on_start(&mut self, _first: usize, _total: usize) {
        let result = self
            .dir
            .read_metrics()
            .map_err(io::Error::other)
            .and_then(|all| self.rebuild(&all));
        self.keep(result);
    }

    fn on_metrics(&mut self, metrics: &Metrics) {
        if self.error.is_none() {
            let result = self.append(metrics);
            self.keep(result);
        }
    }
}

/// The TensorBoard event files in `dir`.
pub fn event_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(EVENTS_PREFIX))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The CSV columns after `step`, `wall_seconds` and `iterations_per_second`: every metric
/// name, in the order the names first appear.
fn columns<'a>(metrics: impl Iterator<Item = &'a Metrics>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in metrics {
        for (k, _) in &m.values {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

fn csv_header(columns: &[String]) -> String {
    let mut line = String::from("step,wall_seconds,iterations_per_second");
    for c in columns {
        line.push(',');
        line.push_str(c);
    }
    line.push('\n');
    line
}

/// One CSV row; a metric the line does not have is an empty cell.
fn csv_row(columns: &[String], m: &Metrics) -> String {
    let mut line = format!("{},{},{}", m.step, m.wall_seconds, m.iterations_per_second);
    for c in columns {
        line.push(',');
        if let Some(v) = m.get(c) {
            line.push_str(&v.to_string());
        }
    }
    line.push('\n');
    line
}

fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// CRC-32C (Castagnoli), as TFRecord frames use it.
pub fn crc32c(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0x82F6_3B78 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// TFRecord's masked CRC: rotated right by 15 bits plus a constant.
fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xA282_EAD8)
}

/// Writes `record` in TFRecord framing.
fn write_record(out: &mut impl Write, record: &[u8]) -> io::Result<()> {
    let length = (record.len() as u64).to_le_bytes();
    out.write_all(&length)?;
    out.write_all(&masked_crc(&length).to_le_bytes())?;
    out.write_all(record)?;
    out.write_all(&masked_crc(record).to_le_bytes())
}

/// Protocol-buffer field keys: `field << 3 | wire type`.
fn key(field: u32, wire: u32) -> u8 {
    (field << 3 | wire) as u8
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    out.push(key(field, 2));
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `Event { wall_time: 1, step: 2 }` and what follows.
fn event_head(wall_time: f64, step: u64) -> Vec<u8> {
    let mut out = vec![key(1, 1)];
    out.extend_from_slice(&wall_time.to_le_bytes());
    out.push(key(2, 0));
    varint(&mut out, step);
    out
}

/// The first event of a file: `file_version: "brain.Event:2"` (field 3).
fn file_version_event(wall_time: f64) -> Vec<u8> {
    let mut out = event_head(wall_time, 0);
    bytes_field(&mut out, 3, b"brain.Event:2");
    out
}

/// An event with a `Summary` (field 5) of one `Value { tag: 1, simple_value: 2 }` per metric
/// and the iteration rate.
fn scalar_event(m: &Metrics, wall_time: f64) -> Vec<u8> {
    let mut summary = Vec::new();
    let rate = (
        "iterations_per_second".to_string(),
        m.iterations_per_second as f32,
    );
    for (tag, v) in m.values.iter().chain(std::iter::once(&rate)) {
        let mut value = Vec::new();
        bytes_field(&mut value, 1, tag.as_bytes());
        value.push(key(2, 5));
        value.extend_from_slice(&v.to_le_bytes());
        bytes_field(&mut summary, 1, &value);
    }
    let mut out = event_head(wall_time, m.step as u64);
    bytes_field(&mut out, 5, &summary);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_values() {
        // The check value of CRC-32C (RFC 3720, B.4) and its all-zero 32-byte vector.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
    }

    #[test]
    fn records_are_framed_with_their_length_and_checksums() {
        let mut out = Vec::new();
        write_record(&mut out, b"abc").unwrap();
        assert_eq!(out.len(), 8 + 4 + 3 + 4);
        assert_eq!(&out[..8], &3u64.to_le_bytes());
        assert_eq!(&out[12..15], b"abc");
        let masked = u32::from_le_bytes(out[15..].try_into().unwrap());
        assert_eq!(
            masked.wrapping_sub(0xA282_EAD8).rotate_left(15),
            crc32c(b"abc")
        );
    }

    #[test]
    fn csv_rows_leave_missing_metrics_empty() {
        let m = Metrics {
            step: 50,
            values: vec![("d_loss".into(), 1.5), ("g_loss".into(), 0.25)],
            wall_seconds: 2.0,
            iterations_per_second: 25.0,
        };
        let columns = vec!["d_loss".to_string(), "penalty".into(), "g_loss".into()];
        assert_eq!(
            csv_header(&columns),
            "step,wall_seconds,iterations_per_second,d_loss,penalty,g_loss\n"
        );
        assert_eq!(csv_row(&columns, &m), "50,2,25,1.5,,0.25\n");
    }
}
