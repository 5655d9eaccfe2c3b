//! A release's provenance statement: one in-toto Statement v1 (in-toto Attestation Framework,
//! "Statement layer") whose predicate is SLSA Provenance v1, naming every release asset, image
//! and OCI chart as a subject, and the workflow run that made them. Plain data: the pipeline
//! builds and signs it (a DSSE envelope in a Sigstore bundle, the release asset
//! [`ASSET`]); a consumer reads it back and asks which subjects it covers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA Provenance v1.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// What the build is, so a verifier knows how to read its parameters (`docs/provenance.md`).
pub const BUILD_TYPE: &str = "https://github.com/lamina-os/lamina-infra/blob/main/docs/provenance.md#release-v1";
/// The release asset holding the signed statement, as a Sigstore bundle. `SHA256SUMS` does not
/// list it: it vouches for `SHA256SUMS`, by its signature.
pub const ASSET: &str = "provenance.sigstore.json";
/// What every signed statement a release attaches ends with: the provenance and the SBOMs. Such
/// an asset is vouched for by its signature, not by `SHA256SUMS`.
pub const SIGNED: &str = ".sigstore.json";
/// The predicate type of an SPDX document (in-toto Attestation Framework, "SPDX").
pub const SPDX: &str = "https://spdx.dev/Document";
/// The predicate type of a CycloneDX document (in-toto Attestation Framework, "CycloneDX").
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// An image's SPDX SBOM, signed: `{image}-{version}-{os}-{arch}[-{variant}].spdx.sigstore.json`.
pub fn image_sbom(image: &str, version: &str, platform: &str) -> String {
    format!("{image}-{version}-{}.spdx{SIGNED}", platform.replace('/', "-"))
}
/// A package binary's CycloneDX SBOM, signed: its archive's name with `.cdx.sigstore.json` for
/// `.tar.gz`.
pub fn package_sbom(archive: &str) -> String {
    format!("{}.cdx{SIGNED}", archive.strip_suffix(".tar.gz").unwrap_or(archive))
}

/// The signed statements a release made by the pipeline may carry, by asset name, each with the
/// SHA-256 of what it is about: the provenance (`None`: it is about `SHA256SUMS`, by name), an
/// SPDX SBOM of each image platform (the image's digest) and a CycloneDX SBOM of each binary
/// archive (its SHA-256). Only these names may be absent from `SHA256SUMS`.
pub fn signed_assets(manifest: &crate::manifest::ReleaseManifest) -> BTreeMap<String, Option<String>> {
    let mut signed = BTreeMap::from([(ASSET.to_owned(), None)]);
    for image in &manifest.images {
        let Some(digest) = &image.digest else { continue };
        for platform in &image.platforms {
            signed.insert(image_sbom(&image.name, &manifest.version, platform), Some(digest.clone()));
        }
    }
    let binaries = manifest.components.iter().filter(|c| c.kind == crate::manifest::ComponentKind::Binary);
    signed.extend(binaries.map(|c| (package_sbom(&c.file), Some(c.sha256.clone()))));
    signed
}

/// GitHub Actions' OIDC issuer: the only issuer a release's certificate may name.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The workflow that makes releases, whose identity signs them.
pub const WORKFLOW: &str = ".github/workflows/release.yml";

/// The workflow run a release comes from, as GitHub Actions names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `https://github.com`, or a GitHub Enterprise Server's own.
    pub server: String,
    /// `OWNER/NAME`.
    pub repository: String,
    /// `refs/tags/v0.2.0`.
    pub git_ref: String,
    /// `.github/workflows/release.yml`.
    pub workflow: String,
    /// The commit's full SHA-1.
    pub commit: String,
}

impl Run {
    /// The workflow at the ref, as Fulcio writes it into the certificate's SAN and SLSA's
    /// `builder.id`: `https://github.com/OWNER/NAME/.github/workflows/release.yml@refs/tags/v0.2.0`.
    pub fn identity(&self) -> String {
        identity(&self.server, &self.repository, &self.workflow, &self.git_ref)
    }
}

/// The identity of `workflow` of `repository` on `server` at `git_ref`, as Fulcio writes it into
/// a GitHub Actions job's certificate (its SAN) and SLSA's `builder.id` names the builder.
pub fn identity(server: &str, repository: &str, workflow: &str, git_ref: &str) -> String {
    format!("{}/{repository}/{workflow}@{git_ref}", server.trim_end_matches('/'))
}

/// GitHub's web origin, as Fulcio names a workflow of it, from the REST API root `api_url`: a
/// GitHub Enterprise Server's (its API at `https://HOST/api/v3`), else github.com's.
pub fn web_origin(api_url: &str) -> String {
    api_url.trim_end_matches('/').strip_suffix("/api/v3").unwrap_or("https://github.com").to_owned()
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    pub predicate_type: String,
    pub predicate: Provenance,
}

