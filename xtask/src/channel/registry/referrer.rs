//! A release's provenance bundle as an OCI 1.1 referrer of an image or chart, laid out as the
//! Cosign Bundle Specification (sigstore/cosign) lays out Sigstore bundles, so
//! `cosign verify-attestation` and `cosign download attestation` find it: an image
//! manifest whose `artifactType` and one layer are the bundle, with the empty config and the
//! artifact as its `subject`. Registries without the referrers API (ghcr.io, distribution's)
//! list it under the OCI Distribution Specification's "Referrers Tag Schema": the tag
//! `sha256-{hex}` of the subject, holding an index of its referrers. Pure: bytes in, bytes out.

use lamina_remote::registry::{Manifest, OCI_INDEX, OCI_MANIFEST};
use serde_json::{Value, json};

/// A Sigstore bundle v0.3's media type: the referrer's `artifactType` and its layer's type.
pub const BUNDLE_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The empty descriptor's media type and content (OCI Image Specification, "Guidance for an
/// Empty Descriptor").
pub const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY: &[u8] = b"{}";

/// What a referrer points at: an image's root or a chart's manifest, as a descriptor.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub media_type: &'a str,
    pub digest: &'a str,
    pub size: usize,
}

/// A bundle to attach: its bytes and the predicate type of the statement it signs.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub bundle: &'a [u8],
    pub predicate_type: &'a str,
}

/// The annotations a bundle's referrer carries, in its manifest and in the fallback index.
fn annotations(predicate_type: &str, created: &str) -> Value {
    json!({
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": predicate_type,
        "org.opencontainers.image.created": created,
    })
}

/// The referrer manifest of `bundle` for `subject`, created at `created` (RFC 3339; the release's
/// source time, so a rerun makes the same bytes).
pub fn manifest(subject: Subject, signed: Signed, created: &str) -> Manifest {
    let bundle = signed.bundle;
    let hex = lamina_remote::digest::sha256_hex(bundle);
    let document = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_TYPE,
        "config": { "mediaType": EMPTY_TYPE, "digest": lamina_remote::digest::sha256(EMPTY), "size": EMPTY.len() },
        "layers": [{
            "mediaType": BUNDLE_TYPE,
            "digest": format!("sha256:{hex}"),
            "size": bundle.len(),
            "annotations": { "org.opencontainers.image.title": format!("sha256-{hex}.sigstore.json") },
        }],
        "subject": { "mediaType": subject.media_type, "digest": subject.digest, "size": subject.size },
        "annotations": annotations(signed.predicate_type, created),
    });
    let bytes = serde_json::to_vec(&document).expect("a JSON value serialises");
    Manifest { digest: lamina_remote::digest::sha256(&bytes), media_type: OCI_MANIFEST.to_owned(), bytes }
}

/// The referrers tag schema's tag for a subject digest: `sha256:{hex}` → `sha256-{hex}`.
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// The referrers index at the fallback tag with `referrer` listed: `existing` (the index the tag
/// holds, if any) with it added, or `None` when it is listed already. An index that is not one
/// is refused rather than replaced: the tag is not ours to overwrite.
pub fn listed(
    existing: Option<&[u8]>,
    referrer: &Manifest,
    predicate_type: &str,
    created: &str,
) -> anyhow::Result<Option<Manifest>> {
    let mut index = match existing {
        Some(bytes) => {
            let index: Value = serde_json::from_slice(bytes)?;
            let typed = index["mediaType"].as_str().is_none_or(|t| t == OCI_INDEX);
            if !index["manifests"].is_array() || !typed {
                anyhow::bail!("it holds no OCI image index");
            }
            index
        }
        None => json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [] }),
    };
    let manifests = index["manifests"].as_array_mut().expect("checked above");
    if manifests.iter().any(|m| m["digest"] == referrer.digest.as_str()) {
        return Ok(None);
    }
    manifests.push(json!({
        "mediaType": OCI_MANIFEST,
        "digest": referrer.digest,
        "size": referrer.bytes.len(),
        "artifactType": BUNDLE_TYPE,
        "annotations": annotations(predicate_type, created),
    }));
    let bytes = serde_json::to_vec(&index)?;
    Ok(Some(Manifest { digest: lamina_remote::digest::sha256(&bytes), media_type: OCI_INDEX.to_owned(), bytes }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_release_format::provenance::PREDICATE_TYPE;

    fn subject(digest: &str) -> Subject<'_> {
        Subject { media_type: OCI_INDEX, digest, size: 300 }
    }

    #[test]
    fn the_referrer_names_its_subject_and_carries_the_bundle() {
        let image = format!("sha256:{}", "a".repeat(64));
        let signed = Signed { bundle: b"{\"bundle\":1}", predicate_type: PREDICATE_TYPE };
        let made = manifest(subject(&image), signed, "2026-01-02T03:04:05Z");
        let json: Value = serde_json::from_slice(&made.bytes).unwrap();
        assert_eq!(json["artifactType"], BUNDLE_TYPE);
        assert_eq!(json["subject"]["digest"], image.as_str());
        assert_eq!(json["config"]["digest"], "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
        assert_eq!(json["layers"][0]["digest"], lamina_remote::digest::sha256(b"{\"bundle\":1}").as_str());
        assert_eq!(json["annotations"]["dev.sigstore.bundle.predicateType"], "https://slsa.dev/provenance/v1");
        assert_eq!(made.digest, lamina_remote::digest::sha256(&made.bytes));
        assert_eq!(fallback_tag(&image), format!("sha256-{}", "a".repeat(64)));
    }

    #[test]
    fn the_fallback_index_lists_each_referrer_once_and_keeps_others() {
        let docker = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#;
        let some = manifest(subject("sha256:aa"), Signed { bundle: b"{}", predicate_type: PREDICATE_TYPE }, "t");
        assert!(listed(Some(docker), &some, PREDICATE_TYPE, "t").is_err(), "not an OCI index");
        let image = format!("sha256:{}", "a".repeat(64));
        let ours = manifest(subject(&image), Signed { bundle: b"{}", predicate_type: PREDICATE_TYPE }, "t");
        let first = listed(None, &ours, PREDICATE_TYPE, "t").unwrap().unwrap();
        assert_eq!(first.media_type, OCI_INDEX);
        let again = listed(Some(&first.bytes), &ours, PREDICATE_TYPE, "t").unwrap();
        assert_eq!(again, None, "listed already: nothing to write");
        let other = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"sha256:bb"}]}"#;
        let both = listed(Some(other), &ours, PREDICATE_TYPE, "t").unwrap().unwrap();
        let json: Value = serde_json::from_slice(&both.bytes).unwrap();
        assert_eq!(json["manifests"][0]["digest"], "sha256:bb", "another tool's referrer stays");
        assert_eq!(json["manifests"][1]["digest"], ours.digest.as_str());
        assert_eq!(json["manifests"][1]["artifactType"], BUNDLE_TYPE);
        assert!(
            listed(Some(br#"{"schemaVersion":2,"config":{}}"#), &ours, PREDICATE_TYPE, "t").is_err(),
            "not an index"
        );
    }
}
