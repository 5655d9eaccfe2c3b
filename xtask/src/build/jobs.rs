//! The job graph's builds: what one build job writes into its folder (`cargo xtask build`), and
//! reading every job's folder back for `release --prebuilt`, with every record checked against
//! the plan and every file against its record before anything is assembled or published.
//!
//! A job's folder holds `lamina-build.json` (its [`Record`]); an image job adds its one-platform
//! OCI layout under `oci/`, a package job its archive and wheel beside the record.

use super::{Asset, asset, image, package};
use crate::layout;
use crate::plan::Plan;
use crate::plan::jobs::{Job, Work};
use crate::shell::Shell;
use anyhow::Context;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The record file in every job's folder.
pub const RECORD: &str = "lamina-build.json";
/// The image layout's folder inside an image job's folder.
pub const LAYOUT: &str = "oci";

/// What one job built, from which commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub job: String,
    pub repository: String,
    pub version: String,
    pub commit: String,
    pub source_date_epoch: i64,
    #[serde(flatten)]
    pub work: Work,
    /// An image job: the platform's manifest digest and its config digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// A package job: the archive, then the wheel, each with size and SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Asset>,
}

/// Runs one job of the plan's matrix into `out` (created; emptied first).
pub fn run(sh: &Shell, root: &Path, plan: &Plan, job: &Job, out: &Path) -> anyhow::Result<Record> {
    super::reset_dir(out)?;
    let mut record = Record {
        job: job.name.clone(),
        repository: plan.repository.clone(),
        version: plan.version.clone(),
        commit: plan.commit.clone(),
        source_date_epoch: plan.source_date_epoch,
        work: job.work.clone(),
        manifest: None,
        config: None,
        files: Vec::new(),
    };
    match &job.work {
        Work::Image { image, platform } => {
            let mut one = plan.images.iter().find(|i| &i.name == image).context("the job's image is planned")?.clone();
            one.platforms = vec![platform.clone()];
            let dir = out.join(LAYOUT);
            image::produce(sh, root, &one, plan.source_date_epoch, &dir)
                .with_context(|| format!("build image `{image}` for {platform}"))?;
            let manifest = platform_manifest(&layout::read(&dir)?)?;
            record.manifest = Some(manifest.digest);
            record.config = Some(manifest.config);
        }
        Work::Package { package, target } => {
            let p = plan
                .packages
                .iter()
                .find(|p| &p.name == package && &p.target == target)
                .context("the job's package is planned")?;
            let tools = package::Tools::find(sh, p);
            if let Some(why) = tools.missing(p) {
                return Err(package::cannot_build(package, why));
            }
            let made = package::build(sh, root, p, &tools, &plan.version, plan.source_date_epoch, out)?;
            record.files.push(asset(out, &made.archive)?);
            match made.wheel {
                Ok(wheel) => record.files.push(asset(out, &wheel)?),
                Err(why) if p.wheel => return Err(package::cannot_build(package, &why)),
                Err(_) => {}
            }
        }
    }
    let text = serde_json::to_string_pretty(&record)? + "\n";
    lamina_remote::fs::write_atomic(&out.join(RECORD), text.as_bytes())?;
    Ok(record)
}

/// The platform manifest of a one-platform image.
struct PlatformManifest {
    digest: String,
    config: String,
    doc: serde_json::Value,
}

/// The one platform manifest of a one-platform image: the root, or the root index's only child.
fn platform_manifest(image: &layout::Image) -> anyhow::Result<PlatformManifest> {
    let manifests: Vec<&layout::Manifest> = std::iter::once(&image.root)
        .chain(&image.children)
        .filter(|d| d.media_type == layout::OCI_MANIFEST || d.media_type == layout::DOCKER_MANIFEST)
        .collect();
    let [manifest] = manifests.as_slice() else {
        anyhow::bail!(
            "`{}` holds {} image manifests; a one-platform build makes one",
            image.dir.display(),
            manifests.len()
        );
    };
    let doc: serde_json::Value = serde_json::from_slice(&manifest.bytes)?;
    let config = doc["config"]["digest"].as_str().context("the manifest names no config")?.to_owned();
    Ok(PlatformManifest { digest: manifest.digest.clone(), config, doc })
}

/// Every job's folder, read and checked: the folders `release --prebuilt DIR` is given.
#[derive(Debug, Clone)]
pub struct BuiltJobs {
    /// `(job, its folder, its record)`, in the matrix's order.
    pub jobs: Vec<(Job, PathBuf, Record)>,
}

