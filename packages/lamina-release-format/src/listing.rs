//! A release and its assets as GitHub's Releases API lists them: plain records, read from the API
//! by the tools that consume a release and kept as they are in a mirror's `mirror.json`.

use crate::names;
use serde::{Deserialize, Serialize};

/// A release as the API lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    pub tag_name: String,
    pub draft: bool,
    pub prerelease: bool,
    pub published_at: Option<String>,
    pub html_url: String,
    pub assets: Vec<Asset>,
}

/// A release asset; `digest` (`sha256:…`) is reported by GitHub for assets since mid-2025.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asset {
    /// GitHub's id of the asset: its bytes are at `…/releases/assets/{id}` of the API (0 when a
    /// mirror recorded none).
    #[serde(default)]
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub browser_download_url: String,
    pub digest: Option<String>,
}

impl Release {
    /// The version of a `v{semver}` tag.
    pub fn version(&self) -> &str {
        names::version(&self.tag_name)
    }

    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

impl Asset {
    /// GitHub's SHA-256 of the asset as bare lowercase hex, when it reports one.
    pub fn sha256(&self) -> Option<&str> {
        self.digest.as_deref().and_then(|d| d.strip_prefix("sha256:"))
    }

    /// What is wrong with GitHub's digest of the asset: one of another algorithm, or not a
    /// SHA-256 at all, cannot be checked and is refused rather than skipped.
    pub fn digest_problem(&self) -> Option<String> {
        let digest = self.digest.as_deref()?;
        let hex = self
            .sha256()
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        hex.is_none().then(|| {
            format!("GitHub reports the digest `{digest}` for `{}`, which this version cannot check", self.name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_api_listing_and_names_the_version() {
        let listed = serde_json::json!({
            "tag_name": "v0.2.0", "draft": false, "prerelease": false, "id": 7,
            "published_at": "2026-01-01T00:00:00Z", "html_url": "https://github.com/acme/infra/releases/tag/v0.2.0",
            "assets": [
                {"name": "SHA256SUMS", "size": 10, "browser_download_url": "https://x/SHA256SUMS", "digest": "sha256:abc"},
                {"name": "old.tgz", "size": 3, "browser_download_url": "https://x/old.tgz", "digest": null}
            ]
        });
        let release: Release = serde_json::from_value(listed).unwrap();
        assert_eq!(release.version(), "0.2.0");
        assert_eq!(release.asset("SHA256SUMS").and_then(Asset::sha256), Some("abc"));
        assert_eq!(release.asset("old.tgz").and_then(Asset::sha256), None);
        assert!(release.asset("missing").is_none());
        let written = serde_json::to_value(&release).unwrap();
        assert_eq!(written["assets"][1]["digest"], serde_json::Value::Null, "kept as GitHub listed it");
    }
}
