//! `release.toml`: parsed with positions into a validated [`ReleaseConfig`], every problem at once.
//!
//! Parsing is pure (text in, config or diagnostics out) so it is tested without a repository.
//! Checks that need the files themselves (does the chart exist, do names clash with Chart.yaml)
//! live in `validate`. The schema is the table in [`schema`]; `docs/release-toml.md` documents it.

mod parser;
mod paths;
pub mod runners;
mod schema;
#[cfg(test)]
mod tests;

use lamina_remote::diagnostic::{Diagnostic, Diagnostics, line_of};
use serde::Serialize;
use toml_edit::Document;

pub use paths::{RegistryBase, is_host_root, normalize_path, parse_registry_base, web_url_problem};

/// The file the configuration lives in, relative to the repository root.
pub const FILE: &str = "release.toml";

/// The validated configuration. Paths are repository-relative and `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseConfig {
    pub version: semver::Version,
    pub repository: String,
    pub notes: String,
    pub make_latest: bool,
    pub registry: String,
    pub pages_branch: String,
    pub pages_url: Option<String>,
    /// `[pages] terraform-registry`: the site also serves Terraform's module registry protocol
    /// at its host root, for OpenTofu (`None`: only the module pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_registry: Option<TerraformRegistry>,
    pub charts: Vec<ChartConfig>,
    pub images: Vec<ImageConfig>,
    pub bundles: Vec<BundleConfig>,
    pub packages: Vec<PackageConfig>,
    /// `[python-index]`: where the packages' wheels and sdists are published; `None` publishes none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python_index: Option<PythonIndexConfig>,
    /// `[signing]` is present: a release is signed when it can be (a public transparency log
    /// records the repository, commit and digests, so a private repository opts in).
    pub signing_enabled: bool,
    /// `[signing] required`: a release without a signature is refused unless `--unsigned`.
    pub signing_required: bool,
    /// Lines of the keys later checks report against, for messages that point into the file.
    #[serde(skip)]
    pub lines: Lines,
}

/// Where things sit in `release.toml`, for diagnostics raised after parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    pub version: usize,
    pub notes: usize,
}

/// A module registry's address below its host: `{host}/{namespace}/{module}/{system}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerraformRegistry {
    pub namespace: String,
    pub system: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartConfig {
    pub path: String,
    pub oci: bool,
    pub allow: Vec<String>,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    pub name: String,
    pub source: ImageSource,
    pub platforms: Vec<String>,
    #[serde(skip)]
    pub line: usize,
}

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum ImageSource {
    /// Built from a Dockerfile; `builder` pins the builder for this image.
    Dockerfile { context: String, dockerfile: String, builder: Option<Builder> },
    /// Already built: an OCI image layout (folder or tar) or a `docker save` archive.
    Prebuilt { input: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleConfig {
    pub name: String,
    pub kind: BundleKind,
    pub path: String,
    pub allow: Vec<String>,
    /// Compose bundles: this release's image references become `@sha256:` digests.
    pub pin_images: bool,
    #[serde(skip)]
    pub line: usize,
}

/// A Rust package with one binary, shipped as `{name}-{version}-{target}.tar.gz` and, with
/// `wheel`, as a Python wheel (maturin, `bindings = "bin"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageConfig {
    pub name: String,
    pub path: String,
    pub wheel: bool,
    /// The archive ships the program's shell completions (`PROGRAM completions SHELL`).
    pub completions: bool,
    /// The archive ships the program's man page (`PROGRAM man`).
    pub man: bool,
    /// The Rust targets the job graph builds it for (`release --prebuilt`); empty: this
    /// machine's only. A one-machine build always builds for this machine.
    pub targets: Vec<String>,
    #[serde(skip)]
    pub line: usize,
}

/// A Python package index (PyPI's legacy upload API and its simple repository API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonIndexConfig {
    /// Where files are uploaded (`https://upload.pypi.org/legacy/`).
    pub upload_url: String,
    /// The simple repository API root (`https://pypi.org/simple/`), read before any upload.
    pub simple_url: String,
    /// In GitHub Actions, the job's OIDC token is exchanged for a short-lived upload token.
    pub trusted_publishing: bool,
    /// Base of the index's trusted-publishing endpoints; `None` derives it from `upload_url`.
    pub token_exchange_url: Option<String>,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    Manifests,
    Compose,
    Terraform,
}

impl BundleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleKind::Manifests => "manifests",
            BundleKind::Compose => "compose",
            BundleKind::Terraform => "terraform",
        }
    }
}

/// Parses and checks `release.toml`; every problem is reported, each with its line and fix.
pub fn parse(text: &str) -> Result<ReleaseConfig, Diagnostics> {
    let doc = match Document::parse(text.to_owned()) {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            let message = e.message().trim_end().to_owned();
            let d = Diagnostic::new(FILE, line, format!("invalid TOML: {message}"))
                .help("fix the syntax; see docs/release-toml.md for the format");
            return Err(Diagnostics(vec![d]));
        }
    };
    let mut p = parser::Parser { text, diags: Diagnostics::default() };
    let config = p.document(doc.as_table());
    p.diags.0.sort_by_key(|d| d.line);
    p.diags.into_result(config).and_then(|c| c.ok_or_else(Diagnostics::default))
}

/// The closest valid key to a misspelt one, when it is close enough to be a likely typo.
pub fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A program that turns a Dockerfile into an OCI image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    /// `docker buildx build --output type=oci`.
    Buildx,
    /// `buildah build`, daemonless.
    Buildah,
}

impl Builder {
    pub fn as_str(self) -> &'static str {
        match self {
            Builder::Buildx => "buildx",
            Builder::Buildah => "buildah",
        }
    }
}
