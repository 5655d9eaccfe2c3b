//! The one seam between this tool and OCI registries (OCI distribution-spec "Pull" and "Push"):
//! manifests and blobs by digest with their exact bytes, verified, and pushed back unchanged.
//! Built on `oci-client` with a current-thread tokio runtime inside, so the rest of the tool stays
//! blocking. Pulls are anonymous, with the bearer-token exchange of the distribution "Token
//! Authentication Specification" (as ghcr.io asks), or use `LAMINA_REGISTRY_USERNAME` /
//! `LAMINA_REGISTRY_PASSWORD` (never printed). Plain HTTP is used for loopback hosts only.

use anyhow::{Context, bail, format_err};
use futures_util::{StreamExt, TryStreamExt};
use lamina_remote::digest::{hex_of, sha256};
use lamina_remote::progress::Progress;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Every manifest type asked for: without the index types some registries refuse an index.
pub const MANIFEST_TYPES: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// Transfers running at once.
const AT_ONCE: usize = 8;

/// A manifest exactly as the registry served it.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
    /// From the body's `mediaType` (inferred from its shape when absent).
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Manifest {
    /// Checks `bytes` against `digest` and reads the media type from the body.
    pub fn new(bytes: Vec<u8>, digest: &str) -> anyhow::Result<Manifest> {
        let actual = sha256(&bytes);
        if actual != digest {
            bail!("the manifest is {actual}, not {digest}");
        }
        let body: serde_json::Value = serde_json::from_slice(&bytes).context("the manifest is not JSON")?;
        let media_type = match body.get("mediaType").and_then(|m| m.as_str()) {
            Some(m) => m.to_owned(),
            None if body.get("manifests").is_some() => OCI_INDEX.to_owned(),
            None => OCI_MANIFEST.to_owned(),
        };
        Ok(Manifest { digest: actual, media_type, bytes })
    }

    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_LIST
    }
}

/// A client for the registries of a set of hosts.
pub struct Registry {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// A client that never asks for a token, for blobs of registries that want no credentials:
    /// `client` would ask again before every request, since there is no token to remember.
    open: std::sync::OnceLock<Client>,
    /// The hosts spoken to in plain HTTP.
    plain: Vec<String>,
    /// Blobs go up in chunks (ghcr.io refuses large single uploads).
    chunked: bool,
    auth: RegistryAuth,
}

impl Registry {
    /// A client for `hosts` (`HOST[:PORT]`); those that are loopback are spoken to in plain HTTP.
    #[allow(clippy::disallowed_methods)] // the registry credentials are read here only
    pub fn new<'a>(hosts: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Registry> {
        let hosts: Vec<&str> = hosts.into_iter().collect();
        let plain: Vec<String> =
            hosts.iter().filter(|h| lamina_remote::loopback::is_loopback_host(h)).map(|h| h.to_string()).collect();
        let chunked = hosts.iter().any(|h| *h == "ghcr.io" || h.ends_with(".ghcr.io"));
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let auth = match (var("LAMINA_REGISTRY_USERNAME"), var("LAMINA_REGISTRY_PASSWORD")) {
            (Some(user), Some(password)) => RegistryAuth::Basic(user, password),
            (None, None) => RegistryAuth::Anonymous,
            _ => {
                bail!("set both LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD, or neither for anonymous pulls")
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let client = client(&plain, chunked);
        Ok(Registry { runtime, client, open: std::sync::OnceLock::new(), plain, chunked, auth })
    }

    /// The digest `reference` (`HOST/NAME:TAG` or `HOST/NAME@DIGEST`) points at.
    pub fn digest(&self, reference: &str) -> anyhow::Result<String> {
        let parsed = parse(reference)?;
        self.runtime
            .block_on(self.client.fetch_manifest_digest(&parsed, &self.auth))
            .map_err(|e| explain(e, reference, "read the digest of"))
    }

    /// The manifest `reference` names, its digest verified (against the reference's digest when
    /// it has one).
    pub fn manifest(&self, reference: &str) -> anyhow::Result<Manifest> {
        self.manifests(&[reference.to_owned()]).map(|mut all| all.remove(0))
    }

    /// [`manifest`](Self::manifest) for several references at once, in their order.
    pub fn manifests(&self, references: &[String]) -> anyhow::Result<Vec<Manifest>> {
        let one = |reference: String| async move {
            let parsed = parse(&reference)?;
            let (bytes, digest) = self
                .client
                .pull_manifest_raw(&parsed, &self.auth, &MANIFEST_TYPES)
                .await
                .map_err(|e| explain(e, &reference, "read the manifest"))?;
            let manifest = Manifest::new(bytes.to_vec(), &digest).with_context(|| format!("`{reference}`"))?;
            if let Some(wanted) = parsed.digest()
                && wanted != manifest.digest
            {
                bail!("`{reference}` served the manifest {}; refusing it", manifest.digest);
            }
            Ok(manifest)
        };
        let pulls = futures_util::stream::iter(references.iter().cloned().map(one)).buffered(AT_ONCE);
        self.runtime.block_on(pulls.try_collect())
    }

    /// Downloads the blobs (`(digest, size)`) of `repository` (`HOST/NAME`) that `dir` lacks into
    /// `dir/<hex>`, several at once, each verified against its digest and size and renamed into
    /// place only then. Returns how many were downloaded.
    pub fn blobs_into(&self, repository: &str, blobs: &[(String, u64)], dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir).with_context(|| format!("create `{}`", dir.display()))?;
        let mut missing = Vec::new();
        for (digest, size) in blobs {
            let path = dir.join(hex_of(digest)?);
            if std::fs::metadata(&path).ok().map(|m| m.len()) != Some(*size)
                && !missing.iter().any(|(d, _)| d == digest)
            {
                missing.push((digest.clone(), *size));
            }
        }
        let Some((first, _)) = missing.first() else { return Ok(0) };
        let probe = parse(&format!("{repository}@{first}"))?;
        let client = self.session(&probe, RegistryOperation::Pull).map_err(|e| explain(e, repository, "sign in to"))?;
        let total = missing.iter().map(|(_, size)| size).sum();
        let what = format!("{} blobs of {repository}", missing.len());
        let progress = &Progress::transfer(crate::progress_mode(), "downloading", &what, total);
        let one = |(digest, size): (String, u64)| async move {
            let reference = format!("{repository}@{digest}");
            let parsed = parse(&reference)?;
            let path = dir.join(hex_of(&digest)?);
            let partial = dir.join(format!(".{}.partial-{}", hex_of(&digest)?, std::process::id()));
            let result = download(client, &parsed, &digest, size, &partial).await;
            match result.and_then(|()| std::fs::rename(&partial, &path).context("rename")) {
                Ok(()) => {
                    progress.advance(size);
                    Ok(())
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(e.context(format!("blob `{reference}`")))
                }
            }
        };
        let count = missing.len();
        let downloads = futures_util::stream::iter(missing.into_iter().map(one)).buffer_unordered(AT_ONCE);
        let done = self.runtime.block_on(downloads.try_collect::<Vec<()>>());
        progress.finish();
        done?;
        Ok(count)
    }

