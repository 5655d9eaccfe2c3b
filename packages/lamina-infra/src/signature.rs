//! The trust roots a release's signature is checked against: the user's ClientTrustConfig
//! (`--trust-config`, `LAMINA_SIGSTORE_TRUST_CONFIG`) or Sigstore's public-good root, refreshed
//! over TUF ([`tuf`]) from the one embedded in this build. The verification itself is the
//! release format's ([`lamina_release_format::signature`]), which the producer runs too.

pub mod tuf;

use anyhow::Context;
pub use lamina_release_format::signature::verify;
use sigstore_verify::trust_root::TrustedRoot;
use std::path::Path;

/// The trusted root in the ClientTrustConfig (or bare trusted root) JSON at `path`.
pub fn trusted_root(path: &Path) -> anyhow::Result<TrustedRoot> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("read the Sigstore trust config `{shown}`"))?;
    lamina_release_format::signature::trusted_root(&text).map_err(|e| anyhow::format_err!("`{shown}`: {e}"))
}

/// Sigstore's public-good trusted root, as embedded in this build: what a failed refresh over TUF
/// falls back to when nothing is cached.
pub fn public_good() -> anyhow::Result<TrustedRoot> {
    lamina_release_format::signature::public_good().map_err(|e| anyhow::format_err!("{e}"))
}
