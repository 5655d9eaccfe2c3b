//! The registry channel: OCI charts pushed with oci-client. Digests are computed locally first,
//! so a tag already holding the same digest is skipped and one holding another is refused: a
//! published version is never replaced (OCI Distribution Specification, "Push").

use crate::config::RegistryBase;
use crate::helm::oci::{self, ChartArtifact};
use crate::layout::Image;
use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

/// Credentials for the registry; the password is never printed (its `Debug` hides it).
#[derive(Clone, Default)]
pub struct Credentials {
    pub username: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, {})", self.username, if self.password.is_some() { "***" } else { "anonymous" })
    }
}

impl Credentials {
    /// `LAMINA_REGISTRY_USERNAME` / `LAMINA_REGISTRY_PASSWORD`, falling back to `GITHUB_ACTOR`
    /// (else `x-access-token`) and `GITHUB_TOKEN`, as ghcr.io expects; no password: anonymous.
    pub fn from_env() -> Credentials {
        use crate::env::{GITHUB_ACTOR, GITHUB_TOKEN, LAMINA_REGISTRY_PASSWORD, LAMINA_REGISTRY_USERNAME, var};
        Credentials {
            username: var(LAMINA_REGISTRY_USERNAME)
                .or_else(|| var(GITHUB_ACTOR))
                .unwrap_or_else(|| "x-access-token".to_owned()),
            password: var(LAMINA_REGISTRY_PASSWORD).or_else(|| var(GITHUB_TOKEN)),
        }
    }
}

/// One registry and one set of credentials (oci-client keeps the first credentials it sees per
/// registry, so a client is never shared between credential sets).
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
    base: RegistryBase,
    /// Blobs known to be in some repository of this registry, so another repository can mount
    /// them instead of uploading them again.
    known: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// Blob uploads running at once for one image.
const UPLOADS_AT_ONCE: usize = 4;

/// How one blob got into the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    Present,
    Mounted,
    Uploaded,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    Created {
        reference: String,
        digest: String,
    },
    /// The tag already held exactly this artifact.
    Unchanged {
        reference: String,
        digest: String,
    },
}

impl Registry {
    /// The client the pipeline uses: credentials from the environment, and the CA certificates in
    /// `SSL_CERT_FILE` trusted besides the built-in roots.
    pub fn from_env(base: &RegistryBase) -> anyhow::Result<Registry> {
        let roots: Vec<std::path::PathBuf> =
            crate::env::var(crate::env::SSL_CERT_FILE).map(Into::into).into_iter().collect();
        Self::with_roots(base, &Credentials::from_env(), &roots)
    }

    pub fn new(base: &RegistryBase, credentials: &Credentials) -> Registry {
        Self::build(base, credentials, Vec::new())
    }

    /// A client that also trusts the CA certificates in `roots` (PEM files; e.g. the file
    /// `SSL_CERT_FILE` names, for a registry with a private CA). An unreadable or empty file is an
    /// error here, not a silent fallback to the default trust store.
    pub fn with_roots(
        base: &RegistryBase,
        credentials: &Credentials,
        roots: &[std::path::PathBuf],
    ) -> anyhow::Result<Registry> {
        let mut certificates = Vec::new();
        for path in roots {
            let data =
                std::fs::read(path).with_context(|| format!("read the CA certificates in `{}`", path.display()))?;
            if !String::from_utf8_lossy(&data).contains("-----BEGIN CERTIFICATE-----") {
                return Err(lamina_remote::hint::fail(
                    format!("`{}` holds no PEM certificate", path.display()),
                    "point SSL_CERT_FILE at the registry's CA certificate",
                ));
            }
            certificates
                .push(oci_client::client::Certificate { encoding: oci_client::client::CertificateEncoding::Pem, data });
        }
        Ok(Self::build(base, credentials, certificates))
    }

