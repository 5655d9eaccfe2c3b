//! Facts about the checkout, read through git: HEAD, its commit time (the reproducible mtime),
//! tags at HEAD, local changes, and every tracked file with its mode.
//!
//! Bundles, charts and image build contexts are made from this list only, so an untracked or
//! ignored file can never end up in a release.

use crate::shell::{Shell, cmd};
use anyhow::{Context, format_err};
use std::path::{Path, PathBuf};

/// What git says about the repository at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoState {
    pub root: PathBuf,
    /// Full commit id of HEAD.
    pub head: String,
    /// Committer time of HEAD, seconds since the epoch.
    pub commit_time: i64,
    /// Tags pointing at HEAD.
    pub tags_at_head: Vec<String>,
    /// Tracked files with changes not committed.
    pub changed: Vec<String>,
    /// Every tracked file, sorted by path.
    pub files: Vec<TrackedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedFile {
    /// `/`-separated, relative to the repository root.
    pub path: String,
    pub kind: FileKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Executable,
    /// A symbolic link and the target git stores for it.
    Symlink(String),
    /// A submodule (gitlink); never packaged.
    Submodule,
}

impl RepoState {
    /// Reads the state of the checkout at `root`.
    pub fn read(sh: &Shell, root: &Path) -> anyhow::Result<RepoState> {
        let _dir = sh.push_dir(root);
        let head = cmd!(sh, "git rev-parse --verify HEAD").quiet().ignore_stderr().read().map_err(|_| {
            lamina_remote::hint::fail(
                format!("`{}` has no commit to release", root.display()),
                "commit the files first (`git add -A && git commit`)",
            )
        })?;
        let commit_time = cmd!(sh, "git log -1 --format=%ct HEAD").quiet().read()?;
        let commit_time = commit_time.trim().parse().context("read the commit time of HEAD")?;
        let tags = cmd!(sh, "git tag --points-at HEAD").quiet().read()?;
        let status = cmd!(sh, "git status --porcelain=v1 -z --untracked-files=no").quiet().read()?;
        let files = tracked_files(sh, root)?;
        let changed = status.split('\0').filter(|r| r.len() > 3).map(|r| r[3..].to_owned()).collect();
        Ok(RepoState {
            root: root.to_path_buf(),
            head: head.trim().to_owned(),
            commit_time,
            tags_at_head: tags.lines().map(str::to_owned).collect(),
            changed,
            files,
        })
    }

    /// Tracked files under `dir` (repository-relative; `.` is the whole repository).
    pub fn files_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a TrackedFile> + 'a {
        self.files.iter().filter(move |f| is_under(dir, &f.path))
    }

    pub fn is_tracked(&self, path: &str) -> bool {
        self.files.binary_search_by(|f| f.path.as_str().cmp(path)).is_ok()
    }

    /// `true` when `dir` holds at least one tracked file.
    pub fn has_dir(&self, dir: &str) -> bool {
        self.files_under(dir).next().is_some()
    }
}

/// Every file git tracks in the checkout at `root`, with its mode, sorted by path.
pub fn tracked_files(sh: &Shell, root: &Path) -> anyhow::Result<Vec<TrackedFile>> {
    let _dir = sh.push_dir(root);
    let listing = cmd!(sh, "git ls-files --stage -z").quiet().read()?;
    let mut files = Vec::new();
    for record in listing.split('\0').filter(|r| !r.is_empty()) {
        let (meta, path) =
            record.split_once('\t').ok_or_else(|| format_err!("unexpected `git ls-files` output: {record}"))?;
        let mode = meta.split(' ').next().unwrap_or_default();
        let kind = match mode {
            "100755" => FileKind::Executable,
            "120000" => {
                let target =
                    std::fs::read_link(root.join(path)).with_context(|| format!("read the symlink `{path}`"))?;
                FileKind::Symlink(target.to_string_lossy().into_owned())
            }
            "160000" => FileKind::Submodule,
            _ => FileKind::Regular,
        };
        files.push(TrackedFile { path: path.to_owned(), kind });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path); // unmerged paths appear once per stage
    Ok(files)
}

/// Whether the repository-relative `path` lies under `dir` (`.` is the whole repository).
pub fn is_under(dir: &str, path: &str) -> bool {
    dir == "." || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}
