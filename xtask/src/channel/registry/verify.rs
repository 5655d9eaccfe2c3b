//! The registry channel's read-back: every image tag the manifest records points at its digest
//! (a floating tag may have moved on to a later release), and every OCI chart's version tag at
//! the artifact the released archive makes.

use crate::channel::{Channels, Check, bad, equal};
use crate::helm::archive;
use crate::manifest::ReleaseManifest;
use lamina_release_format::checks::image_tag;
use std::collections::BTreeMap;

/// Each image tag of the manifest in the registry.
pub async fn images(ch: &Channels<'_>, manifest: &ReleaseManifest) -> Vec<Check> {
    let mut checks = Vec::new();
    for image in &manifest.images {
        let Some(digest) = &image.digest else {
            checks.push(bad(format!("image {}", image.name), "the manifest records no digest".into()));
            continue;
        };
        for tag in &image.tags {
            let what = format!("image tag {}:{tag}", image.repository);
            let got = ch.registry.tag_digest(&ch.registry.image_reference(&image.name, tag)).await;
            checks.push(match got {
                Ok(found) => Check::of(what, image_tag(tag, &manifest.version, digest, found.as_deref())),
                Err(e) => bad(what, lamina_remote::hint::render(&e)),
            });
        }
    }
    checks
}

/// Each OCI chart's version tag, against the artifact its downloaded archive makes.
pub async fn charts(
    ch: &Channels<'_>,
    manifest: &ReleaseManifest,
    archives: &BTreeMap<String, Vec<u8>>,
) -> anyhow::Result<Vec<Check>> {
    let mut checks = Vec::new();
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
    Ok(checks)
}
