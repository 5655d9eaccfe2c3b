//! A mirror folder, checked offline: every asset of every release against `mirror.json` (GitHub's
//! digest), `SHA256SUMS` and the manifest by the release format's one verifier; `index.yaml`
//! against the chart archives; every OCI layout; and anything in the folder that belongs to none
//! of these.

use super::{assets, layout, signature};
use crate::github::Release;
use crate::source::{Mirror, plain_name};
use lamina_release_format::checks::Checks;
use lamina_release_format::helm_index::Index;
use lamina_release_format::manifest::ReleaseManifest;
use lamina_release_format::mirror::MIRROR_JSON;
use lamina_release_format::{MANIFEST, SUMS, provenance};
use lamina_remote::digest::{sha256_if_present, short};
use lamina_remote::fs::names;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The Helm repository index written beside a release's assets.
pub const INDEX: &str = "index.yaml";

/// Checks every release `mirror.json` lists (or `only` that one), and flags what no release
/// accounts for.
pub fn check(mirror: &Mirror, only: Option<&Release>, report: &mut Checks) {
    if let Some(release) = only {
        return check_release(mirror, release, report);
    }
    let tags: BTreeSet<&str> = mirror.file.releases.iter().map(|r| r.tag_name.as_str()).collect();
    for name in names(&mirror.dir) {
        if name != MIRROR_JSON && !tags.contains(name.as_str()) {
            report.fail(&name, format!("extra: not a release `{MIRROR_JSON}` lists"));
        }
    }
    for release in &mirror.file.releases {
        check_release(mirror, release, report);
    }
}

fn check_release(mirror: &Mirror, release: &Release, report: &mut Checks) {
    let (tag, dir) = (&release.tag_name, &mirror.dir.join(&release.tag_name));
    if !dir.is_dir() {
        report.fail(tag, format!("missing: the folder of a release `{MIRROR_JSON}` lists"));
        return;
    }
    let at = |name: &str| format!("{tag}/{name}");
    // What each file hashes to, read once.
    let mut files: BTreeMap<&str, (String, u64)> = BTreeMap::new();
    for asset in &release.assets {
        if plain_name(&asset.name, "asset name").is_err() {
            report.fail(at(&asset.name), format!("`{MIRROR_JSON}` names an asset that is not a plain file name"));
            continue;
        }
        match sha256_if_present(&dir.join(&asset.name)) {
            Ok(Some(found)) => drop(files.insert(asset.name.as_str(), found)),
            Ok(None) => report.fail(at(&asset.name), "missing"),
            Err(e) => report.fail(at(&asset.name), format!("cannot be read: {e}")),
        }
    }
    let read = |name: &str| files.contains_key(name).then(|| std::fs::read(dir.join(name)).ok()).flatten();
    let sums = read(SUMS).unwrap_or_default();
    let pin = (mirror.file.repository.as_str(), mirror.pinned.as_deref());
    let outcome = assets(report, pin, release, &sums, read(MANIFEST).as_deref(), &files);
    if let Some(m) = &outcome.manifest {
        let signer = crate::trusted::Signer::of_mirror(mirror);
        if signature(report, &signer, release, &sums, read(provenance::ASSET)).is_some()
            && let Err(e) = super::sboms(report, &signer, release, m, |name| Ok(read(name)))
        {
            report.fail(tag, format!("{e:#}"));
        }
        index(dir, tag, m, report);
        layouts(dir, tag, m, report);
    }
    let assets: BTreeSet<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    for name in names(dir) {
        if !assets.contains(name.as_str()) && name != INDEX && name != "oci" {
            report.fail(at(&name), "extra: not an asset of the release");
        }
    }
}

/// Each `index.yaml` entry's digest against the archive it points at; each chart has an entry.
fn index(dir: &Path, tag: &str, m: &ReleaseManifest, report: &mut Checks) {
    let what = format!("{tag}/{INDEX}");
    let Ok(text) = std::fs::read_to_string(dir.join(INDEX)) else {
        if !m.charts.is_empty() {
            report.fail(what, "missing: the release has charts, so the mirror holds their Helm index");
        }
        return;
    };
    let index: Index = match serde_norway::from_str(&text) {
        Ok(index) => index,
        Err(e) => return report.fail(what, format!("is not a Helm repository index: {e}")),
    };
    for (name, entries) in &index.entries {
        for entry in entries {
            let label = format!("{what} {name} {}", entry.version);
            let file = entry.urls.first().map(|u| u.rsplit('/').next().unwrap_or(u)).unwrap_or_default();
            let found =
                plain_name(file, "chart archive").ok().and_then(|f| sha256_if_present(&dir.join(f)).ok().flatten());
            let digest = entry.digest.as_deref().unwrap_or("(none)");
            let mut problems = Vec::new();
            match found {
                None => problems.push(format!("its url `{file}` names no chart archive in the mirror")),
                Some((sha, _)) if digest != sha => problems.push(format!("digest {digest}, `{file}` is {sha}")),
                Some(_) => {}
            }
            match m.charts.iter().find(|c| c.name == *name && c.version == entry.version) {
                Some(chart) if chart.digest != digest => {
                    problems.push(format!("digest {digest}, the manifest records {}", chart.digest));
                }
                Some(_) => {}
                None => problems.push("extra: the manifest has no such chart".to_owned()),
            }
            report.either(label, &problems, format!("digest {} matches `{file}`", short(digest)));
        }
    }
    for chart in &m.charts {
        if index.entry(&chart.name, &chart.version).is_none() {
            report.fail(&what, format!("has no entry for chart {} {}", chart.name, chart.version));
        }
    }
}

/// Every OCI layout the manifest calls for, and nothing else under `oci/`.
fn layouts(dir: &Path, tag: &str, m: &ReleaseManifest, report: &mut Checks) {
    let oci = dir.join("oci");
    let images: Vec<_> = m.images.iter().filter(|i| i.digest.is_some()).collect();
    let charts: Vec<_> = m.charts.iter().filter(|c| c.oci.is_some()).collect();
    for image in &images {
        let what = format!("{tag}/oci/images/{}", image.name);
        layout::check(&oci.join("images").join(&image.name), &what, &layout::Expect::Image(image), report);
    }
    for chart in &charts {
        let what = format!("{tag}/oci/charts/{}", chart.name);
        layout::check(&oci.join("charts").join(&chart.name), &what, &layout::Expect::Chart(chart), report);
    }
    for name in names(&oci) {
        let known: Vec<&str> = match name.as_str() {
            "images" => images.iter().map(|i| i.name.as_str()).collect(),
            "charts" => charts.iter().map(|c| c.name.as_str()).collect(),
            _ => {
                report.fail(format!("{tag}/oci/{name}"), "extra: not `images` or `charts`");
                continue;
            }
        };
        for inner in names(&oci.join(&name)).into_iter().filter(|n| !known.contains(&n.as_str())) {
            report.fail(format!("{tag}/oci/{name}/{inner}"), "extra: the manifest has no such OCI artifact");
        }
    }
}
