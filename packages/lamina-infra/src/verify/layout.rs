//! One OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) of a mirror: present, its
//! descriptors pointing where the manifest says, and every blob reachable from `index.json`
//! present and hashing to its name and size, with no blob that nothing reaches.

use super::{Report, names};
use lamina_release_format::manifest::{Chart, Image};
use lamina_remote::digest::{sha256_if_present, short};
use lamina_remote::layout::{Descriptor, Layout, parts};
use lamina_remote::registry::Manifest;
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

/// Blobs followed in one layout at most.
const MOST_BLOBS: usize = 10_000;
/// The largest index or manifest blob parsed.
const LARGEST_MANIFEST: u64 = 4 << 20;
/// The media type of a Helm chart's archive layer: the chart `.tgz`, byte for byte.
const CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// What the release manifest says the layout holds.
pub enum Expect<'a> {
    /// `index.json` points at the image's recorded digest.
    Image(&'a Image),
    /// The layout's chart layer is the chart archive.
    Chart(&'a Chart),
}

/// Checks the layout in `dir`, reported as `what`.
pub fn check(dir: &Path, what: &str, expect: &Expect, report: &mut Report) {
    if !dir.is_dir() {
        return report.fail(what, "missing: the manifest records this OCI artifact");
    }
    let at = |name: &str| format!("{what}/{name}");
    let layout = Layout::new(dir.to_path_buf());
    if !layout.is_marked() {
        report.fail(at("oci-layout"), "missing, or not an OCI layout marker");
    }
    if !dir.join("index.json").is_file() {
        return report.fail(at("index.json"), "missing");
    }
    let manifests = match layout.index() {
        Ok(manifests) => manifests,
        Err(e) => return report.fail(at("index.json"), format!("is not an OCI index: {}", e.root_cause())),
    };
    if manifests.is_empty() {
        return report.fail(at("index.json"), "holds no descriptor");
    }
    if let Expect::Image(image) = expect {
        let recorded = image.digest.as_deref().unwrap_or_default();
        let wrong: Vec<String> = manifests
            .iter()
            .filter(|d| d.digest != recorded)
            .map(|d| format!("points at {}, the manifest records {recorded} for image {}", d.digest, image.name))
            .collect();
        report.either(at("index.json"), &wrong, format!("points at {} as the manifest records", short(recorded)));
    }
    let (reached, layers) = walk(dir, what, manifests, report);
    if let Expect::Chart(chart) = expect {
        let archive = format!("sha256:{}", chart.digest);
        let chart_layers: Vec<&String> = layers.iter().filter(|(m, _)| m == CHART_LAYER).map(|(_, d)| d).collect();
        let problems = match chart_layers.as_slice() {
            [] => vec![format!("no layer of type {CHART_LAYER}")],
            all if all.iter().all(|d| **d == archive) => Vec::new(),
            all => vec![format!("chart layer {}, the chart archive `{}` is {archive}", all[0], chart.file)],
        };
        report.either(at("chart layer"), &problems, format!("is the chart archive `{}`", chart.file));
    }
    for name in names(dir) {
        if !["oci-layout", "index.json", "blobs"].contains(&name.as_str()) {
            report.fail(at(&name), "extra: not part of an OCI layout");
        }
    }
    for name in names(&dir.join("blobs")).into_iter().filter(|n| n != "sha256") {
        report.fail(at(&format!("blobs/{name}")), "extra: only sha256 blobs are written");
    }
    for name in names(&dir.join("blobs/sha256")) {
        if !reached.contains(&name) {
            report.fail(at(&format!("blobs/sha256/{name}")), "extra: no descriptor of index.json reaches it");
        }
    }
}

/// Follows every descriptor from `roots`; returns the blobs reached (hex) and every layer as
/// `(media type, digest)`. A missing or changed blob is reported, and not followed.
fn walk(
    dir: &Path,
    what: &str,
    roots: Vec<Descriptor>,
    report: &mut Report,
) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut queue: VecDeque<Descriptor> = roots.into();
    let (mut reached, mut layers, mut problems) = (BTreeSet::new(), Vec::new(), 0);
    while let Some(d) = queue.pop_front() {
        let Ok(hex) = lamina_remote::digest::hex_of(&d.digest) else {
            report.fail(format!("{what}/index.json"), format!("`{}` is not a sha256 digest", d.digest));
            problems += 1;
            continue;
        };
        if !reached.insert(hex.to_owned()) {
            continue;
        }
        if reached.len() > MOST_BLOBS {
            report.fail(what, format!("refers to more than {MOST_BLOBS} blobs; not followed further"));
            break;
        }
        let path = dir.join("blobs/sha256").join(hex);
        let at = format!("{what}/blobs/sha256/{hex}");
        match sha256_if_present(&path) {
            Ok(None) => {
                report.fail(at, "missing: a descriptor refers to it");
                problems += 1;
                continue;
            }
            Err(e) => {
                report.fail(at, format!("cannot be read: {e}"));
                problems += 1;
                continue;
            }
            Ok(Some((sha, size))) if sha != hex || size != d.size => {
                report
                    .fail(at, format!("changed: hashes to {sha} ({size} bytes), its descriptor says {} bytes", d.size));
                problems += 1;
                continue;
            }
            Ok(Some(_)) => {}
        }
        let media = &d.media_type;
        if media.contains("image.layer") || media.contains("tar") || d.size > LARGEST_MANIFEST {
            continue;
        }
        // Indexes and manifests refer to more blobs; configs and layers parse as neither.
        let read = std::fs::read(&path).map_err(anyhow::Error::from);
        let Ok(found) = read.and_then(|b| Manifest::typed(b, &d.digest, Some(media))).and_then(|m| parts(&m)) else {
            continue;
        };
        layers.extend(found.layers.iter().map(|l| (l.media_type.clone(), l.digest.clone())));
        queue.extend(found.all());
    }
    if problems == 0 {
        report.ok(what, format!("{} blobs, each present and matching its digest", reached.len()));
    }
    (reached, layers)
}
