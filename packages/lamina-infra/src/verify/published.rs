//! A published release: every asset downloaded and checked against `SHA256SUMS`, the manifest and
//! GitHub's digest (by the release format's one verifier); every image tag looked up in its
//! registry against the manifest's digest; and every chart's entry in the Helm repository index
//! on Pages against the archive released.

use super::{assets, signature};
use crate::github::GitHub;
use crate::source::Source;
use crate::trusted;
use anyhow::{Context, bail};
use lamina_release_format::checks::Checks;
use lamina_release_format::checks::{Check, image_tag};
use lamina_release_format::helm_index::Index;
use lamina_release_format::manifest::{Chart, ReleaseManifest};
use lamina_release_format::{MANIFEST, SUMS, provenance};
use lamina_remote::digest::{sha256_hex, sha256_reader, short};
use std::collections::BTreeMap;

pub fn check(source: &Source, version: &str, report: &mut Checks) -> anyhow::Result<()> {
    let release = source.release(Some(version))?;
    let tag = &release.tag_name;
    let sums = trusted::download(source, &release, SUMS)?;
    let whole = |name| release.asset(name).map(|asset| source.download(&release, asset)).transpose();
    let (manifest, bundle) = (whole(MANIFEST)?, whole(provenance::ASSET)?);
    // What each asset hashes to and its size: the files above from their bytes, every other asset
    // streamed.
    let mut read: BTreeMap<&str, (String, u64)> = BTreeMap::new();
    for (name, bytes) in [(SUMS, Some(&sums)), (MANIFEST, manifest.as_ref()), (provenance::ASSET, bundle.as_ref())] {
        if let Some(bytes) = bytes {
            read.insert(name, (sha256_hex(bytes), bytes.len() as u64));
        }
    }
    for asset in &release.assets {
        if read.contains_key(asset.name.as_str()) {
            continue;
        }
        let found = sha256_reader(source.open(&release, asset)?)
            .with_context(|| format!("download `{}` of release {tag}", asset.name))?;
        read.insert(&asset.name, found);
    }
    let outcome = assets(report, (source.repository(), source.pinned()), &release, &sums, manifest.as_deref(), &read);
    let Some(manifest) = outcome.manifest else { return Ok(()) };
    let signer = crate::trusted::Signer::of(source);
    let statement = signature(report, &signer, &release, &sums, bundle);
    if let Source::GitHub(github) = source {
        pages(github, &manifest, report);
    }
    let registry = crate::registry::Registry::of(&manifest)?;
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
            // One line: the error, then what to do about it.
            let verdict =
                registry.digest(&reference).map_err(|e| lamina_remote::hint::render(&e).replace("\n\n", "; "));
            let verdict = verdict.and_then(|found| image_tag(t, &manifest.version, recorded, found.as_deref()));
            report.push(Check::of(format!("image {} {reference}", image.name), verdict));
        }
    }
    if let Some(statement) = statement {
        subjects(&registry, &manifest, &statement, report);
        let bytes = |name: &str| match release.asset(name) {
            Some(asset) => source.download(&release, asset).map(Some),
            None => Ok(None),
        };
        super::sboms(report, &signer, &release, &manifest, bytes)?;
    }
    Ok(())
}

/// Every image and OCI chart the registry serves for this release, by its version tag, is a
/// subject of the signed provenance: the signature vouches for the registry's bytes too.
fn subjects(
    registry: &crate::registry::Registry,
    manifest: &ReleaseManifest,
    statement: &lamina_release_format::provenance::Statement,
    report: &mut Checks,
) {
    let version_tag = lamina_release_format::names::oci_tag(&manifest.version);
    let images = manifest.images.iter().filter(|i| i.digest.is_some());
    let mut served: Vec<(String, String)> =
        images.map(|i| (i.repository.clone(), format!("{}:{version_tag}", i.repository))).collect();
    for oci in manifest.charts.iter().filter_map(|c| c.oci.as_deref()) {
        let repository = oci.rsplit_once(':').map_or(oci, |(r, _)| r);
        served.push((repository.to_owned(), oci.to_owned()));
    }
    for (repository, reference) in served {
        let verdict = match registry.digest(&reference) {
            Ok(Some(digest)) if statement.covers(&repository, &digest) => {
                Ok(format!("{} is a subject of the signed provenance", short(&digest)))
            }
            Ok(Some(digest)) => Err(format!("the registry serves {digest}, which the signed provenance does not name")),
            Ok(None) => Err("missing from the registry".to_owned()),
            Err(e) => Err(lamina_remote::hint::render(&e).replace("\n\n", "; ")),
        };
        report.push(Check::of(format!("provenance {reference}"), verdict));
    }
}

/// Each chart's entry in the Helm repository index it names (its `repository`, on Pages): there,
/// with the released archive's digest and a URL of the release asset.
fn pages(github: &GitHub, manifest: &ReleaseManifest, report: &mut Checks) {
    let mut by_index: BTreeMap<String, Vec<&Chart>> = BTreeMap::new();
    for chart in &manifest.charts {
        if let Some(repository) = &chart.repository {
            by_index.entry(format!("{}/index.yaml", repository.trim_end_matches('/'))).or_default().push(chart);
        }
    }
    for (url, charts) in by_index {
        let read = github.page(&url, "read the Helm repository index").and_then(|text| {
            serde_norway::from_str::<Index>(&text).with_context(|| format!("`{url}` is not a Helm repository index"))
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
            let detail = format!("digest {} and url match the release", short(&chart.digest));
            report.either(what, &index.problems(chart), detail);
        }
    }
}
