//! `release-manifest.json`: the record of one release, written by every build of the pipeline
//! and read back by `verify` and by the tools that consume a release. Its JSON Schema is
//! generated from these types and committed in the repository's `docs/`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the manifest format.
pub const SCHEMA_VERSION: u32 = 2;

/// An asset's file name: one plain name, no separator, no leading dot.
pub const FILE_NAME: &str = r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$";
/// A path inside a bundle's top folder: relative, `/`-separated, no `.` or `..` component
/// (`.` alone is the top folder itself).
pub const RELATIVE_PATH: &str = r"^(\.|[A-Za-z0-9_][A-Za-z0-9._+-]*(/[A-Za-z0-9_][A-Za-z0-9._+-]*)*)$";

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
    #[schemars(regex(pattern = FILE_NAME))]
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the file.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// The Rust target triple a `binary` or `wheel` was built for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What a `terraform` bundle's modules need and take, one entry per module folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<TerraformModule>,
    /// What a `compose` bundle's files use and need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose: Option<ComposeProject>,
}

/// One Terraform module of a bundle, as its `.tf` files declare it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerraformModule {
    /// The module's folder inside the bundle's top folder, e.g. `lamina-values`.
    #[schemars(regex(pattern = RELATIVE_PATH))]
    pub path: String,
    /// `terraform { required_version }`: the Terraform versions the module accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_version: Option<String>,
    /// `terraform { required_providers }`.
    pub providers: Vec<Provider>,
    /// Every `variable` block, in file order.
    pub variables: Vec<Variable>,
}

/// A required provider of a Terraform module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// The local name, e.g. `kubernetes`.
    pub name: String,
    /// The source address, e.g. `hashicorp/kubernetes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The version constraint, e.g. `~> 2.30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// An input variable of a Terraform module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    /// The type constraint in Terraform's JSON type notation (as `terraform providers schema
    /// -json` prints types): `"string"`, `"number"`, `"bool"`, `"dynamic"` (`any`),
    /// `["list", T]`, `["set", T]`, `["map", T]`, `["tuple", [T…]]`, `["object", {NAME: T…}]`,
    /// and `["object", {…}, [OPTIONAL NAMES…]]` when attributes are `optional(…)`.
    #[schemars(with = "serde_json::Value")]
    #[serde(rename = "type")]
    pub type_: serde_json::Value,
    /// The default, when the variable has one; absent when it is required or defaults to null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<serde_json::Value>,
    /// A value must be given: the variable has no `default`.
    pub required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The Compose files of a bundle: the images they run and the variables they interpolate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComposeProject {
    /// The Compose files, relative to the bundle's top folder.
    #[schemars(inner(regex(pattern = RELATIVE_PATH)))]
    pub files: Vec<String>,
    /// Every image the files name (services' `image`, `type: image` volumes), as shipped: pinned
    /// to this release's digests when the bundle pins images.
    pub images: Vec<ComposeImage>,
    /// Every `${NAME…}` the files interpolate, by name.
    pub variables: Vec<ComposeVariable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComposeImage {
    /// The service that uses it.
    pub service: String,
    /// The reference, e.g. `ghcr.io/lamina-os/lamina-core@sha256:…`.
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComposeVariable {
    pub name: String,
    /// Compose refuses to run without it: some use is `${NAME:?…}` or `${NAME?…}`.
    pub required: bool,
    /// The default some use gives (`${NAME:-default}`, `${NAME-default}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
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
    /// A package's Python source distribution, which pip builds where no wheel fits (format
    /// version 2).
    Sdist,
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
    #[schemars(regex(pattern = FILE_NAME))]
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
    /// The release's images the chart deploys, and the values that pin them to their digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ChartImage>,
}

/// An image a chart deploys, found in its `values.yaml` as a mapping whose `repository` is the
/// image's repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartImage {
    /// The image's `name` in `images`.
    pub name: String,
    /// The dotted values path of that mapping, e.g. `image`: `--set image.digest=…` pins it.
    pub values: String,
    pub repository: String,
    /// The image index digest; null when the image was not built here.
    #[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))]
    pub digest: Option<String>,
}

impl ReleaseManifest {
    /// Every path-like field as the schema's patterns allow it: a component's or chart's `file`
    /// a plain file name, a module's `path` and a Compose file a relative path that stays in its
    /// folder. A tool joins these to folders of its own, so anything else is refused on reading.
    pub fn check_paths(&self) -> Result<(), String> {
        let files = self.components.iter().map(|c| &c.file).chain(self.charts.iter().map(|c| &c.file));
        if let Some(bad) = files.into_iter().find(|f| !is_file_name(f)) {
            return Err(format!("`{bad}` is not a plain file name"));
        }
        let modules = self.components.iter().flat_map(|c| c.modules.iter().map(|m| &m.path));
        let compose = self.components.iter().flat_map(|c| c.compose.iter().flat_map(|p| &p.files));
        match modules.chain(compose).find(|p| !is_relative_path(p)) {
            Some(bad) => Err(format!("`{bad}` is not a relative path inside its bundle")),
            None => Ok(()),
        }
    }
}

/// [`FILE_NAME`], checked.
pub fn is_file_name(name: &str) -> bool {
    let mut chars = name.chars();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._+-".contains(c);
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && chars.all(allowed)
}

/// [`RELATIVE_PATH`], checked.
pub fn is_relative_path(path: &str) -> bool {
    path == "." || path.split('/').all(is_file_name)
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
