//! What the signature verifier refuses, each for the reason its error names: a certificate from
//! another OIDC issuer, a transparency-log entry swapped in from another bundle, a certificate
//! expired at its signing time and a statement whose subjects omit `SHA256SUMS`, all made against
//! the loopback Sigstore; and every failing bundle of sigstore-conformance's `bundle-verify`
//! suite, vendored in `tests/data/sigstore-conformance/`.

use crate::signature::{attest, attested, run};
use lamina_release_format::SUMS;
use lamina_release_format::provenance::ISSUER;
use lamina_release_format::signature::{self, verify, verify_artifact};
use serde_json::Value;
use sigstore_verify::trust_root::TrustedRoot;
use std::path::{Path, PathBuf};
use xtask_dev::sigstore::{Sigstore, github_token, token};

fn peers() -> PathBuf {
    PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("LAMINA_TEST_PEERS"))
}

/// A `SHA256SUMS` naming one archive whose digest is `digit` repeated.
fn sums(digit: char) -> Vec<u8> {
    format!("{}  demo-0.2.0.tgz\n", digit.to_string().repeat(64)).into_bytes()
}

fn root(sigstore: &Sigstore) -> TrustedRoot {
    signature::trusted_root(&std::fs::read_to_string(&sigstore.trust_config).unwrap()).unwrap()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_certificate_from_another_oidc_issuer_is_refused_naming_the_issuer() {
    let peers = peers();
    let sigstore = Sigstore::start(&peers).unwrap();
    let (made, sums, other) = (run("acme/infra-demo", "v0.2.0"), sums('a'), "https://gitlab.com");
    let token = token(other, &made.repository, &made.workflow, &made.git_ref, &made.commit);
    let bundle = attest(&peers, &sigstore, &token, &made, SUMS, &sums);
    let root = root(&sigstore);

    // The certificate names the release workflow: only its issuer is another.
    verify_artifact(&bundle, &sums, &made.identity(), other, &root).unwrap();
    let refused = verify(&bundle, &sums, &made.identity(), &root).unwrap_err();
    assert!(refused.contains(&format!("issuer mismatch: expected {ISSUER}, got {other}")), "{refused}");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_transparency_log_entry_swapped_from_another_bundle_is_refused() {
    let peers = peers();
    let sigstore = Sigstore::start(&peers).unwrap();
    let identity = run("acme/infra-demo", "v0.2.0").identity();
    let (sums_a, sums_b) = (sums('a'), sums('b'));
    // A signed after B: A's log time falls within B's certificate, so only the entry betrays it.
    let b = attested(&peers, &sigstore, &sums_b, "v0.2.0");
    let a = attested(&peers, &sigstore, &sums_a, "v0.2.0");
    let root = root(&sigstore);
    verify(&a, &sums_a, &identity, &root).unwrap();
    verify(&b, &sums_b, &identity, &root).unwrap();

    // B with A's log entries (each one valid, SET and inclusion proof, for A).
    let material = |bundle: &[u8]| serde_json::from_slice::<Value>(bundle).unwrap()["verificationMaterial"].clone();
    let mut swapped: Value = serde_json::from_slice(&b).unwrap();
    swapped["verificationMaterial"]["tlogEntries"] = material(&a)["tlogEntries"].clone();
    assert_ne!(swapped["verificationMaterial"], material(&b));
    let refused = verify(&serde_json::to_vec(&swapped).unwrap(), &sums_b, &identity, &root).unwrap_err();
    assert!(refused.contains("log entry does not match the bundle"), "{refused}");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_certificate_expired_at_its_signing_time_is_refused() {
    let peers = peers();
    // The timestamp authority dates the signature an hour after the certificate expired.
    let sigstore = Sigstore::start_with_late_timestamps(&peers).unwrap();
    let identity = run("acme/infra-demo", "v0.2.0").identity();
    let sums = sums('a');
    let bundle = attested(&peers, &sigstore, &sums, "v0.2.0");
    let root = root(&sigstore);

    let refused = verify(&bundle, &sums, &identity, &root).unwrap_err();
    assert!(refused.contains("certificate chain validation failed: CertExpired"), "{refused}");
    // The late timestamp is the reason: without it, the log's time is within the certificate's.
    let mut json: Value = serde_json::from_slice(&bundle).unwrap();
    let stamps = &mut json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    assert_eq!(stamps.as_array().map(Vec::len), Some(1), "{json}");
    *stamps = Value::Array(Vec::new());
    verify(&serde_json::to_vec(&json).unwrap(), &sums, &identity, &root).unwrap();
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_statement_whose_subjects_omit_sha256sums_is_refused() {
    let peers = peers();
    let sigstore = Sigstore::start(&peers).unwrap();
    let (made, sums) = (run("acme/infra-demo", "v0.2.0"), sums('a'));
    let token = github_token(&made.repository, &made.workflow, &made.git_ref, &made.commit);
    // The same bytes, signed by the release workflow, under another name.
    let bundle = attest(&peers, &sigstore, &token, &made, "SHA256SUMS.txt", &sums);
    let root = root(&sigstore);

    verify_artifact(&bundle, &sums, &made.identity(), ISSUER, &root).unwrap();
    let refused = verify(&bundle, &sums, &made.identity(), &root).unwrap_err();
    assert!(refused.contains("the provenance statement does not name `SHA256SUMS`"), "{refused}");
}

/// Each vendored `*_fail` case of sigstore-conformance, and a part of the error it is refused with.
const CONFORMANCE: &[(&str, &str)] = &[
    // The v0.1 bundles with no checkpoint are refused for that before what they test.
    ("bundle-empty-certificate-chain_fail", "inclusion proof has no checkpoint"),
    ("bundle-from-wrong-instance_fail", "invalid inclusion promise: No log key valid"),
    ("bundle-invalid-base64-signature_fail", "is not a Sigstore bundle: JSON error: Invalid encoding"),
    ("bundle-malformed-json_fail", "is not a Sigstore bundle: JSON error: EOF while parsing"),
    ("bundle-negative-log-index_fail", "negative log index"),
    ("bundle-unknown-version_fail", "Invalid media type: application/vnd.dev.sigstore.bundle+json;version=99.9"),
    ("bundle-with-root-cert_fail", "inclusion proof has no checkpoint"),
    ("checkpoint-bad-keyhint_fail", "invalid checkpoint: No matching Rekor key"),
    ("checkpoint-wrong-roothash_fail", "inclusion proof root hash does not match checkpoint root hash"),
    ("dsse-invalid-sig_fail", "DSSE signature verification failed"),
    ("dsse-mismatch-envelope_fail", "log entry does not match the bundle: DSSE payload hash mismatch"),
    ("dsse-mismatch-sig_fail", "log entry does not match the bundle: DSSE signature in bundle does not match"),
    ("inclusion-proof-corrupted-hash_fail", "invalid inclusion proof"),
    ("incorrect-public-key_fail", "invalid inclusion promise: SET verification failed"),
    ("integrated-time-in-future_fail", "certificate chain validation failed: CertExpired"),
    ("intoto-expired-certificate_fail", "certificate chain validation failed: CertNotValidYet"),
    ("intoto-log-entry-mismatch_fail", "malformed log entry"),
    ("intoto-missing-inclusion-proof_fail", "bundle must have an inclusion proof"),
    ("intoto-set-outside-signing-cert-validity_fail", "certificate chain validation failed: CertExpired"),
    ("intoto-tsa-timestamp-outside-cert-validity_fail", "certificate chain validation failed: CertExpired"),
    ("invalid-checkpoint-signature_fail", "invalid checkpoint: No valid Rekor signature"),
    ("invalid-ct-key_fail", "invalid signed certificate timestamp"),
    ("invalid-inclusion-proof_fail", "inclusion proof has no checkpoint"),
    ("managed-key-no-key_fail", "bundle has no signing certificate"),
    ("message-digest-mismatch_fail", "message digest in bundle does not match artifact hash"),
    ("rekor2-checkpoint-missing-log-signature_fail", "Invalid checkpoint format: no signatures"),
    ("rekor2-checkpoint-missing-origin_fail", "Invalid checkpoint format"),
    ("rekor2-checkpoint-missing-root-hash_fail", "Invalid checkpoint format: missing root hash"),
    ("rekor2-checkpoint-missing-size_fail", "Invalid checkpoint format: invalid tree size"),
    ("rekor2-checkpoint-no-matching-signature_fail", "invalid checkpoint: No valid Rekor signature"),
    ("rekor2-dsse-invalid-sig_fail", "DSSE signature verification failed"),
    ("rekor2-dsse-mismatch-envelope_fail", "artifact hash mismatch for hashedrekord entry"),
    ("rekor2-dsse-mismatch-sig_fail", "log entry does not match the bundle: DSSE signature in bundle does not match"),
    ("rekor2-no-inclusion-proof_fail", "bundle must have an inclusion proof"),
    ("rekor2-no-timestamp_fail", "no verified timestamp"),
    ("rekor2-timestamp-outside-trust-root-tsa-validity_fail", "outside the validity period of the authority"),
    ("rekor2-timestamp-outside-tsa-cert-validity_fail", "TSA certificate chain validation failed: CertExpired"),
    ("rekor2-timestamp-payload-mismatch_fail", "Timestamp message hash mismatch"),
    ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "does not match any trusted TSA certificate"),
    ("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", "does not match any trusted TSA certificate"),
    // Its timestamp's base64 is wrapped in lines, refused as such; see below for its own reason.
    ("rekor2-timestamp-with-incorrect-time_fail", "is not a Sigstore bundle: JSON error: Invalid encoding"),
    ("set-invalid-signature_fail", "invalid inclusion promise: SET verification failed"),
    ("signature-mismatch_fail", "invalid signature: signature verification failed"),
    (
        "trust-root-tlog-missing-validity-start_fail",
        "no Sigstore trusted root: failed to parse JSON: missing field `start`",
    ),
    ("wrong-hashedrekord-artifact_fail", "artifact hash mismatch for hashedrekord entry"),
    ("wrong-hashedrekord-cert-and-sig_fail", "certificate in bundle does not match certificate in Rekor entry"),
    ("wrong-hashedrekord-entry_fail", "artifact hash mismatch for hashedrekord entry"),
    ("wrong-material_fail", "message digest in bundle does not match artifact hash"),
];

/// Verifies the case in `dir` as sigstore-conformance's harness (`test/client.py`) does: its
/// `artifact` (else the suite's `a.txt`), `identity` and `issuer` (else the beacon workflow's on
/// GitHub Actions), against its `trusted_root.json` (else Sigstore's public-good root, embedded).
fn conformance(dir: &Path, bundle: &[u8]) -> Result<(), String> {
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let text = |name: &str| read(name).map(|b| String::from_utf8(b).unwrap().trim().to_owned());
    let root = match std::fs::read_to_string(dir.join("trusted_root.json")) {
        Ok(text) => signature::trusted_root(&text)?,
        Err(_) => signature::public_good()?,
    };
    let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    let default = format!("{beacon}/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main");
    let identity = text("identity").unwrap_or(default);
    let issuer = text("issuer").unwrap_or_else(|| "https://token.actions.githubusercontent.com".to_owned());
    let artifact = read("artifact").unwrap_or_else(|| std::fs::read(dir.join("../a.txt")).unwrap());
    signature::verify_artifact(bundle, &artifact, &identity, &issuer, &root)
}

#[test]
fn every_failing_sigstore_conformance_bundle_is_refused_for_its_reason() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore-conformance");
    let mut vendored: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    vendored.sort();
    assert_eq!(vendored, CONFORMANCE.iter().map(|(case, _)| case.to_string()).collect::<Vec<_>>());

    for (case, reason) in CONFORMANCE {
        let dir = data.join(case);
        let refused = conformance(&dir, &std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap_err();
        assert!(refused.contains(reason), "{case}: {refused}");
    }

    // With its timestamp's lines joined (as Go's and Python's base64 decoders read it), the case
    // is refused for its own reason: the timestamp is after the certificate expired.
    let dir = data.join("rekor2-timestamp-with-incorrect-time_fail");
    let mut json: Value = serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    let stamp =
        &mut json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"];
    *stamp = stamp.as_str().unwrap().replace('\n', "").into();
    let refused = conformance(&dir, &serde_json::to_vec(&json).unwrap()).unwrap_err();
    assert!(refused.contains("certificate chain validation failed: CertExpired"), "{refused}");
}