    fn build(
        base: &RegistryBase,
        credentials: &Credentials,
        extra_root_certificates: Vec<oci_client::client::Certificate>,
    ) -> Registry {
        // Plain HTTP only for the loopback host the configuration validated (config::paths).
        let protocol =
            if base.plain_http { ClientProtocol::HttpsExcept(vec![base.host.clone()]) } else { ClientProtocol::Https };
        // One PUT per blob where the registry takes it; GHCR caps a request near 4 MiB, so there
        // blobs go in 4 MiB chunks (registries such as ghcr.io refuse larger single uploads).
        let chunked = base.host == "ghcr.io" || base.host.ends_with(".ghcr.io");
        let config =
            ClientConfig { protocol, use_monolithic_push: !chunked, extra_root_certificates, ..Default::default() };
        let auth = match &credentials.password {
            Some(p) => RegistryAuth::Basic(credentials.username.clone(), p.clone()),
            None => RegistryAuth::Anonymous,
        };
        Registry { client: Client::new(config), auth, base: base.clone(), known: Default::default() }
    }

    /// `{registry}/charts/{name}:{tag}` as a tag reference.
    pub fn chart_reference(&self, name: &str, tag: &str) -> Reference {
        let repository = if self.base.namespace.is_empty() {
            format!("charts/{name}")
        } else {
            format!("{}/charts/{name}", self.base.namespace)
        };
        Reference::with_tag(self.base.host.clone(), repository, tag.to_owned())
    }

    /// The digest a tag points at, or `None` when the tag does not exist.
    pub async fn tag_digest(&self, reference: &Reference) -> anyhow::Result<Option<String>> {
        match self.client.fetch_manifest_digest(reference, &self.auth).await {
            Ok(d) => Ok(Some(d)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(explain(e, reference)),
        }
    }

    /// Pushes a chart artifact to `reference`: blobs that are missing, then the manifest's exact
    /// bytes to the tag. The same digest at the tag is a no-op; another digest is refused.
    pub async fn push_chart(
        &self,
        reference: &Reference,
        artifact: &ChartArtifact,
        archive: &[u8],
    ) -> anyhow::Result<Pushed> {
        let shown = reference.whole();
        self.client.auth(reference, &self.auth, RegistryOperation::Push).await.map_err(|e| explain(e, reference))?;
        match self.tag_digest(reference).await? {
            Some(d) if d == artifact.manifest_digest => {
                return Ok(Pushed::Unchanged { reference: shown, digest: d });
            }
            Some(d) => {
                return Err(lamina_remote::hint::fail(
                    format!("`{shown}` already holds {d}, but this chart's artifact is {}", artifact.manifest_digest),
                    "a published chart version is immutable: release a new version (`cargo xtask bump`)",
                ));
            }
            None => {}
        }
        for (bytes, digest) in
            [(artifact.config.as_slice(), &artifact.config_digest), (archive, &artifact.layer_digest)]
        {
            let present = self.client.blob_exists(reference, digest).await.map_err(|e| explain(e, reference))?;
            if !present {
                self.client
                    .push_blob(reference, bytes.to_vec(), digest)
                    .await
                    .map_err(|e| explain(e, reference))
                    .with_context(|| format!("upload blob {digest}"))?;
            }
        }
        let content_type = oci::MANIFEST_MEDIA_TYPE.parse().expect("a valid header value");
        self.client
            .push_manifest_raw(reference, artifact.manifest.clone(), content_type)
            .await
            .map_err(|e| explain(e, reference))
            .context("push the chart manifest")?;
        Ok(Pushed::Created { reference: shown, digest: artifact.manifest_digest.clone() })
    }
}

/// What an image push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePushed {
    /// `{registry}/{name}@{digest}`.
    pub reference: String,
    pub digest: String,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Blobs mounted from another repository of the registry instead of uploaded.
    pub mounted: usize,
    /// Tags that were created or moved to the digest.
    pub tagged: Vec<String>,
}

impl Registry {
    /// The repository path of image `name` under the registry base.
    fn repository(&self, name: &str) -> String {
        self.base.repository(name)
    }

