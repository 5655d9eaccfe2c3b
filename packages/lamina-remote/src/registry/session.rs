//! Blob transfers with one repository of a registry, signed in once: a blob mounted or uploaded
//! when the repository lacks it, downloaded with its size and digest checked as it streams, and
//! many of either at once.

use super::{Blob, Reference, Transfer, is_server_error};
use anyhow::{Context, bail, format_err};
use futures_util::{StreamExt, TryStreamExt};
use oci_client::Client;
use oci_client::errors::{DigestError, OciDistributionError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

/// Transfers running at once, as go-containerregistry bounds them.
pub const AT_ONCE: usize = 4;

/// Blob transfers with one repository, signed in once.
pub struct Session<'a> {
    pub(super) registry: &'a super::Registry,
    pub(super) client: &'a Client,
    pub(super) host: String,
    pub(super) repository: String,
}

impl Session<'_> {
    /// `HOST/NAME@digest`.
    pub fn at(&self, digest: &str) -> Reference {
        Reference::with_digest(self.host.clone(), self.repository.clone(), digest.to_owned())
    }

    /// Gets the blob `digest` into the repository: nothing when it is there, a cross-repository
    /// mount when another repository of the registry has it, else an upload of `blob`. A refused
    /// mount (a registry may answer 202 and start an upload instead) falls back to uploading.
    pub async fn transfer(&self, digest: &str, blob: Blob<'_>) -> anyhow::Result<Transfer> {
        let at = self.at(digest);
        let key = (self.host.clone(), digest.to_owned());
        let known = &self.registry.known;
        let remember = |transfer| {
            known.lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), self.repository.clone());
            Ok(transfer)
        };
        match self.client.blob_exists(&at, digest).await {
            Ok(true) => return remember(Transfer::Present),
            Ok(false) => {}
            // A registry that died mid-write can fail to answer for a half-stored blob; pushing
            // it again is safe (a blob is addressed by its digest) and repairs it.
            Err(e) if is_server_error(&e) => {}
            Err(e) => return Err(self.registry.explain(e, "check", &at)),
        }
        let source = known.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        if let Some(source) = source.filter(|s| *s != self.repository) {
            let from = Reference::with_digest(self.host.clone(), source, digest.to_owned());
            if self.client.mount_blob(&at, &from, digest).await.is_ok() {
                return remember(Transfer::Mounted);
            }
        }
        let pushed = match blob {
            Blob::File(file) => {
                let opened = std::fs::File::open(file).with_context(|| format!("read blob {digest}"))?;
                let size = opened.metadata()?.len();
                self.client.push_blob_stream(&at, chunks(opened), digest, Some(size)).await
            }
            Blob::Bytes(bytes) => self.client.push_blob(&at, bytes.to_vec(), digest).await,
        };
        pushed.map_err(|e| self.registry.explain(e, "upload", &at))?;
        remember(Transfer::Uploaded)
    }

    /// Streams the blob `digest` of `size` bytes into `to`, checking its size as it comes and
    /// its digest at the end; `advance` is told of every chunk.
    pub async fn download(
        &self,
        digest: &str,
        size: u64,
        to: &Path,
        advance: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<()> {
        let at = self.at(digest);
        let mut stream = self
            .client
            .pull_blob_stream(&at, digest)
            .await
            .map_err(|e| self.registry.explain(e, "download", &at))?
            .stream;
        let mut file = std::io::BufWriter::new(std::fs::File::create(to)?);
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| match e.get_ref().and_then(|i| i.downcast_ref::<DigestError>()) {
                Some(d) => format_err!("the content does not match its digest ({d}); refusing it"),
                None => format_err!("the download was cut: {e}"),
            })?;
            written += chunk.len() as u64;
            if written > size {
                bail!("the registry sent more than the {size} bytes its descriptor records; refusing it");
            }
            file.write_all(&chunk)?;
            advance(chunk.len() as u64);
        }
        if written != size {
            bail!("the registry sent {written} bytes, the descriptor records {size}; refusing it");
        }
        file.flush()?;
        Ok(())
    }

    /// [`transfer`](Self::transfer)s every blob of `blobs` (digest, file), [`AT_ONCE`] at a time;
    /// `advance` is told each blob's size as it lands. Returns what each transfer did.
    pub async fn transfer_all(
        &self,
        blobs: &[(String, PathBuf)],
        advance: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<Vec<Transfer>> {
        let transfers = blobs.iter().map(|(digest, file)| async move {
            let transfer = self.transfer(digest, Blob::File(file)).await?;
            advance(std::fs::metadata(file).map_or(0, |m| m.len()));
            anyhow::Ok(transfer)
        });
        futures_util::stream::iter(transfers).buffer_unordered(AT_ONCE).try_collect().await
    }

    /// [`download`](Self::download)s each blob of `blobs` (digest, size) into `dir/<hex>`,
    /// [`AT_ONCE`] at a time, each under a temporary name renamed into place once it checks out.
    pub async fn download_into(
        &self,
        blobs: &[(String, u64)],
        dir: &Path,
        advance: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("create `{}`", dir.display()))?;
        let downloads = blobs.iter().map(|(digest, size)| async move {
            let path = dir.join(crate::digest::hex_of(digest)?);
            let partial = tempfile::Builder::new().prefix(".partial-").tempfile_in(dir)?;
            self.download(digest, *size, partial.path(), advance)
                .await
                .and_then(|()| partial.persist(&path).map(drop).context("rename"))
                .with_context(|| format!("blob `{}/{}@{digest}`", self.host, self.repository))
        });
        futures_util::stream::iter(downloads).buffer_unordered(AT_ONCE).try_collect().await
    }
}

/// A file as a stream of 1 MiB chunks, so a large blob is never held in memory whole.
fn chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, OciDistributionError>> + Send + 'static {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0; 1 << 20];
        match std::io::Read::read(&mut file, &mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e.into()), None)),
        }
    })
}
