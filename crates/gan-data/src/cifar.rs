//! CIFAR-10 from its binary batches (`data_batch_1.bin` ... `data_batch_5.bin`,
//! `test_batch.bin`): records of one label byte and 3072 pixel bytes (the 32x32 red plane, then
//! green, then blue).

use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::download::{RemoteFile, cache_dir};
use crate::error::{DataError, Result};
use crate::images::ImageSet;
use crate::mnist::{DownloadOptions, Split};

/// Bytes per record: one label, then 3 x 32 x 32 pixels.
pub const CIFAR_RECORD: usize = 1 + 3 * 32 * 32;

/// CIFAR-10's class names, by label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// The published archive of the binary version.
pub const CIFAR10_ARCHIVE: RemoteFile = RemoteFile {
    name: "cifar-10-binary.tar.gz",
    sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
};

/// Where the archive is published.
pub const CIFAR10_BASE_URL: &str = "https://www.cs.toronto.edu/~kriz/";

/// The directory the archive unpacks to.
const BATCH_DIR: &str = "cifar-10-batches-bin";

fn batch_files(split: Split) -> Vec<String> {
    match split {
        Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".into()],
    }
}

/// Reads one binary batch file: its pixels and labels.
pub fn read_cifar_batch(path: &Path) -> Result<(Vec<u8>, Vec<u16>)> {
    let bytes = std::fs::read(path).map_err(DataError::io("cannot read", path))?;
    if bytes.is_empty() || !bytes.len().is_multiple_of(CIFAR_RECORD) {
        return Err(DataError::CifarSize {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            record: CIFAR_RECORD as u64,
        });
    }
    let n = bytes.len() / CIFAR_RECORD;
    let mut pixels = Vec::with_capacity(n * (CIFAR_RECORD - 1));
    let mut labels = Vec::with_capacity(n);
    for (index, record) in bytes.chunks_exact(CIFAR_RECORD).enumerate() {
        if record[0] as usize >= CIFAR10_CLASSES.len() {
            return Err(DataError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label: record[0] as u32,
                classes: CIFAR10_CLASSES.len(),
            });
        }
        labels.push(record[0] as u16);
        pixels.extend_from_slice(&record[1..]);
    }
    Ok((pixels, labels))
}

/// Loads `split` from `dir`, which holds the `.bin` batch files directly or in
/// `cifar-10-batches-bin/`.
pub fn load_cifar10_dir(dir: &Path, split: Split) -> Result<ImageSet> {
    let files = batch_files(split);
    let base = [dir.to_path_buf(), dir.join(BATCH_DIR)]
        .into_iter()
        .find(|d| files.iter().all(|f| d.join(f).is_file()))
        .ok_or_else(|| DataError::MissingFiles {
            dataset: "cifar-10",
            dir: dir.to_path_buf(),
            missing: files.join(", "),
            hint: format!(
                "download and unpack {}{} or pass another directory",
                CIFAR10_BASE_URL, CIFAR10_ARCHIVE.name
            ),
        })?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for f in &files {
        let (p, l) = read_cifar_batch(&base.join(f))?;
        pixels.extend_from_slice(&p);
        labels.extend_from_slice(&l);
    }
    ImageSet::new(
        format!("cifar-10/{}", split.name()),
        [3, 32, 32],
        pixels,
        Some(labels),
        Some(CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect()),
    )
}

/// Loads `split` from `dir` when given, else from the cache (`<cache>/cifar-10`, see
/// [`DownloadOptions::cache_dir`]),
/// downloading and unpacking the archive there first when `download` is set.
pub fn load_cifar10(
    split: Split,
    dir: Option<&Path>,
    download: Option<&DownloadOptions>,
) -> Result<ImageSet> {
    if let Some(dir) = dir {
        return load_cifar10_dir(dir, split);
    }
    let cache = download
        .map(DownloadOptions::cache_dir)
        .unwrap_or_else(cache_dir)
        .join("cifar-10");
    match (load_cifar10_dir(&cache, split), download) {
        (Err(DataError::MissingFiles { .. }), Some(options)) => {
            let archive = options
                .downloader(CIFAR10_BASE_URL, &cache)
                .fetch(&CIFAR10_ARCHIVE)?;
            unpack_tar_gz(&archive, &cache)?;
            load_cifar10_dir(&cache, split)
        }
        (Err(DataError::MissingFiles { dir, missing, .. }), None) => Err(DataError::MissingFiles {
            dataset: "cifar-10",
            dir,
            missing,
            hint: crate::download::MISSING_HINT.into(),
        }),
        (other, _) => other,
    }
}

/// Unpacks a `.tar.gz` archive into `dir`: into a temporary directory first, whose top-level
/// entries are then renamed into place, so an interrupted unpack leaves nothing half-written.
pub fn unpack_tar_gz(archive: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let tmp = dir.join(format!(".unpack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(DataError::io("cannot create", &tmp))?;
    let file = std::fs::File::open(archive).map_err(DataError::io("cannot read", archive))?;
    let result = tar::Archive::new(GzDecoder::new(file))
        .unpack(&tmp)
        .map_err(|source| DataError::Gzip {
            path: archive.to_path_buf(),
            source,
        });
    let moved = result.and_then(|()| {
        let mut moved = Vec::new();
        let entries = std::fs::read_dir(&tmp).map_err(DataError::io("cannot read", &tmp))?;
        for entry in entries {
            let entry = entry.map_err(DataError::io("cannot read", &tmp))?;
            let dest = dir.join(entry.file_name());
            if dest.is_dir() {
                let _ = std::fs::remove_dir_all(&dest);
            }
            std::fs::rename(entry.path(), &dest)
                .map_err(DataError::io("cannot rename into", &dest))?;
            moved.push(dest);
        }
        Ok(moved)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    moved
}
