//! `release-manifest.json`: the record of one release, written by every build of the pipeline
//! and read back by `verify` and by the tools that consume a release. Its JSON Schema is
//! generated from these types and committed in the repository's `docs/`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the manifest format.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one release consists of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseManifest {
    /// Format version of this file.
    pub schema_version: u32,
    /// GitHub repository, `owner/repo`.
    pub repository: String,
    /// Release version, SemVer 2.
    pub version: String,
    /// Git tag, `v{version}`.
    pub tag: String,
    /// Full commit id the release is built from.
    pub commit: String,
    /// Modification time of every archive entry, seconds since the epoch.
    pub source_date_epoch: i64,
    /// Every release asset except this manifest and `SHA256SUMS`.
    pub components: Vec<Component>,
    /// Every container image.
    pub images: Vec<Image>,
    /// Every Helm chart.
    pub charts: Vec<Chart>,
}

/// A file attached to the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Component {
    pub name: String,
    pub kind: ComponentKind,
    pub version: String,
    /// Asset file name.
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the file.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// The Rust target triple a `binary` or `wheel` was built for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComponentKind {
    Chart,
    Manifests,
    Compose,
    Terraform,
    /// A `.tar.gz` holding one program, `{name}-{version}-{target}/{name}`.
    Binary,
    /// A Python wheel that puts the same program on PATH (`pip install FILE_OR_URL`).
    Wheel,
}

/// A multi-platform container image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    pub name: String,
    /// `{registry}/{name}`.
    pub repository: String,
    pub tags: Vec<String>,
    /// `os/arch[/variant]`.
    pub platforms: Vec<String>,
    /// Digest of the image index, `sha256:…`; null when the image was not built here.
    #[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))]
    pub digest: Option<String>,
}

/// A Helm chart: its archive, index entry and OCI artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chart {
    pub name: String,
    pub version: String,
    /// Asset file name, `{name}-{version}.tgz`.
    pub file: String,
    /// The `digest` of its index.yaml entry: bare lowercase hex SHA-256 of the archive.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub digest: String,
    /// URL of the index entry.
    pub url: String,
    /// `{registry}/charts/{name}:{tag}`; null when the chart is not pushed as an OCI artifact.
    pub oci: Option<String>,
    /// The Helm repository (`helm repo add NAME URL`) whose index lists the chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Chart.yaml's `kubeVersion`: the Kubernetes versions the chart supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
}

/// The JSON Schema of the manifest, as committed in `docs/`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(ReleaseManifest);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Path of the committed schema, relative to the repository root.
pub const SCHEMA_FILE: &str = "docs/release-manifest.schema.json";
