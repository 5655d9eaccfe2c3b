//! The GitHub channel: one release per tag, found by listing (get-by-tag cannot see drafts), its
//! assets read with their digests, uploads sent to the host in the release's `upload_url`, and
//! the publishing edit. JSON calls go through octocrab with its retries off; ours
//! ([`retry`]) wait for rate limits and never repeat a create or an upload blindly.
//!
//! Uploads and downloads are plain HTTP requests (reqwest): octocrab's upload percent-encodes
//! nothing, re-reads the release first, and prefixes a path-carrying base URI onto the upload
//! host (GitHub REST API, "Upload a release asset").

pub mod assets;
pub mod compare;
pub mod verify;

use crate::settings::Settings;
use anyhow::{Context, format_err};
use lamina_remote::github::{Accept, Answered, Reader};
use lamina_remote::retry::{self, Failure, Verdict};
use octocrab::Octocrab;
use octocrab::models::repos::{Asset, Release};
use octocrab::repos::releases::MakeLatest;
use std::time::Duration;

/// One repository's releases, with a token that is never printed.
///
/// Every request of any kind first passes [`gate`](GitHub::gate), and every rate-limited answer
/// moves the gate's instant forward ([`classify`](GitHub::classify)): GitHub asks for no
/// request at all until a limit's wait has passed ("Rate limits for the REST API"), reads
/// included, so a read after a limited create or upload waits too.
pub struct GitHub {
    octo: Octocrab,
    http: reqwest::Client,
    owner: String,
    repo: String,
    /// Reads, and the rate-limit gate every request of any kind passes.
    reader: Reader,
}

/// A release as GitHub holds it, with the fields the pipeline decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRelease {
    pub id: u64,
    pub tag: String,
    pub draft: bool,
    pub immutable: bool,
    pub html_url: String,
    pub upload_url: String,
    pub assets: Vec<RemoteAsset>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAsset {
    pub id: u64,
    pub name: String,
    pub state: AssetState,
    pub size: u64,
    /// Hex SHA-256, when GitHub reports one (assets since mid-2025 carry it).
    pub sha256: Option<String>,
    /// The API URL of the asset (downloads its bytes with `Accept: application/octet-stream`).
    pub url: String,
    pub browser_download_url: String,
}

/// Where an asset's upload stands, as GitHub reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetState {
    Uploaded,
    /// `starter`, `open` or another state: an upload that never finished.
    Unfinished(String),
}

impl AssetState {
    pub fn of(state: &str) -> AssetState {
        match state {
            "uploaded" => AssetState::Uploaded,
            other => AssetState::Unfinished(other.to_owned()),
        }
    }
}

impl std::fmt::Display for AssetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssetState::Uploaded => f.write_str("uploaded"),
            AssetState::Unfinished(state) => f.write_str(state),
        }
    }
}

/// What a new draft says.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub tag: &'a str,
    /// The commit the tag must point at (GitHub creates the tag there if it is missing).
    pub commit: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub prerelease: bool,
    pub make_latest: bool,
}

/// Longest a single request may take; uploads get their own, larger bound.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

