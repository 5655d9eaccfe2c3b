//! Reads a published release back from every channel with fresh requests and checks each digest:
//! assets through their public URLs against `SHA256SUMS` and `release-manifest.json` (by the
//! release format's one verifier, which `lamina-infra` uses too), image and OCI chart tags against
//! the manifest, the Helm index entries on the Pages branch, and the wheels and sdists on the
//! Python index.

use crate::helm::{archive, index::Index};
use crate::manifest::ReleaseManifest;
use crate::plan::{MANIFEST, SUMS, download_base};
use crate::publish::github::GitHub;
use crate::publish::pages::Pages;
use crate::publish::registry::Registry;
use crate::settings::Settings;
use crate::shell::Shell;
use anyhow::{Context, bail, format_err};
use lamina_release_format::verify::{self, Problem};
use lamina_remote::digest::sha256_hex;
use lamina_remote::hint::WithHint;
use serde::Serialize;
use std::collections::BTreeMap;

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// Where to read from.
pub struct Channels<'a> {
    pub sh: &'a Shell,
    pub github: &'a GitHub,
    pub registry: &'a Registry,
    pub settings: &'a Settings,
    pub pages: &'a crate::plan::PagesTarget,
}

/// Checks release `tag` on every channel; `Err` only when a channel cannot be read at all.
pub async fn run(ch: &Channels<'_>, tag: &str) -> anyhow::Result<Vec<Check>> {
    let base = download_base(&ch.settings.server_url, &ch.settings.repository, tag);
    let fetch = |file: &'static str| {
        let url = format!("{base}/{file}");
        async move {
            ch.github
                .download(&url)
                .await
                .with_context(|| format!("read `{file}` of release `{tag}`"))
                .hint(format!("is the release `{tag}` published?"))
        }
    };
    let sums_bytes = fetch(SUMS).await?;
    let manifest_bytes = fetch(MANIFEST).await?;
    let sums = verify::read_sums(tag, &sums_bytes)?;
    // Every other file `SHA256SUMS` lists, read back; the chart archives kept for their OCI check.
    let (mut read, mut unread, mut archives) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for file in sums.keys().filter(|f| *f != MANIFEST) {
        match ch.github.download(&format!("{base}/{file}")).await {
            Ok(bytes) => {
                read.insert(file.as_str(), sha256_hex(&bytes));
                if file.ends_with(".tgz") {
                    archives.insert(file.as_str(), bytes);
                }
            }
            Err(e) => drop(unread.insert(file.as_str(), lamina_remote::hint::render(&e))),
        }
    }
    let outcome = verify::verify(&verify::Input {
        tag,
        sums: &sums_bytes,
        manifest: Some(&manifest_bytes),
        read: read.iter().map(|(name, sha)| (*name, sha.as_str())).collect(),
        ..verify::Input::default()
    });
    let Some(manifest) = outcome.manifest.clone() else {
        let why = outcome.problems.iter().find(|p| matches!(p, Problem::Manifest { .. } | Problem::NoManifest { .. }));
        bail!("{}", why.map(ToString::to_string).unwrap_or_default());
    };
    let manifest_sum = sha256_hex(&manifest_bytes);
    // The manifest first, then every other file in `SHA256SUMS`, then anything else found wrong.
    let others = sums.keys().map(String::as_str).filter(|f| *f != MANIFEST);
    let order: Vec<&str> = [MANIFEST].into_iter().chain(others).collect();
    let mut checks = Vec::new();
    for (file, problems) in outcome.lines(&order) {
        let what = format!("asset {file}");
        let sum = if file == MANIFEST { Some(&manifest_sum) } else { read.get(file) };
        checks.push(match (unread.get(file), sum) {
            (Some(error), _) => bad(what, error.clone()),
            (None, Some(sum)) if problems.is_empty() => ok(what, sum.clone()),
            _ => bad(what, problems.iter().map(|p| p.detail()).collect::<Vec<_>>().join("; ")),
        });
    }
    for image in &manifest.images {
        let Some(digest) = &image.digest else {
            checks.push(bad(format!("image {}", image.name), "the manifest records no digest".into()));
            continue;
        };
        for tag in &image.tags {
            let what = format!("image tag {}:{tag}", image.repository);
            let got = ch.registry.tag_digest(&ch.registry.image_reference(&image.name, tag)).await;
            checks.push(match got {
                Ok(Some(d)) if d == *digest => ok(what, d),
                Ok(Some(d)) if tag != &manifest.version => ok(what, format!("moved on to {d} (a later release)")),
                Ok(Some(d)) => bad(what, format!("holds {d}, the manifest says {digest}")),
                Ok(None) => bad(what, "missing".into()),
                Err(e) => bad(what, lamina_remote::hint::render(&e)),
            });
        }
    }
    let dir = tempfile::tempdir()?;
    for chart in manifest.charts.iter().filter(|c| c.oci.is_some()) {
        let what = format!("chart oci://{}", chart.oci.as_deref().unwrap_or_default());
        let Some(bytes) = archives.get(chart.file.as_str()) else {
            checks.push(bad(what, format!("`{}` could not be downloaded", chart.file)));
            continue;
        };
        let path = dir.path().join(&chart.file);
        std::fs::write(&path, bytes)?;
        let (_, artifact) = archive::oci_artifact(&path)?;
        let reference =
            ch.registry.chart_reference(&chart.name, &lamina_release_format::names::oci_tag(&chart.version));
        checks.push(match ch.registry.tag_digest(&reference).await {
            Ok(Some(d)) => equal(&what, Some(&artifact.manifest_digest), &d),
            Ok(None) => bad(what, "missing".into()),
            Err(e) => bad(what, lamina_remote::hint::render(&e)),
        });
    }
    if !manifest.charts.is_empty() {
        checks.extend(index_entries(ch, &manifest)?);
    }
    if let Some(index) = &ch.settings.python_index {
        checks.extend(python_files(index, &manifest, &sums).await?);
    }
    Ok(checks)
}

