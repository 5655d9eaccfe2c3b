//! `compat`: the user's environment against what a release's components require (the cluster's
//! Kubernetes version against each chart's `kubeVersion`, the local `helm`, `terraform` and
//! `docker compose`), and `compat --from A --to B`: what an upgrade changes, breaking changes
//! marked.

mod upgrade;

use crate::constraint::{self, Dialect};
use crate::source::Source;
use crate::tools::Tool;
use lamina_release_format::manifest::{ComponentKind, ReleaseManifest};
use serde::Serialize;

pub use upgrade::upgrade;

/// One requirement checked.
#[derive(Debug, Serialize)]
pub struct Row {
    pub component: String,
    pub requirement: String,
    pub found: String,
    /// `None`: could not be checked here (the found version is unknown).
    pub ok: Option<bool>,
}

/// The oldest Helm that installs charts from OCI registries without a flag.
const HELM: &str = ">= 3.8.0";

/// Runs `compat [VERSION] [--kube-version V]`.
pub fn compat(source: &Source, version: Option<&str>, kube_version: Option<&str>, json: bool) -> anyhow::Result<()> {
    let release = source.release(version)?;
    let manifest = crate::trusted::verified(source, &release)?.manifest;
    let rows = check(&manifest, kube_version, &installed);
    let failed = rows.iter().filter(|r| r.ok == Some(false)).count();
    if json {
        let out = serde_json::json!({ "version": manifest.version, "failed": failed, "rows": rows });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&rows));
        if rows.iter().any(|r| r.ok.is_none()) {
            eprintln!("`?`: not checked here; install the tool, or give the cluster's version with `--kube-version`");
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} requirement(s) of release {} are not met here; upgrade the tools named, or pick a release whose requirements your environment meets",
            manifest.version
        );
    }
    Ok(())
}

/// The version of `tool` installed here, or why it is unknown.
pub fn installed(tool: Tool) -> Result<String, String> {
    installed_in(tool, None)
}

/// As [`installed`], the cluster's version asked of kube context `context` (when given).
pub fn installed_in(tool: Tool, context: Option<&str>) -> Result<String, String> {
    tool.version(context).map_err(|e| format!("{e:#}"))
}

/// The rows for `manifest`, with `found` telling each tool's version (or why it is unknown).
pub fn check(
    manifest: &ReleaseManifest,
    kube_version: Option<&str>,
    found: &dyn Fn(Tool) -> Result<String, String>,
) -> Vec<Row> {
    let kube = match kube_version {
        Some(v) => Ok(v.to_owned()),
        None => found(Tool::Kubectl),
    };
    let mut rows = Vec::new();
    let mut need =
        |component: String, requirement: String, tool: &str, version: &Result<String, String>, constraint: &str| {
            // kubeVersion and Helm's own version follow Helm's rules; the rest, Terraform's.
            let dialect = if matches!(tool, "kubernetes" | "helm") { Dialect::Helm } else { Dialect::Terraform };
            let (found, ok) = match version {
                Ok(v) if constraint == "*" => (v.clone(), Some(true)),
                Ok(v) => match constraint::satisfies(dialect, constraint, v) {
                    Ok(ok) => (v.clone(), Some(ok)),
                    Err(e) => (format!("{v} (not checked: {e:#})"), None),
                },
                Err(why) => (format!("unknown: {why}"), None),
            };
            rows.push(Row { component, requirement: format!("{tool} {requirement}"), found, ok });
        };
    let charts = !manifest.charts.is_empty();
    if charts {
        need("charts".to_owned(), HELM.to_owned(), "helm", &found(Tool::Helm), HELM);
    }
    for chart in &manifest.charts {
        let component = format!("chart {} {}", chart.name, chart.version);
        match &chart.kube_version {
            Some(req) => need(component, req.clone(), "kubernetes", &kube, req),
            None => need(component, "(any)".to_owned(), "kubernetes", &kube, "*"),
        }
    }
    let terraform = found(Tool::Terraform);
    let compose = found(Tool::Compose);
    for c in &manifest.components {
        match c.kind {
            ComponentKind::Terraform => {
                for m in &c.modules {
                    let component = format!("{} {}", c.name, m.path);
                    let req = m.required_version.clone().unwrap_or_else(|| "*".to_owned());
                    need(component.clone(), req.clone(), "terraform", &terraform, &req);
                    for p in &m.providers {
                        let source = p.source.as_deref().unwrap_or(&p.name);
                        let version = p.version.as_deref().unwrap_or("(any)");
                        let installed = Ok("installed by `terraform init`".to_owned());
                        need(component.clone(), format!("{source} {version}"), "provider", &installed, "*");
                    }
                }
            }
            ComponentKind::Compose => need(c.name.clone(), "(any)".to_owned(), "docker compose", &compose, "*"),
            _ => {}
        }
    }
    rows
}

/// The rows as a table people read: component, requirement, found, ok.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let ok = match r.ok {
                Some(true) => "ok",
                Some(false) => "NO",
                None => "?",
            };
            [r.component.clone(), r.requirement.clone(), r.found.clone(), ok.to_owned()]
        })
        .collect();
    render(&["COMPONENT", "REQUIREMENT", "FOUND", "OK"], &cells)
}

/// Columns padded to their widest cell.
pub fn render<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:w$}")).collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests;
