//! `mirror`: copy a release into a folder that serves it offline: every asset verified like
//! `pull` does, a Helm repository index of its charts, and every image and OCI chart as an OCI
//! image layout with the registry's exact bytes. `mirror.json` (the releases held, as the GitHub
//! API lists them) is written last. A new release folder is built under a temporary name and
//! renamed into place; an existing one is completed in place, each file renamed into place.
//!
//! ```text
//! DIR/mirror.json
//! DIR/<tag>/<asset>…, index.yaml, oci/images/<name>/, oci/charts/<name>/
//! ```

mod helm;
pub mod push;

use crate::github::Release;
use crate::registry::{Manifest, Registry};
use crate::source::Source;
use crate::trusted::verified;
use anyhow::{Context, bail};
use lamina_release_format::manifest::ReleaseManifest;
use lamina_release_format::mirror::{MIRROR_JSON, MirrorFile};
use lamina_release_format::{SUMS, sums};
use lamina_remote::fs::write_atomic;
use lamina_remote::layout::{self, Descriptor, Layout};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How deep indexes may nest.
const DEPTH: usize = 4;

/// What one mirrored image or chart holds.
#[derive(Debug, Serialize)]
pub struct Mirrored {
    pub name: String,
    pub source: String,
    pub digest: String,
    /// The layout folder, relative to the release folder.
    pub layout: String,
    pub platforms: Vec<String>,
    pub blobs: usize,
    pub downloaded: usize,
}

/// What a mirror run did (`--json`).
#[derive(Debug, Serialize)]
pub struct Report {
    pub version: String,
    pub tag: String,
    pub folder: PathBuf,
    pub assets: Vec<String>,
    pub images: Vec<Mirrored>,
    pub charts: Vec<Mirrored>,
}

/// Mirrors the release of `version` (`None`: the latest) into `to/<tag>/`.
pub fn mirror(
    source: &Source,
    version: Option<&str>,
    to: &Path,
    platforms: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let release = source.release(version)?;
    let (manifest, listed) = verified(source, &release)?;
    held(to, &manifest.repository)?;
    let created = !to.exists();
    std::fs::create_dir_all(to).with_context(|| format!("create `{}`", to.display()))?;
    let tag = safe_name(&release.tag_name, "release tag")?;
    let target = to.join(tag);
    let existing = target.is_dir();
    let work = if existing { target.clone() } else { to.join(format!(".{tag}.partial-{}", std::process::id())) };
    let result = fill(source, &release, &manifest, &listed, &work, platforms);
    let report = match result.and_then(|r| if existing { Ok(r) } else { rename(&work, &target).map(|()| r) }) {
        Ok(report) => report,
        Err(e) => {
            if !existing {
                let _ = std::fs::remove_dir_all(&work);
            }
            if created {
                let _ = std::fs::remove_dir(to);
            }
            let state = if existing { "what it held is unchanged" } else { "nothing of it was left behind" };
            return Err(e.context(format!("release {tag} was not mirrored into `{}`; {state}", to.display())));
        }
    };
    record(to, &manifest.repository, &release)?;
    let report = Report { folder: target, ..report };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for m in report.images.iter().chain(&report.charts) {
            eprintln!(
                "mirrored {}@{} into {} ({} blobs, {} downloaded)",
                m.source, m.digest, m.layout, m.blobs, m.downloaded
            );
        }
        eprintln!("mirrored release {} into {}", report.version, report.folder.display());
    }
    Ok(())
}

fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to).with_context(|| format!("rename `{}` to `{}`", from.display(), to.display()))
}

