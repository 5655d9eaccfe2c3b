//! `cargo xtask release`: preflight, build, then every channel in the contract's order
//! (docs/operations.md, "Publishing"), converging on a rerun: each step reads what is there
//! and does only what is missing, so a rerun after any failure finishes the job.

use super::{Prepared, prepare};
use crate::build::{self, Built, ImageFailure};
use crate::cli::ReleaseArgs;
use crate::helm::index::Merged;
use crate::plan::Plan;
use crate::publish::github::assets::{self, Action, Stage};
use crate::publish::github::{Draft, GitHub, RemoteRelease};
use crate::publish::registry::{Pushed, Registry};
use crate::remote;
use crate::report::progress::{Mode, Progress};
use crate::shell::Shell;
use crate::verify::{self, Channels};
use crate::{env, layout, preflight};
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

/// Rounds of upload-and-read-back before giving up on the assets.
const ASSET_ROUNDS: u32 = 4;

/// What a release did, for people (`stderr` as it goes) and for `--json`.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub version: String,
    pub tag: String,
    pub release_url: String,
    /// `(what, action)`: every remote object and what this run did to it.
    pub effects: Vec<Effect>,
    pub verified: Vec<verify::Check>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub what: String,
    /// `created`, `kept`, `moved`, `uploaded`, `replaced`, `removed`, `published`.
    pub action: String,
}

