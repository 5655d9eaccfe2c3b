//! The consumer's registry seam: [`lamina_remote::registry`] driven from this tool's blocking
//! code through a current-thread runtime, many reads and transfers at once (one pool of downloads
//! across repositories, each hashed and written on a thread of its own), with progress. Each host
//! is read with its own credentials ([`crate::credentials`]) or anonymously, with the bearer-token
//! exchange of the distribution "Token Authentication Specification" (as ghcr.io asks). Plain
//! HTTP is used for loopback hosts only.

use futures_util::{StreamExt, TryStreamExt};
use lamina_remote::digest::hex_of;
use lamina_remote::progress::Progress;
use lamina_remote::registry::{self as remote, AT_ONCE, Options, RegistryOperation, Transfer, parse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use lamina_remote::registry::{Manifest, Tree};

/// What to set when a registry refuses access.
const CREDENTIALS_HINT: &str = "for a private repository run `docker login HOST`; `mirror push` also takes LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD";

/// Repositories named in the progress of a download, at most.
const SHOWN: usize = 3;

/// An image or chart to follow down from its root: [`Registry::trees`].
pub struct Root<'a> {
    /// `HOST/NAME`.
    pub repository: &'a str,
    /// `HOST/NAME:TAG` or `HOST/NAME@DIGEST`.
    pub reference: &'a str,
    /// The platforms an index's children are kept for (all when empty).
    pub platforms: &'a [String],
    /// The manifests already held, which are not fetched.
    pub have: &'a (dyn Fn(&str) -> Option<Manifest> + Sync),
}

/// A blob of `repository` (`HOST/NAME`) to download into `dir/<hex>`: [`Registry::download`].
pub struct Download {
    pub repository: String,
    pub digest: String,
    pub size: u64,
    pub dir: PathBuf,
}

/// A client for the registries of a set of hosts.
pub struct Registry {
    runtime: tokio::runtime::Runtime,
    inner: remote::Registry,
}

