//! `releases` and `show`: the published releases, and what one holds, with the release's own
//! files checked ([`crate::trusted`]) before anything is shown: `SHA256SUMS` against GitHub's
//! asset digest, and the manifest against `SHA256SUMS`.

use crate::github::Release;
use crate::source::Source;
use crate::trusted::{Verified, checked};
use lamina_release_format::manifest::{ComponentKind, ReleaseManifest};
use lamina_release_format::names;
use serde::Serialize;

/// One line per published release, newest first.
pub fn releases(source: &Source, json: bool) -> anyhow::Result<()> {
    let releases = source.releases()?;
    if json {
        let list: Vec<_> = releases
            .iter()
            .map(|r| {
                serde_json::json!({
                    "version": r.version(),
                    "tag": r.tag_name,
                    "prerelease": r.prerelease,
                    "published_at": r.published_at,
                    "url": r.html_url,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if releases.is_empty() {
        eprintln!("no published release yet");
    }
    for r in &releases {
        let date = r.published_at.as_deref().and_then(|d| d.get(..10)).unwrap_or("-");
        let mark = if r.prerelease { "  (pre-release)" } else { "" };
        println!("{:<16} {date}{mark}", r.version());
    }
    Ok(())
}

/// What a release holds, verified, with the command that uses each component.
#[derive(Debug, Serialize)]
pub struct Shown {
    pub version: String,
    pub tag: String,
    pub url: String,
    pub manifest: ReleaseManifest,
    /// `(component, command)`: how to use it.
    pub usage: Vec<(String, String)>,
    /// The SHA-256 of the release's `SHA256SUMS`, to record and pin with `--sums-sha256`.
    pub sums_sha256: String,
    /// What anchors `SHA256SUMS`: GitHub's digest, `--sums-sha256`, or nothing (null).
    pub anchored_by: Option<&'static str>,
    /// The identity whose signature of `SHA256SUMS` was verified; null: the release is unsigned.
    pub signed_by: Option<String>,
    /// The signed SBOMs the release carries (assets), each checked by `verify VERSION`.
    pub sboms: Vec<String>,
}

pub fn release(source: &Source, version: Option<&str>, json: bool) -> anyhow::Result<()> {
    let release = source.release(version)?;
    let Verified { manifest, sums_sha256, anchor, signed_by, .. } = checked(source, &release)?;
    let shown = Shown {
        sums_sha256,
        anchored_by: anchor,
        signed_by,
        version: release.version().to_owned(),
        tag: release.tag_name.clone(),
        url: release.html_url.clone(),
        usage: usage(&manifest, &release),
        sboms: release.assets.iter().map(|a| a.name.clone()).filter(|n| crate::verify::is_sbom(n)).collect(),
        manifest,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        print!("{}", render(&shown));
    }
    Ok(())
}

/// How to use each component: the command a user would type. A pulled bundle is one folder,
/// `{name}-{version}/`.
fn usage(m: &ReleaseManifest, release: &Release) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chart in &m.charts {
        let command = match &chart.oci {
            Some(oci) => {
                let reference = oci.rsplit_once(':').map_or(oci.as_str(), |(r, _)| r);
                format!("helm install {} oci://{reference} --version {}", chart.name, chart.version)
            }
            None => match &chart.repository {
                Some(repository) => format!(
                    "helm repo add lamina {repository} && helm install {} lamina/{} --version {}",
                    chart.name, chart.name, chart.version
                ),
                None => format!("helm install {} {}", chart.name, chart.url),
            },
        };
        out.push((chart.name.clone(), command));
    }
    for c in m.components.iter().filter(|c| c.kind != ComponentKind::Chart) {
        let folder = names::bundle_folder(&c.name, &c.version);
        let then = match c.kind {
            ComponentKind::Manifests => format!("kubectl apply -R -f {folder}/"),
            ComponentKind::Compose => format!("docker compose --project-directory {folder} up -d"),
            ComponentKind::Terraform => format!("use `source = \"./{folder}/<module>\"` in Terraform"),
            ComponentKind::Binary => {
                let target = c.target.as_deref().unwrap_or("unknown");
                format!("run `./{}/{}`", names::package_folder(&c.name, &c.version, target), c.name)
            }
            ComponentKind::Wheel => {
                let url = release.asset(&c.file).map_or(c.file.as_str(), |a| a.browser_download_url.as_str());
                out.push((format!("{} (Python)", c.name), format!("pip install {url}")));
                continue;
            }
            ComponentKind::Chart | ComponentKind::Sdist => continue,
        };
        out.push((c.name.clone(), format!("lamina-infra pull {} --version {} && {then}", c.name, m.version)));
    }
    out
}

/// The release as people read it.
pub fn render(s: &Shown) -> String {
    let m = &s.manifest;
    let mut out = format!("release {} of {} ({})\ncommit {}\n", s.version, m.repository, s.url, m.commit);
    if !m.charts.is_empty() {
        out.push_str("charts:\n");
        for c in &m.charts {
            let kube = c.kube_version.as_deref().map(|k| format!("  kubeVersion {k}")).unwrap_or_default();
            out.push_str(&format!("  {} {}{kube}\n", c.name, c.version));
            if let Some(repository) = &c.repository {
                out.push_str(&format!("    Helm repository {repository}\n"));
            }
            if let Some(oci) = &c.oci {
                out.push_str(&format!("    oci://{oci}\n"));
            }
            out.push_str(&format!("    archive {}\n", c.url));
        }
    }
    if !m.images.is_empty() {
        out.push_str("images:\n");
        for i in &m.images {
            let digest = i.digest.as_deref().unwrap_or("(no digest recorded)");
            out.push_str(&format!("  {}@{digest}  {}\n", i.repository, i.platforms.join(", ")));
        }
    }
    let programs: Vec<_> = m
        .components
        .iter()
        .filter(|c| matches!(c.kind, ComponentKind::Binary | ComponentKind::Wheel | ComponentKind::Sdist))
        .collect();
    if !programs.is_empty() {
        out.push_str("programs:\n");
        for c in programs {
            let target = c.target.as_deref().unwrap_or("any");
            out.push_str(&format!("  {} ({}, {target})  {}  {} bytes\n", c.name, kind_name(c.kind), c.file, c.size));
        }
    }
    let bundles: Vec<_> = m
        .components
        .iter()
        .filter(|c| matches!(c.kind, ComponentKind::Manifests | ComponentKind::Compose | ComponentKind::Terraform))
        .collect();
    if !bundles.is_empty() {
        out.push_str("bundles:\n");
        for c in bundles {
            out.push_str(&format!("  {} ({})  {}  {} bytes\n", c.name, kind_name(c.kind), c.file, c.size));
        }
    }
    out.push_str("use:\n");
    for (name, command) in &s.usage {
        out.push_str(&format!("  {name}: {command}\n"));
    }
    out.push_str("verified: SHA256SUMS and the manifest agree\n");
    match s.anchored_by {
        Some(anchor) => out.push_str(&format!("SHA256SUMS sha256 {} (anchored by {anchor})\n", s.sums_sha256)),
        None => out.push_str(&format!("SHA256SUMS sha256 {} ({})\n", s.sums_sha256, crate::trusted::UNANCHORED)),
    }
    match &s.signed_by {
        Some(identity) => out.push_str(&format!("signed by {identity} (verified)\n")),
        None => out.push_str("unsigned: the release has no provenance.sigstore.json\n"),
    }
    if !s.sboms.is_empty() {
        out.push_str("SBOMs (signed; `lamina-infra verify VERSION` checks them):\n");
        for name in &s.sboms {
            out.push_str(&format!("  {name}\n"));
        }
    }
    out
}

/// The manifest's name of a kind (`manifests`, `wheel`, …).
fn kind_name(kind: ComponentKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
