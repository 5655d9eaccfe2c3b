//! `cargo xtask release`: preflight, build, then the plan's remote steps in order
//! (docs/operations.md, "Publishing"), converging on a rerun: each step reads what is there
//! and does only what is missing, so a rerun after any failure finishes the job.

mod execute;

use super::Prepared;
use crate::build::{self, Built, ImageFailure};
use crate::channel;
use crate::channel::github::assets::{self, Action, Stage};
use crate::channel::github::{GitHub, RemoteRelease};
use crate::channel::python_index::PyIndex;
use crate::channel::registry::Registry;
use crate::cli::ReleaseArgs;
use crate::plan::{Plan, Step};
use crate::shell::Shell;
use crate::{env, preflight};
use anyhow::Context;
use execute::Executor;
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

/// What a release did, for people (`stderr` as it goes) and for `--json`.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub version: String,
    pub tag: String,
    pub release_url: String,
    /// The plan's remote steps, in the order they ran.
    pub steps: Vec<Step>,
    /// Every remote object and what this run did to it.
    pub effects: Vec<Effect>,
    pub verified: Vec<channel::Check>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub what: String,
    pub action: Done,
}

/// What a run did to one remote object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Done {
    Created,
    Kept,
    Uploaded,
    Replaced,
    Removed,
    Published,
}

impl Done {
    fn as_str(self) -> &'static str {
        match self {
            Done::Created => "created",
            Done::Kept => "kept",
            Done::Uploaded => "uploaded",
            Done::Replaced => "replaced",
            Done::Removed => "removed",
            Done::Published => "published",
        }
    }
}

pub fn release(sh: &Shell, root: &Path, args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    let Prepared { settings, mut plan, .. } =
        super::prepare_plan(sh, root, &args.remote, args.builder, args.prebuilt.is_some(), args.unsigned)?;
    preflight::local(sh, &plan, &preflight::RunEnv::read())?;
    // The Sigstore instance is read before the build: a wrong trust config stops the run here.
    if plan.signing.signs() {
        crate::sign::Sigstore::of(&settings.signing)?;
    }
    // The job graph's folders are checked whole before anything is built or published.
    let prebuilt = args.prebuilt.as_deref().map(|dir| super::jobs::prebuilt(dir, &plan)).transpose()?;
    let token = env::var(env::GITHUB_TOKEN).context("GITHUB_TOKEN is checked in preflight")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // octocrab spawns its service on the runtime it is built in.
    let _context = runtime.enter();
    let github = GitHub::new(&settings, &token)?;
    // Floating tags and "latest" follow what is published; decided before the build, so the
    // manifest records the tags this release moves. A failed read stops the run in preflight.
    let unread = match runtime.block_on(github.published_versions()) {
        Ok(published) => {
            plan.settle_floating(&published);
            None
        }
        Err(e) => Some(e.context("read the published releases")),
    };
    let out = root.join(&plan.out_dir);
    let built = build::run(sh, root, &plan, &out, ImageFailure::Stop, prebuilt.as_ref(), build::Reuse::Recorded)?;
    // The catalog's pages are made once here, before any write, so a module it cannot publish
    // stops the run now rather than after the release is out.
    super::index::preview(&plan, &settings, &out, &out.join("site"))?;
    let registry = Registry::from_env(&settings.registry)?;

    // The registry tags and the Pages index, read as `dry-run` reads them (the release itself is
    // read by `remote_preflight`, which needs it afterwards).
    let compared = channel::compare(sh, &plan, &built, &settings, None);
    let python = settings.python_index.as_ref().map(PyIndex::new).transpose()?;
    let existing =
        runtime.block_on(remote_preflight(&plan, &built, &github, &registry, python.as_ref(), compared, unread))?;
    eprintln!(
        "preflight passed: the token can write to {}, the registry and the Pages remote answer, nothing published differs",
        settings.repository
    );
    let mut executor = Executor {
        sh,
        plan: &plan,
        built: &built,
        assets: built.assets.clone(),
        bundle: None,
        sboms: Vec::new(),
        out: &out,
        github: &github,
        registry: &registry,
        settings: &settings,
        body: release_body(root, &plan),
        release: existing,
        layouts: Default::default(),
        charts: Default::default(),
        tagging: None,
        python: python.as_ref(),
        outcome: Outcome { version: plan.version.clone(), tag: plan.tag.clone(), ..Outcome::default() },
    };
    runtime.block_on(executor.run())?;
    let outcome = executor.outcome;
    let failed: Vec<&channel::Check> = outcome.verified.iter().filter(|c| !c.ok).collect();
    crate::report::github::write(&plan, &built, "released", Some(&outcome.release_url))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", render(&outcome));
    }
    if !failed.is_empty() {
        return Err(lamina_remote::hint::fail(
            format!(
                "the release is published but {} check(s) failed:\n{}",
                failed.len(),
                channel::render_checks(&failed.into_iter().cloned().collect::<Vec<_>>())
            ),
            "run `cargo xtask release` again to repair what is missing; `cargo xtask verify` re-checks",
        ));
    }
    eprintln!("{} is published; all {} checks passed", plan.tag, outcome.verified.len());
    Ok(ExitCode::SUCCESS)
}