/// Each wheel of the manifest, and its project's sdist, read back from the Python index: the
/// digest its page lists and the downloaded bytes, both against `SHA256SUMS`. Only releases made
/// with the Python channel carry the sdist as an asset; a wheel without one (an older release)
/// was never uploaded and is not looked for.
async fn python_files(
    index: &crate::settings::PythonIndex,
    manifest: &ReleaseManifest,
    sums: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Vec<Check>> {
    let client = crate::publish::pyindex::PyIndex::new(index)?;
    let mut checks = Vec::new();
    let wheels: Vec<&crate::manifest::Component> =
        manifest.components.iter().filter(|c| c.kind == crate::manifest::ComponentKind::Wheel).collect();
    let mut projects: Vec<&str> = Vec::new();
    for wheel in &wheels {
        if !projects.contains(&wheel.name.as_str()) {
            projects.push(&wheel.name);
        }
    }
    for project in projects {
        // The sdist is named as maturin names it (a pre-release's version in Python's spelling):
        // the one `{dist}-*.tar.gz` asset that is no component of the manifest.
        let prefix = format!("{}-", crate::pyindex::dist_name(project));
        let sdist = sums.keys().find(|k| {
            k.starts_with(&prefix) && k.ends_with(".tar.gz") && !manifest.components.iter().any(|c| c.file == **k)
        });
        let Some(sdist) = sdist else { continue };
        let listed = client.listed(project).await?;
        let mut files: Vec<(&str, &str)> =
            wheels.iter().filter(|w| w.name == project).map(|w| (w.file.as_str(), w.sha256.as_str())).collect();
        files.push((sdist.as_str(), sums[sdist].as_str()));
        for (file, recorded) in files {
            let what = format!("python file {file}");
            let expected = sums.get(file).map_or(recorded, String::as_str);
            let Some(found) = listed.iter().find(|l| l.filename == file) else {
                checks.push(bad(what, format!("not on {}", client.page(project))));
                continue;
            };
            checks.push(match client.download(&found.url).await {
                Ok(bytes) => {
                    let got = sha256_hex(&bytes);
                    match &found.sha256 {
                        Some(listed) if *listed != got => {
                            bad(what, format!("the page lists {listed}, the download is {got}"))
                        }
                        _ => equal(&what, Some(&expected.to_owned()), &got),
                    }
                }
                Err(e) => bad(what, lamina_remote::hint::render(&e)),
            });
        }
    }
    Ok(checks)
}

fn index_entries(ch: &Channels<'_>, manifest: &ReleaseManifest) -> anyhow::Result<Vec<Check>> {
    let pages = Pages::new(ch.sh, ch.pages, 0);
    let text = pages.read()?.unwrap_or_default();
    let index = if text.is_empty() { Index::empty() } else { Index::parse(&text).map_err(|e| format_err!("{e}"))? };
    let mut checks = Vec::new();
    for chart in &manifest.charts {
        let what = format!("index entry {} {}", chart.name, chart.version);
        let field = |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        checks.push(match index.entry(&chart.name, &chart.version) {
            None => bad(what, format!("not in index.yaml on `{}`", ch.pages.branch)),
            Some(e) if field(e, "digest").as_deref() != Some(chart.digest.as_str()) => {
                bad(what, format!("digest {:?}, the manifest says {}", field(e, "digest"), chart.digest))
            }
            Some(e) => {
                let urls = e.get("urls").and_then(|u| u.as_array()).cloned().unwrap_or_default();
                if urls.iter().any(|u| u.as_str() == Some(chart.url.as_str())) {
                    ok(what, chart.url.clone())
                } else {
                    bad(what, format!("urls {urls:?} do not include {}", chart.url))
                }
            }
        });
    }
    Ok(checks)
}

fn ok(what: String, detail: String) -> Check {
    Check { what, ok: true, detail }
}

fn bad(what: String, detail: String) -> Check {
    Check { what, ok: false, detail }
}

fn equal(what: &str, expected: Option<&String>, got: &str) -> Check {
    match expected {
        Some(e) if *e == got => ok(what.to_owned(), got.to_owned()),
        Some(e) => bad(what.to_owned(), format!("expected {e}, got {got}")),
        None => bad(what.to_owned(), "not listed in SHA256SUMS".into()),
    }
}

/// The checks as people read them.
pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!("  {} {}  {}\n", if c.ok { "ok  " } else { "FAIL" }, c.what, c.detail));
    }
    out
}
