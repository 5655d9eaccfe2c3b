//! `mirror.json`: the file that names the releases a mirror folder holds and the repository they
//! come from, each release as GitHub listed it (its assets sit beside it under `<tag>/`).

use crate::listing::Release;
use serde::{Deserialize, Serialize};

/// The file naming a mirror's releases.
pub const MIRROR_JSON: &str = "mirror.json";

/// `mirror.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MirrorFile {
    /// `OWNER/NAME` of the repository the releases come from.
    pub repository: String,
    /// Newest first, each as GitHub listed it.
    pub releases: Vec<Release>,
}

impl MirrorFile {
    /// Holds `release` (in place of any of its tag), newest first; as published, never a draft.
    pub fn add(&mut self, release: &Release) {
        self.releases.retain(|r| r.tag_name != release.tag_name);
        self.releases.push(Release { draft: false, ..release.clone() });
        let newest = |r: &Release| std::cmp::Reverse((r.published_at.clone().unwrap_or_default(), r.tag_name.clone()));
        self.releases.sort_by_key(newest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes() {
        let text = r#"{"repository": "acme/infra", "releases": [{"tag_name": "v0.1.0", "draft": false,
            "prerelease": true, "published_at": null, "html_url": "https://x", "assets": []}]}"#;
        let file: MirrorFile = serde_json::from_str(text).unwrap();
        assert_eq!((file.repository.as_str(), file.releases[0].version()), ("acme/infra", "0.1.0"));
        let again: MirrorFile = serde_json::from_slice(&serde_json::to_vec_pretty(&file).unwrap()).unwrap();
        assert_eq!(again.releases[0].tag_name, "v0.1.0");
        assert!(serde_json::from_str::<MirrorFile>(r#"{"releases": []}"#).is_err(), "the repository is required");
    }
}
