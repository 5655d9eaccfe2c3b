//! A release archive (`.tar.gz` with one top folder: a bundle, a chart, a program, an sdist) read
//! as hostile input, in memory: every entry is read and checked before anything is written, so
//! that writing the [`Tree`] follows nothing the archive made. Refused, naming the entry:
//!
//! - an absolute path, `..`, or an entry outside the one top folder; a top folder other than the
//!   one expected, or one whose name starts with a dot;
//! - a hardlink, a device, a FIFO: anything but a file, a folder or a symlink;
//! - an entry whose path passes through a symlink or a file of the archive, and a second entry at
//!   a path already taken (a folder later replaced by a link, a file after a link of its name);
//! - a symlink whose target is absolute, leaves the top folder, or passes through another symlink;
//! - more entries, or more unpacked bytes, than [`Limits`] allow.
//!
//! A tree is then written into a folder that must not exist yet: folders first, then files (each
//! created new, so never through anything), then links.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// How much an archive may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries, folders included.
    pub entries: usize,
    /// Bytes of file content.
    pub bytes: u64,
}

impl Default for Limits {
    /// 20,000 entries and 1 GiB: far above any bundle or chart a release makes.
    fn default() -> Limits {
        Limits { entries: 20_000, bytes: 1 << 30 }
    }
}

/// Why an archive is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("it is not a .tar.gz archive this version reads ({0}); refusing it")]
    Unreadable(String),
    #[error("it holds more than {0} entries; refusing it")]
    TooMany(usize),
    #[error("it unpacks to more than {0} bytes; refusing it")]
    TooBig(u64),
    #[error("it is empty")]
    Empty,
    /// One entry (its path as the archive names it) and what is wrong with it.
    #[error("`{path}` {why}; refusing the archive")]
    Entry { path: String, why: String },
}

/// One entry, by its path below the top folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Folder,
    /// The content, the permission bits it is written with (0644 or 0755), and its time.
    File {
        bytes: Vec<u8>,
        mode: u32,
        mtime: u64,
    },
    /// The target as written, and where it lands below the top folder.
    Link {
        target: PathBuf,
        lands: PathBuf,
    },
}

/// An archive's entries, checked.
#[derive(Debug)]
pub struct Tree {
    /// The one top folder.
    pub top: String,
    /// Every entry below it, parents before children.
    pub entries: BTreeMap<PathBuf, Entry>,
}

/// Reads and checks every entry of `bytes`; `top` is the top folder it must have, when known.
pub fn read(bytes: &[u8], top: Option<&str>, limits: &Limits) -> Result<Tree, Refused> {
    // Headers count too: a bomb of empty entries or long names stops here as well.
    let cap = limits.bytes.saturating_add(limits.entries as u64 * 2048).saturating_add(1 << 20);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes).take(cap));
    let read = entries(&mut archive, top, limits);
    if read.is_err() && archive.into_inner().limit() == 0 {
        return Err(Refused::TooBig(limits.bytes));
    }
    let tree = read?;
    // Again with every entry known: a link made later may lie on an earlier link's way.
    for (path, entry) in &tree.entries {
        if let Entry::Link { target, .. } = entry {
            tree.resolve(path, target).map_err(|why| tree.refuse(path, why))?;
        }
    }
    Ok(tree)
}

