//! GitHub's Releases API, read only: the published releases and their assets, anonymous or with
//! `GH_TOKEN` or `GITHUB_TOKEN` (as `gh` reads them; never printed), through the shared reader
//! ([`lamina_remote::github`]): one retry policy and GitHub's rate-limit rules, driven from this
//! tool's blocking code.

use anyhow::{Context, bail};
use lamina_remote::github::{Accept, Answered, Reader};
use lamina_remote::hint::{find, hinted};
use lamina_remote::retry::TooLong;

/// The repository whose releases this package reads unless `--repo` says otherwise.
pub const REPOSITORY: &str = "lamina-os/lamina-infra";

/// github.com's web origin.
pub const SERVER: &str = "https://github.com";

/// A release and its assets as the API lists them: plain records of the release format.
pub use lamina_release_format::listing::{Asset, Release};

/// One repository's releases.
pub struct GitHub {
    runtime: tokio::runtime::Runtime,
    reader: Reader,
    repo: String,
    /// Whether a token was given.
    signed_in: bool,
    /// `--sums-sha256`.
    pub pinned: Option<String>,
    /// What a release's signature is checked against.
    pub trust: crate::trust::Trust,
}

impl GitHub {
    #[allow(clippy::disallowed_methods)] // the one place this tool reads the GitHub token
    pub fn new(repo: &str, api_url: &str) -> anyhow::Result<GitHub> {
        let repo = repo.trim();
        if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
            bail!("`--repo {repo}` is not OWNER/NAME, e.g. `--repo {REPOSITORY}`");
        }
        // As `gh` reads them: GH_TOKEN first.
        let token = ["GH_TOKEN", "GITHUB_TOKEN"]
            .iter()
            .find_map(|name| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()));
        let signed_in = token.is_some();
        let reader = Reader::new(api_url, token, concat!("lamina-infra/", env!("CARGO_PKG_VERSION")))?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(GitHub { runtime, reader, repo: repo.to_owned(), signed_in, pinned: None, trust: Default::default() })
    }

    /// Every published release, newest first (drafts never appear).
    pub fn releases(&self) -> anyhow::Result<Vec<Release>> {
        let url = format!("{}/repos/{}/releases?per_page=100", self.reader.api(), self.repo);
        let all: Vec<Release> = self.run(self.reader.pages(&url, "list the releases"))?;
        Ok(all.into_iter().filter(|r| !r.draft).collect())
    }

    /// The latest release, as GitHub marks it.
    pub fn latest(&self) -> anyhow::Result<Release> {
        let url = format!("{}/repos/{}/releases/latest", self.reader.api(), self.repo);
        self.run(self.reader.json(&url, "read the latest release"))
    }

    /// A reader of a release asset's bytes, through the API (`…/releases/assets/{id}`, with the
    /// token, so private repositories work); the redirect to the storage host drops the token.
    pub fn open(&self, asset: &Asset) -> anyhow::Result<Box<dyn std::io::Read + '_>> {
        let what = format!("download `{}`", asset.name);
        let (url, accept) = match asset.id {
            0 => (asset.browser_download_url.clone(), Accept::Public),
            id => (format!("{}/repos/{}/releases/assets/{id}", self.reader.api(), self.repo), Accept::Bytes),
        };
        let response = self.run(self.reader.get(&url, &what, accept))?;
        Ok(Box::new(Body { runtime: &self.runtime, response, chunk: bytes::Bytes::new() }))
    }

    /// A public page's text, e.g. the Helm repository index on GitHub Pages.
    pub fn page(&self, url: &str, what: &str) -> anyhow::Result<String> {
        let read = self.runtime.block_on(async {
            let response = self.reader.get(url, what, Accept::Public).await?;
            response.text().await.with_context(|| format!("{what}: `{url}` was cut off"))
        });
        read.map_err(|e| match find::<Answered>(&e) {
            Some(a) if a.status == 404 => anyhow::format_err!("{what}: `{url}` was not found (404)"),
            _ => self.explain(e),
        })
    }

    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// GitHub's web origin, as Fulcio names a workflow of it: [`SERVER`], or a GitHub Enterprise
    /// Server's (its API at `https://HOST/api/v3`).
    pub fn server(&self) -> String {
        lamina_release_format::provenance::web_origin(self.reader.api())
    }

    /// Runs a read to its end, with what to do about a failure.
    fn run<T>(&self, read: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        self.runtime.block_on(read).map_err(|e| self.explain(e))
    }

    /// Adds what to do about an error GitHub gave, from its status.
    fn explain(&self, error: anyhow::Error) -> anyhow::Error {
        if find::<TooLong>(&error).is_some() {
            return hinted(error, "set GITHUB_TOKEN (or GH_TOKEN) for a higher limit, or run the command again later");
        }
        let Some(answered) = find::<Answered>(&error) else { return error };
        let hint = match answered.status {
            401 => "GitHub did not accept the token (401); check GITHUB_TOKEN or GH_TOKEN, or unset them to read a public repository anonymously".to_owned(),
            403 => "GitHub refused the request (403); if the organization enforces SAML single sign-on, authorize the token for it, and if it keeps an IP allow list, run from an address on it".to_owned(),
            404 if !self.signed_in => format!(
                "`{}` was not found (404); check `--repo`; a private repository needs a token: set GH_TOKEN (or GITHUB_TOKEN)",
                self.repo
            ),
            404 => format!(
                "`{}` was not found (404); check `--repo`, and that the token in GH_TOKEN or GITHUB_TOKEN can read it",
                self.repo
            ),
            _ => return error,
        };
        hinted(error, hint)
    }
}

/// A response body read from blocking code, chunk by chunk.
struct Body<'a> {
    runtime: &'a tokio::runtime::Runtime,
    response: reqwest::Response,
    chunk: bytes::Bytes,
}

impl std::io::Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.response.chunk()).map_err(std::io::Error::other)? {
                Some(chunk) => self.chunk = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
