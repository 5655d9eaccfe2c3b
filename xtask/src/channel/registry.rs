//! The registry channel: images and OCI charts pushed through the shared registry client
//! ([`lamina_remote::registry`]). Digests are computed locally first, so a version tag already
//! holding the same digest is skipped and one holding another is refused: a published version is
//! never replaced (OCI Distribution Specification, "Push"). Every manifest is put by digest
//! first; tags move only after every image and chart is pushed.

pub mod compare;
pub mod referrer;
pub mod verify;

use crate::config::RegistryBase;
use crate::helm::oci::{self, ChartArtifact};
use crate::layout::Image;
use lamina_remote::registry::Transfer;
use lamina_remote::registry::{self as remote, Blob, Credentials, Manifest, Options, Reference, RegistryOperation};

/// What to set when the registry refuses the credentials.
const CREDENTIALS_HINT: &str = "set LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD (or GITHUB_ACTOR and GITHUB_TOKEN) to a user allowed to push";

/// The credentials for the registry from the environment: `LAMINA_REGISTRY_USERNAME` /
/// `LAMINA_REGISTRY_PASSWORD`, falling back to `GITHUB_ACTOR` (else `x-access-token`) and
/// `GITHUB_TOKEN`, as ghcr.io expects; no password: anonymous.
pub fn credentials_from_env() -> Option<Credentials> {
    use crate::env::{GITHUB_ACTOR, GITHUB_TOKEN, LAMINA_REGISTRY_PASSWORD, LAMINA_REGISTRY_USERNAME, var};
    let password = var(LAMINA_REGISTRY_PASSWORD).or_else(|| var(GITHUB_TOKEN))?;
    let username =
        var(LAMINA_REGISTRY_USERNAME).or_else(|| var(GITHUB_ACTOR)).unwrap_or_else(|| "x-access-token".to_owned());
    Some(Credentials { username, password })
}

/// The release's registry, with its credentials for its host alone.
pub struct Registry {
    inner: remote::Registry,
    base: RegistryBase,
}

/// What a chart push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    Created {
        reference: String,
        digest: String,
    },
    /// The version tag already held exactly this artifact.
    Unchanged {
        reference: String,
        digest: String,
    },
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
    /// The client the pipeline uses: credentials from the environment, and the CA certificates in
    /// `SSL_CERT_FILE` trusted besides the built-in roots.
    pub fn from_env(base: &RegistryBase) -> anyhow::Result<Registry> {
        let roots: Vec<std::path::PathBuf> =
            crate::env::var(crate::env::SSL_CERT_FILE).map(Into::into).into_iter().collect();
        Self::with_roots(base, credentials_from_env(), &roots)
    }

    pub fn new(base: &RegistryBase, credentials: Option<Credentials>) -> Registry {
        Self::with_roots(base, credentials, &[]).expect("a client without extra roots")
    }

    /// A client that also trusts the CA certificates in `roots` (PEM files; e.g. the file
    /// `SSL_CERT_FILE` names, for a registry with a private CA). An unreadable or empty file is an
    /// error here, not a silent fallback to the default trust store.
    pub fn with_roots(
        base: &RegistryBase,
        credentials: Option<Credentials>,
        roots: &[std::path::PathBuf],
    ) -> anyhow::Result<Registry> {
        let options = Options {
            // Plain HTTP only for the loopback host the configuration validated (config::paths).
            plain_http: base.plain_http.then(|| base.host.clone()).into_iter().collect(),
            credentials: credentials.map(|c| (base.host.clone(), c)).into_iter().collect(),
            roots: roots.to_vec(),
            user_agent: concat!("lamina-xtask/", env!("CARGO_PKG_VERSION")),
            credentials_hint: CREDENTIALS_HINT.to_owned(),
        };
        let inner = remote::Registry::new([base.host.as_str()], options)?;
        Ok(Registry { inner, base: base.clone() })
    }

    /// `{registry}/charts/{name}:{tag}` as a tag reference.
    pub fn chart_reference(&self, name: &str, tag: &str) -> Reference {
        Reference::with_tag(self.base.host.clone(), self.base.repository(&format!("charts/{name}")), tag.to_owned())
    }

    /// `{registry}/{name}:{tag}`.
    pub fn image_reference(&self, name: &str, tag: &str) -> Reference {
        Reference::with_tag(self.base.host.clone(), self.base.repository(name), tag.to_owned())
    }

    /// The digest a tag points at, or `None` when the tag does not exist.
    pub async fn tag_digest(&self, reference: &Reference) -> anyhow::Result<Option<String>> {
        self.inner.digest(reference).await
    }

    /// The credentials are accepted for pushing to `reference`'s repository (for a token
    /// registry such as ghcr.io: a push-scoped token is granted) and its tags can be read.
    pub async fn check_push(&self, reference: &Reference) -> anyhow::Result<()> {
        self.inner.sign_in(reference, RegistryOperation::Push).await?;
        self.tag_digest(reference).await.map(drop)
    }

    /// Refuses a push whose version tag `fixed` already holds another digest; `true` when it
    /// holds this one (everything is there: tags are written last).
    async fn settled(&self, fixed: &Reference, digest: &str, what: &str) -> anyhow::Result<bool> {
        match self.tag_digest(fixed).await? {
            Some(d) if d == digest => Ok(true),
            Some(d) => Err(lamina_remote::hint::fail(
                format!("`{}` already holds {d}, but this {what} is {digest}", fixed.whole()),
                "a published version is immutable: release a new version (`cargo xtask bump`)",
            )),
            None => Ok(false),
        }
    }

    /// Pushes a chart artifact by digest, tagging nothing: its blobs that are missing, then the
    /// manifest's exact bytes. `reference` is its version tag: the same digest there is a no-op,
    /// another is refused before anything is written.
    pub async fn push_chart(
        &self,
        reference: &Reference,
        artifact: &ChartArtifact,
        archive: &[u8],
    ) -> anyhow::Result<Pushed> {
        let shown = reference.whole();
        let digest = artifact.manifest_digest.clone();
        // Signed in for pushing once, before the version tag is read and anything is written.
        let session = self.inner.session(reference, RegistryOperation::Push).await?;
        if self.settled(reference, &digest, "chart's artifact").await? {
            return Ok(Pushed::Unchanged { reference: shown, digest });
        }
        for (bytes, blob) in [(artifact.config.as_slice(), &artifact.config_digest), (archive, &artifact.layer_digest)]
        {
            session.transfer(blob, Blob::Bytes(bytes)).await?;
        }
        self.inner.put_manifest(&session.at(&digest), &chart_manifest(artifact)).await?;
        Ok(Pushed::Created { reference: shown, digest })
    }

    /// Points a chart's version tag at its artifact (pushed by digest already); `true` when the
    /// tag was created.
    pub async fn tag_chart(&self, reference: &Reference, artifact: &ChartArtifact) -> anyhow::Result<bool> {
        if self.tag_digest(reference).await?.as_deref() == Some(artifact.manifest_digest.as_str()) {
            return Ok(false);
        }
        self.inner.put_manifest(reference, &chart_manifest(artifact)).await?;
        Ok(true)
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
        let fixed = self.image_reference(name, fixed);
        // Signed in for pushing once, before the version tag is read and anything is written.
        let session = self.inner.session(&fixed, RegistryOperation::Push).await?;
        let complete = self.settled(&fixed, &image.root.digest, "build").await?;
        let blobs = if complete { &[][..] } else { image.blobs.as_slice() };
        let blobs: Vec<_> = blobs.iter().map(|b| (b.digest.clone(), image.blob_path(&b.digest))).collect();
        let transfers = session.transfer_all(&blobs, &|_| {}).await?;
        let count = |t: Transfer| transfers.iter().filter(|x| **x == t).count();
        let documents = if complete { &[][..] } else { image.children.as_slice() };
        for doc in documents.iter().chain((!complete).then_some(&image.root)) {
            self.inner.put_manifest(&session.at(&doc.digest), doc).await?;
        }
        Ok(ImagePushed {
            reference: format!("{}@{}", self.base.image(name), image.root.digest),
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
            self.inner.put_manifest(&reference, &image.root).await?;
            moved.push(tag.clone());
        }
        Ok(moved)
    }
}