impl BuiltJobs {
    /// Reads `dir/*/lamina-build.json` (or `dir/lamina-build.json`) and checks it against the
    /// plan's matrix: every job present once, none extra, each from this commit, version and
    /// time; each image layout intact, holding the recorded manifest and config for its
    /// platform; each package's files as recorded, and no other wheel. Every problem at once.
    pub fn read(dir: &Path, plan: &Plan, jobs: &[Job]) -> Result<BuiltJobs, Diagnostics> {
        let mut diags = Diagnostics::default();
        let mut found: Vec<(PathBuf, Record)> = Vec::new();
        for folder in job_folders(dir) {
            let path = folder.join(RECORD);
            let read = std::fs::read(&path).map_err(anyhow::Error::from).and_then(|b| Ok(serde_json::from_slice(&b)?));
            match read {
                Ok(record) => found.push((folder, record)),
                Err(e) => diags.push(problem(&path, format!("unreadable build record: {e}"), REBUILD)),
            }
        }
        let mut prebuilt = BuiltJobs { jobs: Vec::new() };
        for job in jobs {
            let mine: Vec<&(PathBuf, Record)> = found.iter().filter(|(_, r)| r.work == job.work).collect();
            match mine.as_slice() {
                [] => diags.push(problem(
                    dir,
                    format!("no build of `{}` ({}): the matrix asks for it", job.name, job.work.flags()),
                    "download every build artifact of this run, or rerun the failed build job",
                )),
                [(folder, record)] => {
                    check(plan, job, folder, record, &mut diags);
                    prebuilt.jobs.push((job.clone(), folder.clone(), record.clone()));
                }
                more => diags.push(problem(
                    dir,
                    format!("`{}` is built {} times: {}", job.name, more.len(), folders(more)),
                    "keep one folder per job",
                )),
            }
        }
        for (folder, record) in found.iter().filter(|(_, r)| !jobs.iter().any(|j| j.work == r.work)) {
            diags.push(problem(
                folder,
                format!("`{}` ({}) is not in this release's matrix", record.job, record.work.flags()),
                "remove the folder; `cargo xtask plan --ci` lists the jobs this release builds",
            ));
        }
        diags.into_result(prebuilt)
    }

    /// The job folder and record of `work`.
    pub fn find(&self, work: &Work) -> Option<(&Path, &Record)> {
        self.jobs.iter().find(|(j, ..)| j.work == *work).map(|(_, f, r)| (f.as_path(), r))
    }
}

const REBUILD: &str = "download the artifact again, or rerun its build job";

fn problem(path: &Path, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(path.display().to_string(), None, message).help(help)
}

fn folders(found: &[&(PathBuf, Record)]) -> String {
    found.iter().map(|(f, _)| format!("`{}`", f.display())).collect::<Vec<_>>().join(", ")
}

/// `dir` itself when it holds a record, else its sub-folders that do, sorted.
fn job_folders(dir: &Path) -> Vec<PathBuf> {
    if dir.join(RECORD).is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(RECORD).is_file())
        .collect();
    folders.sort();
    folders
}

/// One job's folder against the plan and its own record.
fn check(plan: &Plan, job: &Job, folder: &Path, record: &Record, diags: &mut Diagnostics) {
    let path = folder.join(RECORD);
    let same = [
        ("repository", &record.repository, &plan.repository),
        ("version", &record.version, &plan.version),
        ("commit", &record.commit, &plan.commit),
    ];
    for (what, theirs, ours) in same {
        if theirs != ours {
            let message = format!("`{}` was built from {what} `{theirs}`, this release is `{ours}`", job.name);
            diags.push(problem(&path, message, "rerun the build jobs on this release's commit"));
        }
    }
    if record.source_date_epoch != plan.source_date_epoch {
        let message = format!(
            "`{}` was built with SOURCE_DATE_EPOCH {}, this release uses {}",
            job.name, record.source_date_epoch, plan.source_date_epoch
        );
        diags.push(problem(&path, message, "give every job of the run the same SOURCE_DATE_EPOCH (or none)"));
    }
    let result = match &job.work {
        Work::Image { image, platform } => {
            let annotations = plan.images.iter().find(|i| &i.name == image).map(|i| &i.annotations);
            check_image(folder, record, platform, annotations.cloned().unwrap_or_default())
        }
        Work::Package { package, target } => {
            let planned = plan.packages.iter().find(|p| &p.name == package && &p.target == target);
            check_package(folder, record, target, planned)
        }
    };
    if let Err(e) = result {
        diags.push(problem(folder, format!("`{}`: {}", job.name, lamina_remote::hint::render(&e)), REBUILD));
    }
}

