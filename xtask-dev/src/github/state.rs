//! What the fake remembers: releases and their assets, the request log, queued faults, and the
//! rate-limit counters.

use super::{FakeAsset, FakeRelease, Fault, FaultKind, Options, Request, SeedRelease};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct State {
    pub options: Options,
    pub owner: String,
    pub repo: String,
    pub api_url: String,
    pub upload_url: String,
    /// Where asset downloads are redirected: the upload host's listener, another origin than
    /// the API's, as GitHub's storage hosts are.
    pub storage_url: String,
    /// Path prefixes the API and upload hosts serve under (GitHub Enterprise Server: `/api/v3`
    /// and `/api/uploads`); empty on github.com.
    pub prefixes: (String, String),
    pub releases: BTreeMap<u64, ReleaseRecord>,
    /// Release ids and asset ids come from one counter, so they never collide.
    next_id: u64,
    /// The release explicitly marked latest (`make_latest: "true"`), if any.
    pub latest: Option<u64>,
    /// Tags of deleted immutable releases: GitHub never lets them be reused.
    pub burned_tags: Vec<String>,
    pub log: Vec<Request>,
    pub writes: usize,
    pub faults: Vec<Fault>,
    /// Requests counted against the rate limit, and when it resets (epoch seconds).
    pub used: usize,
    pub reset: u64,
}

#[derive(Debug, Clone)]
pub struct ReleaseRecord {
    pub id: u64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    pub make_latest: Option<String>,
    pub immutable: bool,
    pub created_at: u64,
    pub updated_at: u64,
    pub published_at: Option<u64>,
    pub assets: Vec<AssetRecord>,
}

#[derive(Debug, Clone)]
pub struct AssetRecord {
    pub id: u64,
    pub name: String,
    pub label: Option<String>,
    pub state: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of `bytes`, computed once when they are stored, as GitHub does.
    pub digest: String,
    pub created_at: u64,
    pub updated_at: u64,
}

/// `sha256:<hex>` of an asset's bytes, as GitHub reports it.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl ReleaseRecord {
    /// `untagged-<20 hex>`: the stand-in for the tag in a draft's URLs.
    pub fn untagged(&self) -> String {
        let hash = Sha256::digest(format!("{}:{}", self.id, self.created_at));
        format!("untagged-{}", &hex::encode(hash)[..20])
    }

    /// What URLs use in place of the tag: the tag once published, `untagged-…` for drafts.
    pub fn url_tag(&self) -> String {
        if self.draft { self.untagged() } else { self.tag_name.clone() }
    }

    /// Published under the `immutable` option: assets and tag are locked.
    pub fn locked(&self) -> bool {
        self.immutable && !self.draft
    }
}

impl State {
    pub fn new(options: Options, owner: String, repo: String, api_url: String, upload_url: String) -> State {
        State {
            options,
            owner,
            repo,
            api_url,
            storage_url: upload_url.clone(),
            upload_url,
            prefixes: (String::new(), String::new()),
            releases: BTreeMap::new(),
            next_id: 1,
            latest: None,
            burned_tags: Vec::new(),
            log: Vec::new(),
            writes: 0,
            faults: Vec::new(),
            used: 0,
            reset: now() + 3600,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Releases this token may see, newest (highest id) first: drafts need push access.
    pub fn visible(&self) -> Vec<&ReleaseRecord> {
        self.releases.values().rev().filter(|r| self.options.can_push || !r.draft).collect()
    }

    pub fn find_asset(&self, asset_id: u64) -> Option<(u64, usize)> {
        self.releases.values().find_map(|r| r.assets.iter().position(|a| a.id == asset_id).map(|i| (r.id, i)))
    }

    /// The first queued fault matching this request, used once.
    pub fn take_fault(&mut self, method: &str, path_and_query: &str, is_upload: bool) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| {
            (f.method == "*" || f.method.eq_ignore_ascii_case(method))
                && path_and_query.contains(&f.path_contains)
                && (is_upload || !matches!(f.kind, FaultKind::Starter502))
        })?;
        let fault = &mut self.faults[index];
        let kind = fault.kind.clone();
        fault.times = fault.times.max(1) - 1;
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// The latest release: the one marked latest while it stays published, else the newest
    /// published non-prerelease not created with `make_latest: "false"`.
    pub fn latest(&self) -> Option<&ReleaseRecord> {
        let marked = self.latest.and_then(|id| self.releases.get(&id)).filter(|r| !r.draft && !r.prerelease);
        marked.or_else(|| {
            self.releases
                .values()
                .filter(|r| !r.draft && !r.prerelease && r.make_latest.as_deref() != Some("false"))
                .max_by_key(|r| (r.created_at, r.id))
        })
    }

    pub fn seed(&mut self, seed: SeedRelease) -> u64 {
        let id = self.next_id();
        let time = now();
        let mut assets = Vec::new();
        let uploaded = seed.assets.into_iter().map(|(name, bytes)| (name, bytes, "uploaded"));
        let starters = seed.starter_assets.into_iter().map(|name| (name, Vec::new(), "starter"));
        for (name, bytes, state) in uploaded.chain(starters) {
            let id = self.next_id();
            let (state, content_type) = (state.to_owned(), "application/octet-stream".to_owned());
            assets.push(AssetRecord {
                id,
                name,
                label: None,
                state,
                content_type,
                digest: sha256(&bytes),
                bytes,
                created_at: time,
                updated_at: time,
            });
        }
        let prerelease = seed.tag_name.contains('-');
        let release = ReleaseRecord {
            id,
            tag_name: seed.tag_name,
            target_commitish: "main".to_owned(),
            name: None,
            body: None,
            draft: seed.draft,
            prerelease,
            make_latest: None,
            immutable: self.options.immutable && !seed.draft,
            created_at: time,
            updated_at: time,
            published_at: (!seed.draft).then_some(time),
            assets,
        };
        self.releases.insert(id, release);
        id
    }

    pub fn snapshot(&self) -> Vec<FakeRelease> {
        self.releases
            .values()
            .map(|r| FakeRelease {
                id: r.id,
                tag_name: r.tag_name.clone(),
                name: r.name.clone(),
                body: r.body.clone(),
                draft: r.draft,
                prerelease: r.prerelease,
                make_latest: r.make_latest.clone(),
                immutable: r.immutable,
                assets: r
                    .assets
                    .iter()
                    .map(|a| FakeAsset {
                        id: a.id,
                        name: a.name.clone(),
                        label: a.label.clone(),
                        state: a.state.clone(),
                        content_type: a.content_type.clone(),
                        bytes: a.bytes.clone(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for epoch seconds.
pub fn timestamp(secs: u64) -> String {
    xtask::plan::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(super::timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::timestamp(1_768_478_400), "2026-01-15T12:00:00Z");
        assert_eq!(super::timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }
}
