//! The Helm repository index (`index.yaml`, apiVersion v1) of a mirrored release's chart
//! archives, with URLs relative to the index, so the release folder serves as a chart repository
//! wherever it is hosted. Entries carry their `Chart.yaml` fields, the archive's SHA-256 and a
//! `created` time derived from the release's `source_date_epoch`, so the index is reproducible.

use anyhow::{Context, bail};
use serde_norway::{Mapping, Value};
use std::collections::BTreeMap;
use std::io::Read;

/// `index.yaml` for `charts` (`(file name, archive bytes)`), all made at `source_date_epoch`.
pub fn index(charts: &[(String, Vec<u8>)], source_date_epoch: i64) -> anyhow::Result<String> {
    let created = created(source_date_epoch)?;
    let mut entries: BTreeMap<String, Vec<Mapping>> = BTreeMap::new();
    for (file, archive) in charts {
        let mut entry = chart_yaml(archive).with_context(|| format!("chart archive `{file}`"))?;
        let field = |entry: &Mapping, name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(name), Some(_)) = (field(&entry, "name"), field(&entry, "version")) else {
            bail!("chart archive `{file}`: its Chart.yaml has no name or version");
        };
        entry.insert("created".into(), created.clone().into());
        entry.insert("digest".into(), lamina_remote::digest::sha256_hex(archive).into());
        entry.insert("urls".into(), Value::Sequence(vec![file.clone().into()]));
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

/// The fields of the archive's `<chart>/Chart.yaml`.
fn chart_yaml(archive: &[u8]) -> anyhow::Result<Mapping> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let parts: Vec<_> = path.components().collect();
        if parts.len() == 2 && parts[1].as_os_str() == "Chart.yaml" {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            return serde_norway::from_str(&text).context("Chart.yaml is not a YAML mapping");
        }
    }
    bail!("it holds no <chart>/Chart.yaml")
}

#[cfg(test)]
mod tests {
    #[test]
    fn created_is_rfc3339_from_the_epoch() {
        assert_eq!(super::created(1_700_000_000).unwrap(), "2023-11-14T22:13:20Z");
        assert!(super::created(-1).is_err());
    }
}