/// Everything that needs a remote, read-only: the token works and may write, the registry and
/// Pages remote answer, and nothing published differs from the plan. Returns the release found.
async fn remote_preflight(
    plan: &Plan,
    built: &Built,
    github: &GitHub,
    registry: &Registry,
    python: Option<&PyIndex>,
    compared: anyhow::Result<Vec<channel::Comparison>>,
    unread: Option<anyhow::Error>,
) -> anyhow::Result<Option<RemoteRelease>> {
    let mut problems = Vec::new();
    // The registry is read beside GitHub. GitHub's own reads go one after another: after a
    // rate-limited answer no request may go out before the wait, so none may be in flight.
    let pushes =
        futures_util::future::join_all(plan.images.iter().map(|image| async move {
            registry.check_push(&registry.image_reference(&image.name, &plan.version)).await
        }));
    let github_reads = async { (github.check_access().await, github.find(&plan.tag).await) };
    let ((access, found), pushes) = tokio::join!(github_reads, pushes);
    match access {
        Err(e) => problems.push(lamina_remote::hint::render(&e)),
        // The same cause is not reported twice.
        Ok(()) => problems.extend(unread.map(|e| lamina_remote::hint::render(&e))),
    }
    let mut existing = match found {
        Ok(found) => found,
        Err(e) => {
            problems.push(lamina_remote::hint::render(&e));
            None
        }
    };
    if let Some(release) = existing.as_mut().filter(|r| !r.draft) {
        // Filled in once: the asset step decides from this same list.
        *release = github.fill_digests(release.clone()).await?;
        let stage = Stage { draft: false, immutable: release.immutable };
        for d in assets::decide(&built.assets, &release.assets, stage, &plan.tag) {
            if let Action::Refuse(refusal) = d.action {
                problems.push(lamina_remote::hint::render(&refusal.error()));
            }
        }
    }
    problems.extend(pushes.into_iter().filter_map(Result::err).map(|e| lamina_remote::hint::render(&e)));
    match compared {
        Ok(comparisons) => {
            // Credentials for the Python index are needed only when a file is to be uploaded;
            // they are obtained here once (with trusted publishing, the whole exchange), so a
            // publisher the index does not recognise stops the run before any write. The upload
            // step obtains its own: a minted token lives 15 minutes.
            let uploads =
                comparisons.iter().any(|c| c.what.starts_with("python file ") && c.action == channel::Action::Create);
            if let Some(python) = python.filter(|_| uploads)
                && let Err(e) = python.credentials().await
            {
                problems.push(lamina_remote::hint::render(&e));
            }
            for c in comparisons.into_iter().filter(|c| c.action == channel::Action::Refuse) {
                problems.push(lamina_remote::hint::render(&lamina_remote::hint::fail(
                    format!("{} is already published with other content: {}", c.what, c.detail),
                    "a published version is never replaced: release a new version (`cargo xtask bump`)",
                )));
            }
        }
        Err(e) => problems.push(lamina_remote::hint::render(&e)),
    }
    if !problems.is_empty() {
        return Err(preflight::Failed(problems).into());
    }
    Ok(existing)
}

/// The CHANGELOG section of this version (validation made sure it exists).
fn release_body(root: &Path, plan: &Plan) -> String {
    std::fs::read_to_string(root.join(&plan.release.notes))
        .ok()
        .and_then(|text| crate::changelog::section(&text, &plan.version))
        .unwrap_or_default()
}

/// The outcome as people read it.
pub fn render(outcome: &Outcome) -> String {
    let mut out = format!("release {} ({})\n", outcome.tag, outcome.release_url);
    for e in &outcome.effects {
        out.push_str(&format!("  {:<9} {}\n", e.action.as_str(), e.what));
    }
    out.push_str("verified:\n");
    out.push_str(&channel::render_checks(&outcome.verified));
    out
}