    /// The client for blob requests to `reference`'s repository, signed in for `operation`.
    fn session(&self, reference: &Reference, operation: RegistryOperation) -> Result<&Client, OciDistributionError> {
        let token = self.runtime.block_on(self.client.auth(reference, &self.auth, operation))?;
        let open = token.is_none() && matches!(self.auth, RegistryAuth::Anonymous);
        Ok(if open { self.open.get_or_init(|| client(&self.plain, self.chunked)) } else { &self.client })
    }

    /// Uploads the blobs of `dir/<hex>` (by digest) that `repository` lacks, several at once.
    /// Returns how many were uploaded.
    pub fn push_blobs(&self, repository: &str, digests: &[String], dir: &Path) -> anyhow::Result<usize> {
        let Some(first) = digests.first() else { return Ok(0) };
        let probe = parse(&format!("{repository}@{first}"))?;
        let client =
            self.session(&probe, RegistryOperation::Push).map_err(|e| explain(e, repository, "sign in to push to"))?;
        let sizes: Vec<u64> = digests
            .iter()
            .map(|d| Ok(std::fs::metadata(dir.join(hex_of(d)?)).map_or(0, |m| m.len())))
            .collect::<anyhow::Result<_>>()?;
        let what = format!("{} blobs to {repository}", digests.len());
        let progress = &Progress::transfer(crate::progress_mode(), "uploading", &what, sizes.iter().sum());
        let one = |(digest, size): (String, u64)| async move {
            let reference = format!("{repository}@{digest}");
            let parsed = parse(&reference)?;
            let present = client.blob_exists(&parsed, &digest).await.map_err(|e| explain(e, &reference, "check"))?;
            if present {
                progress.advance(size);
                return Ok(0);
            }
            let path = dir.join(hex_of(&digest)?);
            let file = std::fs::File::open(&path).with_context(|| format!("read `{}`", path.display()))?;
            let size = file.metadata()?.len();
            client
                .push_blob_stream(&parsed, chunks(file), &digest, Some(size))
                .await
                .map_err(|e| explain(e, &reference, "upload"))?;
            progress.advance(size);
            anyhow::Ok(1)
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
        let content_type = manifest.media_type.parse().context("the media type as a header")?;
        self.runtime
            .block_on(async {
                self.client.auth(&parsed, &self.auth, RegistryOperation::Push).await?;
                self.client.push_manifest_raw(&parsed, manifest.bytes.clone(), content_type).await
            })
            .map_err(|e| explain(e, reference, "push the manifest to"))?;
        Ok(())
    }
}

/// A client speaking plain HTTP to `plain` hosts only, uploading blobs in one request unless
/// `chunked`.
fn client(plain: &[String], chunked: bool) -> Client {
    Client::new(ClientConfig {
        protocol: ClientProtocol::HttpsExcept(plain.to_vec()),
        use_monolithic_push: !chunked,
        connect_timeout: Some(Duration::from_secs(20)),
        read_timeout: Some(Duration::from_secs(120)),
        user_agent: concat!("lamina-infra/", env!("CARGO_PKG_VERSION")),
        ..Default::default()
    })
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

/// Streams one blob into `to`, checking its size as it comes and its digest at the end.
async fn download(client: &Client, reference: &Reference, digest: &str, size: u64, to: &Path) -> anyhow::Result<()> {
    let shown = reference.whole();
    let mut stream =
        client.pull_blob_stream(reference, digest).await.map_err(|e| explain(e, &shown, "download"))?.stream;
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
    }
    if written != size {
        bail!("the registry sent {written} bytes, the descriptor records {size}; refusing it");
    }
    file.flush()?;
    Ok(())
}

/// `HOST/NAME:TAG` or `HOST/NAME@DIGEST`, split by hand: the general reference grammar costs a
/// large regular expression to compile, and every reference here names its host.
fn parse(reference: &str) -> anyhow::Result<Reference> {
    let wrong = || format_err!("`{reference}` is not a registry reference (HOST/NAME:TAG or HOST/NAME@sha256:…)");
    let (name, digest, tag) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(hex_of(digest).map_err(|_| wrong())?), None),
        None => match reference.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
            Some((name, tag)) => (name, None, Some(tag)),
            None => (reference, None, None),
        },
    };
    let (host, path) = name.split_once('/').ok_or_else(wrong)?;
    let path_ok = path.split('/').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    if host.is_empty() || !path_ok || !tag_ok || host.contains(['@', ' ']) {
        return Err(wrong());
    }
    let (host, path) = (host.to_owned(), path.to_owned());
    Ok(match (digest, tag) {
        (Some(hex), _) => Reference::with_digest(host, path, format!("sha256:{hex}")),
        (None, tag) => Reference::with_tag(host, path, tag.unwrap_or("latest").to_owned()),
    })
}

