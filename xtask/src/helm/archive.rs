//! Reading a chart archive: its Chart.yaml, and the time that entry carries.

use anyhow::{Context, bail};
use lamina_release_format::archive::{self, Entry};
use std::path::Path;

/// What an index entry needs from a `.tgz`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedChart {
    /// Chart.yaml as JSON.
    pub metadata: serde_json::Value,
    pub name: String,
    pub version: String,
    /// Modification time of the Chart.yaml entry, seconds since the epoch.
    pub mtime: i64,
}

/// A chart archive's bytes and the OCI artifact Helm would push for it, dated by its Chart.yaml
/// entry, so the manifest digest is known before anything is pushed or compared.
pub fn oci_artifact(path: &Path) -> anyhow::Result<(Vec<u8>, super::oci::ChartArtifact)> {
    let bytes = std::fs::read(path).with_context(|| format!("read `{}`", path.display()))?;
    let meta = read(path)?;
    let artifact = super::oci::chart_artifact(&meta.metadata, &bytes, &crate::timestamp::rfc3339(meta.mtime));
    Ok((bytes, artifact))
}

/// Reads `{name}/Chart.yaml` from a chart archive, by the release format's one archive reader.
pub fn read(path: &Path) -> anyhow::Result<ArchivedChart> {
    let bytes = std::fs::read(path).with_context(|| format!("open `{}`", path.display()))?;
    let tree = archive::read(&bytes, None, &Default::default()).with_context(|| format!("`{}`", path.display()))?;
    let Some(Entry::File { bytes, mtime, .. }) = tree.entries.get(Path::new("Chart.yaml")) else {
        bail!("`{}` holds no `<chart>/Chart.yaml`: it is not a Helm chart archive", path.display())
    };
    let text = String::from_utf8_lossy(bytes);
    let meta = super::chart::parse(&text)
        .map_err(|(_, e)| anyhow::format_err!("`{}`: invalid Chart.yaml: {e}", path.display()))?;
    let (Some(name), Some(version)) = (meta.name.clone(), meta.version.clone()) else {
        bail!("`{}`: Chart.yaml has no name or version", path.display());
    };
    Ok(ArchivedChart { metadata: meta.raw, name, version, mtime: *mtime as i64 })
}
