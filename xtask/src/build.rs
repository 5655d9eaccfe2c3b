//! Local side effects only: every artifact of the plan, written into the output folder.
//!
//! [`run`] executes the plan's local steps in order with one `match`; remote steps are not its
//! business. Assets land at the top of the folder (what the release uploads); image layouts go
//! under `images/`. A rebuild from the same commit gives the same bytes.

mod archive;
mod context;
mod dockerignore;
pub mod image;
pub mod jobs;
pub mod package;
pub mod pin;
pub mod requires;
mod reuse;

use crate::manifest::{self, ReleaseManifest};
use crate::plan::{Plan, Step};
use crate::shell::Shell;
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use lamina_remote::digest::{sha256_file, sha256_hex};

/// What happens when an image cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFailure {
    /// The run fails (`release`).
    Stop,
    /// The image is reported as not built here (`dry-run`: base images may be out of reach).
    Report,
}

/// Whether a build recorded in the output folder may be taken back (`build/reuse.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// A whole build of the same plan by the same xtask is taken back; a new one is recorded.
    Recorded,
    /// Always built anew, and not recorded (the second build of `--check-reproducible`).
    Never,
}

/// The outcome of a local build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Built {
    pub out_dir: PathBuf,
    /// Every asset in upload order, with size and hex SHA-256.
    pub assets: Vec<Asset>,
    pub images: Vec<BuiltImage>,
    pub packages: Vec<BuiltPackage>,
    /// Things the user should know about the build (e.g. a bundle left unpinned).
    pub notes: Vec<String>,
}