fn check_image(
    folder: &Path,
    record: &Record,
    platform: &str,
    annotations: std::collections::BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let image = layout::read(&folder.join(LAYOUT))?;
    let PlatformManifest { digest: manifest, config, doc } = platform_manifest(&image)?;
    for (key, value) in &annotations {
        let built = doc["annotations"][key].as_str().unwrap_or("nothing");
        if built != value {
            anyhow::bail!(
                "the image is annotated {key}={built}, this release says {value}; give the build jobs the release job's settings (GITHUB_SERVER_URL, GITHUB_REPOSITORY)"
            );
        }
    }
    if Some(&manifest) != record.manifest.as_ref() || Some(&config) != record.config.as_ref() {
        anyhow::bail!(
            "the layout holds manifest {manifest} with config {config}, its record says {} with {}",
            record.manifest.as_deref().unwrap_or("none"),
            record.config.as_deref().unwrap_or("none")
        );
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(image.blob_path(&config))?)?;
    let built = [doc["os"].as_str(), doc["architecture"].as_str(), doc["variant"].as_str()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
    if built != platform {
        anyhow::bail!("the image is built for {built}, the job is for {platform}");
    }
    Ok(())
}

fn check_package(
    folder: &Path,
    record: &Record,
    target: &str,
    planned: Option<&crate::plan::PackagePlan>,
) -> anyhow::Result<()> {
    let planned = planned.context("the package is not planned")?;
    // Exactly the planned archive and, when the package ships one, one wheel: bare file names.
    let wheels = record.files.iter().filter(|f| f.name.ends_with(".whl")).count();
    let archives = record.files.iter().filter(|f| f.name == planned.file).count();
    if archives != 1 || wheels != usize::from(planned.wheel) || record.files.len() != 1 + wheels {
        let names: Vec<&str> = record.files.iter().map(|f| f.name.as_str()).collect();
        let wheel = if planned.wheel { " and one wheel" } else { "" };
        anyhow::bail!("its record lists {names:?}; the plan asks for `{}`{wheel}", planned.file);
    }
    for file in &record.files {
        let bare = Path::new(&file.name).file_name().is_some_and(|n| n == file.name.as_str());
        if !bare || file.name.contains('\\') || file.name.starts_with('.') {
            anyhow::bail!("its record names `{}`, which is not a plain file name", file.name);
        }
        let (sha256, size) =
            super::sha256_file(&folder.join(&file.name)).with_context(|| format!("read `{}`", file.name))?;
        if sha256 != file.sha256 || size != file.size {
            anyhow::bail!(
                "`{}` has SHA-256 {sha256} and {size} bytes, its record says {} and {}",
                file.name,
                file.sha256,
                file.size
            );
        }
        if file.name.ends_with(".whl") && !wheel_fits(&file.name, target) {
            anyhow::bail!("wheel `{}` is not for {target}", file.name);
        }
    }
    let listed = |name: &str| record.files.iter().any(|f| f.name == name);
    for entry in std::fs::read_dir(folder)?.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".whl") && !listed(&name) {
            anyhow::bail!("wheel `{name}` is not in the job's record; the plan asks for none other");
        }
    }
    Ok(())
}

/// Whether a wheel's platform tag (its name's last part) is for the Rust `target`.
pub fn wheel_fits(wheel: &str, target: &str) -> bool {
    let Some(platform) = wheel.strip_suffix(".whl").and_then(|w| w.rsplit('-').next()) else { return false };
    let arch = target.split('-').next().unwrap_or_default();
    let arches: &[&str] = match arch {
        "x86_64" => &["x86_64", "amd64", "intel", "universal2"],
        "aarch64" => &["aarch64", "arm64", "universal2"],
        other => return platform.ends_with(other),
    };
    let os_fits = if target.ends_with("-linux-musl") {
        platform.split('.').all(|tag| tag.starts_with("musllinux_"))
    } else if target.contains("-linux-") {
        platform.split('.').all(|tag| tag.starts_with("manylinux") || tag.starts_with("linux_"))
    } else if target.contains("-apple-darwin") {
        platform.starts_with("macosx_")
    } else if target.contains("-windows-") {
        platform.starts_with("win")
    } else {
        false
    };
    os_fits && platform.split('.').all(|tag| arches.iter().any(|a| tag.ends_with(a)))
}

/// Joins the jobs' one-platform layouts of `image` into one layout at `dest`, in `platforms`
/// order, without rebuilding.
pub fn join_image(prebuilt: &BuiltJobs, image: &str, platforms: &[String], dest: &Path) -> anyhow::Result<()> {
    let mut parts = Vec::new();
    for platform in platforms {
        let work = Work::Image { image: image.to_owned(), platform: platform.clone() };
        let (folder, record) = prebuilt.find(&work).with_context(|| format!("no build of `{}`", work.job_name()))?;
        parts.push((folder.join(LAYOUT), record.manifest.clone().unwrap_or_default()));
    }
    layout::join(&parts, dest)
}

/// Copies a package job's archive and wheel into `out`.
pub fn copy_package(prebuilt: &BuiltJobs, p: &crate::plan::PackagePlan, out: &Path) -> anyhow::Result<package::Made> {
    let work = Work::Package { package: p.name.clone(), target: p.target.clone() };
    let (folder, record) = prebuilt.find(&work).with_context(|| format!("no build of `{}`", work.job_name()))?;
    for file in &record.files {
        std::fs::copy(folder.join(&file.name), out.join(&file.name))
            .with_context(|| format!("copy `{}`", file.name))?;
    }
    let wheel = record.files.iter().find(|f| f.name.ends_with(".whl")).map(|f| f.name.clone());
    Ok(package::Made { archive: p.file.clone(), wheel: wheel.ok_or_else(|| super::package::NO_WHEEL.to_owned()) })
}

#[cfg(test)]
mod tests;
