//! GitHub's Releases API, read only: the published releases and their assets, anonymous or with
//! `GITHUB_TOKEN`/`GH_TOKEN` (never printed). Reads are retried under GitHub's rate-limit rules:
//! `retry-after` is waited out when it is short, an exhausted limit is reported with its reset.

use anyhow::{Context, bail, format_err};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The repository whose releases this package reads unless `--repo` says otherwise.
pub const REPOSITORY: &str = "lamina-os/lamina-infra";

/// Attempts of one read.
const ATTEMPTS: u32 = 4;
/// The longest `retry-after` waited out; a longer one is reported instead.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

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
    pub name: String,
    pub size: u64,
    pub browser_download_url: String,
    pub digest: Option<String>,
}

impl Release {
    /// The version of a `v{semver}` tag.
    pub fn version(&self) -> &str {
        self.tag_name.strip_prefix('v').unwrap_or(&self.tag_name)
    }

    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

/// One repository's releases.
pub struct GitHub {
    http: reqwest::blocking::Client,
    api: String,
    repo: String,
    token: Option<String>,
}

impl GitHub {
    #[allow(clippy::disallowed_methods)] // the one place this tool reads the environment
    pub fn new(repo: &str, api_url: &str) -> anyhow::Result<GitHub> {
        let repo = repo.trim();
        if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
            bail!("`--repo {repo}` is not OWNER/NAME, e.g. `--repo {REPOSITORY}`");
        }
        let api = api_url.trim_end_matches('/').to_owned();
        check_url(&api)?;
        let token = ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("lamina-infra/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(GitHub { http, api, repo: repo.to_owned(), token })
    }

    /// Every published release, newest first (drafts never appear).
    pub fn releases(&self) -> anyhow::Result<Vec<Release>> {
        let mut all = Vec::new();
        for page in 1..=100 {
            let url = format!("{}/repos/{}/releases?per_page=100&page={page}", self.api, self.repo);
            let batch: Vec<Release> = self.json(&url, "list the releases")?;
            let last = batch.len() < 100;
            all.extend(batch.into_iter().filter(|r| !r.draft));
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// The latest release, as GitHub marks it.
    pub fn latest(&self) -> anyhow::Result<Release> {
        let latest = format!("{}/repos/{}/releases/latest", self.api, self.repo);
        self.json(&latest, "read the latest release")
    }

    /// A reader of a release asset's bytes, through its public URL.
    pub fn open(&self, asset: &Asset) -> anyhow::Result<Box<dyn std::io::Read>> {
        check_url(&asset.browser_download_url)?;
        let response = self.get(&asset.browser_download_url, &format!("download `{}`", asset.name), false)?;
        Ok(Box::new(response))
    }

    /// A public page's text, e.g. the Helm repository index on GitHub Pages.
    pub fn page(&self, url: &str, what: &str) -> anyhow::Result<String> {
        check_url(url)?;
        self.get(url, what, false)?.text().with_context(|| format!("{what}: `{url}` was cut off"))
    }

    pub fn repo(&self) -> &str {
        &self.repo
    }

    fn json<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> anyhow::Result<T> {
        let response = self.get(url, what, true)?;
        response.json().with_context(|| format!("{what}: GitHub's answer is not the JSON expected"))
    }

    /// A GET, retried after a 5xx, a cut connection or a short `retry-after`.
    fn get(&self, url: &str, what: &str, api: bool) -> anyhow::Result<reqwest::blocking::Response> {
        let mut last = None;
        for attempt in 1..=ATTEMPTS {
            let mut request = self.http.get(url);
            if api {
                request = request.header(reqwest::header::ACCEPT, "application/vnd.github+json");
                if let Some(token) = &self.token {
                    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                        .map_err(|_| format_err!("GITHUB_TOKEN holds characters a header cannot carry"))?;
                    value.set_sensitive(true);
                    request = request.header(reqwest::header::AUTHORIZATION, value);
                }
            }
            let response = match request.send() {
                Ok(r) => r,
                Err(e) => {
                    last =
                        Some(format_err!("{what}: cannot reach {}: {}", host(url), anyhow::Error::new(e).root_cause()));
                    std::thread::sleep(Duration::from_millis(500 << attempt));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            match status {
                200..=299 => return Ok(response),
                401 => bail!(
                    "{what}: GitHub did not accept the token (401); check GITHUB_TOKEN or GH_TOKEN, or unset them to read a public repository anonymously"
                ),
                404 if api => bail!(
                    "{what}: `{}` was not found (404); check `--repo`, and for a private repository set GITHUB_TOKEN",
                    self.repo
                ),
                404 => bail!("{what}: `{url}` was not found (404)"),
                403 | 429 if header("retry-after").is_some() => {
                    let wait = Duration::from_secs(header("retry-after").and_then(|s| s.parse().ok()).unwrap_or(60));
                    if wait > LONGEST_WAIT || attempt == ATTEMPTS {
                        bail!(
                            "{what}: GitHub asks to wait {} s (rate limit); run the command again later",
                            wait.as_secs()
                        );
                    }
                    eprintln!("GitHub: rate limited on {what}; waiting {} s", wait.as_secs());
                    std::thread::sleep(wait);
                }
                403 | 429 if header("x-ratelimit-remaining").as_deref() == Some("0") => {
                    let reset = header("x-ratelimit-reset")
                        .and_then(|s| s.parse::<u64>().ok())
                        .map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s))
                        .map_or_else(|| "its reset".to_owned(), |t| humantime::format_rfc3339_seconds(t).to_string());
                    bail!(
                        "{what}: GitHub's rate limit is used up until {reset}; set GITHUB_TOKEN for a higher limit, or run the command again then"
                    );
                }
                500..=599 => {
                    last = Some(format_err!("{what}: GitHub answered {status}"));
                    std::thread::sleep(Duration::from_millis(500 << attempt));
                }
                _ => bail!("{what}: GitHub answered {status}"),
            }
        }
        Err(last.unwrap_or_else(|| format_err!("{what}: gave up")).context(format!("after {ATTEMPTS} attempts")))
    }
}

/// Plain HTTP only to loopback hosts.
fn check_url(url: &str) -> anyhow::Result<()> {
    lamina_remote::loopback::check_url(url).map(drop)
}

/// The `HOST[:PORT]` a URL names, for messages.
fn host(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u[url::Position::BeforeHost..url::Position::AfterPort].to_owned(),
        Err(_) => url.to_owned(),
    }
}
