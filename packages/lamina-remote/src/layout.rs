//! OCI image layouts on disk (OCI image-spec "Image Layout"): `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>` holding the exact bytes a registry served or a builder wrote. Documents
//! are read with oci-spec's types; blobs are checked against their digests; a manifest is written
//! under a temporary name and renamed into place, `index.json` last.

mod check;

pub use crate::registry::{Descriptor, Parts, REF_NAME, parts, references, wanted};
pub use check::{Checked, Finding};

use crate::digest::{hex_of, sha256, sha256_if_present};
use crate::fs::write_atomic;
use crate::registry::{DOCKER_LIST, DOCKER_MANIFEST, Manifest, OCI_INDEX, OCI_MANIFEST};
use anyhow::Context;
use oci_spec::image::ImageIndex;
use std::path::PathBuf;

/// Blobs followed from one layout at most.
pub const MOST_BLOBS: usize = 10_000;
/// Indexes nested deeper than this are refused.
const DEEPEST: usize = 4;
/// The largest index or manifest parsed.
const LARGEST_DOCUMENT: u64 = 4 << 20;

/// What `oci-layout` holds.
const LAYOUT_MARKER: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// One OCI image layout folder.
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: PathBuf) -> Layout {
        Layout { root }
    }

    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    pub fn blob_path(&self, digest: &str) -> anyhow::Result<PathBuf> {
        Ok(self.blobs().join(hex_of(digest)?))
    }

    /// A blob's bytes, checked against its digest.
    pub fn read_blob(&self, digest: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = std::fs::read(self.blob_path(digest)?)
            .with_context(|| format!("blob {digest} is missing from `{}`", self.root.display()))?;
        let actual = sha256(&bytes);
        if actual != digest {
            return Err(crate::hint::fail(
                format!("blob {digest} in `{}` does not match its content ({actual})", self.root.display()),
                "the layout is damaged; make it again",
            ));
        }
        Ok(bytes)
    }

    /// The manifest stored under `digest`, if present and intact; `media_type` is its
    /// descriptor's, when one is known.
    pub fn manifest(&self, digest: &str) -> anyhow::Result<Option<Manifest>> {
        match std::fs::read(self.blob_path(digest)?) {
            Ok(bytes) if sha256(&bytes) == digest => Ok(Some(Manifest::new(bytes, digest)?)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("read `{}`", self.root.display())),
        }
    }

    /// Stores a manifest's exact bytes as a blob.
    pub fn put_manifest(&self, manifest: &Manifest) -> anyhow::Result<()> {
        write_atomic(&self.blob_path(&manifest.digest)?, &manifest.bytes)
    }

    /// Writes `oci-layout`, then `index.json` pointing at `root` once per tag.
    pub fn finish(&self, root: &Manifest, tags: &[String]) -> anyhow::Result<()> {
        write_atomic(&self.root.join("oci-layout"), LAYOUT_MARKER)?;
        let manifests: Vec<serde_json::Value> = tags
            .iter()
            .map(|tag| {
                serde_json::json!({
                    "mediaType": root.media_type,
                    "digest": root.digest,
                    "size": root.bytes.len(),
                    "annotations": { REF_NAME: tag },
                })
            })
            .collect();
        let index = serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
        write_atomic(&self.root.join("index.json"), &serde_json::to_vec_pretty(&index)?)
    }

    /// The descriptors of `index.json`.
    pub fn index(&self) -> anyhow::Result<Vec<Descriptor>> {
        let path = self.root.join("index.json");
        let bytes =
            std::fs::read(&path).with_context(|| format!("read `{}`: not an OCI image layout", path.display()))?;
        let index: ImageIndex = serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not an OCI image layout index", path.display()))?;
        let all: Vec<Descriptor> = index.manifests().iter().map(Into::into).collect();
        for d in &all {
            hex_of(&d.digest).with_context(|| format!("`{}`", path.display()))?;
        }
        Ok(all)
    }

    /// Whether `oci-layout` is there and says which layout version this is.
    pub fn is_marked(&self) -> bool {
        let marker = std::fs::read(self.root.join("oci-layout")).ok();
        marker.and_then(|b| serde_json::from_slice::<oci_spec::image::OciLayout>(&b).ok()).is_some()
    }
}

