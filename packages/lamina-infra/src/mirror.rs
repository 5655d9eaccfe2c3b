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
mod layouts;
pub mod push;

use crate::github::Release;
use crate::registry::Registry;
use crate::source::{Source, plain_name};
use crate::trusted::{Verified, verified};
use anyhow::{Context, bail};
use lamina_release_format::manifest::{Chart, ReleaseManifest};
use lamina_release_format::mirror::{MIRROR_JSON, MirrorFile};
use lamina_release_format::provenance;
use lamina_remote::fs::write_atomic;
use lamina_remote::layout;
use layouts::Wanted;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What one mirrored image or chart holds.
#[derive(Debug, Serialize)]
pub struct Mirrored {
    pub name: String,
    pub source: String,
    pub digest: String,
    /// The layout folder, relative to the release folder.
    pub layout: String,
    pub platforms: Vec<String>,
    /// Its config and layer blobs.
    pub blobs: usize,
    /// Those the layout lacked, now written: downloaded, or copied from another layout of the
    /// folder that holds or downloaded them (each blob is downloaded once).
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
    let verified = verified(source, &release)?;
    let manifest = &verified.manifest;
    held(to, &manifest.repository)?;
    let created = !to.exists();
    std::fs::create_dir_all(to).with_context(|| format!("create `{}`", to.display()))?;
    let tag = plain_name(&release.tag_name, "release tag")?;
    let target = to.join(tag);
    let existing = target.is_dir();
    // A new release is made in a scratch folder (removed unless renamed into place).
    let scratch = tempfile::Builder::new().prefix(&format!(".{tag}.partial-")).tempdir_in(to)?;
    let work = if existing { target.clone() } else { scratch.path().to_path_buf() };
    let result = fill(source, &release, &verified, &work, platforms);
    let rename = || std::fs::rename(&work, &target).context("rename it into place");
    let report = match result.and_then(|r| if existing { Ok(r) } else { rename().map(|()| r) }) {
        Ok(report) => report,
        Err(e) => {
            drop(scratch);
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

/// Writes the assets, `index.yaml` and the layouts into `work`. The registries are read while
/// the assets download: their trees do not depend on them.
fn fill(
    source: &Source,
    release: &Release,
    verified: &Verified,
    work: &Path,
    platforms: &[String],
) -> anyhow::Result<Report> {
    let manifest = &verified.manifest;
    let (wanted, oci) = wanted(manifest, platforms)?;
    let (assets, resolved) = std::thread::scope(|scope| {
        let resolved = scope.spawn(|| {
            let registry = Registry::of(manifest)?;
            let trees = layouts::resolve(&registry, work, &wanted)?;
            anyhow::Ok((registry, trees))
        });
        let assets = assets(source, release, verified, work);
        (assets, resolved.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let (assets, (registry, trees)) = (assets?, resolved?);
    // The artifact must carry exactly the archive the release lists: checked before any download.
    let first_chart = wanted.len() - oci.len();
    for ((at, chart), tree) in oci.iter().zip(&trees[first_chart..]) {
        let root = &tree.manifests[0];
        let archive = format!("sha256:{}", chart.digest);
        if !layout::references(root)?.iter().any(|d| d.digest == archive) {
            bail!(
                "`{at}` ({}) does not carry the chart archive `{}` ({archive}) the release lists; refusing it",
                root.digest,
                chart.file
            );
        }
    }
    let mut images = layouts::fill(&registry, work, &wanted, trees)?;
    let charts = images.split_off(first_chart);
    Ok(Report {
        version: manifest.version.clone(),
        tag: release.tag_name.clone(),
        folder: work.to_path_buf(),
        assets,
        images,
        charts,
    })
}

/// Writes the assets and `index.yaml` into `work`; the assets' names.
fn assets(source: &Source, release: &Release, verified: &Verified, work: &Path) -> anyhow::Result<Vec<String>> {
    let mut assets = Vec::new();
    for asset in &release.assets {
        let name = plain_name(&asset.name, "asset name")?;
        if ["index.yaml", "oci", MIRROR_JSON].contains(&name) {
            bail!("release {} has an asset named `{name}`, which the mirror layout reserves", release.tag_name);
        }
        let bytes = asset_bytes(source, release, asset, verified, &work.join(name))?;
        write_atomic(&work.join(name), &bytes)?;
        assets.push(name.to_owned());
    }
    let manifest = &verified.manifest;
    let mut charts = Vec::new();
    for chart in &manifest.charts {
        let path = work.join(&chart.file);
        let bytes =
            std::fs::read(&path).with_context(|| format!("release {} has no `{}`", release.tag_name, chart.file))?;
        charts.push((chart.file.clone(), bytes));
    }
    write_atomic(&work.join("index.yaml"), helm::index(&charts, manifest.source_date_epoch)?.as_bytes())?;
    Ok(assets)
}

/// An OCI chart of the release: its reference as the release lists it, and the chart.
type OciChart<'a> = (&'a str, &'a Chart);

/// The release's images, then its OCI charts, to mirror; each OCI chart with its reference as the
/// release lists it.
fn wanted<'a>(manifest: &'a ReleaseManifest, platforms: &[String]) -> anyhow::Result<(Vec<Wanted>, Vec<OciChart<'a>>)> {
    let mut wanted = Vec::new();
    for image in &manifest.images {
        let name = plain_name(&image.name, "image name")?;
        let reference = match &image.digest {
            Some(digest) => format!("{}@{digest}", image.repository),
            None => {
                let tag = image.tags.first().with_context(|| format!("image {name} has neither digest nor tag"))?;
                eprintln!("warning: image {name} has no digest in the manifest; mirroring its tag {tag}");
                format!("{}:{tag}", image.repository)
            }
        };
        let mut tags = image.tags.clone();
        if tags.is_empty() {
            tags.push(manifest.version.clone());
        }
        let (name, repository, layout) = (name.to_owned(), image.repository.clone(), format!("oci/images/{name}"));
        wanted.push(Wanted { name, repository, reference, layout, tags, platforms: platforms.to_vec() });
    }
    let mut oci = Vec::new();
    for chart in &manifest.charts {
        let Some(at) = &chart.oci else { continue };
        let name = plain_name(&chart.name, "chart name")?;
        let (repository, tag) = at.rsplit_once(':').filter(|(r, _)| r.contains('/')).unwrap_or((at, &chart.version));
        let (reference, layout) = (format!("{repository}:{tag}"), format!("oci/charts/{name}"));
        let (name, repository, tags) = (name.to_owned(), repository.to_owned(), vec![tag.to_owned()]);
        wanted.push(Wanted { name, repository, reference, layout, tags, platforms: Vec::new() });
        oci.push((at.as_str(), chart));
    }
    Ok((wanted, oci))
}

/// An asset's bytes: `SHA256SUMS` and the manifest as verified; any other the copy already in
/// the folder when it matches `SHA256SUMS`, else downloaded and checked against it and GitHub's
/// digest.
fn asset_bytes(
    source: &Source,
    release: &Release,
    asset: &crate::github::Asset,
    verified: &Verified,
    path: &Path,
) -> anyhow::Result<Vec<u8>> {
    if let Some((_, bytes)) = verified.files.iter().find(|(name, _)| *name == asset.name) {
        return Ok(bytes.clone());
    }
    // A signed SBOM: mirrored once its signature verifies, about what it says it is about.
    if let Some(Some(digest)) = provenance::signed_assets(&verified.manifest).get(&asset.name) {
        let bundle = source.download(release, asset)?;
        let signer = crate::trusted::Signer::of(source);
        let (root, identity) = (signer.root()?, signer.identity(&release.tag_name));
        crate::verify::sbom_signed(&bundle, digest, &identity, &root)
            .map_err(|e| anyhow::format_err!("`{}` of release {}: {e}", asset.name, release.tag_name))?;
        return Ok(bundle);
    }
    let Some(expected) = verified.sums.get(&asset.name) else {
        bail!(
            "release {} has an asset `{}` that SHA256SUMS does not list; refusing to mirror an unverifiable file",
            release.tag_name,
            asset.name
        );
    };
    crate::trusted::asset(source, release, asset, expected, Some(path))
}

/// Adds `release` to `to/mirror.json`, written atomically.
fn record(to: &Path, repository: &str, release: &Release) -> anyhow::Result<()> {
    let mut held = MirrorFile { repository: repository.to_owned(), releases: held(to, repository)? };
    held.add(release);
    write_atomic(&to.join(MIRROR_JSON), &serde_json::to_vec_pretty(&held)?)
}

/// The releases `to/mirror.json` lists (none when it is absent); it must be of `repository`.
fn held(to: &Path, repository: &str) -> anyhow::Result<Vec<Release>> {
    if !to.join(MIRROR_JSON).exists() {
        return Ok(Vec::new());
    }
    let mirror = crate::source::Mirror::open(to)?;
    if mirror.file.repository != repository {
        let path = to.join(MIRROR_JSON);
        bail!(
            "`{}` holds releases of {}, not {repository}; mirror into another folder",
            path.display(),
            mirror.file.repository
        );
    }
    Ok(mirror.file.releases)
}
