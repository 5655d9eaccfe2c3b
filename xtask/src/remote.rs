//! A read-only view of what is already published, compared with a build: for each image tag,
//! OCI chart, index entry and Python package file, whether a release would create it, keep it, move it (floating
//! tags) or refuse (a published version with other content). Nothing here writes.

use crate::build::Built;
use crate::helm::{archive, index::Index};
use crate::plan::Plan;
use crate::publish::github::GitHub;
use crate::publish::github::assets::{self, Action as AssetAction, Stage};
use crate::publish::pages::Pages;
use crate::publish::registry::Registry;
use crate::settings::Settings;
use crate::shell::Shell;
use serde::Serialize;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub what: String,
    pub action: Action,
    pub detail: String,
}

/// Compares the build with the Pages index, the registry and, given a GitHub token, the release's
/// assets; `Err` when a channel cannot be read.
pub fn compare(
    sh: &Shell,
    plan: &Plan,
    built: &Built,
    settings: &Settings,
    github_token: Option<&str>,
) -> anyhow::Result<Vec<Comparison>> {
    let mut out = index(sh, plan, built)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    out.extend(runtime.block_on(registry(plan, built, settings))?);
    out.extend(runtime.block_on(python(plan, built, settings))?);
    if let Some(token) = github_token {
        // octocrab spawns its service on the runtime it is built in.
        let _context = runtime.enter();
        let github = GitHub::new(settings, token)?;
        out.extend(runtime.block_on(release_assets(&github, plan, built))?);
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

fn index(sh: &Shell, plan: &Plan, built: &Built) -> anyhow::Result<Vec<Comparison>> {
    if plan.index.entries.is_empty() {
        return Ok(Vec::new());
    }
    let pages = Pages::new(sh, &plan.index.target, 0);
    let published = match pages.read()? {
        Some(text) => {
            Some(Index::parse(&text).map_err(|e| lamina_remote::hint::fail(format!("{e}"), e.help().to_string()))?)
        }
        None => None,
    };
    let versions = published.map(|i| i.versions()).unwrap_or_default();
    let mut out = Vec::new();
    for (entry, chart) in plan.index.entries.iter().zip(&plan.charts) {
        let what = format!("index entry {} {}", entry.chart, entry.version);
        let ours = built.assets.iter().find(|a| a.name == chart.file).map(|a| a.sha256.clone()).unwrap_or_default();
        let theirs = versions
            .iter()
            .find(|(n, v, _)| *n == entry.chart && *v == entry.version)
            .map(|(_, _, d)| d.clone().unwrap_or_default());
        out.push(match theirs {
            None => Comparison { what, action: Action::Create, detail: entry.url.clone() },
            Some(d) if d == ours => Comparison { what, action: Action::Keep, detail: "same digest".to_owned() },
            Some(d) => Comparison {
                what,
                action: Action::Refuse,
                detail: format!("published with digest {d}, this build is {ours}"),
            },
        });
    }
    Ok(out)
}

async fn registry(plan: &Plan, built: &Built, settings: &Settings) -> anyhow::Result<Vec<Comparison>> {
    let client = Registry::from_env(&settings.registry)?;
    let mut out = Vec::new();
    let compare = |what: String, theirs: Option<String>, ours: &str, floating: bool| {
        let (action, detail) = match theirs {
            None => (Action::Create, ours.to_owned()),
            Some(d) if d == ours => (Action::Keep, "same digest".to_owned()),
            Some(d) if floating => (Action::Move, format!("from {d}")),
            Some(d) => (Action::Refuse, format!("holds {d}, this build is {ours}")),
        };
        Comparison { what, action, detail }
    };
    for image in &plan.images {
        let digest = built.images.iter().find(|b| b.name == image.name).and_then(|b| b.digest.clone());
        for kept in plan.floating.iter().filter(|f| f.action == crate::plan::TagAction::Keep) {
            let what = format!("image tag {}:{}", image.repository, kept.tag);
            out.push(Comparison { what, action: Action::Keep, detail: format!("not moved: {}", kept.reason) });
        }
        for (i, tag) in plan.pushed_tags(image).iter().enumerate() {
            let what = format!("image tag {}:{tag}", image.repository);
            let Some(ours) = &digest else {
                out.push(Comparison { what, action: Action::Unknown, detail: "not built here".to_owned() });
                continue;
            };
            let reference = client.image_reference(&image.name, tag);
            out.push(compare(what, client.tag_digest(&reference).await?, ours, i > 0));
        }
    }
    for chart in plan.charts.iter().filter(|c| c.oci.is_some()) {
        let (_, artifact) = archive::oci_artifact(&built.out_dir.join(&chart.file))?;
        let reference = client.chart_reference(&chart.name, &lamina_release_format::names::oci_tag(&chart.version));
        let what = format!("chart oci://{}", chart.oci.as_deref().unwrap_or_default());
        out.push(compare(what, client.tag_digest(&reference).await?, &artifact.manifest_digest, false));
    }
    Ok(out)
}

/// Each wheel and sdist against the Python index's project page: create, keep (same SHA-256) or
/// refuse (another file under that name: an index never replaces a file).
async fn python(plan: &Plan, built: &Built, settings: &Settings) -> anyhow::Result<Vec<Comparison>> {
    use crate::pyindex::Decision;
    let files = crate::publish::pyindex::files(plan, built);
    let Some(index) = settings.python_index.as_ref().filter(|_| !files.is_empty()) else {
        return Ok(Vec::new());
    };
    let client = crate::publish::pyindex::PyIndex::new(index)?;
    let mut out = Vec::new();
    for project in crate::publish::pyindex::projects(&files) {
        let ours: Vec<_> = files.iter().filter(|f| f.project == project).cloned().collect();
        let listed = client.listed(&project).await?;
        for (file, decision) in crate::pyindex::decide(&ours, &listed) {
            let what = format!("python file {}", file.name);
            out.push(match decision {
                Decision::Create => {
                    Comparison { what, action: Action::Create, detail: format!("upload to {}", index.upload_url) }
                }
                Decision::Keep => {
                    Comparison { what, action: Action::Keep, detail: "same sha256 on the index".to_owned() }
                }
                Decision::Refuse { why } => Comparison { what, action: Action::Refuse, detail: why },
            });
        }
    }
    Ok(out)
}

/// The GitHub release for the plan's tag: per asset, whether a release would upload, keep,
/// replace (drafts only) or refuse it.
pub async fn release_assets(github: &GitHub, plan: &Plan, built: &Built) -> anyhow::Result<Vec<Comparison>> {
    let Some(release) = github.find(&plan.tag).await? else {
        let what = |a: &crate::build::Asset| format!("asset {}", a.name);
        let detail = format!("a new draft release {}", plan.tag);
        return Ok(built
            .assets
            .iter()
            .map(|a| Comparison { what: what(a), action: Action::Create, detail: detail.clone() })
            .collect());
    };
    let release = github.fill_digests(release).await?;
    let stage = Stage { draft: release.draft, immutable: release.immutable };
    let state = if release.draft { "draft" } else { "published" };
    Ok(assets::decide(&built.assets, &release.assets, stage, &plan.tag)
        .into_iter()
        .map(|d| {
            let what = format!("asset {}", d.name);
            let (action, detail) = match d.action {
                AssetAction::Keep => (Action::Keep, format!("same digest on the {state} release")),
                AssetAction::Upload => (Action::Create, format!("missing on the {state} release")),
                AssetAction::Replace { why, .. } => (Action::Replace, why),
                AssetAction::Remove { .. } => (Action::Replace, "not planned: deleted from the draft".to_owned()),
                AssetAction::Refuse(refusal) => (Action::Refuse, refusal.why),
            };
            Comparison { what, action, detail }
        })
        .collect())
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
