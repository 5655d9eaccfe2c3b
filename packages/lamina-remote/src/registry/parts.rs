//! What a manifest or index refers to: its descriptors (an index's children with their
//! platforms, an image manifest's config and layers), read with oci-spec's types, and which
//! children a platform filter keeps.

use super::Manifest;
use crate::digest::hex_of;
use anyhow::Context;
use oci_spec::image::{ImageIndex, ImageManifest};

/// The annotation that names a descriptor's tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

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
    /// `vnd.docker.reference.type`: an attestation manifest describing another.
    pub reference_type: Option<String>,
}

impl From<&oci_spec::image::Descriptor> for Descriptor {
    fn from(d: &oci_spec::image::Descriptor) -> Descriptor {
        let platform = d.platform().as_ref().map(|p| {
            let shown = format!("{}/{}", p.os(), p.architecture());
            match p.variant() {
                Some(variant) if !variant.is_empty() => format!("{shown}/{variant}"),
                _ => shown,
            }
        });
        let annotation = |key: &str| d.annotations().as_ref().and_then(|a| a.get(key)).cloned();
        Descriptor {
            media_type: d.media_type().to_string(),
            digest: d.digest().to_string(),
            size: d.size(),
            platform,
            ref_name: annotation(REF_NAME),
            reference_type: annotation("vnd.docker.reference.type"),
        }
    }
}

/// What a manifest or index refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// An index's manifests.
    pub children: Vec<Descriptor>,
    /// An image manifest's config.
    pub config: Option<Descriptor>,
    /// An image manifest's layers.
    pub layers: Vec<Descriptor>,
}

impl Parts {
    /// Everything referred to, children or config and layers.
    pub fn all(self) -> Vec<Descriptor> {
        self.children.into_iter().chain(self.config).chain(self.layers).collect()
    }
}

/// The descriptors `manifest` refers to, read as an OCI (or Docker) index or image manifest.
pub fn parts(manifest: &Manifest) -> anyhow::Result<Parts> {
    let checked = |all: Vec<Descriptor>| -> anyhow::Result<Vec<Descriptor>> {
        for d in &all {
            hex_of(&d.digest)?;
        }
        Ok(all)
    };
    if manifest.is_index() {
        let index: ImageIndex = serde_json::from_slice(&manifest.bytes)
            .with_context(|| format!("manifest {} is not an image index", manifest.digest))?;
        return Ok(Parts {
            children: checked(index.manifests().iter().map(Into::into).collect())?,
            ..Parts::default()
        });
    }
    let image: ImageManifest = serde_json::from_slice(&manifest.bytes)
        .with_context(|| format!("manifest {} is not an image manifest", manifest.digest))?;
    let config = checked(vec![image.config().into()])?.pop();
    Ok(Parts { children: Vec::new(), config, layers: checked(image.layers().iter().map(Into::into).collect())? })
}

/// The descriptors `manifest` refers to: an index's children, or a manifest's config and layers.
pub fn references(manifest: &Manifest) -> anyhow::Result<Vec<Descriptor>> {
    parts(manifest).map(Parts::all)
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
