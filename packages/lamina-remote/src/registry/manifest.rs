//! A manifest or index exactly as a registry or layout holds it: its bytes, which its digest is
//! over, and its media type; the media types themselves come from oci-client.

use anyhow::{Context, bail};
pub use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE as DOCKER_LIST, IMAGE_MANIFEST_MEDIA_TYPE as DOCKER_MANIFEST,
    OCI_IMAGE_INDEX_MEDIA_TYPE as OCI_INDEX, OCI_IMAGE_MEDIA_TYPE as OCI_MANIFEST,
};

/// Every manifest type asked for: without the index types some registries refuse an index.
pub const MANIFEST_TYPES: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// A manifest exactly as it was served or stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
    /// The descriptor's type, else the body's `mediaType`, else inferred from its shape.
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Manifest {
    /// Checks `bytes` against `digest` and reads the media type from the body.
    pub fn new(bytes: Vec<u8>, digest: &str) -> anyhow::Result<Manifest> {
        Manifest::typed(bytes, digest, None)
    }

    /// [`new`](Self::new), with the media type a descriptor gives winning over the body's.
    pub fn typed(bytes: Vec<u8>, digest: &str, described: Option<&str>) -> anyhow::Result<Manifest> {
        let actual = crate::digest::sha256(&bytes);
        if actual != digest {
            bail!("the manifest is {actual}, not {digest}");
        }
        let media_type = match described {
            Some(m) => m.to_owned(),
            None => media_type_of(&bytes).context("the manifest is not JSON")?,
        };
        Ok(Manifest { digest: actual, media_type, bytes })
    }

    pub fn is_index(&self) -> bool {
        is_index(&self.media_type)
    }
}

/// The index types: OCI's and Docker's manifest list.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// A document's `mediaType`, else its shape's (`index.json` and Helm's manifests may omit it).
fn media_type_of(bytes: &[u8]) -> serde_json::Result<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        media_type: Option<String>,
        manifests: Option<serde::de::IgnoredAny>,
    }
    let shape: Shape = serde_json::from_slice(bytes)?;
    Ok(match (shape.media_type, shape.manifests) {
        (Some(m), _) => m,
        (None, Some(_)) => OCI_INDEX.to_owned(),
        (None, None) => OCI_MANIFEST.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_checked_and_its_media_type_read_from_the_body() {
        let bytes = br#"{"schemaVersion":2,"manifests":[]}"#.to_vec();
        let m = Manifest::new(bytes.clone(), &crate::digest::sha256(&bytes)).unwrap();
        assert!(m.is_index());
        assert!(Manifest::new(bytes, &format!("sha256:{}", "0".repeat(64))).is_err());
        let plain = br#"{"schemaVersion":2,"config":{}}"#.to_vec();
        assert_eq!(Manifest::new(plain.clone(), &crate::digest::sha256(&plain)).unwrap().media_type, OCI_MANIFEST);
    }
}