/// What walking a layout from some descriptors found: the one walker of image layouts, for
/// pushing an image, mirroring it and checking a mirror.
#[derive(Debug, Default)]
pub struct Walk {
    /// Every index and manifest reached, each once, children before the parents that name them:
    /// the order they are pushed in.
    pub manifests: Vec<Manifest>,
    /// Every config and layer blob, each once, in the order found; each present and intact
    /// unless a problem says otherwise.
    pub blobs: Vec<Descriptor>,
    /// What is wrong, in the order found; a missing or damaged document is not followed.
    pub problems: Vec<Problem>,
}

/// One thing wrong in a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A descriptor's digest is not `sha256:<64 lowercase hex>`.
    Digest(Descriptor),
    /// No blob under the descriptor's digest.
    Missing(Descriptor),
    /// The blob's content is not what its descriptor says.
    Changed { descriptor: Descriptor, sha256: String, size: u64 },
    /// The blob cannot be read, or a document in it cannot be parsed.
    Unreadable { descriptor: Descriptor, why: String },
    /// Indexes nested more than four deep.
    TooDeep(Descriptor),
    /// More blobs than a layout of one image holds.
    TooMany,
}

impl Walk {
    /// The digests of every blob reached, documents included.
    pub fn reached(&self) -> impl Iterator<Item = &str> {
        self.manifests.iter().map(|m| m.digest.as_str()).chain(self.blobs.iter().map(|b| b.digest.as_str()))
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Digest(d) => write!(f, "`{}` is not a sha256 digest", d.digest),
            Problem::Missing(d) => write!(f, "blob {} is missing: a descriptor refers to it", d.digest),
            Problem::Changed { descriptor, sha256, size } => write!(
                f,
                "blob {} does not match its content (sha256:{sha256}, {size} bytes; its descriptor says {} bytes)",
                descriptor.digest, descriptor.size
            ),
            Problem::Unreadable { descriptor, why } => write!(f, "blob {} cannot be read: {why}", descriptor.digest),
            Problem::TooDeep(d) => write!(f, "indexes nested more than {DEEPEST} deep at {}", d.digest),
            Problem::TooMany => write!(f, "more than {MOST_BLOBS} blobs; not followed further"),
        }
    }
}

/// Whether a descriptor names an index or an image manifest (which refer to more blobs).
fn is_document(media_type: &str) -> bool {
    [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].contains(&media_type)
}

impl Layout {
    /// Follows every descriptor from `roots`, hashing every blob reached against its descriptor.
    pub fn walk(&self, roots: &[Descriptor]) -> Walk {
        let mut walk = Walk::default();
        let mut seen = std::collections::HashSet::new();
        for root in roots {
            self.visit(root, 0, &mut walk, &mut seen);
        }
        walk
    }

