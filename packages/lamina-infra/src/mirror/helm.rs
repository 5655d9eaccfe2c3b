//! The Helm repository index (`index.yaml`, apiVersion v1) of a mirrored release's chart
//! archives, with URLs relative to the index, so the release folder serves as a chart repository
//! wherever it is hosted. Each entry is shaped as the release format defines it (the same fields
//! as on Pages), with the archive's SHA-256 and a `created` time derived from the release's
//! `source_date_epoch`, so the index is reproducible.

use anyhow::{Context, bail};
use lamina_release_format::helm_index;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `index.yaml` for `charts` (`(file name, archive bytes)`), all made at `source_date_epoch`.
pub fn index(charts: &[(String, Vec<u8>)], source_date_epoch: i64) -> anyhow::Result<String> {
    let created = created(source_date_epoch)?;
    let mut entries: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    for (file, archive) in charts {
        let metadata = chart_yaml(archive).with_context(|| format!("chart archive `{file}`"))?;
        let digest = lamina_remote::digest::sha256_hex(archive);
        let entry = helm_index::entry(&metadata, &digest, std::slice::from_ref(file), &created);
        let field = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(name), Some(_)) = (field("name"), field("version")) else {
            bail!("chart archive `{file}`: its Chart.yaml has no name or version");
        };
        entries.entry(name).or_default().push(entry);
    }
    let index = serde_json::json!({ "apiVersion": "v1", "entries": entries, "generated": created });
    Ok(serde_norway::to_string(&index)?)
}

/// RFC 3339 UTC, whole seconds.
fn created(source_date_epoch: i64) -> anyhow::Result<String> {
    let seconds = u64::try_from(source_date_epoch).context("source_date_epoch is before 1970")?;
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    Ok(humantime::format_rfc3339_seconds(time).to_string())
}

/// The archive's `<chart>/Chart.yaml`, as JSON.
fn chart_yaml(archive: &[u8]) -> anyhow::Result<Value> {
    let tree = lamina_release_format::archive::read(archive, None, &Default::default())?;
    let text = tree.file("Chart.yaml").context("it holds no <chart>/Chart.yaml")?;
    let metadata: Value = serde_norway::from_slice(text).context("Chart.yaml is not a YAML mapping")?;
    if !metadata.is_object() {
        bail!("Chart.yaml is not a YAML mapping");
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    /// A chart archive holding `Chart.yaml`, as `helm package` lays it out.
    fn archive(chart_yaml: &str) -> Vec<u8> {
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        let mut header = tar::Header::new_gnu();
        header.set_size(chart_yaml.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "lamina-core/Chart.yaml", chart_yaml.as_bytes()).unwrap();
        tar.into_inner().unwrap().finish().unwrap()
    }

    const CHART_YAML: &str = r#"apiVersion: v2
name: lamina-core
description: Lamina OS platform API server (lamina-core).
type: application
version: 0.2.0
appVersion: "0.2.0"
kubeVersion: ">=1.27.0-0"
home: https://github.com/lamina-os/lamina-infra
sources:
  - https://github.com/lamina-os/lamina-infra
keywords:
  - lamina
maintainers:
  - name: Lamina OS maintainers
    url: https://github.com/lamina-os
annotations:
  org.opencontainers.image.source: https://github.com/lamina-os/lamina-infra
"#;

    #[test]
    fn a_released_chart_is_indexed_with_helms_fields_and_a_relative_url() {
        let bytes = archive(CHART_YAML);
        let digest = lamina_remote::digest::sha256_hex(&bytes);
        let index = super::index(&[("lamina-core-0.2.0.tgz".to_owned(), bytes)], 1_700_000_000).unwrap();
        let expected = format!(
            r#"apiVersion: v1
entries:
  lamina-core:
  - annotations:
      org.opencontainers.image.source: https://github.com/lamina-os/lamina-infra
    apiVersion: v2
    appVersion: 0.2.0
    created: 2023-11-14T22:13:20Z
    description: Lamina OS platform API server (lamina-core).
    digest: {digest}
    home: https://github.com/lamina-os/lamina-infra
    keywords:
    - lamina
    kubeVersion: '>=1.27.0-0'
    maintainers:
    - name: Lamina OS maintainers
      url: https://github.com/lamina-os
    name: lamina-core
    sources:
    - https://github.com/lamina-os/lamina-infra
    type: application
    urls:
    - lamina-core-0.2.0.tgz
    version: 0.2.0
generated: 2023-11-14T22:13:20Z
"#
        );
        assert_eq!(index, expected);
    }

    #[test]
    fn created_is_rfc3339_from_the_epoch() {
        assert_eq!(super::created(1_700_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert!(super::created(-1).is_err());
    }
}