/// Writes the assets, `index.yaml` and the layouts into `work`.
fn fill(
    source: &Source,
    release: &Release,
    manifest: &ReleaseManifest,
    listed: &BTreeMap<String, String>,
    work: &Path,
    platforms: &[String],
) -> anyhow::Result<Report> {
    let mut assets = Vec::new();
    for asset in &release.assets {
        let name = safe_name(&asset.name, "asset name")?;
        if ["index.yaml", "oci", MIRROR_JSON].contains(&name) {
            bail!("release {} has an asset named `{name}`, which the mirror layout reserves", release.tag_name);
        }
        let bytes = asset_bytes(source, release, asset, listed, &work.join(name))?;
        write_atomic(&work.join(name), &bytes)?;
        assets.push(name.to_owned());
    }
    let mut charts = Vec::new();
    for chart in &manifest.charts {
        let path = work.join(&chart.file);
        let bytes =
            std::fs::read(&path).with_context(|| format!("release {} has no `{}`", release.tag_name, chart.file))?;
        charts.push((chart.file.clone(), bytes));
    }
    write_atomic(&work.join("index.yaml"), helm::index(&charts, manifest.source_date_epoch)?.as_bytes())?;

    let hosts: Vec<&str> = manifest
        .images
        .iter()
        .map(|i| i.repository.as_str())
        .chain(manifest.charts.iter().filter_map(|c| c.oci.as_deref()))
        .map(|r| r.split('/').next().unwrap_or(r))
        .collect();
    let registry = Registry::new(hosts)?;
    let mut images = Vec::new();
    for image in &manifest.images {
        let name = safe_name(&image.name, "image name")?;
        let reference = match &image.digest {
            Some(digest) => format!("{}@{digest}", image.repository),
            None => {
                let tag = image.tags.first().with_context(|| format!("image {name} has neither digest nor tag"))?;
                eprintln!("warning: image {name} has no digest in the manifest; mirroring its tag {tag}");
                format!("{}:{tag}", image.repository)
            }
        };
        let layout = format!("oci/images/{name}");
        let mut tags = image.tags.clone();
        if tags.is_empty() {
            tags.push(manifest.version.clone());
        }
        let mirrored = one(&registry, &image.repository, &reference, name, &work.join(&layout), &tags, platforms)?;
        images.push(Mirrored { layout, ..mirrored });
    }
    let mut oci_charts = Vec::new();
    for chart in &manifest.charts {
        let Some(oci) = &chart.oci else { continue };
        let name = safe_name(&chart.name, "chart name")?;
        let (repository, tag) = oci.rsplit_once(':').filter(|(r, _)| r.contains('/')).unwrap_or((oci, &chart.version));
        let layout = format!("oci/charts/{name}");
        let reference = format!("{repository}:{tag}");
        let mirrored = one(&registry, repository, &reference, name, &work.join(&layout), &[tag.to_owned()], &[])?;
        // The artifact must carry exactly the archive the release lists.
        let root = Layout::new(work.join(&layout)).manifest(&mirrored.digest)?.context("the chart's manifest")?;
        let archive = format!("sha256:{}", chart.digest);
        if !layout::references(&root)?.iter().any(|d| d.digest == archive) {
            bail!(
                "`{oci}` ({}) does not carry the chart archive `{}` ({archive}) the release lists; refusing it",
                mirrored.digest,
                chart.file
            );
        }
        oci_charts.push(Mirrored { layout, ..mirrored });
    }
    Ok(Report {
        version: manifest.version.clone(),
        tag: release.tag_name.clone(),
        folder: work.to_path_buf(),
        assets,
        images,
        charts: oci_charts,
    })
}

/// An asset's bytes: the copy already in the folder when it matches, else downloaded; checked
/// against `SHA256SUMS` (`SHA256SUMS` itself against what was verified) and GitHub's digest.
/// An asset of the release, checked against `SHA256SUMS` (which checks itself against `listed`).
fn asset_bytes(
    source: &Source,
    release: &Release,
    asset: &crate::github::Asset,
    listed: &BTreeMap<String, String>,
    path: &Path,
) -> anyhow::Result<Vec<u8>> {
    if asset.name == SUMS {
        let bytes = crate::trusted::download(source, release, SUMS)?;
        if sums::parse(std::str::from_utf8(&bytes).unwrap_or_default()).ok().as_ref() != Some(listed) {
            bail!("`{SUMS}` of release {} changed while it was mirrored; do not use this release", release.tag_name);
        }
        return Ok(bytes);
    }
    let Some(expected) = listed.get(&asset.name) else {
        bail!(
            "release {} has an asset `{}` that SHA256SUMS does not list; refusing to mirror an unverifiable file",
            release.tag_name,
            asset.name
        );
    };
    crate::trusted::asset(source, release, asset, expected, Some(path))
}

