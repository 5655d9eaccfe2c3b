//! What a catalog page shows of a release, worked out from its manifest and the Helm index:
//! every install line is made here, once, so the page and its test read the same lines.

use super::Site;
use crate::helm::index::Index;
use crate::manifest::{ComponentKind, ReleaseManifest};
use crate::plan::download_base;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize)]
pub struct Release {
    pub version: String,
    /// The name `helm repo add` gives the repository: the GitHub owner.
    pub alias: String,
    pub tag: String,
    pub commit: String,
    /// The release's page on GitHub (its notes).
    pub notes: String,
    pub sums: String,
    pub manifest: String,
    pub charts: Vec<Chart>,
    pub images: Vec<Image>,
    pub bundles: Vec<Bundle>,
    pub modules: Vec<Module>,
    /// `pip install NAME==VERSION` for each Python package of the release.
    pub pip: Vec<String>,
    pub verify: String,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub name: String,
    pub version: String,
    pub app_version: Option<String>,
    pub kube_version: Option<String>,
    pub description: Option<String>,
    pub install: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Image {
    pub repository: String,
    pub digest: Option<String>,
    pub platforms: Vec<String>,
    pub pull: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Bundle {
    pub name: String,
    pub kind: String,
    pub file: String,
    pub url: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Module {
    pub name: String,
    pub bundle: String,
    /// The module page's folder on the site, `modules/{name}/{version}`.
    pub page: String,
    /// go-getter's address of the module: the asset, the folder in it, the archive type and
    /// the asset's checksum.
    pub get: String,
    /// The asset, the folder in it and the asset's SHA-256.
    pub archive: String,
    pub folder: String,
    pub sha256: String,
    /// The `source` lines a Terraform (or OpenTofu) user writes, one per route.
    pub sources: Vec<String>,
}

/// Releases newest first: by SemVer precedence, release versions before pre-releases of the same
/// core.
pub fn newest_first(releases: &mut [&ReleaseManifest]) {
    let key = |r: &&ReleaseManifest| semver::Version::parse(&r.version).ok();
    releases.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| b.version.cmp(&a.version)));
}

/// The name a module is published under: its folder's last component, or the bundle's name for
/// a module at the bundle's top.
pub fn module_name<'a>(bundle: &'a str, path: &'a str) -> &'a str {
    match path {
        "." => bundle,
        path => path.rsplit('/').next().unwrap_or(path),
    }
}

impl Release {
    pub fn of(site: &Site, manifest: &ReleaseManifest, index: &Index) -> Release {
        let base = download_base(site.server_url, &manifest.repository, &manifest.tag);
        let owner = manifest.repository.split('/').next().unwrap_or("charts");
        let charts = manifest
            .charts
            .iter()
            .map(|c| {
                let entry = index.entry(&c.name, &c.version);
                let field = |k: &str| entry.and_then(|e| e.get(k)).and_then(Value::as_str).map(str::to_owned);
                let mut install = vec![
                    format!("helm repo add {owner} {}", site.url),
                    format!("helm install {0} {owner}/{0} --version {1}", c.name, c.version),
                ];
                if let Some(oci) = &c.oci {
                    let repository = oci.rsplit_once(':').map_or(oci.as_str(), |(r, _)| r);
                    install.push(format!("helm install {} oci://{repository} --version {}", c.name, c.version));
                }
                Chart {
                    name: c.name.clone(),
                    version: c.version.clone(),
                    app_version: field("appVersion"),
                    kube_version: c.kube_version.clone().or_else(|| field("kubeVersion")),
                    description: field("description"),
                    install,
                }
            })
            .collect();
        let images = manifest
            .images
            .iter()
            .map(|i| Image {
                repository: i.repository.clone(),
                digest: i.digest.clone(),
                platforms: i.platforms.clone(),
                pull: i.digest.as_ref().map(|d| format!("{}@{d}", i.repository)),
            })
            .collect();
        let bundled = |k: &ComponentKind| {
            matches!(k, ComponentKind::Manifests | ComponentKind::Compose | ComponentKind::Terraform)
        };
        let bundles = manifest
            .components
            .iter()
            .filter(|c| bundled(&c.kind))
            .map(|c| Bundle {
                name: c.name.clone(),
                kind: kind(&c.kind),
                file: c.file.clone(),
                url: format!("{base}/{}", c.file),
                sha256: c.sha256.clone(),
            })
            .collect();
        let modules = manifest
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Terraform)
            .flat_map(|c| c.modules.iter().map(move |m| (c, m)))
            .map(|(c, m)| {
                let name = module_name(&c.name, &m.path).to_owned();
                let top = c.file.trim_end_matches(".tar.gz");
                let page = format!("modules/{name}/{}", manifest.version);
                let mut sources = vec![format!("source = \"{}/{page}\"", site.url)];
                if let Some(r) = site.registry {
                    let host =
                        site.url.split_once("://").map_or(site.url, |(_, h)| h).split('/').next().unwrap_or_default();
                    sources.push(format!(
                        "source = \"{host}/{}/{name}/{}\"\nversion = \"{}\"",
                        r.namespace, r.system, manifest.version
                    ));
                }
                let folder = if m.path == "." { top.to_owned() } else { format!("{top}/{}", m.path) };
                Module {
                    get: format!("{base}/{}//{folder}?archive=tar.gz&checksum=sha256:{}", c.file, c.sha256),
                    archive: format!("{base}/{}", c.file),
                    folder,
                    sha256: c.sha256.clone(),
                    name,
                    bundle: c.name.clone(),
                    page,
                    sources,
                }
            })
            .collect();
        let pip = manifest
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Wheel)
            .map(|c| format!("pip install {}=={}", c.name, c.version))
            .fold(Vec::new(), |mut all, line| {
                if !all.contains(&line) {
                    all.push(line);
                }
                all
            });
        Release {
            alias: owner.to_owned(),
            version: manifest.version.clone(),
            tag: manifest.tag.clone(),
            commit: manifest.commit.clone(),
            notes: format!(
                "{}/{}/releases/tag/{}",
                site.server_url,
                manifest.repository,
                manifest.tag.replace('+', "%2B")
            ),
            sums: format!("{base}/{}", lamina_release_format::names::SUMS),
            manifest: format!("{base}/{}", lamina_release_format::names::MANIFEST),
            charts,
            images,
            bundles,
            modules,
            pip,
            verify: format!("lamina-infra verify {} --repo {}", manifest.version, manifest.repository),
        }
    }
}

fn kind(kind: &ComponentKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Every chart in the index with its versions, newest first.
pub fn charts(index: &Index) -> Vec<(String, Vec<String>)> {
    index
        .charts()
        .into_iter()
        .map(|(name, mut versions)| {
            versions.sort_by(|a, b| {
                semver::Version::parse(b).ok().cmp(&semver::Version::parse(a).ok()).then_with(|| b.cmp(a))
            });
            (name, versions)
        })
        .collect()
}
