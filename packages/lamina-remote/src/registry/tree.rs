//! An image or chart in a registry followed down from its root manifest: every index and
//! manifest below it (an index's children kept by platform) and every config and layer blob,
//! read level by level, the manifests of a level several at once.

use super::{AT_ONCE, Manifest, Registry, parse, references, wanted};
use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt};

/// Indexes nested deeper than this are refused.
const DEEPEST: usize = 4;

/// What is below a root manifest.
#[derive(Debug)]
pub struct Tree {
    /// Every index and manifest, the root first, each level after the one that names it.
    pub manifests: Vec<Manifest>,
    /// Every config and layer blob as `(digest, size)`, in the order found, each once.
    pub blobs: Vec<(String, u64)>,
    /// The platforms of the index children kept, sorted, each once.
    pub platforms: Vec<String>,
}

impl Registry {
    /// Follows `root` of `repository` (`HOST/NAME`) down to its blobs, keeping an index's
    /// children whose platform is among `platforms` (all when it is empty); a manifest `have`
    /// holds is not fetched. An index none of whose children is kept is refused.
    pub async fn tree(
        &self,
        repository: &str,
        root: Manifest,
        platforms: &[String],
        have: &(dyn Fn(&str) -> Option<Manifest> + Sync),
    ) -> anyhow::Result<Tree> {
        let shown = format!("{repository}@{}", root.digest);
        let mut tree = Tree { manifests: Vec::new(), blobs: Vec::new(), platforms: Vec::new() };
        let mut level = vec![root];
        for depth in 0.. {
            if level.is_empty() {
                break;
            }
            if depth > DEEPEST {
                bail!("`{shown}` nests indexes more than {DEEPEST} deep; refusing it");
            }
            let mut next = Vec::new();
            for m in &level {
                let refs = references(m).with_context(|| format!("`{repository}@{}`", m.digest))?;
                if !m.is_index() {
                    let new = refs.into_iter().filter(|d| !tree.blobs.iter().any(|(b, _)| *b == d.digest));
                    tree.blobs.extend(new.map(|d| (d.digest, d.size)).collect::<Vec<_>>());
                    continue;
                }
                for child in refs.into_iter().filter(|d| wanted(d.platform.as_deref(), platforms)) {
                    tree.platforms.extend(child.platform);
                    next.push(child.digest);
                }
            }
            tree.manifests.append(&mut level);
            let fetch = |digest: String| async move {
                match have(&digest) {
                    Some(held) => Ok(held),
                    None => self.manifest(&parse(&format!("{repository}@{digest}"))?).await,
                }
            };
            level = futures_util::stream::iter(next.into_iter().map(fetch)).buffered(AT_ONCE).try_collect().await?;
        }
        if tree.manifests[0].is_index() && !platforms.is_empty() && tree.platforms.is_empty() {
            bail!("`{shown}` has none of the platforms {}; refusing an empty mirror", platforms.join(", "));
        }
        tree.platforms.sort();
        tree.platforms.dedup();
        Ok(tree)
    }
}