impl Built {
    /// The index digest of the image `name`, when it was built.
    pub fn image_digest(&self, name: &str) -> Option<&str> {
        self.images.iter().find(|b| b.name == name).and_then(|b| b.digest.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Asset {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BuiltImage {
    pub name: String,
    /// Index digest of the local layout, when built.
    pub digest: Option<String>,
    /// Why it was not built, when it was not.
    pub not_built: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BuiltPackage {
    pub name: String,
    /// The binary archive's file name, when built.
    pub archive: Option<String>,
    /// The wheel's file name, when built.
    pub wheel: Option<String>,
    /// Why the wheel (and, without an archive, the whole package) was not built, when it was
    /// asked for and not built.
    pub not_built: Option<String>,
    /// The sdist's file name, when built (for the Python index channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdist: Option<String>,
}

/// Runs the plan's local steps into `out` (created; stale files of an earlier build removed).
/// With `prebuilt` (the job graph's checked folders), Dockerfile images are joined from their
/// per-platform layouts and packages copied from their jobs instead of being built here. With
/// [`Reuse::Recorded`], the same plan's whole build already in `out` is taken back instead.
pub fn run(
    sh: &Shell,
    root: &Path,
    plan: &Plan,
    out: &Path,
    on_image_failure: ImageFailure,
    prebuilt: Option<&jobs::BuiltJobs>,
    reuse: Reuse,
) -> anyhow::Result<Built> {
    let reuse = reuse == Reuse::Recorded && prebuilt.is_none();
    if reuse && let Some(built) = reuse::take_back(plan, out) {
        eprintln!("reusing the build in `{}`: same plan, commit and xtask, every file as it was built", out.display());
        return Ok(built);
    }
    reuse::forget(out);
    reset_dir(out)?;
    let epoch = plan.source_date_epoch;
    let mut built = Built {
        out_dir: out.to_path_buf(),
        assets: Vec::new(),
        images: Vec::new(),
        packages: Vec::new(),
        notes: Vec::new(),
    };
    for step in plan.steps.iter().filter(|s| s.is_local()) {
        match *step {
            Step::PackageChart { chart } => {
                let c = &plan.charts[chart];
                archive::write_tar_gz(root, &c.entries, epoch, &out.join(&c.file), &|_, data| Ok(data))
                    .with_context(|| format!("package chart `{}`", c.name))?;
                built.assets.push(asset(out, &c.file)?);
            }
            Step::WriteBundle { bundle } => {
                let b = &plan.bundles[bundle];
                let pinned = match b.pin_images {
                    true => pinned_images(plan, &mut built, &b.name),
                    false => Vec::new(),
                };
                let edit = |source: &str, data: Vec<u8>| match (
                    pinned.is_empty(),
                    source.ends_with(".yaml") || source.ends_with(".yml"),
                ) {
                    (false, true) => {
                        pin::pin_all(source, &String::from_utf8_lossy(&data), &pinned).map(String::into_bytes)
                    }
                    _ => Ok(data),
                };
                archive::write_tar_gz(root, &b.entries, epoch, &out.join(&b.file), &edit)
                    .with_context(|| format!("write bundle `{}`", b.name))?;
                built.assets.push(asset(out, &b.file)?);
            }
            Step::BuildImage { image } => {
                let i = &plan.images[image];
                let layout = out.join("images").join(&i.name);
                let result = match (prebuilt, &i.source) {
                    (Some(jobs), crate::config::ImageSource::Dockerfile { .. }) => {
                        jobs::join_image(jobs, &i.name, &i.platforms, &layout)
                            .and_then(|()| crate::layout::annotate(&layout, &i.annotations))
                    }
                    _ => image::produce(sh, root, i, epoch, &layout),
                };
                let result = result.map_err(|e| lamina_remote::hint::render(&e));
                built.images.push(match result {
                    Ok(digest) => BuiltImage { name: i.name.clone(), digest: Some(digest), not_built: None },
                    Err(reason) if on_image_failure == ImageFailure::Report => {
                        BuiltImage { name: i.name.clone(), digest: None, not_built: Some(reason) }
                    }
                    Err(reason) => anyhow::bail!("image `{}` failed to build: {reason}", i.name),
                });
            }
            Step::BuildPackage { package } => {
                let p = &plan.packages[package];
                let made = match prebuilt {
                    Some(jobs) => jobs::copy_package(jobs, p, out)?,
                    None => {
                        let tools = package::Tools::find(sh, p);
                        match tools.missing(p) {
                            Some(why) if on_image_failure == ImageFailure::Report => {
                                built.packages.push(BuiltPackage {
                                    name: p.name.clone(),
                                    archive: None,
                                    wheel: None,
                                    not_built: Some(why.to_owned()),
                                    sdist: None,
                                });
                                continue;
                            }
                            Some(why) => return Err(package::cannot_build(&p.name, why)),
                            None => package::build(sh, root, p, &tools, &plan.version, epoch, out)?,
                        }
                    }
                };
                built.assets.push(asset(out, &made.archive)?);
                let (wheel, not_built) = match made.wheel {
                    Ok(wheel) => {
                        built.assets.push(asset(out, &wheel)?);
                        (Some(wheel), None)
                    }
                    Err(_) if !p.wheel => (None, None),
                    Err(why) if on_image_failure == ImageFailure::Report => (None, Some(why)),
                    Err(why) => return Err(package::cannot_build(&p.name, &why)),
                };
                // The Python index gets an sdist besides the wheel (`maturin sdist`), built here
                // once per package (it holds the sources, whatever the target).
                let first = !built.packages.iter().any(|b| b.name == p.name);
                let sdist = match (&wheel, &plan.python_index) {
                    (Some(_), Some(_)) if first => {
                        let sdist = package::sdist(sh, root, p, epoch, out)?;
                        built.assets.push(asset(out, &sdist)?);
                        Some(sdist)
                    }
                    _ => None,
                };
                built.packages.push(BuiltPackage {
                    name: p.name.clone(),
                    archive: Some(made.archive),
                    wheel,
                    not_built,
                    sdist,
                });
            }
            Step::WriteManifest => {
                let text = serde_json::to_string_pretty(&record(plan, &built)?)? + "\n";
                lamina_remote::fs::write_atomic(&out.join(crate::plan::MANIFEST), text.as_bytes())?;
                built.assets.push(asset(out, crate::plan::MANIFEST)?);
            }
            Step::WriteSums => {
                let pairs: Vec<(String, String)> =
                    built.assets.iter().map(|a| (a.name.clone(), a.sha256.clone())).collect();
                lamina_remote::fs::write_atomic(
                    &out.join(crate::plan::SUMS),
                    lamina_release_format::sums::render(&pairs).as_bytes(),
                )?;
                built.assets.push(asset(out, crate::plan::SUMS)?);
            }
            _ => unreachable!("only local steps are built"),
        }
    }
    if reuse {
        reuse::record(plan, &built, out)?;
    }
    Ok(built)
}

/// The digests a pinned bundle uses; none (and a note) when an image was not built here.
fn pinned_images(plan: &Plan, built: &mut Built, bundle: &str) -> Vec<pin::Pinned> {
    let mut pinned = Vec::new();
    for image in &plan.images {
        match built.image_digest(&image.name).map(str::to_owned) {
            Some(digest) => pinned.push(pin::Pinned {
                repository: image.repository.clone(),
                aliases: image.aliases.clone(),
                tags: image.tags.clone(),
                digest,
            }),
            None => {
                built.notes.push(format!("bundle `{bundle}` is not pinned: image `{}` was not built here", image.name));
                return Vec::new();
            }
        }
    }
    pinned
}

/// The release manifest for a plan and the assets built so far, with each component's
/// requirements read from the archives written.
pub fn record(plan: &Plan, built: &Built) -> anyhow::Result<ReleaseManifest> {
    let find = |file: &str| built.assets.iter().find(|a| a.name == file);
    let mut components = Vec::new();
    for c in &plan.charts {
        if let Some(a) = find(&c.file) {
            components.push(component(&c.name, manifest::ComponentKind::Chart, &plan.version, a));
        }
    }
    for b in &plan.bundles {
        let kind = match b.kind {
            crate::config::BundleKind::Manifests => manifest::ComponentKind::Manifests,
            crate::config::BundleKind::Compose => manifest::ComponentKind::Compose,
            crate::config::BundleKind::Terraform => manifest::ComponentKind::Terraform,
        };
        if let Some(a) = find(&b.file) {
            let mut c = component(&b.name, kind, &plan.version, a);
            let files = || requires::archive_files(&built.out_dir.join(&b.file));
            match b.kind {
                crate::config::BundleKind::Terraform => c.modules = requires::terraform(&files()?)?,
                crate::config::BundleKind::Compose => c.compose = Some(requires::compose(&files()?)?),
                crate::config::BundleKind::Manifests => {}
            }
            components.push(c);
        }
    }
    for (p, b) in plan.packages.iter().zip(&built.packages) {
        use manifest::ComponentKind::{Binary, Sdist, Wheel};
        let files = [(Binary, b.archive.as_ref()), (Wheel, b.wheel.as_ref()), (Sdist, b.sdist.as_ref())];
        for (kind, file) in files {
            // Every asset once: the sdist is one per package, whatever the number of targets.
            if let Some(a) = file.and_then(|f| find(f)).filter(|a| !components.iter().any(|c| c.file == a.name)) {
                let mut c = component(&p.name, kind, &plan.version, a);
                c.target = (kind != Sdist).then(|| p.target.clone());
                components.push(c);
            }
        }
    }
    let images = plan
        .images
        .iter()
        .map(|i| manifest::Image {
            name: i.name.clone(),
            repository: i.repository.clone(),
            tags: plan.pushed_tags(i),
            platforms: i.platforms.clone(),
            digest: built.image_digest(&i.name).map(str::to_owned),
        })
        .collect();
    let known: Vec<requires::Known> = plan
        .images
        .iter()
        .zip(&images)
        .map(|(i, recorded): (_, &manifest::Image)| requires::Known {
            name: &i.name,
            repositories: std::iter::once(&i.repository).chain(&i.aliases).map(String::as_str).collect(),
            digest: recorded.digest.as_deref(),
        })
        .collect();
    let mut charts = Vec::new();
    for (c, entry) in plan.charts.iter().zip(&plan.index.entries) {
        let Some(a) = find(&c.file) else { continue };
        let files = requires::archive_files(&built.out_dir.join(&c.file))?;
        let chart_images = match files.iter().find(|(path, _)| path == "values.yaml") {
            Some((_, values)) => {
                requires::chart_images(values, &known).with_context(|| format!("chart `{}`", c.name))?
            }
            None => Vec::new(),
        };
        charts.push(manifest::Chart {
            name: c.name.clone(),
            version: c.version.clone(),
            file: c.file.clone(),
            digest: a.sha256.clone(),
            url: entry.url.clone(),
            oci: c.oci.clone(),
            repository: Some(plan.index.target.pages_url.clone()),
            kube_version: c.kube_version.clone(),
            images: chart_images,
        });
    }
    let manifest = ReleaseManifest {
        schema_version: manifest::SCHEMA_VERSION,
        repository: plan.repository.clone(),
        version: plan.version.clone(),
        tag: plan.tag.clone(),
        commit: plan.commit.clone(),
        source_date_epoch: plan.source_date_epoch,
        components,
        images,
        charts,
    };
    manifest.check_paths().map_err(|e| {
        lamina_remote::hint::fail(
            format!("the release manifest would name {e}"),
            "rename the file or folder: letters, digits, `.`, `_`, `+` and `-`, not starting with `.`",
        )
    })?;
    Ok(manifest)
}

fn component(name: &str, kind: manifest::ComponentKind, version: &str, a: &Asset) -> manifest::Component {
    manifest::Component {
        name: name.to_owned(),
        kind,
        version: version.to_owned(),
        file: a.name.clone(),
        size: a.size,
        sha256: a.sha256.clone(),
        target: None,
        modules: Vec::new(),
        compose: None,
    }
}

fn asset(out: &Path, name: &str) -> anyhow::Result<Asset> {
    let (sha256, size) = sha256_file(&out.join(name)).with_context(|| format!("hash `{name}`"))?;
    Ok(Asset { name: name.to_owned(), size, sha256 })
}

fn reset_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clear `{}`", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("create `{}`", dir.display()))
}

/// Files under two build folders that differ, by relative path.
pub fn compare_dirs(a: &Path, b: &Path) -> anyhow::Result<Vec<String>> {
    let list = |dir: &Path| -> anyhow::Result<Vec<(String, PathBuf)>> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(dir)?.to_string_lossy().into_owned();
                files.push((rel, entry.path().to_path_buf()));
            }
        }
        Ok(files)
    };
    let (left, right) = (list(a)?, list(b)?);
    let mut differ = Vec::new();
    for (rel, path) in &left {
        match right.iter().find(|(r, _)| r == rel) {
            Some((_, other)) if std::fs::read(path)? == std::fs::read(other)? => {}
            _ => differ.push(rel.clone()),
        }
    }
    differ.extend(right.iter().filter(|(r, _)| !left.iter().any(|(l, _)| l == r)).map(|(r, _)| r.clone()));
    Ok(differ)
}

/// What differs between two builds of one plan: first each image whose digest differs (or that
/// only one build made), then every other file that differs, by relative path.
pub fn differences(a: &Built, b: &Built) -> anyhow::Result<Vec<String>> {
    let mut differ = Vec::new();
    let mut reported = Vec::new();
    for image in &a.images {
        let other = b.images.iter().find(|i| i.name == image.name).and_then(|i| i.digest.as_deref());
        if image.digest.as_deref() != other {
            let show = |d: Option<&str>| d.unwrap_or("not built").to_owned();
            differ.push(format!("image `{}` ({} vs {})", image.name, show(image.digest.as_deref()), show(other)));
            reported.push(format!("images/{}/", image.name));
        }
    }
    let files = compare_dirs(&a.out_dir, &b.out_dir)?;
    differ.extend(files.into_iter().filter(|f| !reported.iter().any(|r| f.starts_with(r.as_str()))));
    Ok(differ)
}