    /// `{registry}/{name}:{tag}`.
    pub fn image_reference(&self, name: &str, tag: &str) -> Reference {
        Reference::with_tag(self.base.host.clone(), self.repository(name), tag.to_owned())
    }

    /// The credentials are accepted for pushing to `reference`'s repository (for a token
    /// registry such as ghcr.io: a push-scoped token is granted) and its tags can be read.
    pub async fn check_push(&self, reference: &Reference) -> anyhow::Result<()> {
        self.client.auth(reference, &self.auth, RegistryOperation::Push).await.map_err(|e| explain(e, reference))?;
        self.tag_digest(reference).await.map(drop)
    }

    /// Pushes an image by digest, then moves its tags: [`push_content`](Self::push_content),
    /// then [`tag`](Self::tag).
    pub async fn push_image(
        &self,
        name: &str,
        image: &Image,
        tags: &[String],
        fixed: &str,
    ) -> anyhow::Result<ImagePushed> {
        let mut pushed = self.push_content(name, image, fixed).await?;
        pushed.tagged = self.tag(name, image, tags).await?;
        Ok(pushed)
    }

    /// Pushes an image by digest, tagging nothing: missing blobs, child manifests, then the root.
    /// `fixed` is the version tag: when it already points at another digest the push is refused
    /// before anything is written; when it points at this digest, every blob and manifest is
    /// there (tags are written last) and nothing is pushed.
    pub async fn push_content(&self, name: &str, image: &Image, fixed: &str) -> anyhow::Result<ImagePushed> {
        let repository = self.repository(name);
        let at = |digest: &str| Reference::with_digest(self.base.host.clone(), repository.clone(), digest.to_owned());
        let root = at(&image.root.digest);
        self.client.auth(&root, &self.auth, RegistryOperation::Push).await.map_err(|e| explain(e, &root))?;
        let at_fixed = self.tag_digest(&self.image_reference(name, fixed)).await?;
        if let Some(d) = &at_fixed
            && *d != image.root.digest
        {
            return Err(lamina_remote::hint::fail(
                format!(
                    "`{}:{fixed}` already holds {d}, but this build is {}",
                    root.resolve_registry().to_owned() + "/" + &repository,
                    image.root.digest
                ),
                "a published version is immutable: release a new version (`cargo xtask bump`)",
            ));
        }
        let complete = at_fixed.as_deref() == Some(image.root.digest.as_str());
        let blobs = if complete { &[][..] } else { image.blobs.as_slice() };
        let transfers: Vec<Transfer> =
            futures_util::stream::iter(blobs.iter().map(|blob| self.transfer(&root, image, blob)))
                .buffer_unordered(UPLOADS_AT_ONCE)
                .try_collect()
                .await?;
        let count = |t: Transfer| transfers.iter().filter(|x| **x == t).count();
        let documents = if complete { &[][..] } else { image.children.as_slice() };
        for doc in documents.iter().chain((!complete).then_some(&image.root)) {
            let content_type = doc.media_type.parse().context("media type as a header")?;
            self.client
                .push_manifest_raw(&at(&doc.digest), doc.bytes.clone(), content_type)
                .await
                .map_err(|e| explain(e, &root))
                .with_context(|| format!("push manifest {}", doc.digest))?;
        }
        Ok(ImagePushed {
            reference: format!("{}/{repository}@{}", self.base.host, image.root.digest),
            digest: image.root.digest.clone(),
            uploaded: count(Transfer::Uploaded),
            mounted: count(Transfer::Mounted),
            tagged: Vec::new(),
        })
    }