/// One artifact the statement is about: a name and its digests by algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// SLSA Provenance v1's predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub build_definition: BuildDefinition,
    pub run_details: RunDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub build_type: String,
    pub external_parameters: ExternalParameters,
    pub resolved_dependencies: Vec<Dependency>,
}

/// What the build was asked for: which workflow of which repository, at which ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalParameters {
    pub repository: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub workflow: String,
}

/// A resolved input: the source, by URI and commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub uri: String,
    pub digest: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDetails {
    pub builder: Builder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Builder {
    pub id: String,
}

/// The statement of a release made by `run`: `assets` by name and hex SHA-256, then
/// `artifacts` (images and OCI charts) by repository and `sha256:` digest, in that order.
pub fn statement(run: &Run, assets: &[(String, String)], artifacts: &[(String, String)]) -> Statement {
    let sha256 = |hex: &str| BTreeMap::from([("sha256".to_owned(), hex.to_owned())]);
    let named = assets.iter().map(|(name, hex)| Subject { name: name.clone(), digest: sha256(hex) });
    let stored = artifacts.iter().map(|(repository, digest)| Subject {
        name: repository.clone(),
        digest: sha256(digest.strip_prefix("sha256:").unwrap_or(digest)),
    });
    let source = format!("git+{}/{}@{}", run.server.trim_end_matches('/'), run.repository, run.git_ref);
    Statement {
        type_: STATEMENT_TYPE.to_owned(),
        subject: named.chain(stored).collect(),
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate: Provenance {
            build_definition: BuildDefinition {
                build_type: BUILD_TYPE.to_owned(),
                external_parameters: ExternalParameters {
                    repository: format!("{}/{}", run.server.trim_end_matches('/'), run.repository),
                    git_ref: run.git_ref.clone(),
                    workflow: run.workflow.clone(),
                },
                resolved_dependencies: vec![Dependency {
                    uri: source,
                    digest: BTreeMap::from([("gitCommit".to_owned(), run.commit.clone())]),
                }],
            },
            run_details: RunDetails { builder: Builder { id: run.identity() } },
        },
    }
}

impl Statement {
    /// Reads a statement, refusing another statement or predicate type.
    pub fn parse(bytes: &[u8]) -> Result<Statement, String> {
        let statement: Statement =
            serde_json::from_slice(bytes).map_err(|e| format!("the provenance statement is not one: {e}"))?;
        if statement.type_ != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
            return Err(format!(
                "the statement is a `{}` of `{}`, not an in-toto statement of SLSA provenance v1",
                statement.type_, statement.predicate_type
            ));
        }
        Ok(statement)
    }

    /// Whether a subject named `name` has the SHA-256 `hex` (a `sha256:` prefix is read too).
    pub fn covers(&self, name: &str, hex: &str) -> bool {
        let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
        self.subject.iter().any(|s| s.name == name && s.digest.get("sha256").is_some_and(|d| d == hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            server: "https://github.com".into(),
            repository: "acme/infra-demo".into(),
            git_ref: "refs/tags/v0.2.0".into(),
            workflow: ".github/workflows/release.yml".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
        }
    }

    #[test]
    fn the_statement_names_every_subject_and_the_run() {
        let sums = "a".repeat(64);
        let image = format!("sha256:{}", "b".repeat(64));
        let made = statement(&run(), &[("SHA256SUMS".into(), sums.clone())], &[("ghcr.io/acme/hello".into(), image)]);
        let json = serde_json::to_value(&made).unwrap();
        assert_eq!(json["_type"], STATEMENT_TYPE);
        assert_eq!(json["predicateType"], PREDICATE_TYPE);
        assert_eq!(json["subject"][1]["digest"]["sha256"], "b".repeat(64));
        let definition = &json["predicate"]["buildDefinition"];
        assert_eq!(definition["externalParameters"]["ref"], "refs/tags/v0.2.0");
        assert_eq!(
            definition["resolvedDependencies"][0]["uri"],
            "git+https://github.com/acme/infra-demo@refs/tags/v0.2.0"
        );
        assert_eq!(
            json["predicate"]["runDetails"]["builder"]["id"],
            "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0"
        );
        let read = Statement::parse(&serde_json::to_vec(&made).unwrap()).unwrap();
        assert!(read.covers("SHA256SUMS", &sums));
        assert!(read.covers("ghcr.io/acme/hello", &format!("sha256:{}", "b".repeat(64))));
        assert!(!read.covers("SHA256SUMS", &"c".repeat(64)), "another digest");
        assert!(!read.covers("release-manifest.json", &sums), "another name");
    }

    #[test]
    fn another_statement_is_refused() {
        let mut other = serde_json::to_value(statement(&run(), &[], &[])).unwrap();
        other["predicateType"] = "https://spdx.dev/Document".into();
        let refused = Statement::parse(&serde_json::to_vec(&other).unwrap()).unwrap_err();
        assert!(refused.contains("not an in-toto statement of SLSA provenance v1"), "{refused}");
        assert!(Statement::parse(b"[]").unwrap_err().starts_with("the provenance statement is not one"));
    }
}
