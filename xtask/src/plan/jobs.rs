//! The job graph's build matrix: one job per image platform and per package target, each on a
//! native runner. Pure: derived from the plan, printed by `plan --ci`, and checked against the
//! folders `release --prebuilt` is given.

use super::Plan;
use crate::config::{ImageSource, runners};
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use serde::{Deserialize, Serialize};

/// One build job of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Stable and unique: the Actions artifact name and the job's folder under `--prebuilt`.
    pub name: String,
    /// The GitHub-hosted runner label.
    pub runner: String,
    #[serde(flatten)]
    pub work: Work,
}

/// What a job builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Work {
    /// One platform of a Dockerfile image, as an OCI layout.
    Image { image: String, platform: String },
    /// A package's binary archive and wheel for one target.
    Package { package: String, target: String },
}

impl Work {
    /// The job's name: `image-{name}-{platform}` or `package-{name}-{target}`, `/` as `-`.
    pub fn job_name(&self) -> String {
        match self {
            Work::Image { image, platform } => format!("image-{image}-{}", platform.replace('/', "-")),
            Work::Package { package, target } => format!("package-{package}-{target}"),
        }
    }

    /// How `cargo xtask build` names this work on its command line.
    pub fn flags(&self) -> String {
        match self {
            Work::Image { image, platform } => format!("--image {image} --platform {platform}"),
            Work::Package { package, target } => format!("--package {package} --target {target}"),
        }
    }
}

/// Every build job of a plan made for the graph, images first, in the plan's order. A platform
/// or target with no native runner is refused, naming the config line's key.
pub fn jobs(plan: &Plan) -> Result<Vec<Job>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut jobs = Vec::new();
    for image in plan.images.iter().filter(|i| matches!(i.source, ImageSource::Dockerfile { .. })) {
        for platform in &image.platforms {
            let work = Work::Image { image: image.name.clone(), platform: platform.clone() };
            match runners::for_platform(platform) {
                Some(runner) => jobs.push(Job { name: work.job_name(), runner: runner.to_owned(), work }),
                None => diags.push(
                    Diagnostic::new(
                        crate::config::FILE,
                        None,
                        format!("image `{}`: platform `{platform}` has no native runner", image.name),
                    )
                    .help("the job graph builds linux/amd64 and linux/arm64; build other platforms on one machine with `cargo xtask release`"),
                ),
            }
        }
    }
    for package in &plan.packages {
        let work = Work::Package { package: package.name.clone(), target: package.target.clone() };
        match runners::for_target(&package.target) {
            Some(runner) => jobs.push(Job { name: work.job_name(), runner: runner.to_owned(), work }),
            None => diags.push(
                Diagnostic::new(
                    crate::config::FILE,
                    None,
                    format!("package `{}`: target `{}` has no native runner", package.name, package.target),
                )
                .help(format!("set `targets` in its [[package]] table to some of {}", runners::known_targets())),
            ),
        }
    }
    diags.into_result(jobs)
}

/// The matrix as GitHub Actions reads it: `{"include": [job, …]}` on one line.
pub fn render_ci(jobs: &[Job]) -> String {
    serde_json::json!({ "include": jobs }).to_string()
}