/// Mirrors `reference` of `repository` into the layout at `dir`, tagged `tags`.
fn one(
    registry: &Registry,
    repository: &str,
    reference: &str,
    name: &str,
    dir: &Path,
    tags: &[String],
    platforms: &[String],
) -> anyhow::Result<Mirrored> {
    let layout = Layout::new(dir.to_path_buf());
    let root = manifest(registry, &layout, reference)?;
    layout.put_manifest(&root)?;
    let mut blobs: Vec<(String, u64)> = Vec::new();
    let mut chosen = Vec::new();
    let mut level = vec![root.clone()];
    for depth in 0.. {
        if level.is_empty() {
            break;
        }
        if depth > DEPTH {
            bail!("`{reference}` nests indexes more than {DEPTH} deep; refusing it");
        }
        let mut next = Vec::new();
        for m in &level {
            let refs = layout::references(m).with_context(|| format!("`{repository}@{}`", m.digest))?;
            if !m.is_index() {
                blobs.extend(refs.into_iter().map(|d| (d.digest, d.size)));
                continue;
            }
            let children: Vec<Descriptor> =
                refs.into_iter().filter(|d| layout::wanted(d.platform.as_deref(), platforms)).collect();
            chosen.extend(children.iter().filter_map(|c| c.platform.clone()));
            for child in children {
                next.push(format!("{repository}@{}", child.digest));
            }
        }
        level = Vec::new();
        let (local, remote): (Vec<String>, Vec<String>) = next.into_iter().partition(|r| {
            let digest = r.rsplit_once('@').map_or("", |(_, d)| d);
            matches!(layout.manifest(digest), Ok(Some(_)))
        });
        for r in &local {
            let digest = r.rsplit_once('@').map_or("", |(_, d)| d);
            level.extend(layout.manifest(digest)?);
        }
        for m in registry.manifests(&remote)? {
            layout.put_manifest(&m)?;
            level.push(m);
        }
    }
    if root.is_index() && !platforms.is_empty() && chosen.is_empty() {
        bail!("`{reference}` has none of the platforms {}; refusing an empty mirror", platforms.join(", "));
    }
    let downloaded = registry.blobs_into(repository, &blobs, &layout.blobs())?;
    layout.finish(&root, tags)?;
    chosen.sort();
    chosen.dedup();
    Ok(Mirrored {
        name: name.to_owned(),
        source: repository.to_owned(),
        digest: root.digest.clone(),
        layout: String::new(),
        platforms: chosen,
        blobs: blobs.len(),
        downloaded,
    })
}

/// The manifest `reference` names: from the layout when it holds that digest, else the registry.
fn manifest(registry: &Registry, layout: &Layout, reference: &str) -> anyhow::Result<Manifest> {
    if let Some((_, digest)) = reference.rsplit_once('@')
        && let Some(found) = layout.manifest(digest)?
    {
        return Ok(found);
    }
    registry.manifest(reference)
}

/// A single path component: no separators, no leading dot.
fn safe_name<'a>(name: &'a str, what: &str) -> anyhow::Result<&'a str> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        bail!("the {what} `{name}` cannot be a file name in the mirror; refusing the release");
    }
    Ok(name)
}

/// Adds `release` to `to/mirror.json` (newest first), written atomically.
fn record(to: &Path, repository: &str, release: &Release) -> anyhow::Result<()> {
    let path = to.join(MIRROR_JSON);
    let mut held = MirrorFile { repository: repository.to_owned(), releases: held(to, repository)? };
    held.releases.retain(|r| r.tag_name != release.tag_name);
    held.releases.push(Release { draft: false, ..release.clone() });
    held.releases.sort_by_key(|r| std::cmp::Reverse((r.published_at.clone().unwrap_or_default(), r.tag_name.clone())));
    write_atomic(&path, &serde_json::to_vec_pretty(&held)?)
}

/// The releases `to/mirror.json` lists (none when it is absent); it must be of `repository`.
fn held(to: &Path, repository: &str) -> anyhow::Result<Vec<Release>> {
    let path = to.join(MIRROR_JSON);
    let Ok(bytes) = std::fs::read(&path) else { return Ok(Vec::new()) };
    let held: MirrorFile =
        serde_json::from_slice(&bytes).with_context(|| format!("`{}` is not a mirror index", path.display()))?;
    if held.repository != repository {
        bail!(
            "`{}` holds releases of {}, not {repository}; mirror into another folder",
            path.display(),
            held.repository
        );
    }
    Ok(held.releases)
}
