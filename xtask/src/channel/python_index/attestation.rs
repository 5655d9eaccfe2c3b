//! PEP 740 ("Index support for digital attestations") for the Python files: each wheel and sdist
//! gets an in-toto statement with the publish predicate type (PyPI's "Attestations" docs,
//! `publish/v1`), naming that one file, signed as the release is; the Sigstore bundle is
//! rewritten as PEP 740's attestation object (the shape `pypi-attestations` reads) and sent in the
//! upload's `attestations` field. Pure: bytes in, JSON out.

use super::rules::DistFile;
use anyhow::Context;
use serde_json::{Value, json};

/// PyPI's publish attestation type.
pub const PUBLISH_V1: &str = "https://docs.pypi.org/attestations/publish/v1";

/// Where a file's attestation is written beside the build: the name `pypi-attestations` and
/// PyPA's publish action use.
pub fn file_name(dist: &str) -> String {
    format!("{dist}.publish.attestation")
}

/// The statement a file's attestation signs: the file by name and SHA-256, no predicate.
pub fn statement(file: &DistFile) -> Value {
    json!({
        "_type": lamina_release_format::provenance::STATEMENT_TYPE,
        "subject": [{ "name": file.name, "digest": { "sha256": file.sha256 } }],
        "predicateType": PUBLISH_V1,
    })
}

/// The PEP 740 attestation object of a Sigstore bundle (v0.3) of a DSSE-signed statement: the
/// leaf certificate, the log entry, the statement and its signature, all as the bundle has them.
pub fn from_bundle(bundle: &[u8]) -> anyhow::Result<Value> {
    let bundle: Value = serde_json::from_slice(bundle).context("the bundle is not JSON")?;
    let material = &bundle["verificationMaterial"];
    let certificate = material["certificate"]["rawBytes"].as_str().context("the bundle has no leaf certificate")?;
    let entry = material["tlogEntries"].get(0).context("the bundle has no transparency log entry")?;
    let envelope = &bundle["dsseEnvelope"];
    let statement = envelope["payload"].as_str().context("the bundle has no DSSE payload")?;
    let signature = envelope["signatures"][0]["sig"].as_str().context("the bundle has no DSSE signature")?;
    Ok(json!({
        "version": 1,
        "verification_material": { "certificate": certificate, "transparency_entries": [entry] },
        "envelope": { "statement": statement, "signature": signature },
    }))
}

/// Whether `attestation` (a PEP 740 object's JSON) attests exactly `file`: kept on a rerun.
pub fn attests(attestation: &[u8], file: &DistFile) -> bool {
    use base64::Engine;
    let Ok(value) = serde_json::from_slice::<Value>(attestation) else { return false };
    let payload = value["envelope"]["statement"].as_str().unwrap_or_default();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload) else { return false };
    serde_json::from_slice::<Value>(&bytes).is_ok_and(|signed| signed == statement(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn a_bundle_becomes_pep_740_s_attestation_object() {
        let file = DistFile { project: "demo".into(), name: "demo-1.0.tar.gz".into(), sha256: "ab".repeat(32) };
        let b64 = |v: &Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
        let bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": { "rawBytes": "Y2VydA==" },
                "tlogEntries": [{ "logIndex": "7", "kindVersion": { "kind": "dsse", "version": "0.0.1" } }],
            },
            "dsseEnvelope": {
                "payload": b64(&statement(&file)),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{ "sig": "c2ln" }],
            },
        });
        let made = from_bundle(bundle.to_string().as_bytes()).unwrap();
        assert_eq!(made["version"], 1);
        assert_eq!(made["verification_material"]["certificate"], "Y2VydA==");
        assert_eq!(made["verification_material"]["transparency_entries"][0]["logIndex"], "7");
        assert_eq!(made["envelope"]["signature"], "c2ln");
        let written = serde_json::to_vec(&made).unwrap();
        assert!(attests(&written, &file));
        let other = DistFile { sha256: "cd".repeat(32), ..file.clone() };
        assert!(!attests(&written, &other), "another digest");
        assert!(from_bundle(b"{}").is_err());
    }
}