impl Registry {
    /// Attaches `bundle` to `subject` in `reference`'s repository as an OCI referrer (see
    /// [`referrer`]): its blobs, its manifest by digest, then the `sha256-{hex}` tag's index
    /// with it listed. `true` when the index changed; the same bundle again changes nothing.
    pub async fn attach_bundle(
        &self,
        reference: &Reference,
        subject: referrer::Subject<'_>,
        signed: referrer::Signed<'_>,
        created: &str,
    ) -> anyhow::Result<bool> {
        let bundle = signed.bundle;
        let session = self.inner.session(reference, RegistryOperation::Push).await?;
        let manifest = referrer::manifest(subject, signed, created);
        let fallback = Reference::with_tag(
            reference.registry().to_owned(),
            reference.repository().to_owned(),
            referrer::fallback_tag(subject.digest),
        );
        let existing = match self.tag_digest(&fallback).await? {
            Some(_) => Some(self.inner.manifest(&fallback).await?.bytes),
            None => None,
        };
        let listed = referrer::listed(existing.as_deref(), &manifest, signed.predicate_type, created)
            .map_err(|e| anyhow::format_err!("the referrers tag `{}`: {e}", fallback.whole()))?;
        // The referrer itself, whatever the index says (both writes are the same every time).
        let bundle_digest = lamina_remote::digest::sha256(bundle);
        let empty_digest = lamina_remote::digest::sha256(referrer::EMPTY);
        for (digest, bytes) in [(&empty_digest, referrer::EMPTY), (&bundle_digest, bundle)] {
            session.transfer(digest, Blob::Bytes(bytes)).await?;
        }
        self.inner.put_manifest(&session.at(&manifest.digest), &manifest).await?;
        let Some(index) = listed else { return Ok(false) };
        self.inner.put_manifest(&fallback, &index).await?;
        Ok(true)
    }
}

/// A chart artifact's manifest as Helm writes it (no `mediaType` in the body).
fn chart_manifest(artifact: &ChartArtifact) -> Manifest {
    Manifest {
        digest: artifact.manifest_digest.clone(),
        media_type: oci::MANIFEST_MEDIA_TYPE.to_owned(),
        bytes: artifact.manifest.clone(),
    }
}
