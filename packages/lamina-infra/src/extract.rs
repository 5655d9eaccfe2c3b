//! Writing a release archive's checked entries ([`lamina_release_format::archive`]) to disk, into
//! a folder that must not exist yet: folders first, then files (each created new, so never
//! through a link or over anything), then links. Nothing the archive made is followed.

use anyhow::{Context, bail};
use lamina_release_format::archive::{Entry, Tree};
use std::path::Path;

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
