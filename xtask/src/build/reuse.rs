//! A finished build taken back on a rerun instead of being made again. After a whole build of a
//! clean checkout, a stamp beside the output folder records the plan and the xtask binary that
//! made it, what was built and every file written with its size and SHA-256. A later run whose
//! plan and binary are the same takes the folder back once every recorded file hashes as
//! recorded; files the build did not write are removed. Anything else (no stamp, another plan,
//! a changed, missing or extra link or file) is a miss, and the build runs as before.

use super::Built;
use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Everything a reuse checks, written after the build's last file.
#[derive(Serialize, Deserialize)]
struct Stamp {
    key: String,
    built: Built,
    /// Every regular file under the output folder: relative path, size, hex SHA-256.
    files: Vec<(String, u64, String)>,
}

/// The stamp of the build in `out`: beside it, so it is never one of the build's files.
fn stamp_path(out: &Path) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy();
    Some(out.with_file_name(format!(".{name}.build.json")))
}

/// What decides a build's bytes: the plan as data (its commit pins every source) and this
/// binary. `None` when the checkout has local changes or the images come from the job graph.
fn key(plan: &Plan) -> Option<String> {
    if !plan.changed.is_empty() || plan.graph {
        return None;
    }
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let built_at = exe.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    // The reasons are for people: the same decision read before and after the release is out
    // is the same build.
    let mut plan = plan.clone();
    plan.floating.iter_mut().for_each(|f| f.reason.clear());
    plan.not_latest = None;
    let plan = serde_json::to_string(&plan).ok()?;
    let text = format!("{} {} {built_at}\n{plan}", env!("CARGO_PKG_VERSION"), exe.len());
    Some(lamina_remote::digest::sha256_hex(text.as_bytes()))
}

/// Every regular file under `out` with its size and SHA-256, sorted; `None` when there is
/// anything else (a link, a socket) or a file cannot be read.
fn files(out: &Path) -> Option<Vec<(String, u64, String)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(out).sort_by_file_name() {
        let entry = entry.ok()?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return None;
        }
        let rel = entry.path().strip_prefix(out).ok()?.to_string_lossy().into_owned();
        let (sha256, size) = super::sha256_file(entry.path()).ok()?;
        files.push((rel, size, sha256));
    }
    Some(files)
}

/// Records the whole build in `out`, so that a rerun of `plan` can take it back. A build with
/// an image or package not built here is not recorded.
pub fn record(plan: &Plan, built: &Built, out: &Path) -> anyhow::Result<()> {
    let whole = built.images.iter().all(|i| i.digest.is_some()) && built.packages.iter().all(|p| p.not_built.is_none());
    if !whole {
        return Ok(());
    }
    let (Some(key), Some(path)) = (key(plan), stamp_path(out)) else { return Ok(()) };
    let Some(files) = files(out) else { return Ok(()) };
    let stamp = Stamp { key, built: built.clone(), files };
    lamina_remote::fs::write_atomic(&path, serde_json::to_string(&stamp)?.as_bytes())
}

/// Forgets the build in `out` (before it is cleared for another).
pub fn forget(out: &Path) {
    if let Some(path) = stamp_path(out) {
        std::fs::remove_file(path).ok();
    }
}

/// The build recorded for `plan` in `out`, when every file it wrote is there unchanged; files
/// written since (the catalog preview, a signature) are removed first.
pub fn take_back(plan: &Plan, out: &Path) -> Option<Built> {
    let key = key(plan)?;
    let stamp: Stamp = serde_json::from_slice(&std::fs::read(stamp_path(out)?).ok()?).ok()?;
    if stamp.key != key || stamp.built.out_dir != out {
        return None;
    }
    let now = files(out)?;
    let extra: Vec<&String> =
        now.iter().map(|(rel, _, _)| rel).filter(|rel| !stamp.files.iter().any(|(r, _, _)| r == *rel)).collect();
    let kept: Vec<&(String, u64, String)> = now.iter().filter(|f| !extra.contains(&&f.0)).collect();
    if kept.len() != stamp.files.len() || kept.iter().zip(&stamp.files).any(|(a, b)| *a != b) {
        return None;
    }
    for rel in extra {
        std::fs::remove_file(out.join(rel)).ok()?;
    }
    // Folders the removed files leave empty go too; a folder the build made stays.
    for entry in walkdir::WalkDir::new(out).min_depth(1).contents_first(true) {
        let entry = entry.ok()?;
        if entry.file_type().is_dir() && std::fs::read_dir(entry.path()).ok()?.next().is_none() {
            let rel = entry.path().strip_prefix(out).ok()?.to_string_lossy().into_owned();
            if !stamp.files.iter().any(|(r, _, _)| r.starts_with(&format!("{rel}/"))) {
                std::fs::remove_dir(entry.path()).ok()?;
            }
        }
    }
    Some(stamp.built)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(out: &Path) -> Built {
        Built {
            out_dir: out.to_path_buf(),
            assets: Vec::new(),
            images: Vec::new(),
            packages: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_build_is_taken_back_only_while_its_files_are_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("v1.0.0");
        std::fs::create_dir_all(out.join("images/app/blobs")).unwrap();
        std::fs::write(out.join("app.tar.gz"), b"bundle").unwrap();
        std::fs::write(out.join("images/app/blobs/one"), b"blob").unwrap();
        let plan = crate::plan::tests::sample();
        record(&plan, &built(&out), &out).unwrap();
        assert!(tmp.path().join(".v1.0.0.build.json").is_file());

        // Files written after the build go; the build's own stay.
        std::fs::create_dir_all(out.join("site")).unwrap();
        std::fs::write(out.join("site/index.html"), b"page").unwrap();
        assert_eq!(take_back(&plan, &out), Some(built(&out)));
        assert!(!out.join("site").exists());
        assert!(out.join("images/app/blobs/one").is_file());

        // The same decisions with other reasons (before and after the release is out) are the
        // same build; another plan is another.
        let mut reasons = plan.clone();
        reasons.floating.iter_mut().for_each(|f| f.reason = "read again".into());
        assert!(take_back(&reasons, &out).is_some());
        let mut other = plan.clone();
        other.source_date_epoch += 1;
        assert_eq!(take_back(&other, &out), None);
        // A checkout with local changes is never reused.
        let mut changed = plan.clone();
        changed.changed = vec!["README.md".into()];
        assert_eq!(take_back(&changed, &out), None);
        // A file changed, or gone, since the build.
        std::fs::write(out.join("images/app/blobs/one"), b"blob!").unwrap();
        assert_eq!(take_back(&plan, &out), None);
        std::fs::write(out.join("images/app/blobs/one"), b"blob").unwrap();
        assert!(take_back(&plan, &out).is_some());
        std::fs::remove_file(out.join("app.tar.gz")).unwrap();
        assert_eq!(take_back(&plan, &out), None);
    }

    #[test]
    fn a_link_in_the_folder_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("v1.0.0");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("app.tar.gz"), b"bundle").unwrap();
        let plan = crate::plan::tests::sample();
        record(&plan, &built(&out), &out).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", out.join("extra")).unwrap();
        assert_eq!(take_back(&plan, &out), None);
        assert!(out.join("extra").symlink_metadata().is_ok(), "a miss removes nothing");
    }
}