    fn visit(&self, d: &Descriptor, depth: usize, walk: &mut Walk, seen: &mut std::collections::HashSet<String>) {
        if walk.problems.last() == Some(&Problem::TooMany) || !seen.insert(d.digest.clone()) {
            return;
        }
        if seen.len() > MOST_BLOBS {
            return walk.problems.push(Problem::TooMany);
        }
        if depth > DEEPEST && is_document(&d.media_type) {
            return walk.problems.push(Problem::TooDeep(d.clone()));
        }
        let Ok(path) = self.blob_path(&d.digest) else { return walk.problems.push(Problem::Digest(d.clone())) };
        match sha256_if_present(&path) {
            Ok(None) => return walk.problems.push(Problem::Missing(d.clone())),
            Err(e) => return walk.problems.push(Problem::Unreadable { descriptor: d.clone(), why: e.to_string() }),
            Ok(Some((sha256, size))) if format!("sha256:{sha256}") != d.digest || size != d.size => {
                return walk.problems.push(Problem::Changed { descriptor: d.clone(), sha256, size });
            }
            Ok(Some(_)) => {}
        }
        if !is_document(&d.media_type) {
            return walk.blobs.push(d.clone());
        }
        let unreadable = |why: String| Problem::Unreadable { descriptor: d.clone(), why };
        if d.size > LARGEST_DOCUMENT {
            return walk.problems.push(unreadable(format!("a manifest of more than {LARGEST_DOCUMENT} bytes")));
        }
        let read = std::fs::read(&path).map_err(anyhow::Error::from);
        let manifest = match read.and_then(|bytes| Manifest::typed(bytes, &d.digest, Some(&d.media_type))) {
            Ok(manifest) => manifest,
            Err(e) => return walk.problems.push(unreadable(format!("{e:#}"))),
        };
        match parts(&manifest) {
            Ok(parts) => {
                for child in parts.all() {
                    self.visit(&child, depth + 1, walk, seen);
                }
                walk.manifests.push(manifest);
            }
            Err(e) => walk.problems.push(unreadable(format!("{e:#}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_by_os_and_architecture_and_the_variant_when_given() {
        let asked = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted(Some("linux/amd64"), &[]));
        assert!(wanted(Some("linux/arm64/v8"), &asked(&["linux/arm64"])));
        assert!(!wanted(Some("linux/arm/v6"), &asked(&["linux/arm/v7"])));
        assert!(!wanted(Some("linux/arm64"), &asked(&["linux/amd64"])));
        assert!(wanted(None, &asked(&["linux/amd64"])));
    }

    #[test]
    fn an_index_names_its_children_with_their_platforms_and_a_manifest_its_config_and_layers() {
        let blob = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":7,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
            blob('a')
        );
        let m = Manifest::new(index.clone().into_bytes(), &sha256(index.as_bytes())).unwrap();
        let parts = parts(&m).unwrap();
        assert_eq!(parts.children[0].platform.as_deref(), Some("linux/arm64/v8"));
        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"{}","size":3}}]}}"#,
            blob('b'),
            blob('c')
        );
        let m = Manifest::new(image.clone().into_bytes(), &sha256(image.as_bytes())).unwrap();
        let all = references(&m).unwrap();
        assert_eq!(all.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), [blob('b'), blob('c')]);
        let bad = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:12","size":1},"layers":[]}"#;
        assert!(references(&Manifest::new(bad.to_vec(), &sha256(bad)).unwrap()).is_err());
    }

    #[test]
    fn a_walk_finds_every_blob_children_first_and_says_what_is_missing_or_changed() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path().to_path_buf());
        let put = |bytes: &[u8]| {
            write_atomic(&layout.blob_path(&sha256(bytes)).unwrap(), bytes).unwrap();
            sha256(bytes)
        };
        let (config, layer) = (put(b"{}"), put(b"layer"));
        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":5}},{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":1}}]}}"#,
            sha256(b"gone")
        );
        let image_digest = put(image.as_bytes());
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{image_digest}","size":{}}}]}}"#,
            image.len()
        );
        let index_digest = put(index.as_bytes());
        let root = Descriptor {
            media_type: OCI_INDEX.to_owned(),
            digest: index_digest.clone(),
            size: index.len() as u64,
            platform: None,
            ref_name: None,
            reference_type: None,
        };
        let walk = layout.walk(std::slice::from_ref(&root));
        let order: Vec<&str> = walk.manifests.iter().map(|m| m.digest.as_str()).collect();
        assert_eq!(order, [image_digest.as_str(), index_digest.as_str()], "children before parents");
        assert_eq!(walk.blobs.iter().map(|b| b.digest.clone()).collect::<Vec<_>>(), [config.clone(), layer.clone()]);
        assert!(
            matches!(&walk.problems[..], [Problem::Missing(d)] if d.digest == sha256(b"gone")),
            "{:?}",
            walk.problems
        );
        std::fs::write(layout.blob_path(&layer).unwrap(), b"LAYER").unwrap();
        let walk = layout.walk(&[root]);
        assert!(
            walk.problems
                .iter()
                .any(|p| matches!(p, Problem::Changed { descriptor, .. } if descriptor.digest == layer))
        );
    }
}
