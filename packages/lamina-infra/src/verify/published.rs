//! A published release: every asset downloaded and checked against `SHA256SUMS`, the manifest and
//! GitHub's digest, and every image tag looked up in its registry against the manifest's digest.

use super::{Report, sha256_of, short};
use crate::source::Source;
use anyhow::{Context, bail};
use lamina_release_format::manifest::ReleaseManifest;
use lamina_release_format::{MANIFEST, SUMS, sums};
use std::collections::BTreeSet;

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
        let (sha, size) = sha256_of(source.open(&release, asset)?)
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
