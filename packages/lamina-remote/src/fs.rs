//! Writes that never leave a half-written file: a temporary file beside the target, renamed into
//! place only once complete (`tempfile`'s `persist`); a folder's names, sorted.

use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same folder (created if missing),
/// renamed into place: a reader sees the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("create `{}`", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".partial-");
    // The mode `std::fs::write` gives (0666 less the umask), not the temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).with_context(|| format!("write `{}`", path.display()))?;
    file.write_all(bytes).with_context(|| format!("write `{}`", path.display()))?;
    file.persist(path).map_err(|e| e.error).with_context(|| format!("write `{}`", path.display()))?;
    Ok(())
}

/// The names in a folder, sorted; none when it cannot be read.
pub fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/index.json");
        super::write_atomic(&path, b"one").unwrap();
        super::write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            let plain = dir.path().join("plain");
            std::fs::write(&plain, b"x").unwrap();
            assert_eq!(mode, std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777);
        }
    }
}
