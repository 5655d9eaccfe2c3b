//! Blob transfers with one repository of a registry, signed in once: a blob mounted or uploaded
//! when the repository lacks it (many at once), or downloaded with its size and digest checked as
//! it streams, into its folder under a temporary name.

use super::{Blob, Reference, Transfer, is_server_error};
use anyhow::{Context, bail, format_err};
use futures_util::{StreamExt, TryStreamExt};
use oci_client::errors::OciDistributionError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

/// Transfers running at once, as go-containerregistry bounds them.
pub const AT_ONCE: usize = 4;
/// Chunks of a download received and not yet hashed and written, at most.
const IN_FLIGHT: usize = 16;
/// What a download's writes are gathered into (a write per chunk costs a system call each).
const WRITE_BUFFER: usize = 256 << 10;

/// Blob transfers with one repository, signed in once.
pub struct Session<'a> {
    pub(super) registry: &'a super::Registry,
    /// Whether uploads go through the client that never asks for a token.
    pub(super) open: bool,
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
        let (at, client) = (self.at(digest), self.registry.oci(self.open)?);
        let key = (self.host.clone(), digest.to_owned());
        let known = &self.registry.known;
        let remember = |transfer| {
            known.lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), self.repository.clone());
            Ok(transfer)
        };
        match client.blob_exists(&at, digest).await {
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
            if client.mount_blob(&at, &from, digest).await.is_ok() {
                return remember(Transfer::Mounted);
            }
        }
        let pushed = match blob {
            Blob::File(file) => {
                let opened = std::fs::File::open(file).with_context(|| format!("read blob {digest}"))?;
                let size = opened.metadata()?.len();
                client.push_blob_stream(&at, chunks(opened), digest, Some(size)).await
            }
            Blob::Bytes(bytes) => client.push_blob(&at, bytes.to_vec(), digest).await,
        };
        pushed.map_err(|e| self.registry.explain(e, "upload", &at))?;
        remember(Transfer::Uploaded)
    }

    /// Streams the blob `digest` of `size` bytes into the file `to`, checking its size as it
    /// comes and its digest at the end; `advance` is told of every chunk as it arrives. Registries redirect
    /// blobs to their storage: the read follows the one redirect rule.
    pub async fn download(
        &self,
        digest: &str,
        size: u64,
        to: &std::fs::File,
        advance: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<()> {
        let at = self.at(digest);
        let path = format!("blobs/{digest}");
        let mut response = self.registry.read(&at, &path, None, super::read::Method::Get, "download").await?;
        // Hashed and written on a thread of its own while the next chunks arrive: the two cores
        // share a download's work.
        let (chunks, mut arrived) = tokio::sync::mpsc::channel::<bytes::Bytes>(IN_FLIGHT);
        let mut file = std::io::BufWriter::with_capacity(WRITE_BUFFER, to.try_clone()?);
        let sink = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut hasher = Sha256::new();
            while let Some(chunk) = arrived.blocking_recv() {
                hasher.update(&chunk);
                file.write_all(&chunk)?;
            }
            file.flush()?;
            Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
        });
        let mut written = 0u64;
        while let Some(chunk) =
            response.chunk().await.map_err(|e| format_err!("the download was cut: {}", crate::hint::cause(&e)))?
        {
            written += chunk.len() as u64;
            if written > size {
                bail!("the registry sent more than the {size} bytes its descriptor records; refusing it");
            }
            advance(chunk.len() as u64);
            if chunks.send(chunk).await.is_err() {
                break; // the writer stopped: its error is the one to show
            }
        }
        drop(chunks);
        let got = sink.await.context("write the blob")?.context("write the blob")?;
        if written != size {
            bail!("the registry sent {written} bytes, the descriptor records {size}; refusing it");
        }
        if got != digest {
            bail!("the content does not match its digest ({digest} expected, {got} received); refusing it");
        }
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

    /// [`download`](Self::download)s the blob `digest` into `dir/<hex>` (a folder that exists),
    /// under a temporary name renamed into place once it checks out.
    pub async fn download_into(
        &self,
        digest: &str,
        size: u64,
        dir: &Path,
        advance: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<()> {
        let done = async {
            let path = dir.join(crate::digest::hex_of(digest)?);
            let partial = tempfile::Builder::new().prefix(".partial-").tempfile_in(dir)?;
            self.download(digest, size, partial.as_file(), advance).await?;
            partial.persist(&path).map(drop).context("rename")
        };
        done.await.with_context(|| format!("blob `{}/{}@{digest}`", self.host, self.repository))
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

#[cfg(test)]
mod tests {
    use crate::registry::{Options, Registry, RegistryOperation, parse};
    use std::io::{BufRead, BufReader, Write};

    /// A registry on loopback that sends a blob to plain-HTTP storage elsewhere: the redirect is
    /// refused, and nothing is fetched there. Serves until asked for `/stop`; every request line
    /// it saw is returned.
    #[test]
    fn a_blob_redirected_to_plain_http_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let served = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..10 {
                let (conn, _) = listener.accept().unwrap();
                let mut line = String::new();
                BufReader::new(&conn).read_line(&mut line).unwrap();
                let answer = match line.split(' ').nth(1).unwrap_or_default() {
                    "/stop" => break,
                    "/v2/" => "200 OK\r\n".to_owned(),
                    _ => "307 Temporary Redirect\r\nlocation: http://blobs.example/blob\r\n".to_owned(),
                };
                seen.push(line.trim().to_owned());
                let mut conn = conn;
                conn.write_all(format!("HTTP/1.1 {answer}content-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                    .unwrap();
            }
            seen
        });
        let options = Options { plain_http: vec![host.clone()], user_agent: "test", ..Options::default() };
        let registry = Registry::new([host.as_str()], options).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let digest = format!("sha256:{}", "a".repeat(64));
        let refused = runtime.block_on(async {
            let session =
                registry.session(&parse(&format!("{host}/acme/x:1")).unwrap(), RegistryOperation::Pull).await?;
            session.download(&digest, 4, &std::fs::File::create(scratch.path().join("blob"))?, &|_| {}).await
        });
        std::net::TcpStream::connect(&host).unwrap().write_all(b"GET /stop HTTP/1.1\r\n\r\n").unwrap();
        let seen = served.join().unwrap();
        let shown = format!("{:#}", refused.unwrap_err());
        assert!(shown.contains("a redirect to plain http `http://blobs.example/blob` was refused"), "{shown}");
        assert_eq!(seen.last().map(String::as_str), Some(&*format!("GET /v2/acme/x/blobs/{digest} HTTP/1.1")));
    }
}
