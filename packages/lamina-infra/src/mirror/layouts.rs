//! A release's images and OCI charts into their OCI image layouts, all at once: every root
//! manifest and tree read concurrently, then the blobs the layouts lack downloaded in one pool,
//! each once: a blob two layouts lack is downloaded into one and copied into the other, and one a
//! layout already holds intact is copied from there.

use super::Mirrored;
use crate::registry::{Download, Registry, Root, Tree};
use anyhow::Context;
use lamina_remote::digest::{hex_of, sha256_if_present};
use lamina_remote::layout::Layout;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

/// An image or OCI chart to mirror.
pub struct Wanted {
    pub name: String,
    /// `HOST/NAME`.
    pub repository: String,
    /// `HOST/NAME@DIGEST`, or `HOST/NAME:TAG`.
    pub reference: String,
    /// The layout folder, relative to the release folder.
    pub layout: String,
    pub tags: Vec<String>,
    /// The platforms kept of an index (all when empty).
    pub platforms: Vec<String>,
}

/// The tree of each of `wanted`, read all at once, each manifest its layout under `work` holds
/// intact read from there; the first that fails, in `wanted`'s order, is the error.
pub fn resolve(registry: &Registry, work: &Path, wanted: &[Wanted]) -> anyhow::Result<Vec<Tree>> {
    let layouts: Vec<Layout> = wanted.iter().map(|w| Layout::new(work.join(&w.layout))).collect();
    let haves: Vec<_> = layouts.iter().map(|l| move |digest: &str| l.manifest(digest).ok().flatten()).collect();
    let roots: Vec<Root<'_>> = wanted
        .iter()
        .zip(&haves)
        .map(|(w, have)| Root { repository: &w.repository, reference: &w.reference, platforms: &w.platforms, have })
        .collect();
    registry.trees(&roots).into_iter().collect()
}

/// Writes each of `wanted` into its layout under `work` from its tree: the manifests, the blobs
/// it lacks (one pool of downloads for all, then the copies), and `index.json` last.
pub fn fill(registry: &Registry, work: &Path, wanted: &[Wanted], trees: Vec<Tree>) -> anyhow::Result<Vec<Mirrored>> {
    let layouts: Vec<Layout> = wanted.iter().map(|w| Layout::new(work.join(&w.layout))).collect();
    for (layout, tree) in layouts.iter().zip(&trees) {
        for m in &tree.manifests {
            layout.put_manifest(m)?;
        }
    }
    let lacking = lacking(wanted, &layouts, &trees)?;
    registry.download(&lacking.downloads)?;
    for (from, to) in &lacking.copies {
        copy(from, to)?;
    }
    let mut mirrored = Vec::new();
    for (((w, layout), tree), got) in wanted.iter().zip(&layouts).zip(trees).zip(lacking.got) {
        let root = &tree.manifests[0];
        layout.finish(root, &w.tags)?;
        mirrored.push(Mirrored {
            name: w.name.clone(),
            source: w.repository.clone(),
            digest: root.digest.clone(),
            layout: w.layout.clone(),
            platforms: tree.platforms,
            blobs: tree.blobs.len(),
            downloaded: got,
        });
    }
    Ok(mirrored)
}

/// What the layouts lack, and how each gets it.
struct Lacking {
    /// Each blob some layout lacks and none holds, once, into the first layout that lacks it.
    downloads: Vec<Download>,
    /// `(from, to)`: a blob a layout lacks, from the layout that holds it or downloads it.
    copies: Vec<(PathBuf, PathBuf)>,
    /// How many blobs each layout gets.
    got: Vec<usize>,
}

/// The blobs of `trees` their `layouts` lack. A blob there counts only when it hashes to its
/// digest: its size never vouches for it.
fn lacking(wanted: &[Wanted], layouts: &[Layout], trees: &[Tree]) -> anyhow::Result<Lacking> {
    // A blob (digest, size) held intact somewhere, or about to be: where to copy it from.
    let mut sources: HashMap<(&str, u64), PathBuf> = HashMap::new();
    let mut missing = Vec::new();
    for (i, (layout, tree)) in layouts.iter().zip(trees).enumerate() {
        for (digest, size) in &tree.blobs {
            let (hex, path) = (hex_of(digest)?, layout.blob_path(digest)?);
            if sha256_if_present(&path).ok().flatten() == Some((hex.to_owned(), *size)) {
                sources.insert((digest, *size), path);
            } else {
                missing.push((i, digest.as_str(), *size, path));
            }
        }
    }
    let mut lacking = Lacking { downloads: Vec::new(), copies: Vec::new(), got: vec![0; layouts.len()] };
    for (i, digest, size, path) in missing {
        lacking.got[i] += 1;
        match sources.entry((digest, size)) {
            Entry::Occupied(from) => lacking.copies.push((from.get().clone(), path)),
            Entry::Vacant(source) => {
                let dir = layouts[i].blobs();
                std::fs::create_dir_all(&dir).with_context(|| format!("create `{}`", dir.display()))?;
                let (repository, digest) = (wanted[i].repository.clone(), digest.to_owned());
                lacking.downloads.push(Download { repository, digest, size, dir });
                source.insert(path);
            }
        }
    }
    Ok(lacking)
}

/// Copies the verified blob `from` to `to` through a temporary file beside it, renamed into place.
fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    let copied = (|| {
        let partial = tempfile::Builder::new().prefix(".partial-").tempfile_in(dir)?;
        std::fs::copy(from, partial.path())?;
        partial.persist(to).map(drop).map_err(|e| e.error)
    })();
    copied.with_context(|| format!("copy `{}` to `{}`", from.display(), to.display()))
}
