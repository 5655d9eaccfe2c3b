//! OCI image layouts on disk (OCI image-spec "Image Layout"): `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>` holding the exact bytes a registry served; what a manifest refers to.
//! Every file is written under a temporary name and renamed into place, `index.json` last.

use crate::registry::Manifest;
use anyhow::{Context, bail};
use lamina_remote::digest::{hex_of, sha256};
use lamina_remote::fs::write_atomic;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The annotation that names a descriptor's tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One OCI image layout folder.
pub struct Layout {
    pub root: PathBuf,
}

/// A descriptor: what a manifest or `index.json` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    /// `os/architecture[/variant]`, for the children of an index.
    pub platform: Option<String>,
    /// The tag (`org.opencontainers.image.ref.name`), in `index.json`.
    pub ref_name: Option<String>,
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

    /// The manifest stored under `digest`, if present and intact.
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
        write_atomic(&self.root.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let manifests: Vec<Value> = tags
            .iter()
            .map(|tag| {
                json!({
                    "mediaType": root.media_type,
                    "digest": root.digest,
                    "size": root.bytes.len(),
                    "annotations": { REF_NAME: tag },
                })
            })
            .collect();
        let index =
            json!({ "schemaVersion": 2, "mediaType": lamina_remote::registry::OCI_INDEX, "manifests": manifests });
        write_atomic(&self.root.join("index.json"), &serde_json::to_vec_pretty(&index)?)
    }

    /// The descriptors of `index.json`.
    pub fn index(&self) -> anyhow::Result<Vec<Descriptor>> {
        let path = self.root.join("index.json");
        let bytes = std::fs::read(&path).with_context(|| format!("read `{}`", path.display()))?;
        let index: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not an OCI image layout index", path.display()))?;
        descriptors(&index, "manifests").with_context(|| format!("`{}`", path.display()))
    }
}

/// The children of an index, or the config and layers of an image manifest.
pub fn references(manifest: &Manifest) -> anyhow::Result<Vec<Descriptor>> {
    let body: Value = serde_json::from_slice(&manifest.bytes)?;
    if manifest.is_index() {
        return descriptors(&body, "manifests");
    }
    let mut all = Vec::new();
    if let Some(config) = body.get("config") {
        all.push(descriptor(config)?);
    }
    all.extend(descriptors(&body, "layers")?);
    Ok(all)
}

fn descriptors(body: &Value, field: &str) -> anyhow::Result<Vec<Descriptor>> {
    body.get(field).and_then(Value::as_array).map(|list| list.iter().map(descriptor).collect()).unwrap_or(Ok(vec![]))
}

fn descriptor(value: &Value) -> anyhow::Result<Descriptor> {
    let text = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_owned);
    let (Some(media_type), Some(digest), Some(size)) =
        (text("mediaType"), text("digest"), value.get("size").and_then(Value::as_u64))
    else {
        bail!("a descriptor lacks its mediaType, digest or size: {value}");
    };
    hex_of(&digest)?;
    let platform = value.get("platform").map(|p| {
        let part = |f: &str| p.get(f).and_then(Value::as_str).unwrap_or("");
        let mut shown = format!("{}/{}", part("os"), part("architecture"));
        if !part("variant").is_empty() {
            shown = format!("{shown}/{}", part("variant"));
        }
        shown
    });
    let ref_name = value.get("annotations").and_then(|a| a.get(REF_NAME)).and_then(Value::as_str).map(str::to_owned);
    Ok(Descriptor { media_type, digest, size, platform, ref_name })
}

/// Whether a child of `platform` is wanted when `wanted` (`os/arch[/variant]`) are asked for:
/// all when none are; a child without a platform is always kept.
pub fn wanted(platform: Option<&str>, wanted: &[String]) -> bool {
    let Some(platform) = platform else { return true };
    wanted.is_empty()
        || wanted.iter().any(|w| {
            let (mut have, mut want) = (platform.split('/'), w.split('/'));
            have.next() == want.next()
                && have.next() == want.next()
                && want.next().is_none_or(|v| have.next() == Some(v))
        })
}

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn platforms_match_by_os_and_architecture_and_the_variant_when_given() {
        let asked = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted(Some("linux/amd64"), &[]));
        assert!(wanted(Some("linux/arm64/v8"), &asked(&["linux/arm64"])));
        assert!(!wanted(Some("linux/arm/v6"), &asked(&["linux/arm/v7"])));
        assert!(!wanted(Some("linux/arm64"), &asked(&["linux/amd64"])));
        assert!(wanted(None, &asked(&["linux/amd64"])));
    }
}
