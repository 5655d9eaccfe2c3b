//! Writing a release archive's checked entries ([`lamina_release_format::archive`]) to disk, into
//! a folder that must not exist yet: folders first, then files (each created new, so never
//! through a link or over anything), then links. Nothing the archive made is followed. And what
//! a folder holds, compared with what writing an archive makes.

use anyhow::{Context, bail};
use lamina_release_format::archive::{Entry, Tree};
use lamina_remote::digest::{sha256_hex, sha256_reader};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One entry as written: what a folder holds and an archive makes are compared as these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Folder,
    /// SHA-256 and permission bits.
    File {
        sha: String,
        mode: u32,
    },
    Link(PathBuf),
}

/// Writes the entries below `sub` (the whole tree when empty) into `to`; a link landing outside
/// `sub` is refused.
pub fn write(tree: &Tree, sub: &Path, to: &Path) -> anyhow::Result<()> {
    if !sub.as_os_str().is_empty() && tree.entries.get(sub) != Some(&Entry::Folder) {
        bail!("the archive has no folder `{}/{}`", tree.top, sub.display());
    }
    let below: Vec<(&Path, &Entry)> = tree.below(sub).collect();
    for (rel, entry) in &below {
        if let Entry::Link { lands, .. } = entry
            && !lands.starts_with(sub)
        {
            let shown = sub.join(rel);
            bail!(
                "`{}/{}` links outside `{}`; refusing to write it on its own",
                tree.top,
                shown.display(),
                sub.display()
            );
        }
    }
    let create = |path: &Path| format!("create `{}`", path.display());
    std::fs::create_dir(to).with_context(|| create(to))?;
    for (rel, _) in below.iter().filter(|(_, e)| **e == Entry::Folder) {
        std::fs::create_dir(to.join(rel)).with_context(|| create(&to.join(rel)))?;
    }
    for (rel, entry) in &below {
        let Entry::File { bytes, mode, .. } = entry else { continue };
        let path = to.join(rel);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, *mode);
        let mut file = options.open(&path).with_context(|| create(&path))?;
        std::io::Write::write_all(&mut file, bytes).with_context(|| create(&path))?;
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(*mode))?;
        #[cfg(not(unix))]
        let _ = mode;
    }
    for (rel, entry) in &below {
        if let Entry::Link { target, lands } = entry {
            link(tree, target, lands, &to.join(rel)).with_context(|| create(&to.join(rel)))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn link(_: &Tree, target: &Path, _: &Path, at: &Path) -> anyhow::Result<()> {
    Ok(std::os::unix::fs::symlink(target, at)?)
}

/// Where links need privileges, a link to a file is written as a copy of it.
#[cfg(not(unix))]
fn link(tree: &Tree, _: &Path, lands: &Path, at: &Path) -> anyhow::Result<()> {
    match tree.entries.get(lands) {
        Some(Entry::File { bytes, .. }) => Ok(std::fs::write(at, bytes)?),
        _ => bail!("it links to a folder, which this system cannot write without privileges"),
    }
}

/// The archive's entries as [`write`] writes them.
pub fn written(tree: &Tree) -> BTreeMap<PathBuf, Written> {
    let entry = |e: &Entry| match e {
        Entry::Folder => Written::Folder,
        Entry::Link { target, .. } => Written::Link(target.clone()),
        // Modes are compared where they are written.
        Entry::File { bytes, mode, .. } => {
            Written::File { sha: sha256_hex(bytes), mode: if cfg!(unix) { *mode } else { 0o644 } }
        }
    };
    tree.entries.iter().map(|(path, e)| (path.clone(), entry(e))).collect()
}

/// The entries under `root`, relative to it; links are not followed.
pub fn on_disk(root: &Path) -> anyhow::Result<BTreeMap<PathBuf, Written>> {
    let mut tree = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for item in std::fs::read_dir(&dir).with_context(|| format!("read `{}`", dir.display()))? {
            let item = item?;
            let (path, meta) = (item.path(), item.metadata()?);
            let rel = path.strip_prefix(root)?.to_path_buf();
            let value = if meta.is_symlink() {
                Written::Link(std::fs::read_link(&path)?)
            } else if meta.is_dir() {
                stack.push(path);
                Written::Folder
            } else {
                let file = std::fs::File::open(&path).with_context(|| format!("read `{}`", path.display()))?;
                Written::File { sha: sha256_reader(file)?.0, mode: mode(&meta) }
            };
            tree.insert(rel, value);
        }
    }
    Ok(tree)
}

#[cfg(unix)]
fn mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode(_: &std::fs::Metadata) -> u32 {
    0o644
}
