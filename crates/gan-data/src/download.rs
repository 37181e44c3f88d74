//! Downloading dataset files into a local cache, verified by SHA-256.
//!
//! A file is streamed into a temporary file next to its destination while its digest is
//! computed, and renamed into place only when the digest matches the published one; on any
//! failure the temporary file is removed, so the cache never holds a partial or corrupted file.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

/// Environment variable naming the dataset cache directory.
pub const DATA_DIR_ENV: &str = "GAN_DATA_DIR";

/// What to do about a downloadable dataset that is not on disk, as its error says it: the
/// `gan` command's flags and the config field behind them.
pub const MISSING_HINT: &str = "add `--download` to fetch it into the cache (`\"download\": \
     true` in a config; $GAN_DATA_DIR moves the cache), or pass the directory holding the files \
     with `--data-dir DIR`";

/// The directory datasets are downloaded into: `$GAN_DATA_DIR` when set, else the platform's
/// cache directory (`~/.cache/gan-rs/datasets` on Linux), else `./datasets`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::cache_dir()
            .map(|d| d.join("gan-rs").join("datasets"))
            .unwrap_or_else(|| PathBuf::from("datasets")),
    }
}

/// A file published at `base_url + name` with a known SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name, appended to the base URL and used in the cache.
    pub name: &'static str,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
}

/// Fetches [`RemoteFile`]s from one base URL into one directory.
#[derive(Debug, Clone)]
pub struct Downloader {
    base_url: String,
    dir: PathBuf,
    progress: bool,
    timeout: Duration,
}

impl Downloader {
    /// Downloads from `base_url` (a trailing `/` is added when missing) into `dir`, with a
    /// progress bar on standard error.
    pub fn new(base_url: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        let mut base_url = base_url.into();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Self {
            base_url,
            dir: dir.into(),
            progress: true,
            timeout: Duration::from_secs(60),
        }
    }

    /// Shows (the default) or hides the progress bar.
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// Gives up on a connection that sends nothing for this long (default 60 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The directory files are saved into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL of `file`.
    pub fn url(&self, file: &RemoteFile) -> String {
        format!("{}{}", self.base_url, file.name)
    }

    /// The path of `file` in the cache, downloading it first unless a copy with the right
    /// digest is already there. A cached copy with a wrong digest is replaced.
    pub fn fetch(&self, file: &RemoteFile) -> Result<PathBuf> {
        let dest = self.dir.join(file.name);
        if dest.is_file() && sha256_file(&dest)? == file.sha256 {
            return Ok(dest);
        }
        std::fs::create_dir_all(&self.dir).map_err(DataError::io(
            "cannot create the dataset directory",
            &self.dir,
        ))?;
        let tmp = self
            .dir
            .join(format!(".{}.part-{}", file.name, std::process::id()));
        let result = self.download(file, &tmp);
        match result {
            Ok(digest) if digest == file.sha256 => {
                std::fs::rename(&tmp, &dest).map_err(DataError::io("cannot rename into", &dest))?;
                Ok(dest)
            }
            Ok(digest) => {
                let _ = std::fs::remove_file(&tmp);
                Err(DataError::Checksum {
                    path: dest,
                    expected: file.sha256.to_string(),
                    actual: digest,
                })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Streams `file` into `tmp`, returning the hex SHA-256 of what was received.
    fn download(&self, file: &RemoteFile, tmp: &Path) -> Result<String> {
        let url = self.url(file);
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(self.timeout)
            .timeout_read(self.timeout)
            .build();
        let response = agent.get(&url).call().map_err(|e| match e {
            ureq::Error::Status(status, _) => DataError::HttpStatus {
                url: url.clone(),
                status,
            },
            ureq::Error::Transport(t) => DataError::Download {
                url: url.clone(),
                message: t.to_string(),
            },
        })?;
        let expected_len = response
            .header("Content-Length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bar = if self.progress {
            let bar = match expected_len {
                Some(len) => ProgressBar::new(len),
                None => ProgressBar::no_length(),
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message(file.name.to_string());
            bar
        } else {
            ProgressBar::hidden()
        };
        let out = File::create(tmp).map_err(DataError::io("cannot create", tmp))?;
        let mut out = BufWriter::new(out);
        let mut reader = response.into_reader();
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut received = 0u64;
        let broken = |received: u64, e: &dyn std::fmt::Display| DataError::Download {
            url: url.clone(),
            message: match expected_len {
                Some(len) => format!("connection broke off after {received} of {len} bytes: {e}"),
                None => format!("connection broke off after {received} bytes: {e}"),
            },
        };
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(broken(received, &e)),
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(DataError::io("cannot write", tmp))?;
            received += n as u64;
            bar.set_position(received);
        }
        out.flush().map_err(DataError::io("cannot write", tmp))?;
        bar.finish_and_clear();
        if let Some(len) = expected_len
            && received != len
        {
            return Err(broken(received, &"the server closed the connection early"));
        }
        Ok(format!("{:x}", hasher.finalize()))
    }
}

/// The lower-case hex SHA-256 digest of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(DataError::io("cannot read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(DataError::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// The lower-case hex SHA-256 digest of bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
