//! The consumer's registry seam: [`lamina_remote::registry`] driven from this tool's blocking
//! code through a current-thread runtime, several transfers at once, with progress. Each host is
//! read with its own credentials ([`crate::credentials`]) or anonymously, with the bearer-token
//! exchange of the distribution "Token Authentication Specification" (as ghcr.io asks). Plain
//! HTTP is used for loopback hosts only.

use lamina_remote::digest::hex_of;
use lamina_remote::progress::Progress;
use lamina_remote::registry::{self as remote, Options, RegistryOperation, Transfer, parse};
use std::path::{Path, PathBuf};

pub use lamina_remote::registry::{Manifest, Tree};

/// What to set when a registry refuses access.
const CREDENTIALS_HINT: &str = "for a private repository run `docker login HOST`; `mirror push` also takes LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD";

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

    /// The manifest `reference` names, its digest verified (against the reference's digest when
    /// it has one).
    pub fn manifest(&self, reference: &str) -> anyhow::Result<Manifest> {
        self.runtime.block_on(self.inner.manifest(&parse(reference)?))
    }

    /// Follows `root` of `repository` down to its blobs (see [`remote::Registry::tree`]).
    pub fn tree(
        &self,
        repository: &str,
        root: Manifest,
        platforms: &[String],
        have: &(dyn Fn(&str) -> Option<Manifest> + Sync),
    ) -> anyhow::Result<Tree> {
        self.runtime.block_on(self.inner.tree(repository, root, platforms, have))
    }

    /// Downloads the blobs (`(digest, size)`) of `repository` (`HOST/NAME`) that `dir` lacks into
    /// `dir/<hex>`, several at once, each verified against its digest and size and renamed into
    /// place only then; a blob already there counts only when it hashes to its digest (its size
    /// alone never vouches for it). Returns how many were downloaded.
    pub fn blobs_into(&self, repository: &str, blobs: &[(String, u64)], dir: &Path) -> anyhow::Result<usize> {
        let mut missing = Vec::new();
        for (digest, size) in blobs {
            let hex = hex_of(digest)?;
            if lamina_remote::digest::sha256_if_present(&dir.join(hex)).ok().flatten() != Some((hex.to_owned(), *size))
            {
                missing.push((digest.clone(), *size));
            }
        }
        let Some((first, _)) = missing.first() else { return Ok(0) };
        let what = format!("{} blobs of {repository}", missing.len());
        let total = missing.iter().map(|(_, size)| size).sum();
        let progress = Progress::transfer(crate::progress_mode(), "downloading", &what, total);
        let done = self.runtime.block_on(async {
            let session =
                self.inner.session(&parse(&format!("{repository}@{first}"))?, RegistryOperation::Pull).await?;
            session.download_into(&missing, dir, &|n| progress.advance(n)).await
        });
        progress.finish();
        done.map(|()| missing.len())
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
