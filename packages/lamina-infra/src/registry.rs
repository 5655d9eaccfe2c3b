//! The consumer's registry seam: [`lamina_remote::registry`] driven from this tool's blocking
//! code through a current-thread runtime, several transfers at once, with progress. Pulls are
//! anonymous, with the bearer-token exchange of the distribution "Token Authentication
//! Specification" (as ghcr.io asks), or use `LAMINA_REGISTRY_USERNAME` /
//! `LAMINA_REGISTRY_PASSWORD` (never printed). Plain HTTP is used for loopback hosts only.

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt};
use lamina_remote::digest::hex_of;
use lamina_remote::progress::Progress;
use lamina_remote::registry::{self as remote, Blob, Credentials, Options, RegistryOperation, Transfer, parse};
use std::path::Path;

pub use lamina_remote::registry::Manifest;

/// Transfers running at once.
const AT_ONCE: usize = 8;

/// What to set when a registry refuses access.
const CREDENTIALS_HINT: &str = "for a private repository set LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD";

/// A client for the registries of a set of hosts.
pub struct Registry {
    runtime: tokio::runtime::Runtime,
    inner: remote::Registry,
}

impl Registry {
    /// A client for `hosts` (`HOST[:PORT]`); those that are loopback are spoken to in plain HTTP.
    #[allow(clippy::disallowed_methods)] // the registry credentials are read here only
    pub fn new<'a>(hosts: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Registry> {
        let hosts: Vec<&str> = hosts.into_iter().collect();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let credentials = match (var("LAMINA_REGISTRY_USERNAME"), var("LAMINA_REGISTRY_PASSWORD")) {
            (Some(username), Some(password)) => Some(Credentials { username, password }),
            (None, None) => None,
            _ => {
                bail!("set both LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD, or neither for anonymous pulls")
            }
        };
        let options = Options {
            plain_http: hosts
                .iter()
                .filter(|h| lamina_remote::loopback::is_loopback_host(h))
                .map(|h| h.to_string())
                .collect(),
            credentials: credentials
                .map(|c| hosts.iter().map(|h| (h.to_string(), c.clone())).collect())
                .unwrap_or_default(),
            user_agent: concat!("lamina-infra/", env!("CARGO_PKG_VERSION")),
            credentials_hint: CREDENTIALS_HINT.to_owned(),
            ..Options::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Registry { runtime, inner: remote::Registry::new(hosts.iter().copied(), options)? })
    }

    /// The digest `reference` (`HOST/NAME:TAG` or `HOST/NAME@DIGEST`) points at.
    pub fn digest(&self, reference: &str) -> anyhow::Result<String> {
        let parsed = parse(reference)?;
        match self.runtime.block_on(self.inner.digest(&parsed))? {
            Some(digest) => Ok(digest),
            None => Err(lamina_remote::hint::fail(
                format!("read the digest of `{reference}`: not found on {} (404)", parsed.registry()),
                "check the name and digest, or that it was published",
            )),
        }
    }

    /// The manifest `reference` names, its digest verified (against the reference's digest when
    /// it has one).
    pub fn manifest(&self, reference: &str) -> anyhow::Result<Manifest> {
        self.manifests(&[reference.to_owned()]).map(|mut all| all.remove(0))
    }

    /// [`manifest`](Self::manifest) for several references at once, in their order.
    pub fn manifests(&self, references: &[String]) -> anyhow::Result<Vec<Manifest>> {
        let one = |reference: String| async move { self.inner.manifest(&parse(&reference)?).await };
        let pulls = futures_util::stream::iter(references.iter().cloned().map(one)).buffered(AT_ONCE);
        self.runtime.block_on(pulls.try_collect())
    }

    /// Downloads the blobs (`(digest, size)`) of `repository` (`HOST/NAME`) that `dir` lacks into
    /// `dir/<hex>`, several at once, each verified against its digest and size and renamed into
    /// place only then; a blob already there counts only when it hashes to its digest (its size
    /// alone never vouches for it). Returns how many were downloaded.
    pub fn blobs_into(&self, repository: &str, blobs: &[(String, u64)], dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir).with_context(|| format!("create `{}`", dir.display()))?;
        let mut missing = Vec::new();
        for (digest, size) in blobs {
            let hex = hex_of(digest)?;
            let held = lamina_remote::digest::sha256_if_present(&dir.join(hex)).ok().flatten();
            if held != Some((hex.to_owned(), *size)) && !missing.iter().any(|(d, _)| d == digest) {
                missing.push((digest.clone(), *size));
            }
        }
        let Some((first, _)) = missing.first() else { return Ok(0) };
        let probe = parse(&format!("{repository}@{first}"))?;
        let session = &self.runtime.block_on(self.inner.session(&probe, RegistryOperation::Pull))?;
        let total = missing.iter().map(|(_, size)| size).sum();
        let what = format!("{} blobs of {repository}", missing.len());
        let progress = &Progress::transfer(crate::progress_mode(), "downloading", &what, total);
        let one = |(digest, size): (String, u64)| async move {
            let path = dir.join(hex_of(&digest)?);
            let partial = tempfile::Builder::new().prefix(".partial-").tempfile_in(dir)?;
            let advance = |n| progress.advance(n);
            session
                .download(&digest, size, partial.path(), &advance)
                .await
                .and_then(|()| partial.persist(&path).map(drop).context("rename"))
                .with_context(|| format!("blob `{repository}@{digest}`"))
        };
        let count = missing.len();
        let downloads = futures_util::stream::iter(missing.into_iter().map(one)).buffer_unordered(AT_ONCE);
        let done = self.runtime.block_on(downloads.try_collect::<Vec<()>>());
        progress.finish();
        done?;
        Ok(count)
    }

    /// Uploads the blobs of `dir/<hex>` (by digest) that `repository` lacks, several at once.
    /// Returns how many were uploaded.
    pub fn push_blobs(&self, repository: &str, digests: &[String], dir: &Path) -> anyhow::Result<usize> {
        let Some(first) = digests.first() else { return Ok(0) };
        let probe = parse(&format!("{repository}@{first}"))?;
        let session = &self.runtime.block_on(self.inner.session(&probe, RegistryOperation::Push))?;
        let sizes: Vec<u64> = digests
            .iter()
            .map(|d| Ok(std::fs::metadata(dir.join(hex_of(d)?)).map_or(0, |m| m.len())))
            .collect::<anyhow::Result<_>>()?;
        let what = format!("{} blobs to {repository}", digests.len());
        let progress = &Progress::transfer(crate::progress_mode(), "uploading", &what, sizes.iter().sum());
        let one = |(digest, size): (String, u64)| async move {
            let file = dir.join(hex_of(&digest)?);
            let transfer = session.transfer(&digest, Blob::File(&file)).await?;
            progress.advance(size);
            anyhow::Ok(usize::from(transfer == Transfer::Uploaded))
        };
        let uploads = futures_util::stream::iter(digests.iter().cloned().zip(sizes.iter().copied()).map(one))
            .buffer_unordered(AT_ONCE);
        let counts = self.runtime.block_on(uploads.try_collect::<Vec<usize>>());
        progress.finish();
        Ok(counts?.into_iter().sum())
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