impl Registry {
    /// A client for `hosts` (`HOST[:PORT]`); those that are loopback are spoken to in plain HTTP.
    /// Each host gets its own credentials ([`crate::credentials`]); `push` is the host
    /// `mirror push` writes to, the only one `LAMINA_REGISTRY_*` are for.
    pub fn new<'a>(hosts: impl IntoIterator<Item = &'a str>, push: Option<&str>) -> anyhow::Result<Registry> {
        let hosts: Vec<&str> = hosts.into_iter().collect();
        let credentials = crate::credentials::for_hosts(&hosts, push)?;
        let options = Options {
            plain_http: hosts
                .iter()
                .filter(|h| lamina_remote::loopback::is_loopback_host(h))
                .map(|h| h.to_string())
                .collect(),
            credentials,
            user_agent: concat!("lamina-infra/", env!("CARGO_PKG_VERSION")),
            credentials_hint: CREDENTIALS_HINT.to_owned(),
            ..Options::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Registry { runtime, inner: remote::Registry::new(hosts.iter().copied(), options)? })
    }

    /// A client for the registries of a release's images and OCI charts.
    pub fn of(manifest: &lamina_release_format::manifest::ReleaseManifest) -> anyhow::Result<Registry> {
        let images = manifest.images.iter().map(|i| i.repository.as_str());
        let repositories = images.chain(manifest.charts.iter().filter_map(|c| c.oci.as_deref()));
        Registry::new(repositories.map(|r| r.split('/').next().unwrap_or(r)), None)
    }

    /// The digest `reference` (`HOST/NAME:TAG` or `HOST/NAME@DIGEST`) points at; `None` when
    /// there is no such tag.
    pub fn digest(&self, reference: &str) -> anyhow::Result<Option<String>> {
        self.runtime.block_on(self.inner.digest(&parse(reference)?))
    }

    /// The tree of each of `roots` (its root manifest first), all read at once: no read waits on
    /// another it does not depend on. A root `have` holds is not fetched.
    pub fn trees(&self, roots: &[Root<'_>]) -> Vec<anyhow::Result<Tree>> {
        let trees = roots.iter().map(|r| async move {
            let held = r.reference.rsplit_once('@').and_then(|(_, digest)| (r.have)(digest));
            let root = match held {
                Some(root) => root,
                None => self.inner.manifest(&parse(r.reference)?).await?,
            };
            self.inner.tree(r.repository, root, r.platforms, r.have).await
        });
        self.runtime.block_on(futures_util::future::join_all(trees))
    }

    /// Downloads each of `blobs` into its folder, [`AT_ONCE`] at a time whatever repository each
    /// is of (the largest first), behind one progress display; each is verified against its
    /// digest and size as it streams, and renamed into place only then.
    pub fn download(&self, blobs: &[Download]) -> anyhow::Result<()> {
        if blobs.is_empty() {
            return Ok(());
        }
        // Each repository, named by one of its blobs (a session is signed in for a reference).
        let mut repositories: Vec<(&str, &str)> = Vec::new();
        for b in blobs {
            if !repositories.iter().any(|(r, _)| *r == b.repository) {
                repositories.push((&b.repository, &b.digest));
            }
        }
        let what = format!("{} blobs of {}", blobs.len(), shown(repositories.iter().map(|(r, _)| *r)));
        let total = blobs.iter().map(|b| b.size).sum();
        let progress = Progress::transfer(crate::progress_mode(), "downloading", &what, total);
        let advance = |n| progress.advance(n);
        let done = self.runtime.block_on(async {
            let sign_in = repositories.iter().map(|&(repository, digest)| async move {
                let at = parse(&format!("{repository}@{digest}"))?;
                anyhow::Ok((repository, self.inner.session(&at, RegistryOperation::Pull).await?))
            });
            let sessions: BTreeMap<&str, _> =
                futures_util::future::join_all(sign_in).await.into_iter().collect::<anyhow::Result<_>>()?;
            // The largest first, so that the pool ends with small ones and no download runs alone.
            let mut order: Vec<&Download> = blobs.iter().collect();
            order.sort_by_key(|b| std::cmp::Reverse(b.size));
            let downloads = order
                .into_iter()
                .map(|b| sessions[b.repository.as_str()].download_into(&b.digest, b.size, &b.dir, &advance));
            futures_util::stream::iter(downloads).buffer_unordered(AT_ONCE).try_collect().await
        });
        progress.finish();
        done
    }

    /// Uploads the blobs of `dir/<hex>` (by digest) that `repository` lacks, several at once.
    /// Returns how many were uploaded.
    pub fn push_blobs(&self, repository: &str, digests: &[String], dir: &Path) -> anyhow::Result<usize> {
        let Some(first) = digests.first() else { return Ok(0) };
        let blobs: Vec<(String, PathBuf)> =
            digests.iter().map(|d| Ok((d.clone(), dir.join(hex_of(d)?)))).collect::<anyhow::Result<_>>()?;
        let total = blobs.iter().map(|(_, file)| std::fs::metadata(file).map_or(0, |m| m.len())).sum();
        let what = format!("{} blobs to {repository}", digests.len());
        let progress = Progress::transfer(crate::progress_mode(), "uploading", &what, total);
        let done = self.runtime.block_on(async {
            let session =
                self.inner.session(&parse(&format!("{repository}@{first}"))?, RegistryOperation::Push).await?;
            session.transfer_all(&blobs, &|n| progress.advance(n)).await
        });
        progress.finish();
        Ok(done?.into_iter().filter(|t| *t == Transfer::Uploaded).count())
    }

    /// Puts `manifest`'s exact bytes at `reference` (a tag, or its own digest).
    pub fn push_manifest(&self, reference: &str, manifest: &Manifest) -> anyhow::Result<()> {
        let parsed = parse(reference)?;
        self.runtime.block_on(async {
            self.inner.sign_in(&parsed, RegistryOperation::Push).await?;
            self.inner.put_manifest(&parsed, manifest).await
        })
    }
}

/// `names`, the first [`SHOWN`] of them and how many more.
fn shown<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let more = names.len().saturating_sub(SHOWN);
    let first: Vec<&str> = names.take(SHOWN).collect();
    match more {
        0 => first.join(", "),
        more => format!("{} and {more} more", first.join(", ")),
    }
}
