//! `plan` and `build`: the job graph's first two stages. `plan --ci` prints the build matrix;
//! `build` runs one of its jobs into a folder that `release --prebuilt` later checks and joins.

use super::{Prepared, prepare_plan};
use crate::build::jobs as built;
use crate::cli::{BuildArgs, BuilderChoice, PlanArgs};
use crate::plan::{self, jobs as planned};
use crate::shell::Shell;
use lamina_remote::diagnostic::Diagnostics;
use std::path::Path;
use std::process::ExitCode;

pub fn plan(sh: &Shell, root: &Path, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let Prepared { plan, .. } = prepare_plan(sh, root, &args.remote, BuilderChoice::None, true, false)?;
    let jobs = planned::jobs(&plan)?;
    if args.ci {
        println!("{}", planned::render_ci(&jobs));
    } else {
        print!("{}", plan::render_human(&plan));
        println!("\nbuild jobs ({}):", jobs.len());
        for job in &jobs {
            println!("  {:<48} {:<18} cargo xtask build {}", job.name, job.runner, job.work.flags());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn build(sh: &Shell, root: &Path, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let Prepared { plan, .. } = prepare_plan(sh, root, &args.remote, args.builder, true, false)?;
    let jobs = planned::jobs(&plan)?;
    let work = match (args.image, args.platform, args.package, args.target) {
        (Some(image), Some(platform), ..) => planned::Work::Image { image, platform },
        (_, _, Some(package), Some(target)) => planned::Work::Package { package, target },
        _ => unreachable!("clap requires --image with --platform or --package with --target"),
    };
    let Some(job) = jobs.iter().find(|j| j.work == work) else {
        let names: Vec<String> = jobs.iter().map(|j| format!("`{}`", j.work.flags())).collect();
        return Err(lamina_remote::hint::fail(
            format!("`{}` is not a job of this release's matrix", work.flags()),
            format!("build one of: {}", names.join(", ")),
        ));
    };
    let record = built::run(sh, root, &plan, job, &args.out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        let what = match (&record.manifest, record.files.as_slice()) {
            (Some(manifest), _) => format!("manifest {manifest}"),
            (None, files) => files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
        };
        println!("built `{}` into {}: {what}", job.name, args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The job folders under `dir`, checked against the plan's matrix (`release --prebuilt`).
pub fn prebuilt(dir: &Path, plan: &plan::Plan) -> anyhow::Result<built::BuiltJobs> {
    let jobs = planned::jobs(plan)?;
    built::BuiltJobs::read(dir, plan, &jobs).map_err(|d: Diagnostics| d.into())
}