    /// Points `tags` at the image's root (already pushed by digest); returns the tags that were
    /// created or moved. A tag already on the digest is left alone.
    pub async fn tag(&self, name: &str, image: &Image, tags: &[String]) -> anyhow::Result<Vec<String>> {
        let mut moved = Vec::new();
        for tag in tags {
            let reference = self.image_reference(name, tag);
            if self.tag_digest(&reference).await?.as_deref() == Some(image.root.digest.as_str()) {
                continue;
            }
            let content_type = image.root.media_type.parse().context("media type as a header")?;
            self.client
                .push_manifest_raw(&reference, image.root.bytes.clone(), content_type)
                .await
                .map_err(|e| explain(e, &reference))?;
            moved.push(tag.clone());
        }
        Ok(moved)
    }

    /// Gets one blob into `target`'s repository: nothing when it is there, a cross-repository
    /// mount when another repository has it, else an upload. A refused mount (a registry may
    /// answer 202 and start an upload instead) falls back to uploading.
    async fn transfer(
        &self,
        target: &Reference,
        image: &Image,
        blob: &crate::layout::Blob,
    ) -> anyhow::Result<Transfer> {
        let repository = target.repository().to_owned();
        let remember = |transfer| {
            self.known.lock().expect("not poisoned").insert(blob.digest.clone(), repository.clone());
            Ok(transfer)
        };
        match self.client.blob_exists(target, &blob.digest).await {
            Ok(true) => return remember(Transfer::Present),
            Ok(false) => {}
            // A registry that died mid-write can fail to answer for a half-stored blob; pushing
            // it again is safe (a blob is addressed by its digest) and repairs it.
            Err(e) if is_server_error(&e) => {}
            Err(e) => return Err(explain(e, target)),
        }
        let source = self.known.lock().expect("not poisoned").get(&blob.digest).filter(|r| **r != repository).cloned();
        if let Some(source) = source {
            let from = Reference::with_digest(self.base.host.clone(), source, blob.digest.clone());
            if self.client.mount_blob(target, &from, &blob.digest).await.is_ok() {
                return remember(Transfer::Mounted);
            }
        }
        let bytes =
            std::fs::read(image.blob_path(&blob.digest)).with_context(|| format!("read blob {}", blob.digest))?;
        self.client
            .push_blob(target, bytes, &blob.digest)
            .await
            .map_err(|e| explain(e, target))
            .with_context(|| format!("upload blob {}", blob.digest))?;
        remember(Transfer::Uploaded)
    }
}

fn is_server_error(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ServerError { code, .. } => *code >= 500,
        OciDistributionError::RequestError(e) => e.status().is_some_and(|s| s.is_server_error()),
        _ => false,
    }
}

fn is_absent(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code: 404, .. } => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                oci_client::errors::OciErrorCode::ManifestUnknown | oci_client::errors::OciErrorCode::NameUnknown
            )
        }),
        _ => false,
    }
}

/// Registry errors with what to do about them; never carries a credential.
fn explain(e: OciDistributionError, reference: &Reference) -> anyhow::Error {
    let registry = reference.resolve_registry();
    match &e {
        OciDistributionError::UnauthorizedError { .. } | OciDistributionError::AuthenticationFailure(_) => {
            lamina_remote::hint::fail(
                format!("the registry `{registry}` refused the credentials for `{}`: {e}", reference.repository()),
                format!(
                    "set {} and {} (or GITHUB_ACTOR and GITHUB_TOKEN) to a user allowed to push",
                    crate::env::LAMINA_REGISTRY_USERNAME,
                    crate::env::LAMINA_REGISTRY_PASSWORD
                ),
            )
        }
        OciDistributionError::RequestError(inner) => {
            // The innermost cause says why (refused, certificate), the outer ones only where.
            let mut cause: &dyn std::error::Error = inner;
            while let Some(next) = cause.source() {
                cause = next;
            }
            lamina_remote::hint::fail(
                format!("cannot reach the registry `{registry}`: {cause}"),
                format!(
                    "check {} and the network; for a private CA, point {} at its certificate",
                    crate::env::LAMINA_REGISTRY,
                    crate::env::SSL_CERT_FILE
                ),
            )
        }
        _ => anyhow::format_err!("registry `{registry}`: {e}"),
    }
}
