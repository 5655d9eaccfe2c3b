//! Bundle checks by kind: Kubernetes manifests, Compose files, Terraform modules.

use crate::config::{BundleConfig, BundleKind};
use crate::workspace::Workspace;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use serde_norway::Value;

pub fn check(ws: &Workspace, bundle: &BundleConfig) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for file in ws.repo.files_under(&bundle.path) {
        let path = file.path.as_str();
        let is_yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        let problems = match bundle.kind {
            BundleKind::Manifests if is_yaml => read(ws, path, manifests),
            BundleKind::Compose if is_yaml && is_compose_file(path) => read(ws, path, compose),
            BundleKind::Compose if is_yaml => read(ws, path, yaml_only),
            BundleKind::Terraform if path.ends_with(".tf") || path.ends_with(".tfvars") || path.ends_with(".hcl") => {
                read(ws, path, terraform)
            }
            _ => Vec::new(),
        };
        for (line, message, help) in problems {
            diags.push(Diagnostic::new(path, line, message).help(help));
        }
    }
    diags
}

type Problem = (Option<usize>, String, String);

fn read(ws: &Workspace, path: &str, check: fn(&str) -> Vec<Problem>) -> Vec<Problem> {
    match ws.read(path) {
        Ok(text) => check(&text),
        Err(e) => vec![(None, format!("{e:#}"), "restore the file or commit its removal".to_owned())],
    }
}

/// `compose.yaml`, `docker-compose.yml`, `compose.override.yaml` and the like.
pub fn is_compose_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.starts_with("compose.") || base.starts_with("docker-compose.")
}

/// Every document of a YAML stream, with the line it starts on.
fn documents(text: &str) -> Result<Vec<(usize, Value)>, Problem> {
    let starts = document_lines(text);
    let mut docs = Vec::new();
    for (i, de) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value = serde::Deserialize::deserialize(de).map_err(|e: serde_norway::Error| {
            (e.location().map(|l| l.line()), format!("invalid YAML: {e}"), "fix the YAML syntax".to_owned())
        })?;
        docs.push((starts.get(i).copied().unwrap_or(1), value));
    }
    Ok(docs)
}

/// First line of each document: line 1, and the line after each `---` separator that is not
/// the file's first content.
fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    let mut seen_content = false;
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") {
            if seen_content {
                starts.push(i + 2);
            } else {
                starts[0] = i + 2;
            }
            seen_content = false;
        } else if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            seen_content = true;
        }
    }
    starts
}

fn yaml_only(text: &str) -> Vec<Problem> {
    documents(text).err().into_iter().collect()
}

/// Each document is a Kubernetes object: `apiVersion`, `kind`, `metadata.name`.
fn manifests(text: &str) -> Vec<Problem> {
    let docs = match documents(text) {
        Ok(docs) => docs,
        Err(p) => return vec![p],
    };
    let mut out = Vec::new();
    for (n, (line, doc)) in docs.iter().enumerate() {
        if doc.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        let Some(map) = doc.as_mapping() else {
            out.push((
                Some(*line),
                format!("document {} is not a Kubernetes object", n + 1),
                "each document must be a mapping with apiVersion, kind and metadata".to_owned(),
            ));
            continue;
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let name = map.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).filter(|s| !s.is_empty());
        let kind = text("kind").unwrap_or("object");
        for (missing, key) in [
            (text("apiVersion").is_none(), "apiVersion"),
            (text("kind").is_none(), "kind"),
            (name.is_none(), "metadata.name"),
        ] {
            if missing {
                out.push((
                    Some(*line),
                    format!("{kind} in document {} has no `{key}`", n + 1),
                    format!("add `{key}` to the object"),
                ));
            }
        }
    }
    out
}

/// A Compose file names its services, and each service its image.
fn compose(text: &str) -> Vec<Problem> {
    let docs = match documents(text) {
        Ok(docs) => docs,
        Err(p) => return vec![p],
    };
    let Some((_, doc)) = docs.first() else {
        return vec![(Some(1), "the Compose file is empty".to_owned(), "define `services:`".to_owned())];
    };
    let Some(services) = doc.get("services").and_then(Value::as_mapping).filter(|s| !s.is_empty()) else {
        return vec![(
            Some(1),
            "the Compose file defines no `services`".to_owned(),
            "add a `services:` mapping with at least one service".to_owned(),
        )];
    };
    let mut out = Vec::new();
    for (name, service) in services {
        let name = name.as_str().unwrap_or("?");
        let line = text.lines().position(|l| l.trim_end() == format!("  {name}:")).map(|i| i + 1);
        if service.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
            out.push((line, format!("service `{name}` names no image"), "set `image:` to the image the service runs (this project's images are published as {registry}/{name}:{version})".to_owned()));
        }
    }
    out
}

/// Terraform and HCL files parse.
fn terraform(text: &str) -> Vec<Problem> {
    match hcl::parse(text) {
        Ok(_) => Vec::new(),
        Err(e) => {
            let line = match &e {
                hcl::Error::Parse(p) => Some(p.location().line()),
                _ => None,
            };
            vec![(
                line,
                format!("invalid HCL: {}", first_line(&e.to_string())),
                "fix the syntax; `terraform fmt` shows where".to_owned(),
            )]
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_owned()
}
