//! `cargo xtask bump VERSION`: moves the release version in `release.toml`, every chart's
//! `version` and `appVersion`, every `[[package]]` (its `Cargo.toml` and `Cargo.lock` entry),
//! and adds a CHANGELOG section, keeping comments and formatting.

use crate::changelog;
use crate::config::{self, ReleaseConfig};
use anyhow::{Context, bail};
use std::path::Path;

/// One file and its new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub path: String,
    pub content: String,
}

/// The edits that move the workspace at `root` to `version`; `date` heads the CHANGELOG section.
pub fn edits(
    root: &Path,
    config_text: &str,
    config: &ReleaseConfig,
    version: &str,
    date: &str,
) -> anyhow::Result<Vec<Edit>> {
    semver::Version::parse(version).map_err(|e| {
        lamina_remote::hint::fail(
            format!("`{version}` is not a SemVer 2 version: {e}"),
            "write it without a `v`, e.g. `cargo xtask bump 0.4.0`",
        )
    })?;
    let mut edits = vec![Edit { path: config::FILE.to_owned(), content: set_toml_version(config_text, version)? }];
    for chart in &config.charts {
        let path = format!("{}/Chart.yaml", chart.path);
        let text = std::fs::read_to_string(root.join(&path)).with_context(|| format!("read `{path}`"))?;
        let text = set_yaml_scalar(&text, "version", version).ok_or_else(|| {
            lamina_remote::hint::fail(
                format!("`{path}` has no top-level `version:`"),
                format!("add `version: {version}`"),
            )
        })?;
        let text = set_yaml_scalar(&text, "appVersion", version)
            .unwrap_or_else(|| insert_after(&text, "version", &format!("appVersion: \"{version}\"")));
        edits.push(Edit { path, content: text });
    }
    // Compose files name this project's images by version; move those references too.
    let old = config.version.to_string();
    for bundle in config.bundles.iter().filter(|b| b.kind == crate::config::BundleKind::Compose) {
        for path in yaml_files(&root.join(&bundle.path))? {
            let text = std::fs::read_to_string(&path)?;
            let mut moved = text.clone();
            for image in &config.images {
                let repository = format!("{}/{}", config.registry, image.name);
                moved = crate::reference::replace_whole(
                    &moved,
                    &format!("{repository}:{old}"),
                    &format!("{repository}:{version}"),
                );
            }
            if moved != text {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
                edits.push(Edit { path: rel, content: moved });
            }
        }
    }
    for package in &config.packages {
        edits.extend(package_version(root, &package.name, &package.path, version)?);
    }
    let notes = std::fs::read_to_string(root.join(&config.notes)).unwrap_or_default();
    if let Some(text) = changelog::add_section(&notes, version, date) {
        edits.push(Edit { path: config.notes.clone(), content: text });
    }
    Ok(edits)
}

/// A package's version in its manifest and in `Cargo.lock` (so `--locked` builds still work).
fn package_version(root: &Path, name: &str, dir: &str, version: &str) -> anyhow::Result<Vec<Edit>> {
    let path = format!("{dir}/Cargo.toml");
    let manifest = std::fs::read_to_string(root.join(&path)).with_context(|| format!("read `{path}`"))?;
    let mut doc: toml_edit::DocumentMut = manifest.parse().with_context(|| format!("parse `{path}`"))?;
    doc["package"]["version"] = toml_edit::value(version);
    let mut edits = vec![Edit { path: path.clone(), content: doc.to_string() }];
    let lock_text = std::fs::read_to_string(root.join("Cargo.lock")).context("read `Cargo.lock`")?;
    let mut lock: toml_edit::DocumentMut = lock_text.parse().context("parse `Cargo.lock`")?;
    let packages = lock.get_mut("package").and_then(|p| p.as_array_of_tables_mut());
    let entry = packages.and_then(|p| p.iter_mut().find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name)));
    let Some(entry) = entry else {
        return Err(lamina_remote::hint::fail(
            format!("`Cargo.lock` has no `{name}` package"),
            "run `cargo metadata` once to bring `Cargo.lock` up to date, then bump again",
        ));
    };
    entry["version"] = toml_edit::value(version);
    edits.push(Edit { path: "Cargo.lock".to_owned(), content: lock.to_string() });
    Ok(edits)
}

fn yaml_files(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// Writes the edits; each file through a temporary file and a rename.
pub fn apply(root: &Path, edits: &[Edit]) -> anyhow::Result<()> {
    for edit in edits {
        let path = root.join(&edit.path);
        let partial = path.with_extension("bump-partial");
        std::fs::write(&partial, &edit.content).with_context(|| format!("write `{}`", edit.path))?;
        std::fs::rename(&partial, &path)?;
    }
    Ok(())
}

/// `release.version` set to `version`, keeping the value's comment and spacing.
fn set_toml_version(text: &str, version: &str) -> anyhow::Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().with_context(|| format!("parse `{}`", config::FILE))?;
    let Some(item) = doc.get_mut("release").and_then(|r| r.get_mut("version")) else {
        return Err(lamina_remote::hint::fail(
            format!("`{}` has no release.version", config::FILE),
            format!("add `version = \"{version}\"` under [release]"),
        ));
    };
    let Some(value) = item.as_value_mut() else { bail!("release.version is not a value") };
    let decor = value.decor().clone();
    *value = toml_edit::Value::from(version);
    *value.decor_mut() = decor;
    Ok(doc.to_string())
}

/// A top-level `key: value` line rewritten to `new`, keeping its quotes and trailing comment.
fn set_yaml_scalar(text: &str, key: &str, new: &str) -> Option<String> {
    let mut found = false;
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
                return line.to_owned();
            };
            if found {
                return line.to_owned();
            }
            found = true;
            let ending = if line.ends_with("\r\n") {
                "\r\n"
            } else if line.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            let rest = rest.trim_end_matches(['\n', '\r']);
            let space = &rest[..rest.len() - rest.trim_start().len()];
            let value = rest.trim_start();
            let (value, comment) = match value.find(" #") {
                Some(i) if !value.starts_with(['"', '\'']) || value[..i].ends_with(['"', '\'']) => {
                    (&value[..i], &value[i..])
                }
                _ => (value, ""),
            };
            let quoted = match value.chars().next() {
                Some(q @ ('"' | '\'')) => format!("{q}{new}{q}"),
                _ => new.to_owned(),
            };
            format!("{key}:{space}{quoted}{comment}{ending}")
        })
        .collect();
    found.then(|| lines.concat())
}

fn insert_after(text: &str, key: &str, line: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive('\n') {
        out.push_str(l);
        if !done && l.starts_with(&format!("{key}:")) {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
            done = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalar_keeps_quotes_and_comments() {
        let text = "apiVersion: v2\nversion: 0.1.0 # chart\nappVersion: \"0.1.0\"\n  version: nested\n";
        let out = set_yaml_scalar(text, "version", "0.2.0").unwrap();
        let out = set_yaml_scalar(&out, "appVersion", "0.2.0").unwrap();
        assert_eq!(out, "apiVersion: v2\nversion: 0.2.0 # chart\nappVersion: \"0.2.0\"\n  version: nested\n");
    }

    #[test]
    fn toml_version_keeps_comment() {
        let text = "[release]\nversion = \"0.1.0\"   # SemVer\nrepository = \"a/b\"\n";
        assert_eq!(
            set_toml_version(text, "1.0.0").unwrap(),
            "[release]\nversion = \"1.0.0\"   # SemVer\nrepository = \"a/b\"\n"
        );
    }
}