fn entries<R: Read>(archive: &mut tar::Archive<R>, top: Option<&str>, limits: &Limits) -> Result<Tree, Refused> {
    let unreadable = |e: std::io::Error| Refused::Unreadable(e.to_string());
    let mut tree = Tree { top: String::new(), entries: BTreeMap::new() };
    let (mut count, mut size) = (0usize, 0u64);
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let path = entry.path().map_err(unreadable)?.into_owned();
        let refuse = |why: &str| Refused::Entry { path: path.display().to_string(), why: why.to_owned() };
        count += 1;
        if count > limits.entries {
            return Err(Refused::TooMany(limits.entries));
        }
        let mut parts = Vec::new();
        for part in path.components() {
            match part {
                Component::Normal(name) => parts.push(name.to_str().ok_or_else(|| refuse("is not UTF-8"))?),
                Component::CurDir => {}
                _ => return Err(refuse("is an absolute path or climbs out with `..`")),
            }
        }
        let Some((first, rest)) = parts.split_first() else { continue };
        if tree.top.is_empty() {
            if let Some(expected) = top.filter(|t| t != first) {
                return Err(refuse(&format!(
                    "lies in the top folder `{first}`, not `{expected}` as the release names it"
                )));
            }
            if first.starts_with('.') {
                return Err(refuse(&format!("lies in the top folder `{first}`, a hidden name")));
            }
            tree.top = (*first).to_owned();
        } else if tree.top != *first {
            return Err(refuse(&format!("lies outside the archive's one top folder `{}`", tree.top)));
        }
        let rel: PathBuf = rest.iter().collect();
        let header = entry.header();
        let value = match header.entry_type() {
            tar::EntryType::Directory => Entry::Folder,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                size = size.saturating_add(header.size().map_err(unreadable)?);
                if size > limits.bytes {
                    return Err(Refused::TooBig(limits.bytes));
                }
                let mode = (header.mode().unwrap_or(0o644) & 0o755) | 0o644;
                let mtime = header.mtime().unwrap_or(0);
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(unreadable)?;
                Entry::File { bytes, mode, mtime }
            }
            tar::EntryType::Symlink => {
                let target = entry.link_name().map_err(unreadable)?.ok_or_else(|| refuse("is a link to nothing"))?;
                Entry::Link { target: target.into_owned(), lands: PathBuf::new() }
            }
            other => {
                let kind = match other {
                    tar::EntryType::Link => "a hardlink".to_owned(),
                    tar::EntryType::Char => "a character device".to_owned(),
                    tar::EntryType::Block => "a block device".to_owned(),
                    tar::EntryType::Fifo => "a FIFO".to_owned(),
                    other => format!("an entry of tar type `{}`", other.as_byte() as char),
                };
                return Err(refuse(&format!("is {kind}; only files, folders and symlinks are accepted")));
            }
        };
        if rel.as_os_str().is_empty() {
            if value != Entry::Folder {
                return Err(refuse("is the top folder, but not a folder"));
            }
            continue;
        }
        tree.insert(rel, value).map_err(|why| refuse(&why))?;
    }
    if tree.top.is_empty() {
        return Err(Refused::Empty);
    }
    Ok(tree)
}

impl Tree {
    /// Adds an entry, and the folders above it that no entry named.
    fn insert(&mut self, rel: PathBuf, mut value: Entry) -> Result<(), String> {
        for above in rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
            match self.entries.get(above) {
                Some(Entry::Folder) => {}
                None => drop(self.entries.insert(above.to_owned(), Entry::Folder)),
                Some(_) => {
                    let above = Path::new(&self.top).join(above);
                    return Err(format!("passes through `{}`, a link or file of the archive", above.display()));
                }
            }
        }
        if let Entry::Link { target, lands } = &mut value {
            *lands = self.resolve(&rel, target)?;
        }
        match self.entries.get(&rel) {
            None => drop(self.entries.insert(rel, value)),
            Some(Entry::Folder) if value == Entry::Folder => {}
            Some(_) => return Err("is a second entry at a path already taken".to_owned()),
        }
        Ok(())
    }

    /// Where the link at `rel` to `target` lands below the top folder: refused when the target is
    /// absolute, leaves the top folder, or passes through a link or file (as far as entries are
    /// known; [`read`] checks every link again once all are).
    fn resolve(&self, rel: &Path, target: &Path) -> Result<PathBuf, String> {
        let mut at: PathBuf = rel.parent().unwrap_or(Path::new("")).to_owned();
        let parts: Vec<Component> = target.components().collect();
        for (i, part) in parts.iter().enumerate() {
            match part {
                Component::Normal(name) => at.push(name),
                Component::CurDir => {}
                Component::ParentDir if at.pop() => {}
                _ => return Err(format!("links to `{}`, outside the archive's folder", target.display())),
            }
            let last = i + 1 == parts.len();
            if !last && matches!(self.entries.get(&at), Some(Entry::Link { .. } | Entry::File { .. })) {
                let at = Path::new(&self.top).join(&at);
                return Err(format!("links to `{}`, through `{}`, a link or file", target.display(), at.display()));
            }
        }
        Ok(at)
    }

    fn refuse(&self, rel: &Path, why: String) -> Refused {
        Refused::Entry { path: format!("{}/{}", self.top, rel.display()), why }
    }

    /// The file at `rel` below the top folder.
    pub fn file(&self, rel: &str) -> Option<&[u8]> {
        match self.entries.get(Path::new(rel)) {
            Some(Entry::File { bytes, .. }) => Some(bytes),
            _ => None,
        }
    }

    /// The entries below the folder `sub` (all when it is empty), by their paths below it.
    pub fn below<'a>(&'a self, sub: &'a Path) -> impl Iterator<Item = (&'a Path, &'a Entry)> {
        self.entries
            .iter()
            .filter_map(move |(p, e)| p.strip_prefix(sub).ok().filter(|r| !r.as_os_str().is_empty()).map(|r| (r, e)))
    }
}
