//! Who made a release: its provenance bundle (`provenance.sigstore.json`, a Sigstore bundle of a
//! DSSE-signed in-toto statement) verified offline against a trusted root (the signature, the
//! certificate chain, the transparency log's inclusion proof carried in the bundle, the SCT), the
//! certificate's identity against the release workflow of the repository and tag the verifier
//! names (never against what the bundle says), and `SHA256SUMS` among the statement's subjects.
//! The producer checks what it signed with this, before publishing; the consumer, before use.
//! [`verify_artifact`] is the Sigstore part alone, for any bundle over any artifact.

use crate::provenance::{ISSUER, Statement};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, SignatureContent};

/// A release's signature, verified.
#[derive(Debug)]
pub struct Signed {
    /// The certificate's identity: the workflow at the release's tag.
    pub identity: String,
    pub statement: Statement,
}

/// The trusted root in a ClientTrustConfig (or a bare trusted root) JSON text.
pub fn trusted_root(text: &str) -> Result<TrustedRoot, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e}); give a Sigstore ClientTrustConfig"))?;
    // A ClientTrustConfig holds the trusted root beside the signing config.
    let root = json.get("trustedRoot").unwrap_or(&json);
    TrustedRoot::from_json(&root.to_string()).map_err(|e| format!("no Sigstore trusted root: {e}"))
}

/// Sigstore's public-good trusted root, as embedded in this build.
pub fn public_good() -> Result<TrustedRoot, String> {
    TrustedRoot::from_json(sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT)
        .map_err(|e| format!("the embedded Sigstore trusted root: {e}"))
}

fn parse(bundle: &[u8]) -> Result<Bundle, String> {
    let text = std::str::from_utf8(bundle).map_err(|_| "the bundle is not UTF-8 JSON".to_owned())?;
    Bundle::from_json(text).map_err(|e| format!("the bundle is not a Sigstore bundle: {e}"))
}

fn statement_of(parsed: &Bundle) -> Result<Statement, String> {
    let SignatureContent::DsseEnvelope(envelope) = &parsed.content else {
        return Err("the bundle signs no in-toto statement (a message signature)".to_owned());
    };
    Statement::parse(envelope.payload.as_bytes())
}

/// Verifies `bundle` (the bytes of `provenance.sigstore.json`) as the signature of `sums` (the
/// bytes of `SHA256SUMS`) made by `identity` (a workflow at a tag, from the verifier's side, see
/// [`provenance::identity`](crate::provenance::identity)), against `root`.
pub fn verify(bundle: &[u8], sums: &[u8], identity: &str, root: &TrustedRoot) -> Result<Signed, String> {
    let statement = statement_of(&parse(bundle)?)?;
    // The statement must name SHA256SUMS by name, and the verifier binds its bytes to a subject.
    let sha256 = crate::verify::sha256_hex(sums);
    if !statement.covers(crate::SUMS, &sha256) {
        return Err(format!("the provenance statement does not name `SHA256SUMS` with SHA-256 {sha256}"));
    }
    verify_artifact(bundle, sums, identity, ISSUER, root)?;
    Ok(Signed { identity: identity.to_owned(), statement })
}

/// Verifies `bundle` as a statement by `identity` about the artifact whose SHA-256 is `hex` (an
/// image or chart digest, an archive's), of one of `predicate_types`: an SBOM. Returns the
/// statement's predicate type.
pub fn verify_about(
    bundle: &[u8],
    hex: &str,
    predicate_types: &[&str],
    identity: &str,
    root: &TrustedRoot,
) -> Result<String, String> {
    let parsed = parse(bundle)?;
    let SignatureContent::DsseEnvelope(envelope) = &parsed.content else {
        return Err("the bundle signs no in-toto statement (a message signature)".to_owned());
    };
    let statement: serde_json::Value = serde_json::from_slice(envelope.payload.as_bytes())
        .map_err(|e| format!("the bundle's statement is not JSON: {e}"))?;
    let predicate_type = statement["predicateType"].as_str().unwrap_or_default().to_owned();
    if !predicate_types.contains(&predicate_type.as_str()) {
        return Err(format!("the statement is a `{predicate_type}`, not one of {predicate_types:?}"));
    }
    let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
    let digest =
        sigstore_verify::types::Sha256Hash::from_hex(hex).map_err(|e| format!("`{hex}` is no SHA-256: {e}"))?;
    let policy = sigstore_verify::VerificationPolicy::new(identity, ISSUER);
    sigstore_verify::verify(digest, &parsed, &policy, root)
        .map_err(|e| format!("the bundle does not verify for {identity} about sha256:{hex}: {e}"))?;
    Ok(predicate_type)
}

/// The Sigstore part of [`verify`] alone: `bundle` verifies as the signature of `artifact` (for an
/// in-toto statement, one of its subjects) by a certificate for `identity` from the OIDC `issuer`,
/// chained to `root` and valid at every verified signing time, with its SCT, and the
/// transparency log's inclusion proof and entry matching the bundle. No statement is required.
pub fn verify_artifact(
    bundle: &[u8],
    artifact: &[u8],
    identity: &str,
    issuer: &str,
    root: &TrustedRoot,
) -> Result<(), String> {
    let parsed = parse(bundle)?;
    let policy = sigstore_verify::VerificationPolicy::new(identity, issuer);
    sigstore_verify::verify(artifact, &parsed, &policy, root)
        .map(drop)
        .map_err(|e| format!("the bundle does not verify for {identity}: {e}"))
}
