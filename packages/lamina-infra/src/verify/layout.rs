//! One OCI image layout of a mirror: whole ([`Layout::check`]: every blob reachable from
//! `index.json` present and hashing to its name and size, with nothing else in the folder), and
//! holding what the release manifest says: the image's recorded digest, or the chart archive.

use lamina_release_format::checks::Checks;
use lamina_release_format::manifest::{Chart, Image};
use lamina_remote::digest::short;
use lamina_remote::layout::{Layout, parts};
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
pub fn check(dir: &Path, what: &str, expect: &Expect, report: &mut Checks) {
    if !dir.is_dir() {
        return report.fail(what, "missing: the manifest records this OCI artifact");
    }
    let at = |name: &str| if name.is_empty() { what.to_owned() } else { format!("{what}/{name}") };
    let checked = Layout::new(dir.to_path_buf()).check();
    if checked.index.is_empty() {
        return checked.findings.into_iter().for_each(|f| report.fail(at(&f.at), f.detail));
    }
    if let Expect::Image(image) = expect {
        let recorded = image.digest.as_deref().unwrap_or_default();
        let wrong: Vec<String> = checked
            .index
            .iter()
            .filter(|d| d.digest != recorded)
            .map(|d| format!("points at {}, the manifest records {recorded} for image {}", d.digest, image.name))
            .collect();
        report.either(at("index.json"), &wrong, format!("points at {} as the manifest records", short(recorded)));
    }
    let walk = &checked.walk;
    if walk.problems.len() == checked.absent_platforms.len() {
        let blobs = walk.manifests.len() + walk.blobs.len();
        let absent = match checked.absent_platforms.as_slice() {
            [] => String::new(),
            absent => format!("; platforms not mirrored (--platform): {}", absent.join(", ")),
        };
        report.ok(what, format!("{blobs} blobs, each present and matching its digest{absent}"));
    }
    if let Expect::Chart(chart) = expect {
        let archive = format!("sha256:{}", chart.digest);
        let layers: Vec<String> = walk
            .manifests
            .iter()
            .filter_map(|m| parts(m).ok())
            .flat_map(|p| p.layers)
            .filter(|l| l.media_type == CHART_LAYER)
            .map(|l| l.digest)
            .collect();
        let problems = match layers.as_slice() {
            [] => vec![format!("no layer of type {CHART_LAYER}")],
            all if all.iter().all(|d| *d == archive) => Vec::new(),
            all => vec![format!("chart layer {}, the chart archive `{}` is {archive}", all[0], chart.file)],
        };
        report.either(at("chart layer"), &problems, format!("is the chart archive `{}`", chart.file));
    }
    for f in checked.findings {
        report.fail(at(&f.at), f.detail);
    }
}
