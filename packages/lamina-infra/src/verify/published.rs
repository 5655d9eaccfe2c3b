//! A published release: every asset downloaded and checked against `SHA256SUMS`, the manifest and
//! GitHub's digest; every image tag looked up in its registry against the manifest's digest; and
//! every chart's entry in the Helm repository index on Pages against the archive released.

use super::{HelmIndex, Report};
use crate::github::GitHub;
use crate::source::Source;
use anyhow::{Context, bail};
use lamina_release_format::manifest::{Chart, ReleaseManifest};
use lamina_release_format::{MANIFEST, SUMS, sums};
use lamina_remote::digest::{sha256_reader, short};
use std::collections::{BTreeMap, BTreeSet};

pub fn check(source: &Source, version: &str, report: &mut Report) -> anyhow::Result<()> {
    let release = source.release(Some(version))?;
    let tag = &release.tag_name;
    let sums_asset = release
        .asset(SUMS)
        .with_context(|| format!("release {tag} has no `{SUMS}`: it was not made by this pipeline"))?;
    let sums_text = String::from_utf8(source.download(&release, sums_asset)?).context("SHA256SUMS is not text")?;
    let listed = sums::parse(&sums_text).with_context(|| format!("release {tag}"))?;
    let manifest: Option<ReleaseManifest> = match release.asset(MANIFEST) {
        Some(asset) => serde_json::from_slice(&source.download(&release, asset)?).ok(),
        None => None,
    };
    for asset in &release.assets {
        let (sha, size) = sha256_reader(source.open(&release, asset)?)
            .with_context(|| format!("download `{}` of release {tag}", asset.name))?;
        let mut problems = Vec::new();
        if let Some(expected) = asset.digest.as_deref().and_then(|d| d.strip_prefix("sha256:"))
            && expected != sha
        {
            problems.push(format!("changed: GitHub's digest is {expected}, downloaded {sha}"));
        }
        if size != asset.size {
            problems.push(format!("downloaded {size} bytes, GitHub lists {}", asset.size));
        }
        match listed.get(&asset.name) {
            Some(expected) if *expected != sha => {
                problems.push(format!("changed: SHA256SUMS says {expected}, downloaded {sha}"));
            }
            None if asset.name != SUMS => problems.push("not listed in SHA256SUMS".to_owned()),
            _ => {}
        }
        let recorded = manifest.as_ref().and_then(|m| m.components.iter().find(|c| c.file == asset.name));
        if let Some(c) = recorded
            && c.sha256 != sha
        {
            problems.push(format!("changed: the manifest records {}", c.sha256));
        }
        report.either(format!("{tag}/{}", asset.name), &problems, format!("sha256 {} matches", short(&sha)));
    }
    let assets: BTreeSet<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    for name in listed.keys().filter(|n| !assets.contains(n.as_str())) {
        report.fail(format!("{tag}/{name}"), "missing: SHA256SUMS lists it, the release has no such asset");
    }
    let Some(manifest) = manifest else {
        report.fail(format!("{tag}/{MANIFEST}"), "missing, or not a manifest this version reads");
        return Ok(());
    };
    for c in manifest.components.iter().filter(|c| !assets.contains(c.file.as_str())) {
        report.fail(format!("{tag}/{}", c.file), "missing: the manifest records it, the release has no such asset");
    }
    if let Source::GitHub(github) = source {
        pages(github, &manifest, report);
    }
    let hosts = manifest.images.iter().filter_map(|i| i.repository.split('/').next());
    let registry = crate::registry::Registry::new(hosts)?;
    for image in &manifest.images {
        let Some(recorded) = image.digest.as_deref() else {
            report
                .ok(format!("image {}", image.name), "not built by this release: no digest to check its tags against");
            continue;
        };
        if image.tags.is_empty() {
            bail!("image `{}` of release {tag} has no tag in the manifest", image.name);
        }
        for t in &image.tags {
            let reference = format!("{}:{t}", image.repository);
            let what = format!("image {} {reference}", image.name);
            match registry.digest(&reference) {
                Ok(found) if found == recorded => report.ok(what, format!("points at {}", short(recorded))),
                Ok(found) => {
                    report.fail(what, format!("points at {found}, the manifest records {recorded}: the tag was moved"));
                }
                Err(e) => report.fail(what, format!("{e:#}")),
            }
        }
    }
    Ok(())
}

/// Each chart's entry in the Helm repository index it names (its `repository`, on Pages): there,
/// with the released archive's digest and a URL of the release asset.
fn pages(github: &GitHub, manifest: &ReleaseManifest, report: &mut Report) {
    let mut by_index: BTreeMap<String, Vec<&Chart>> = BTreeMap::new();
    for chart in &manifest.charts {
        if let Some(repository) = &chart.repository {
            by_index.entry(format!("{}/index.yaml", repository.trim_end_matches('/'))).or_default().push(chart);
        }
    }
    for (url, charts) in by_index {
        let read = github.page(&url, "read the Helm repository index").and_then(|text| {
            serde_norway::from_str::<HelmIndex>(&text)
                .with_context(|| format!("`{url}` is not a Helm repository index"))
        });
        let index = match read {
            Ok(index) => index,
            Err(e) => {
                report.fail(format!("helm index {url}"), format!("{e:#}"));
                continue;
            }
        };
        for chart in charts {
            let what = format!("helm index {url} {} {}", chart.name, chart.version);
            let entries = index.entries.get(&chart.name).map(Vec::as_slice).unwrap_or_default();
            let Some(entry) = entries.iter().find(|e| e.version == chart.version) else {
                report.fail(
                    what,
                    "missing: the index has no entry for this chart version; `helm repo update` will not find it",
                );
                continue;
            };
            let mut problems = Vec::new();
            let digest = entry.digest.as_deref().unwrap_or("(none)");
            if digest != chart.digest {
                problems.push(format!("digest {digest}, the release's archive is {}", chart.digest));
            }
            if !entry.urls.contains(&chart.url) {
                problems.push(format!("urls {:?} do not name the release asset {}", entry.urls, chart.url));
            }
            report.either(what, &problems, format!("digest {} and url match the release", short(&chart.digest)));
        }
    }
}
