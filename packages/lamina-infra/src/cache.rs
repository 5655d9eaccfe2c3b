//! Where lamina-infra keeps what it may reuse across runs (downloaded archives, Sigstore's TUF
//! metadata): `LAMINA_INFRA_CACHE`, else the platform's cache folder.

use std::path::PathBuf;

/// `LAMINA_INFRA_CACHE`, else the platform's cache folder (`~/.cache/lamina-infra` on Linux).
#[allow(clippy::disallowed_methods)] // the cache folder's one override
pub fn dir() -> Option<PathBuf> {
    match std::env::var_os("LAMINA_INFRA_CACHE").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::cache_dir().map(|d| d.join("lamina-infra")),
    }
}
