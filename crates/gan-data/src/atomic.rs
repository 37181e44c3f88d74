//! The one atomic file writer of the workspace.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Replaces `path` by a file holding `bytes`, atomically: the bytes go to a hidden temporary
/// file in the same directory (`.NAME.tmp-*`), are flushed to the disk, and the file is renamed
/// over `path`; the directory entry is flushed too. A crash at any moment leaves either the old
/// file or the new one, never a part, and a failure removes the temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempfile_in(parent)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    File::open(parent)?.sync_all()
}
