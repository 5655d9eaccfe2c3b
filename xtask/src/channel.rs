//! The remote channels, one folder each: the GitHub release (`github`), the registry
//! (`registry`), the Helm index on the Pages branch (`pages`) and the Python package index
//! (`python_index`). Each owns its client (the execution of its steps), its read-only comparison
//! with a build (`compare.rs`, for `dry-run` and `release`'s preflight) and its read-back of a
//! published release (`verify.rs`). Here: what they report, and the two loops over them. Only
//! `release` and the `index` commands write through a channel; `dry-run` and `verify` only read.

pub mod github;
pub mod pages;
pub mod python_index;
pub mod registry;

use crate::build::Built;
use crate::plan::Plan;
use crate::settings::Settings;
use crate::shell::Shell;
use github::GitHub;
use registry::Registry;
use serde::Serialize;

/// What a release would do to one remote object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Keep,
    /// A floating tag that points elsewhere and would be moved.
    Move,
    /// A draft's asset that is half-uploaded or differs: deleted and uploaded again.
    Replace,
    /// A published version with other content: the release would stop.
    Refuse,
    /// Not compared (e.g. the image was not built here).
    Unknown,
}

/// One remote object compared with the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub what: String,
    pub action: Action,
    pub detail: String,
}

/// Compares the build with the Pages index, the registry, the Python index and, given a GitHub
/// token, the release's assets; `Err` when a channel cannot be read.
pub fn compare(
    sh: &Shell,
    plan: &Plan,
    built: &Built,
    settings: &Settings,
    github_token: Option<&str>,
) -> anyhow::Result<Vec<Comparison>> {
    let mut out = pages::compare::index(sh, plan, built)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    out.extend(runtime.block_on(registry::compare::tags(plan, built, settings))?);
    out.extend(runtime.block_on(python_index::compare::files(plan, built, settings))?);
    if let Some(token) = github_token {
        // octocrab spawns its service on the runtime it is built in.
        let _context = runtime.enter();
        let github = GitHub::new(settings, token)?;
        out.extend(runtime.block_on(github::compare::assets(&github, plan, built))?);
    }
    Ok(out)
}

/// The versions already published on GitHub, read with `token` (see `GitHub::published_versions`).
pub fn published_versions(settings: &Settings, token: &str) -> anyhow::Result<Vec<semver::Version>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _context = runtime.enter();
    let github = GitHub::new(settings, token)?;
    runtime.block_on(github.published_versions())
}

/// The comparison as people read it.
pub fn render(comparisons: &[Comparison]) -> String {
    let mut out = String::from("remote state (read only), what a release would do:\n");
    for c in comparisons {
        let action =
            serde_json::to_value(&c.action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        out.push_str(&format!("  {action:<7} {}  {}\n", c.what, c.detail));
    }
    out
}

pub use lamina_release_format::checks::Check;

/// Where to read from.
pub struct Channels<'a> {
    pub sh: &'a Shell,
    pub github: &'a GitHub,
    pub registry: &'a Registry,
    pub settings: &'a Settings,
    pub pages: &'a crate::plan::PagesTarget,
}

/// Checks release `tag` on every channel; `Err` only when a channel cannot be read at all.
pub async fn verify(ch: &Channels<'_>, tag: &str) -> anyhow::Result<Vec<Check>> {
    let assets = github::verify::assets(ch, tag).await?;
    let manifest = &assets.manifest;
    let mut checks = assets.checks.clone();
    // The registry and the Python index are read at once; the Pages branch (git) after them.
    let python = async {
        match &ch.settings.python_index {
            Some(index) => python_index::verify::files(index, manifest, &assets.sums).await,
            None => Ok(Vec::new()),
        }
    };
    let (images, charts, python) = tokio::join!(
        registry::verify::images(ch, manifest),
        registry::verify::charts(ch, manifest, &assets.archives),
        python
    );
    checks.extend(images);
    checks.extend(charts?);
    if !manifest.charts.is_empty() {
        checks.extend(pages::verify::entries(ch, manifest)?);
    }
    checks.extend(python?);
    Ok(checks)
}

/// The checks as people read them.
pub fn render_checks(checks: &[Check]) -> String {
    lamina_release_format::checks::render(checks, "  ")
}

pub(crate) fn ok(what: String, detail: String) -> Check {
    Check::ok(what, detail)
}

pub(crate) fn bad(what: String, detail: String) -> Check {
    Check::bad(what, detail)
}

pub(crate) fn equal(what: &str, expected: Option<&String>, got: &str) -> Check {
    match expected {
        Some(e) if *e == got => ok(what.to_owned(), got.to_owned()),
        Some(e) => bad(what.to_owned(), format!("expected {e}, got {got}")),
        None => bad(what.to_owned(), "not listed in SHA256SUMS".into()),
    }
}
