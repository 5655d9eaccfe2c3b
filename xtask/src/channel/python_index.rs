//! The Python package index channel: a project's simple page read anonymously (PEP 691 JSON or
//! PEP 503 HTML), files uploaded through the legacy upload API with HTTP Basic credentials
//! (`__token__` and a token from the environment, or one minted by trusted publishing in
//! GitHub Actions, [`oidc`]), files downloaded for `verify`. Credentials are never printed.

pub mod attestation;
pub mod compare;
pub mod oidc;
pub mod rules;
#[cfg(test)]
mod tests;
pub mod verify;

use crate::build::Built;
use crate::env;
use crate::plan::Plan;
use crate::settings::PythonIndex;
use anyhow::Context;
use rules::{DistFile, dist, form, simple};
use std::path::Path;
use std::time::Duration;

/// The index's HTTP clients and where it is.
pub struct PyIndex {
    /// Reads: redirects followed (a server may send a project page elsewhere), never to plain
    /// HTTP off this machine.
    http: reqwest::Client,
    /// Uploads: no redirect is followed, a POST would lose its body (twine refuses them too).
    upload: reqwest::Client,
    pub index: PythonIndex,
}

/// A user name and secret for the upload API.
pub struct Credentials {
    user: String,
    secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, [hidden])", self.user)
    }
}

/// Where the upload credentials come from, decided from the environment without a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// GitHub Actions' OIDC token, exchanged at the index (trusted publishing).
    TrustedPublishing { request_url: String },
    /// `LAMINA_PYTHON_INDEX_TOKEN`, as `user`.
    Token { user: String },
}

impl Source {
    /// How this run would authenticate to `index`, or why it cannot.
    pub fn of(index: &PythonIndex) -> anyhow::Result<Source> {
        let actions = env::flag(env::GITHUB_ACTIONS);
        let request = env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL).filter(|_| actions && index.trusted_publishing);
        let token = env::var(env::LAMINA_PYTHON_INDEX_TOKEN);
        match (request, token) {
            (Some(request_url), _) if env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN).is_some() => {
                Ok(Source::TrustedPublishing { request_url })
            }
            (_, Some(_)) => Ok(Source::Token {
                user: env::var(env::LAMINA_PYTHON_INDEX_USERNAME).unwrap_or_else(|| "__token__".to_owned()),
            }),
            _ if actions && index.trusted_publishing => Err(lamina_remote::hint::fail(
                format!("no credentials for the Python index {}: the job has no OIDC token", index.upload_url),
                "give the release job `permissions: id-token: write` (trusted publishing), or set LAMINA_PYTHON_INDEX_TOKEN",
            )),
            _ => Err(lamina_remote::hint::fail(
                format!("no credentials for the Python index {}", index.upload_url),
                "set LAMINA_PYTHON_INDEX_TOKEN to an upload token (user `__token__`, or LAMINA_PYTHON_INDEX_USERNAME), or use trusted publishing in GitHub Actions",
            )),
        }
    }
}

/// The built files the index should hold: each `[[package]]`'s wheel and sdist, when the plan
/// has a Python channel.
pub fn files(plan: &Plan, built: &Built) -> Vec<DistFile> {
    if plan.python_index.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for package in &built.packages {
        for name in [&package.wheel, &package.sdist].into_iter().flatten() {
            if let Some(asset) = built.assets.iter().find(|a| a.name == *name) {
                out.push(DistFile { project: package.name.clone(), name: name.clone(), sha256: asset.sha256.clone() });
            }
        }
    }
    out
}

/// The projects of `files`, in order, once each.
pub fn projects(files: &[DistFile]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        if !out.contains(&f.project) {
            out.push(f.project.clone());
        }
    }
    out
}

/// The multipart body of one upload: `fields` as text parts in their order, then the file's
/// `bytes` as [`form::FILE_PART`] under its file name (reqwest sets the boundary and the length).
fn upload_form(
    fields: Vec<(String, String)>,
    filename: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<reqwest::multipart::Form> {
    let text = fields.into_iter().fold(reqwest::multipart::Form::new(), |out, (name, value)| out.text(name, value));
    let file = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()).mime_str(form::FILE_TYPE)?;
    Ok(text.part(form::FILE_PART, file))
}