/// What went wrong, naming the host and reference and telling a refusal (401/403), an absence
/// (404) and an unreachable registry apart. Never carries a credential.
fn explain(e: OciDistributionError, reference: &str, what: &str) -> anyhow::Error {
    let host = reference.split('/').next().unwrap_or(reference);
    let status = match &e {
        OciDistributionError::UnauthorizedError { .. } | OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ImageManifestNotFoundError(_) => Some(404),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().find_map(|e| match e.code {
            OciErrorCode::Unauthorized => Some(401),
            OciErrorCode::Denied => Some(403),
            OciErrorCode::ManifestUnknown
            | OciErrorCode::BlobUnknown
            | OciErrorCode::NameUnknown
            | OciErrorCode::NotFound => Some(404),
            _ => None,
        }),
        OciDistributionError::RequestError(r) => r.status().map(|s| s.as_u16()),
        _ => None,
    };
    match (status, &e) {
        (Some(401), _) => format_err!(
            "{what} `{reference}`: the registry {host} refused access (401); for a private repository set LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD"
        ),
        (Some(403), _) => format_err!(
            "{what} `{reference}`: the registry {host} denied it (403); the credentials lack the permission"
        ),
        (Some(404), _) => format_err!(
            "{what} `{reference}`: not found on {host} (404); check the name and digest, or that it was published"
        ),
        (_, OciDistributionError::RequestError(r)) if r.status().is_none() => {
            let mut cause: &dyn std::error::Error = r;
            while let Some(next) = cause.source() {
                cause = next;
            }
            format_err!("{what} `{reference}`: cannot reach the registry {host}: {cause}")
        }
        (_, OciDistributionError::DigestError(d)) => {
            format_err!("{what} `{reference}`: the content does not match its digest ({d}); refusing it")
        }
        (Some(code), _) => format_err!("{what} `{reference}`: the registry {host} answered {code}: {e}"),
        (None, _) => format_err!("{what} `{reference}` on {host}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_checked_and_its_media_type_read_from_the_body() {
        let bytes = br#"{"schemaVersion":2,"manifests":[]}"#.to_vec();
        let m = Manifest::new(bytes.clone(), &sha256(&bytes)).unwrap();
        assert!(m.is_index());
        assert!(Manifest::new(bytes, &format!("sha256:{}", "0".repeat(64))).is_err());
    }

    #[test]
    fn references_name_their_host_and_a_tag_or_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("127.0.0.1:5000/acme/hello@{digest}")).unwrap();
        assert_eq!((r.registry(), r.repository(), r.digest()), ("127.0.0.1:5000", "acme/hello", Some(digest.as_str())));
        let r = parse("ghcr.io/acme/charts/demo:0.2.0").unwrap();
        assert_eq!((r.registry(), r.repository(), r.tag()), ("ghcr.io", "acme/charts/demo", Some("0.2.0")));
        assert_eq!(parse("127.0.0.1:5000/acme/hello").unwrap().tag(), Some("latest"));
        for bad in ["hello", "ghcr.io/Acme/x:1", "ghcr.io/acme/x@sha256:12", "ghcr.io//x:1", "ghcr.io/x:a b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
