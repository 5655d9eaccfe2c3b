//! Who made a release: its provenance bundle (`provenance.sigstore.json`, a Sigstore bundle of a
//! DSSE-signed in-toto statement) verified offline against a trusted root (the signature, the
//! certificate chain, the transparency log's inclusion proof carried in the bundle, the SCT), the
//! certificate's identity against the release workflow of the repository and tag the user asked
//! for (never against what the bundle says), and `SHA256SUMS` among the statement's subjects.

use anyhow::Context;
use lamina_release_format::provenance::Statement;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, SignatureContent};
use std::path::Path;

/// GitHub Actions' OIDC issuer: the only issuer a release's certificate may name.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A release's signature, verified.
#[derive(Debug)]
pub struct Signed {
    /// The certificate's identity: the workflow at the release's tag.
    pub identity: String,
    pub statement: Statement,
}

/// The trusted root in the ClientTrustConfig (or bare trusted root) JSON at `path`.
pub fn trusted_root(path: &Path) -> anyhow::Result<TrustedRoot> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("read the Sigstore trust config `{shown}`"))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{shown}` is not JSON; give a Sigstore ClientTrustConfig"))?;
    // A ClientTrustConfig holds the trusted root beside the signing config.
    let root = json.get("trustedRoot").unwrap_or(&json);
    TrustedRoot::from_json(&root.to_string())
        .map_err(|e| anyhow::format_err!("`{shown}` holds no Sigstore trusted root: {e}"))
}

/// Sigstore's public-good trusted root, as embedded in this build.
pub fn public_good() -> anyhow::Result<TrustedRoot> {
    TrustedRoot::from_json(sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT)
        .map_err(|e| anyhow::format_err!("the embedded Sigstore trusted root: {e}"))
}

/// Verifies `bundle` (the bytes of `provenance.sigstore.json`) as the signature of `sums` (the
/// bytes of `SHA256SUMS`) made by `identity` (a workflow at a tag, from the user's side, see
/// [`provenance::identity`](lamina_release_format::provenance::identity)), against `root`.
pub fn verify(bundle: &[u8], sums: &[u8], identity: &str, root: &TrustedRoot) -> anyhow::Result<Signed> {
    let text = std::str::from_utf8(bundle).context("the provenance bundle is not UTF-8 JSON")?;
    let parsed = Bundle::from_json(text).map_err(|e| anyhow::format_err!("the provenance bundle is not one: {e}"))?;
    let SignatureContent::DsseEnvelope(envelope) = &parsed.content else {
        anyhow::bail!("the provenance bundle signs no in-toto statement (a message signature)");
    };
    let statement = Statement::parse(envelope.payload.as_bytes()).map_err(|e| anyhow::format_err!("{e}"))?;
    let policy = sigstore_verify::VerificationPolicy::any_identity().require_identity(identity).require_issuer(ISSUER);
    // The statement must name SHA256SUMS by name, and the verifier binds its bytes to a subject.
    let sha256 = lamina_remote::digest::sha256_hex(sums);
    if !statement.covers(lamina_release_format::SUMS, &sha256) {
        anyhow::bail!("the provenance statement does not name `SHA256SUMS` with SHA-256 {sha256}");
    }
    sigstore_verify::verify(sums, &parsed, &policy, root)
        .map_err(|e| anyhow::format_err!("the provenance bundle does not verify for {identity}: {e}"))?;
    Ok(Signed { identity: identity.to_owned(), statement })
}