impl PyIndex {
    pub fn new(index: &PythonIndex) -> anyhow::Result<PyIndex> {
        let builder = || {
            lamina_remote::tls::client_builder()
                .user_agent(concat!("lamina-xtask/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(20))
                .timeout(Duration::from_secs(600))
        };
        Ok(PyIndex {
            http: builder().redirect(lamina_remote::loopback::redirects()).build()?,
            upload: builder().redirect(reqwest::redirect::Policy::none()).build()?,
            index: index.clone(),
        })
    }

    /// The project page's URL.
    pub fn page(&self, project: &str) -> String {
        format!("{}{}/", self.index.simple_url, lamina_release_format::names::project_name(project))
    }

    /// The files the index lists for `project` (none when it does not know the project), each
    /// with its SHA-256: a file listed without one is downloaded and hashed.
    pub async fn listed(&self, project: &str) -> anyhow::Result<Vec<simple::Listed>> {
        let url = self.page(project);
        let answer = self
            .http
            .get(&url)
            .header("accept", simple::ACCEPT)
            .send()
            .await
            .with_context(|| format!("read the Python index page {url}"))?;
        let status = answer.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        if !status.is_success() {
            return Err(lamina_remote::hint::fail(
                format!("the Python index answered {status} for {url}"),
                "check python-index.simple-url (or LAMINA_PYTHON_INDEX_SIMPLE_URL): it is the simple API root, e.g. https://pypi.org/simple/",
            ));
        }
        let page = answer.url().to_string();
        let kind = answer.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("text/html").to_owned();
        let body = answer.text().await?;
        let mut listed =
            simple::parse(&page, &kind, &body).with_context(|| format!("read the Python index page {url}"))?;
        for file in listed.iter_mut().filter(|f| f.sha256.is_none()) {
            file.sha256 = Some(lamina_remote::digest::sha256_hex(&self.download(&file.url).await?));
        }
        Ok(listed)
    }

    /// The bytes at `url` (a file the index lists).
    pub async fn download(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let answer = self.http.get(url).send().await.with_context(|| format!("download {url}"))?;
        let status = answer.status();
        if !status.is_success() {
            anyhow::bail!("the Python index answered {status} for {url}");
        }
        Ok(answer.bytes().await?.to_vec())
    }

    /// The credentials of this run: a token from the environment, or one minted by trusted
    /// publishing (a 15-minute token, so minted right before the uploads).
    pub async fn credentials(&self) -> anyhow::Result<Credentials> {
        match Source::of(&self.index)? {
            Source::Token { user } => Ok(Credentials {
                user,
                secret: env::var(env::LAMINA_PYTHON_INDEX_TOKEN).context("LAMINA_PYTHON_INDEX_TOKEN is set")?,
            }),
            Source::TrustedPublishing { request_url } => {
                let request_token =
                    env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN).context("ACTIONS_ID_TOKEN_REQUEST_TOKEN is set")?;
                let secret =
                    oidc::exchange(&self.upload, &self.index.token_exchange_url, &request_url, &request_token).await?;
                Ok(Credentials { user: "__token__".to_owned(), secret })
            }
        }
    }

    /// Uploads the built file `file` from `dir` with its metadata, as one form POST.
    /// `attest`: the release is signed, so the file's PEP 740 attestation goes with it.
    pub async fn upload(
        &self,
        credentials: &Credentials,
        dir: &Path,
        file: &DistFile,
        attest: bool,
    ) -> anyhow::Result<()> {
        let bytes = std::fs::read(dir.join(&file.name)).with_context(|| format!("read `{}`", file.name))?;
        let metadata = dist::read(&file.name, &bytes)?;
        let mut fields = form::fields(&file.name, &file.sha256, &metadata)?;
        // PEP 740: the file's attestation, when the release is signed.
        if attest && let Ok(attestation) = std::fs::read_to_string(dir.join(attestation::file_name(&file.name))) {
            fields.push(("attestations".to_owned(), format!("[{}]", attestation.trim())));
        }
        let answer = self
            .upload
            .post(&self.index.upload_url)
            .basic_auth(&credentials.user, Some(&credentials.secret))
            .multipart(upload_form(fields, &file.name, bytes)?)
            .send()
            .await
            .with_context(|| format!("upload `{}` to {}", file.name, self.index.upload_url))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let reason = status.canonical_reason().unwrap_or_default();
        let location = answer.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = answer.text().await.unwrap_or_default();
        let said: String = text.trim().chars().take(300).collect();
        let what =
            format!("the Python index answered {} {reason} to the upload of `{}`: {said}", status.as_u16(), file.name);
        let help = match status.as_u16() {
            300..=399 => format!(
                "the upload was redirected to {}; set python-index.upload-url to the final address",
                location.unwrap_or_default()
            ),
            401 | 403 => "the index refused the credentials: check LAMINA_PYTHON_INDEX_TOKEN (and LAMINA_PYTHON_INDEX_USERNAME), or the trusted publisher configured on the index".to_owned(),
            400 | 409 if text.contains("already exist") => {
                "a file of that name is already on the index; run `cargo xtask release` again: it reads the index and keeps a file with the same digest".to_owned()
            }
            _ => "run `cargo xtask release` again; it uploads only what is missing".to_owned(),
        };
        Err(lamina_remote::hint::fail(what, help))
    }
}