impl GitHub {
    pub fn new(settings: &Settings, token: &str) -> anyhow::Result<GitHub> {
        let (owner, repo) = settings.repository.split_once('/').context("repository is owner/repo")?;
        check_url(&settings.api_url)?;
        let mut builder = Octocrab::builder();
        // Anonymous without a token: reads of a public repository need none.
        if !token.trim().is_empty() {
            builder = builder.personal_token(token.trim().to_owned());
        }
        let octo = builder
            .base_uri(settings.api_url.as_str())
            .map_err(|e| format_err!("GitHub API URL `{}`: {e}", settings.api_url))?
            .set_connect_timeout(Some(Duration::from_secs(20)))
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .build()
            .context("create the GitHub client")?;
        let http = lamina_remote::tls::client_builder()
            .user_agent(concat!("lamina-xtask/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .redirect(lamina_remote::loopback::redirects())
            .build()?;
        Ok(GitHub {
            octo,
            http,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            reader: Reader::new(
                &settings.api_url,
                Some(token.to_owned()),
                concat!("lamina-xtask/", env!("CARGO_PKG_VERSION")),
            )?,
        })
    }

    /// Waits until the last rate limit GitHub answered with has passed; every request calls it
    /// first.
    async fn gate(&self) -> Result<(), Failure> {
        self.reader.gate().pass().await
    }

    /// What GitHub's answer means for the next attempt, recording a rate limit at the gate.
    fn classify(&self, status: u16, headers: &http::HeaderMap, message: &str, attempt: u32) -> Verdict {
        self.reader.gate().classify(status, headers, message, attempt)
    }

    /// An octocrab error as the retry loop sees it, classified (see [`classify`](GitHub::classify)).
    fn failure(&self, e: octocrab::Error, attempt: u32) -> Failure {
        match &e {
            octocrab::Error::GitHub { source, .. } => {
                let headers = source.headers.clone().unwrap_or_default();
                let verdict = self.classify(source.status_code.as_u16(), &headers, &source.message, attempt);
                let error = Answered { status: source.status_code.as_u16(), message: source.message.clone() }.into();
                Failure { verdict, error }
            }
            // Transport: a cut connection, a timeout, an unreadable answer.
            other => Failure {
                verdict: Verdict::Transient(other.to_string()),
                error: format_err!("GitHub request failed: {other}"),
            },
        }
    }

    fn what(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// The token is accepted and may push to the repository (write releases).
    pub async fn check_access(&self) -> anyhow::Result<()> {
        let repo = retry::retry("read the repository", |attempt| async move {
            self.gate().await?;
            self.octo.repos(&self.owner, &self.repo).get().await.map_err(|e| self.failure(e, attempt))
        })
        .await
        .map_err(|e| self.explain(e))?;
        match repo.permissions {
            Some(p) if !p.push => Err(lamina_remote::hint::fail(
                format!("the token cannot write to `{}` (no push permission)", self.what()),
                "give the workflow `permissions: contents: write`, or use a token with write access",
            )),
            Some(_) => Ok(()),
            None => {
                // App installation tokens (Actions' GITHUB_TOKEN) are not told their permissions.
                eprintln!(
                    "note: GitHub does not say whether this token can write releases; the first write will tell (a rerun is safe)"
                );
                Ok(())
            }
        }
    }

    /// The one release (draft or published) for `tag`, found by listing every page.
    pub async fn find(&self, tag: &str) -> anyhow::Result<Option<RemoteRelease>> {
        let releases = self.all_releases().await?;
        let mut found: Vec<Release> = releases.into_iter().filter(|r| r.tag_name == tag).collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(Some(self.with_assets(found.remove(0)).await?)),
            n => Err(lamina_remote::hint::fail(
                format!(
                    "{n} releases of `{}` use the tag `{tag}` (ids {})",
                    self.what(),
                    found.iter().map(|r| r.id.0.to_string()).collect::<Vec<_>>().join(", ")
                ),
                "delete the extra drafts on GitHub, then run the command again",
            )),
        }
    }

    /// Every release, drafts included (this token can push), by listing every page.
    async fn all_releases(&self) -> anyhow::Result<Vec<Release>> {
        self.all_pages("list releases", |page| async move {
            self.octo.repos(&self.owner, &self.repo).releases().list().per_page(100).page(page).send().await
        })
        .await
    }

    /// Every published release (drafts left out), newest first, with its assets.
    pub async fn published(&self) -> anyhow::Result<Vec<RemoteRelease>> {
        let releases = self.all_releases().await?;
        let mut out = Vec::new();
        for release in releases.into_iter().filter(|r| !r.draft) {
            out.push(self.with_assets(release).await?);
        }
        Ok(out)
    }

    /// The versions of every published release that is not a pre-release (tags `v{semver}`;
    /// other tags are not this pipeline's and are left out).
    pub async fn published_versions(&self) -> anyhow::Result<Vec<semver::Version>> {
        let releases = self.all_releases().await?;
        Ok(releases
            .iter()
            .filter(|r| !r.draft && !r.prerelease)
            .filter_map(|r| semver::Version::parse(r.tag_name.strip_prefix('v')?).ok())
            .filter(|v| v.pre.is_empty())
            .collect())
    }

    /// A release with every page of its assets (the embedded list may be cut short).
    async fn with_assets(&self, release: Release) -> anyhow::Result<RemoteRelease> {
        let id = release.id.0;
        let assets = self
            .all_pages("list release assets", |page| async move {
                self.octo.repos(&self.owner, &self.repo).releases().assets(id).per_page(100).page(page).send().await
            })
            .await?;
        let assets = assets.iter().map(asset).collect();
        Ok(RemoteRelease {
            id: release.id.0,
            tag: release.tag_name,
            draft: release.draft,
            immutable: release.immutable.unwrap_or(false),
            html_url: release.html_url.to_string(),
            upload_url: release.upload_url,
            assets,
        })
    }

    /// Every item of a paginated list, each page read with retries (at most 1,000 pages).
    async fn all_pages<T, F, Fut>(&self, what: &str, page_of: F) -> anyhow::Result<Vec<T>>
    where
        F: Fn(u32) -> Fut,
        Fut: std::future::Future<Output = octocrab::Result<octocrab::Page<T>>>,
    {
        let page_of = &page_of;
        let mut items = Vec::new();
        for page in 1u32..=1000 {
            let listed = retry::retry(what, |attempt| async move {
                self.gate().await?;
                page_of(page).await.map_err(|e| self.failure(e, attempt))
            })
            .await
            .map_err(|e| self.explain(e))?;
            let last = listed.next.is_none() || listed.items.is_empty();
            items.extend(listed.items);
            if last {
                break;
            }
        }
        Ok(items)
    }

    /// Creates the draft on `draft.commit`. A create that errors may still have landed: the
    /// releases are read again (after the wait a rate limit asks for: the read passes the gate
    /// too), and only when the draft is not there is it tried again; it is never created twice.
    pub async fn create_draft(&self, draft: &Draft<'_>) -> anyhow::Result<RemoteRelease> {
        let what = format!("create the draft release `{}`", draft.tag);
        retry::retry(&what, |attempt| async move {
            self.gate().await?;
            let created = self
                .octo
                .repos(&self.owner, &self.repo)
                .releases()
                .create(draft.tag)
                .target_commitish(draft.commit)
                .name(draft.name)
                .body(draft.body)
                .draft(true)
                .prerelease(draft.prerelease)
                .make_latest(make_latest(draft.make_latest))
                .send()
                .await;
            let failed = match created {
                Ok(release) => return self.with_assets(release).await.map_err(Failure::fatal),
                Err(e) => self.failure(e, attempt),
            };
            eprintln!(
                "GitHub: creating the draft failed ({:#}); reading the releases to see whether it landed",
                failed.error
            );
            match self.find(draft.tag).await.map_err(Failure::fatal)? {
                Some(release) => Ok(release),
                None => Err(failed),
            }
        })
        .await
        .map_err(|e| self.explain(e))
    }

    /// The release again, by id (cheaper than listing every release), with its assets.
    pub async fn reload(&self, id: u64) -> anyhow::Result<RemoteRelease> {
        let release = retry::retry("read the release", |attempt| async move {
            self.gate().await?;
            self.octo.repos(&self.owner, &self.repo).releases().get(id).await.map_err(|e| self.failure(e, attempt))
        })
        .await
        .map_err(|e| self.explain(e))?;
        self.with_assets(release).await
    }

    /// Publishes the draft with the whole desired state (an edit is retried, so it carries
    /// everything), re-sending `make_latest`: GitHub resets it to "true" on any edit.
    pub async fn publish(&self, id: u64, draft: &Draft<'_>) -> anyhow::Result<()> {
        retry::retry("publish the release", |attempt| async move {
            self.gate().await?;
            self.octo
                .repos(&self.owner, &self.repo)
                .releases()
                .update(id)
                .tag_name(draft.tag)
                .name(draft.name)
                .body(draft.body)
                .prerelease(draft.prerelease)
                .draft(false)
                .make_latest(make_latest(draft.make_latest))
                .send()
                .await
                .map_err(|e| self.failure(e, attempt))
        })
        .await
        .map_err(|e| self.explain(e))?;
        Ok(())
    }

    /// Deletes an asset; a 404 (already gone) is success. The status is checked: octocrab's own
    /// delete reports success whatever GitHub answers.
    pub async fn delete_asset(&self, id: u64) -> anyhow::Result<()> {
        let route = format!("/repos/{}/{}/releases/assets/{id}", self.owner, self.repo);
        let route = route.as_str();
        retry::retry("delete an asset", |attempt| async move {
            self.gate().await?;
            let response = self.octo._delete(route, None::<&()>).await.map_err(|e| self.failure(e, attempt))?;
            let status = response.status();
            if status.is_success() || status == http::StatusCode::NOT_FOUND {
                return Ok(());
            }
            let verdict = self.classify(status.as_u16(), response.headers(), "", attempt);
            let answered = Answered { status: status.as_u16(), message: String::new() };
            Err(Failure { verdict, error: anyhow::Error::new(answered).context(format!("delete asset {id}")) })
        })
        .await
        .map_err(|e| self.explain(e))
    }

    /// Uploads one asset. Never retried here: on any error the caller lists the assets again.
    pub async fn upload(&self, release: &RemoteRelease, name: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let base = release.upload_url.split('{').next().unwrap_or(&release.upload_url);
        let mut url = reqwest::Url::parse(base).with_context(|| format!("upload URL `{base}`"))?;
        check_url(url.as_str())?;
        url.query_pairs_mut().append_pair("name", name);
        let auth = self.authorization()?;
        self.gate().await.map_err(|f| f.error.context(format!("upload `{name}`")))?;
        let response = self
            .http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, auth)
            // The one media type GitHub's OpenAPI description allows for uploads.
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .timeout(UPLOAD_TIMEOUT)
            .body(bytes)
            .send()
            .await
            .map_err(|e| format_err!("upload `{name}`: {}", without_url(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let text = response.text().await.unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default();
            // Classified for a rate limit alone: the caller reads the assets again next, and that
            // read (any request) waits at the gate as GitHub asks.
            self.classify(status.as_u16(), &headers, message["message"].as_str().unwrap_or_default(), 1);
            let answered = Answered { status: status.as_u16(), message: text.trim().to_owned() };
            return Err(anyhow::Error::new(answered).context(format!("upload `{name}`")));
        }
        // GitHub renames names it does not like; the plan's names must survive as they are.
        let stored: serde_json::Value = response.json().await.unwrap_or_default();
        if let Some(stored) = stored.get("name").and_then(|n| n.as_str())
            && stored != name
        {
            return Err(lamina_remote::hint::fail(
                format!("GitHub stored `{name}` as `{stored}`"),
                format!("use asset names of letters, digits, `.`, `_` and `-` only; delete `{stored}` from the draft"),
            ));
        }
        Ok(())
    }

    /// The bytes of an asset through the API (drafts included), with the token; a redirect to
    /// a storage host drops it (reqwest strips credentials when the host changes).
    pub async fn download_asset(&self, api_url: &str) -> anyhow::Result<Vec<u8>> {
        let what = format!("download asset `{api_url}`");
        let response = self.reader.get(api_url, &what, Accept::Bytes).await?;
        Ok(response.bytes().await.map_err(|e| format_err!("{what}: {}", without_url(&e)))?.to_vec())
    }

    /// Fills in the digest of uploaded assets GitHub reports none for (older assets), by
    /// downloading them.
    pub async fn fill_digests(&self, mut release: RemoteRelease) -> anyhow::Result<RemoteRelease> {
        for asset in release.assets.iter_mut().filter(|a| a.sha256.is_none() && a.state == AssetState::Uploaded) {
            let bytes = self.download_asset(&asset.url).await?;
            asset.sha256 = Some(lamina_remote::digest::sha256_hex(&bytes));
        }
        Ok(release)
    }

    fn authorization(&self) -> anyhow::Result<reqwest::header::HeaderValue> {
        self.reader.authorization()?.context("writing to GitHub needs GITHUB_TOKEN")
    }

    /// Adds what to do about an error GitHub gave, from its status.
    fn explain(&self, error: anyhow::Error) -> anyhow::Error {
        // A rate limit longer than we wait says itself when to come back (not a permission).
        if lamina_remote::hint::find::<retry::TooLong>(&error).is_some() {
            return error;
        }
        let Some(answered) = lamina_remote::hint::find::<Answered>(&error) else { return error };
        let hint = match answered.status {
            401 => "GITHUB_TOKEN was not accepted: check that it is current and belongs to this repository",
            404 => {
                "the repository or release was not found with this token: check GITHUB_REPOSITORY (or release.repository) and the token's access; creating a release whose commit changes `.github/workflows/` also needs a token allowed to change workflows"
            }
            403 => "the token lacks a permission: the workflow needs `permissions: contents: write`",
            422 if answered.message.contains("immutable") => {
                "the release is immutable: its assets and tag cannot change; release a new version (`cargo xtask bump`)"
            }
            422 => {
                "GitHub refused the request as invalid (a tag used by another or a deleted immutable release is one cause); check the release on GitHub"
            }
            _ => return error,
        };
        lamina_remote::hint::hinted(error.context(format!("GitHub `{}`", self.what())), hint)
    }
}

fn asset(a: &Asset) -> RemoteAsset {
    RemoteAsset {
        id: a.id.0,
        name: a.name.clone(),
        state: AssetState::of(&a.state),
        size: u64::try_from(a.size).unwrap_or(0),
        sha256: a.digest.as_deref().and_then(|d| d.strip_prefix("sha256:")).map(str::to_owned),
        url: a.url.to_string(),
        browser_download_url: a.browser_download_url.to_string(),
    }
}

fn make_latest(on: bool) -> MakeLatest {
    if on { MakeLatest::True } else { MakeLatest::False }
}

/// Plain HTTP only to loopback hosts (the token would otherwise cross the network in clear).
fn check_url(url: &str) -> anyhow::Result<()> {
    lamina_remote::loopback::check_url(url).map(drop)
}

/// A reqwest error without the URL's query (asset names are fine; tokens never go there, but
/// keep messages short).
fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut parts = Vec::new();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.last().cloned().unwrap_or_default()
}
