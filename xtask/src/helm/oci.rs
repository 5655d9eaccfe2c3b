//! A chart as an OCI artifact, byte for byte as Helm pushes it (Helm, "Use OCI-based
//! registries"): the config blob (Chart.yaml metadata as JSON), one layer (the exact `.tgz`),
//! and a manifest with Helm's annotations and no `mediaType`. Built locally, so its digest is
//! known before pushing.

use lamina_release_format::helm_index::{METADATA_FIELDS, omitempty};
use lamina_remote::digest::sha256;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// The three pieces of one chart artifact, with their digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartArtifact {
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layer_digest: String,
    pub layer_size: u64,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: u32,
    config: Descriptor,
    layers: Vec<Descriptor>,
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: &'static str,
    digest: String,
    size: u64,
}

/// Builds the artifact for `archive` (the chart's `.tgz` bytes) with Chart.yaml `metadata`;
/// `created` (RFC 3339, UTC) is the commit time, so rebuilding gives the same digest.
pub fn chart_artifact(metadata: &Value, archive: &[u8], created: &str) -> ChartArtifact {
    let config = config_json(metadata);
    let config_digest = sha256(&config);
    let layer_digest = sha256(archive);
    let field = |k: &str| metadata.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let mut annotations = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            annotations.insert(format!("org.opencontainers.image.{k}"), v);
        }
    };
    put("description", field("description"));
    put("url", field("home"));
    put("source", metadata.get("sources").and_then(|s| s.get(0)).and_then(Value::as_str).map(str::to_owned));
    let authors: Vec<String> = metadata
        .get("maintainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let name = m.get("name").and_then(Value::as_str)?;
            Some(match m.get("email").and_then(Value::as_str) {
                Some(email) => format!("{name} ({email})"),
                None => name.to_owned(),
            })
        })
        .collect();
    put("authors", (!authors.is_empty()).then(|| authors.join(", ")));
    put("created", Some(created.to_owned()));
    // Chart.yaml annotations override the generated ones, except title and version.
    if let Some(Value::Object(extra)) = metadata.get("annotations") {
        for (k, v) in extra {
            if let Some(v) = v.as_str() {
                annotations.insert(k.clone(), v.to_owned());
            }
        }
    }
    annotations.insert("org.opencontainers.image.title".into(), field("name").unwrap_or_default());
    annotations.insert("org.opencontainers.image.version".into(), field("version").unwrap_or_default());
    let manifest = Manifest {
        schema_version: 2,
        config: Descriptor { media_type: CONFIG_MEDIA_TYPE, digest: config_digest.clone(), size: config.len() as u64 },
        layers: vec![Descriptor {
            media_type: CHART_LAYER_MEDIA_TYPE,
            digest: layer_digest.clone(),
            size: archive.len() as u64,
        }],
        annotations,
    };
    let manifest = serde_json::to_vec(&manifest).expect("a manifest serialises");
    ChartArtifact {
        manifest_digest: sha256(&manifest),
        config,
        config_digest,
        layer_digest,
        layer_size: archive.len() as u64,
        manifest,
    }
}

/// Chart.yaml metadata as Helm's `json.Marshal` writes it: Helm's fields only, in Helm's order,
/// empty ones left out.
fn config_json(metadata: &Value) -> Vec<u8> {
    let mut out = String::from("{");
    for key in METADATA_FIELDS {
        let Some(value) = metadata.get(*key) else {
            continue;
        };
        let empty = omitempty(value);
        if empty {
            continue;
        }
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).unwrap_or_default());
        out.push(':');
        out.push_str(&serde_json::to_string(value).unwrap_or_default());
    }
    out.push('}');
    out.into_bytes()
}
