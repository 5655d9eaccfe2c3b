//! An entry of a Helm repository index (`index.yaml`) for one chart archive, defined once for the
//! pipeline (the index on Pages, absolute URLs) and for a mirror (URLs relative to the index):
//! the Chart.yaml fields Helm keeps, then `created`, `digest` and `urls`; and an entry as `verify`
//! reads it back. Merging and writing a whole index stays with each side.

use crate::manifest::Chart;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Helm's `Metadata` fields, in its Go declaration order (how `json.Marshal` writes them).
pub const METADATA_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// Go's `omitempty`: the values Helm leaves out when it writes metadata.
pub fn omitempty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) => false,
    }
}

/// The index entry of a chart archive, as `helm repo index` makes it: the fields of `metadata`
/// (Chart.yaml as JSON) that Helm keeps, empty ones left out and `version`, `appVersion` and
/// `kubeVersion` as strings even where YAML read a number; then `created` (RFC 3339), `digest`
/// (bare lowercase hex SHA-256 of the archive) and `urls`. Keys are sorted, as Helm writes them.
pub fn entry(metadata: &Value, digest: &str, urls: &[String], created: &str) -> Map<String, Value> {
    let mut entry = Map::new();
    for (key, value) in metadata.as_object().into_iter().flatten() {
        if METADATA_FIELDS.contains(&key.as_str()) && !omitempty(value) {
            let value = match (key.as_str(), value) {
                ("appVersion" | "version" | "kubeVersion", Value::Number(n)) => Value::String(n.to_string()),
                _ => value.clone(),
            };
            entry.insert(key.clone(), value);
        }
    }
    entry.insert("created".into(), created.into());
    entry.insert("digest".into(), digest.into());
    entry.insert("urls".into(), urls.iter().map(|u| Value::from(u.as_str())).collect());
    entry
}

/// `index.yaml` as far as verifying reads it: every chart's entries.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub entries: BTreeMap<String, Vec<Entry>>,
}

/// One entry, as verifying reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    pub version: String,
    /// Bare lowercase hex SHA-256 of the archive.
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub urls: Vec<String>,
}

impl Index {
    /// The entry of chart `name` at exactly `version`.
    pub fn entry(&self, name: &str, version: &str) -> Option<&Entry> {
        self.entries.get(name)?.iter().find(|e| e.version == version)
    }

    /// What is wrong with the entry of a released chart: missing, or with another digest than the
    /// archive's, or with no URL of the release asset; none when it is as released.
    pub fn problems(&self, chart: &Chart) -> Vec<String> {
        let Some(entry) = self.entry(&chart.name, &chart.version) else {
            return vec![
                "missing: the index has no entry for this chart version; `helm repo update` will not find it"
                    .to_owned(),
            ];
        };
        let mut problems = Vec::new();
        let digest = entry.digest.as_deref().unwrap_or("(none)");
        if digest != chart.digest {
            problems.push(format!("digest {digest}, the release's archive is {}", chart.digest));
        }
        if !entry.urls.contains(&chart.url) {
            let urls = if entry.urls.is_empty() { "(none)".to_owned() } else { entry.urls.join(", ") };
            problems.push(format!("its urls ({urls}) do not name the release asset {}", chart.url));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_entry_keeps_helms_fields_drops_empty_ones_and_adds_its_own() {
        let metadata = json!({
            "apiVersion": "v2", "name": "demo", "version": 1.0, "appVersion": 2, "description": "Demo",
            "keywords": [], "deprecated": false, "unknownChartKey": "dropped",
            "annotations": {"org.opencontainers.image.source": "https://github.com/acme/infra"}
        });
        let entry = entry(&metadata, "abc", &["demo-1.0.tgz".to_owned()], "2026-01-01T00:00:00Z");
        let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        let expected = ["annotations", "apiVersion", "appVersion", "created", "description", "digest", "name"];
        assert_eq!(keys, [&expected[..], &["urls", "version"]].concat(), "sorted, as Helm writes them");
        assert_eq!((entry["version"].as_str(), entry["appVersion"].as_str()), (Some("1.0"), Some("2")));
        assert_eq!(entry["urls"], json!(["demo-1.0.tgz"]));
        assert_eq!(entry["digest"], "abc");
    }

    #[test]
    fn an_index_is_read_back_for_verifying() {
        let text = r#"{"apiVersion": "v1", "entries": {"demo": [
            {"name": "demo", "version": "0.2.0", "digest": "abc", "urls": ["demo-0.2.0.tgz"], "created": "x"},
            {"name": "demo", "version": "0.1.0"}]}}"#;
        let index: Index = serde_json::from_str(text).unwrap();
        let entry = index.entry("demo", "0.2.0").unwrap();
        assert_eq!((entry.digest.as_deref(), entry.urls.as_slice()), (Some("abc"), &["demo-0.2.0.tgz".to_owned()][..]));
        assert_eq!(index.entry("demo", "0.1.0").and_then(|e| e.digest.as_deref()), None);
        assert!(index.entry("demo", "0.3.0").is_none() && index.entry("other", "0.2.0").is_none());
        assert!(serde_json::from_str::<Index>("{}").unwrap().entries.is_empty());
    }
}