pub fn release(sh: &Shell, root: &Path, args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    let Prepared { ws, settings, plan } = prepare(sh, root, &args.remote, args.builder)?;
    preflight::local(sh, &plan, &preflight::RunEnv::read())?;
    let token = env::var(env::GITHUB_TOKEN).context("GITHUB_TOKEN is checked in preflight")?;
    let out = root.join(&plan.out_dir);
    let built = build::run(sh, root, &plan, &out, ImageFailure::Stop)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // octocrab spawns its service on the runtime it is built in.
    let _context = runtime.enter();
    let github = GitHub::new(&settings, &token)?;
    let registry = Registry::from_env(&settings.registry)?;
    let branch = ws.config.pages_branch.clone();

    // The registry tags and the Pages index, read as `dry-run` reads them (the release itself is
    // read by `remote_preflight`, which needs it afterwards).
    let compared = remote::compare(sh, &plan, &built, &settings, &branch, None);
    let existing = runtime.block_on(remote_preflight(&plan, &built, &github, &registry, compared))?;
    eprintln!(
        "preflight passed: the token can write to {}, the registry and the Pages remote answer, nothing published differs",
        settings.repository
    );
    let mut outcome = Outcome { version: plan.version.clone(), tag: plan.tag.clone(), ..Outcome::default() };
    runtime.block_on(push_registry(&plan, &out, &registry, &mut outcome))?;
    let body = release_body(root, &plan);
    let published = runtime.block_on(github_release(&github, &plan, &built, &out, &body, existing, &mut outcome))?;
    outcome.release_url = published.html_url.clone();

    let archives: Vec<_> = plan
        .charts
        .iter()
        .map(|c| super::index::Archive { path: out.join(&c.file), tag: Some(plan.tag.clone()) })
        .collect();
    if !archives.is_empty() {
        let (merged, commit) = super::index::merge_archives(sh, &ws.config, &settings, &archives).with_context(|| {
            format!(
                "the release `{}` is published, but its charts are not in the Helm index yet\n\nhint: fix the cause below, then run `cargo xtask release` again: it only adds the index entries",
                plan.tag
            )
        })?;
        for m in merged {
            let (what, action) = match m {
                Merged::Added { name, version } => (format!("index entry {name} {version}"), "created"),
                Merged::Kept { name, version } => (format!("index entry {name} {version}"), "kept"),
            };
            note(&mut outcome, what, action);
        }
        if let Some(c) = commit {
            eprintln!("pushed {} to `{branch}`", &c[..12.min(c.len())]);
        }
    }

    let channels = Channels { sh, github: &github, registry: &registry, settings: &settings, pages_branch: &branch };
    outcome.verified = runtime.block_on(verify::run(&channels, &plan.tag)).with_context(|| {
        format!(
            "the release `{}` is published, but reading it back failed\n\nhint: `cargo xtask verify` checks it again",
            plan.tag
        )
    })?;
    let failed: Vec<&verify::Check> = outcome.verified.iter().filter(|c| !c.ok).collect();
    crate::report::github::write(&plan, &built, "released", Some(&outcome.release_url))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", render(&outcome));
    }
    if !failed.is_empty() {
        bail!(
            "the release is published but {} check(s) failed:\n{}\nhint: run `cargo xtask release` again to repair what is missing; `cargo xtask verify` re-checks",
            failed.len(),
            verify::render(&failed.into_iter().cloned().collect::<Vec<_>>())
        );
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
    compared: anyhow::Result<Vec<remote::Comparison>>,
) -> anyhow::Result<Option<RemoteRelease>> {
    let mut problems = Vec::new();
    if let Err(e) = github.check_access().await {
        problems.push(format!("{e:#}"));
    }
    let mut existing = match github.find(&plan.tag).await {
        Ok(found) => found,
        Err(e) => {
            problems.push(format!("{e:#}"));
            None
        }
    };
    if let Some(release) = existing.as_mut().filter(|r| !r.draft) {
        // Filled in once: the asset step decides from this same list.
        *release = github.fill_digests(release.clone()).await?;
        let stage = Stage { draft: false, immutable: release.immutable };
        for d in assets::decide(&built.assets, &release.assets, stage, &plan.tag) {
            if let Action::Refuse(why) = d.action {
                problems.push(why);
            }
        }
    }
    for image in &plan.images {
        if let Err(e) = registry.check_push(&registry.image_reference(&image.name, &plan.version)).await {
            problems.push(format!("{e:#}"));
        }
    }
    match compared {
        Ok(comparisons) => {
            for c in comparisons.into_iter().filter(|c| c.action == remote::Action::Refuse) {
                problems.push(format!(
                    "{} is already published with other content: {}\n\nhint: a published version is never replaced: release a new version (`cargo xtask bump`)",
                    c.what, c.detail
                ));
            }
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    if !problems.is_empty() {
        return Err(preflight::Failed(problems).into());
    }
    Ok(existing)
}

/// Images by digest then tags, then OCI charts (steps 3 and 4).
async fn push_registry(plan: &Plan, out: &Path, registry: &Registry, outcome: &mut Outcome) -> anyhow::Result<()> {
    let progress = Progress::start(Mode::detect(), "images", plan.images.len() as u64, false);
    for image in &plan.images {
        let layout = layout::read(&out.join("images").join(&image.name))?;
        progress.say(&format!("pushing image {} ({} blobs)", image.repository, layout.blobs.len()));
        let pushed = registry.push_image(&image.name, &layout, &image.tags, &plan.version).await?;
        progress.line(&format!(
            "pushed {}@{}: {} blobs uploaded, {} mounted",
            image.repository, pushed.digest, pushed.uploaded, pushed.mounted
        ));
        progress.advance(1);
        for tag in &image.tags {
            let action = if pushed.tagged.contains(tag) { "created" } else { "kept" };
            note(outcome, format!("image tag {}:{tag}", image.repository), action);
        }
    }
    for chart in plan.charts.iter().filter(|c| c.oci.is_some()) {
        let (bytes, artifact) = crate::helm::archive::oci_artifact(&out.join(&chart.file))?;
        let reference = registry.chart_reference(&chart.name, &crate::plan::oci_tag(&chart.version));
        let action = match registry.push_chart(&reference, &artifact, &bytes).await? {
            Pushed::Created { .. } => "created",
            Pushed::Unchanged { .. } => "kept",
        };
        note(outcome, format!("chart oci://{}", chart.oci.as_deref().unwrap_or_default()), action);
    }
    progress.finish();
    Ok(())
}

/// Step 5: find or create the draft, converge its assets, read them back, publish.
async fn github_release(
    github: &GitHub,
    plan: &Plan,
    built: &Built,
    out: &Path,
    body: &str,
    existing: Option<RemoteRelease>,
    outcome: &mut Outcome,
) -> anyhow::Result<RemoteRelease> {
    let draft = Draft {
        tag: &plan.tag,
        commit: &plan.commit,
        name: &plan.release.name,
        body,
        prerelease: plan.prerelease,
        make_latest: plan.make_latest,
    };
    let mut release = match existing {
        Some(r) => r,
        None => {
            let r = github.create_draft(&draft).await?;
            note(outcome, format!("release {} (draft)", plan.tag), "created");
            r
        }
    };
    for round in 1..=ASSET_ROUNDS {
        release = github.fill_digests(release).await?;
        let stage = Stage { draft: release.draft, immutable: release.immutable };
        let decisions = assets::decide(&built.assets, &release.assets, stage, &plan.tag);
        let refused: Vec<String> = decisions
            .iter()
            .filter_map(|d| if let Action::Refuse(why) = &d.action { Some(why.clone()) } else { None })
            .collect();
        if !refused.is_empty() {
            bail!("{}", refused.join("\n\n"));
        }
        let pending: Vec<_> = decisions.into_iter().filter(|d| d.action != Action::Keep).collect();
        if pending.is_empty() {
            break;
        }
        if round == ASSET_ROUNDS {
            let names: Vec<&str> = pending.iter().map(|d| d.name.as_str()).collect();
            bail!(
                "the assets of release `{}` did not settle after {ASSET_ROUNDS} rounds: {}\n\nhint: run `cargo xtask release` again; it continues where this run stopped",
                plan.tag,
                names.join(", ")
            );
        }
        let size = |name: &str| built.assets.iter().find(|a| a.name == name).map_or(0, |a| a.size);
        let total = pending.iter().map(|d| size(&d.name)).sum();
        let progress = Progress::start(Mode::detect(), "assets", total, true);
        for d in pending {
            let result = match &d.action {
                Action::Upload => upload(github, &release, out, &d.name, &progress).await.map(|()| "uploaded"),
                Action::Replace { id, why } => {
                    progress.line(&format!("replacing `{}` on the draft: {why}", d.name));
                    match github.delete_asset(*id).await {
                        Ok(()) => upload(github, &release, out, &d.name, &progress).await.map(|()| "replaced"),
                        Err(e) => Err(e),
                    }
                }
                Action::Remove { id } => github.delete_asset(*id).await.map(|()| "removed"),
                Action::Keep | Action::Refuse(_) => continue,
            };
            match result {
                Ok(action) => note(outcome, format!("asset {}", d.name), action),
                // The upload may have landed anyway: the next round reads the list and decides.
                Err(e) => progress.line(&format!("{e:#}\n  reading the release's assets back to see what landed")),
            }
            progress.advance(size(&d.name));
        }
        progress.finish();
        release = github.reload(release.id).await.with_context(|| {
            format!("read the release `{}` back after uploading\n\nhint: run the command again; it continues where this run stopped", plan.tag)
        })?;
    }
    if release.draft {
        eprintln!("every asset read back with the right digest; publishing {}", plan.tag);
        github.publish(release.id, &draft).await?;
        note(outcome, format!("release {}", plan.tag), "published");
        release = github.reload(release.id).await?;
        if release.draft {
            bail!(
                "GitHub still shows `{}` as a draft after publishing it\n\nhint: run the command again; it publishes the draft it finds",
                plan.tag
            );
        }
    } else {
        note(outcome, format!("release {}", plan.tag), "kept");
    }
    Ok(release)
}

async fn upload(
    github: &GitHub,
    release: &RemoteRelease,
    out: &Path,
    name: &str,
    progress: &Progress,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(out.join(name)).with_context(|| format!("read `{name}`"))?;
    progress.say(&format!("uploading {name} ({} bytes)", bytes.len()));
    github.upload(release, name, bytes).await
}

/// The CHANGELOG section of this version (validation made sure it exists).
fn release_body(root: &Path, plan: &Plan) -> String {
    std::fs::read_to_string(root.join(&plan.release.notes))
        .ok()
        .and_then(|text| crate::changelog::section(&text, &plan.version))
        .unwrap_or_default()
}

fn note(outcome: &mut Outcome, what: String, action: &str) {
    outcome.effects.push(Effect { what, action: action.to_owned() });
}

/// The outcome as people read it.
pub fn render(outcome: &Outcome) -> String {
    let mut out = format!("release {} ({})\n", outcome.tag, outcome.release_url);
    for e in &outcome.effects {
        out.push_str(&format!("  {:<9} {}\n", e.action, e.what));
    }
    out.push_str("verified:\n");
    out.push_str(&verify::render(&outcome.verified));
    out
}
