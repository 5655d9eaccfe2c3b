//! One OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) of a mirror: present, its
//! descriptors pointing where the manifest says, and every blob reachable from `index.json`
//! present and hashing to its name and size, with no blob that nothing reaches.

use super::{Report, names};
use lamina_release_format::manifest::{Chart, Image};
use lamina_remote::digest::short;
use lamina_remote::layout::{Descriptor, Layout, MOST_BLOBS, Problem, parts};
use std::collections::BTreeSet;
use std::path::Path;

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

/// Follows every descriptor from `roots` (the one layout walker); returns the blobs referred to
/// (hex) and every layer as `(media type, digest)`. A missing or changed blob is reported.
fn walk(
    dir: &Path,
    what: &str,
    roots: Vec<Descriptor>,
    report: &mut Report,
) -> (BTreeSet<String>, Vec<(String, String)>) {
    let walk = Layout::new(dir.to_path_buf()).walk(&roots);
    let hex = |digest: &str| digest.strip_prefix("sha256:").unwrap_or(digest).to_owned();
    let mut reached: BTreeSet<String> = walk.reached().map(hex).collect();
    for problem in &walk.problems {
        let (at, detail) = match problem {
            Problem::Digest(d) => (format!("{what}/index.json"), format!("`{}` is not a sha256 digest", d.digest)),
            Problem::Missing(d) => (blob(what, d), "missing: a descriptor refers to it".to_owned()),
            Problem::Changed { descriptor, sha256, size } => (
                blob(what, descriptor),
                format!("changed: hashes to {sha256} ({size} bytes), its descriptor says {} bytes", descriptor.size),
            ),
            Problem::Unreadable { descriptor, why } => (blob(what, descriptor), format!("cannot be read: {why}")),
            Problem::TooDeep(d) => (blob(what, d), "nested more than four indexes deep; not followed".to_owned()),
            Problem::TooMany => {
                (what.to_owned(), format!("refers to more than {MOST_BLOBS} blobs; not followed further"))
            }
        };
        report.fail(at, detail);
        if let Problem::Missing(d)
        | Problem::Changed { descriptor: d, .. }
        | Problem::Unreadable { descriptor: d, .. } = problem
        {
            reached.insert(hex(&d.digest));
        }
    }
    let layers = walk
        .manifests
        .iter()
        .filter_map(|m| parts(m).ok())
        .flat_map(|p| p.layers)
        .map(|l| (l.media_type, l.digest))
        .collect();
    if walk.problems.is_empty() {
        report.ok(what, format!("{} blobs, each present and matching its digest", reached.len()));
    }
    (reached, layers)
}

fn blob(what: &str, d: &Descriptor) -> String {
    format!("{what}/blobs/sha256/{}", d.digest.strip_prefix("sha256:").unwrap_or(&d.digest))
}
