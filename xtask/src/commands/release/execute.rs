//! The executor of a release: walks the plan's remote steps in order, one `match` arm per
//! [`Step`], each converging on what is already there. What `dry-run` prints is what runs here.

mod python;
mod sign;

use super::{Done, Effect, Outcome};
use crate::build::Built;
use crate::channel::github::assets::{self, Action, Stage};
use crate::channel::github::{Draft, GitHub, RemoteRelease};
use crate::channel::registry::{Pushed, Registry};
use crate::channel::{self, Channels};
use crate::helm::index::Merged;
use crate::plan::{Plan, Step};
use crate::settings::Settings;
use crate::shell::Shell;
use anyhow::Context;
use lamina_remote::hint::WithHint;
use lamina_remote::progress::{Progress, Units};
use std::collections::BTreeMap;
use std::path::Path;

/// Rounds of upload-and-read-back before giving up on the assets.
const ASSET_ROUNDS: u32 = 4;

/// What the executor needs, and what it learns as it goes.
pub struct Executor<'a> {
    pub sh: &'a Shell,
    pub plan: &'a Plan,
    pub built: &'a Built,
    /// The build's assets, then the provenance bundle once the `Sign` step made or kept it.
    pub assets: Vec<crate::build::Asset>,
    /// The provenance bundle's bytes, once signed (or kept from an earlier run).
    pub bundle: Option<Vec<u8>>,
    /// Each image's SBOM bundles (one per platform), by image, once signed.
    pub sboms: Vec<(usize, Vec<u8>)>,
    pub out: &'a Path,
    pub github: &'a GitHub,
    pub registry: &'a Registry,
    pub settings: &'a Settings,
    /// The CHANGELOG section: the release body.
    pub body: String,
    /// The release for the tag, once found or created (preflight may have found it).
    pub release: Option<RemoteRelease>,
    /// Image layouts read by their push step, reused by their tag step.
    pub layouts: BTreeMap<usize, crate::layout::Image>,
    /// Chart artifacts made by their push step, reused by their tag step.
    pub charts: BTreeMap<usize, crate::helm::oci::ChartArtifact>,
    /// The plan settled again when the first image is tagged; the images' tag steps run back
    /// to back, so one read of the published releases serves them all.
    pub tagging: Option<Plan>,
    /// The Python package index, when the plan has that channel.
    pub python: Option<&'a crate::channel::python_index::PyIndex>,
    pub outcome: Outcome,
}

impl Executor<'_> {
    /// Runs every remote step of the plan, in order.
    pub async fn run(&mut self) -> anyhow::Result<()> {
        for step in self.plan.steps.iter().copied().filter(|s| !s.is_local()) {
            self.step(step).await?;
            self.outcome.steps.push(step);
        }
        Ok(())
    }

    async fn step(&mut self, step: Step) -> anyhow::Result<()> {
        let plan = self.plan;
        match step {
            Step::PushImage { image } => {
                let i = &plan.images[image];
                let layout = crate::layout::read(&self.out.join("images").join(&i.name))?;
                let progress = Progress::start(crate::report::progress_mode(), "images", 1, Units::Items);
                progress.say(&format!("pushing image {} ({} blobs)", i.repository, layout.blobs.len()));
                let pushed = self
                    .registry
                    .push_content(&i.name, &layout, &lamina_release_format::names::oci_tag(&plan.version))
                    .await?;
                progress.line(&format!(
                    "pushed {}@{}: {} blobs uploaded, {} mounted",
                    i.repository, pushed.digest, pushed.uploaded, pushed.mounted
                ));
                progress.finish();
                self.layouts.insert(image, layout);
            }
            Step::PushChart { chart } => {
                let c = &plan.charts[chart];
                let (bytes, artifact) = crate::helm::archive::oci_artifact(&self.out.join(&c.file))?;
                let reference =
                    self.registry.chart_reference(&c.name, &lamina_release_format::names::oci_tag(&c.version));
                let done = match self.registry.push_chart(&reference, &artifact, &bytes).await? {
                    Pushed::Created { .. } => Done::Created,
                    Pushed::Unchanged { .. } => Done::Kept,
                };
                self.note(format!("chart oci://{}", c.oci.as_deref().unwrap_or_default()), done);
                self.charts.insert(chart, artifact);
            }
            Step::TagChart { chart } => {
                let c = &plan.charts[chart];
                let artifact = self.charts.get(&chart).context("a chart is tagged after its push step")?;
                let reference =
                    self.registry.chart_reference(&c.name, &lamina_release_format::names::oci_tag(&c.version));
                let done =
                    if self.registry.tag_chart(&reference, artifact).await? { Done::Created } else { Done::Kept };
                self.note(format!("chart tag oci://{}", c.oci.as_deref().unwrap_or_default()), done);
            }
            Step::MoveTags { image } => {
                let i = &plan.images[image];
                let tagging = match self.tagging.take() {
                    Some(settled) => settled,
                    None => self.settled_now().await?,
                };
                let tags = tagging.pushed_tags(i);
                self.tagging = Some(tagging);
                let layout = self.layouts.get(&image).context("an image is tagged after its push step")?;
                let moved = self.registry.tag(&i.name, layout, &tags).await?;
                for tag in tags {
                    let done = if moved.contains(&tag) { Done::Created } else { Done::Kept };
                    self.note(format!("image tag {}:{tag}", i.repository), done);
                }
            }
            Step::DraftRelease => {
                if self.release.is_none() {
                    let draft = self.draft();
                    self.release = Some(self.github.create_draft(&draft).await?);
                    self.note(format!("release {} (draft)", plan.tag), Done::Created);
                }
            }
            Step::Sign => self.sign().await?,
            Step::AttachProvenance => self.attach_provenance().await?,
            Step::UploadAssets => self.upload_assets().await?,
            Step::ReadBack => {
                let release = self.current()?;
                let release = self.github.fill_digests(self.github.reload(release.id).await?).await?;
                let stage = Stage { draft: release.draft, immutable: release.immutable };
                let wrong: Vec<String> = assets::decide(&self.assets, &release.assets, stage, &plan.tag)
                    .into_iter()
                    .filter(|d| d.action != Action::Keep)
                    .map(|d| d.name)
                    .collect();
                if !wrong.is_empty() {
                    return Err(lamina_remote::hint::fail(
                        format!(
                            "the assets of release `{}` read back wrong or missing: {}",
                            plan.tag,
                            wrong.join(", ")
                        ),
                        "run `cargo xtask release` again; it continues where this run stopped",
                    ));
                }
                self.release = Some(release);
            }
            Step::PublishRelease => self.publish().await?,
            Step::MergeIndex => self.merge_index()?,
            Step::UploadPython => self.upload_python().await?,
            Step::Verify => {
                let channels = Channels {
                    sh: self.sh,
                    github: self.github,
                    registry: self.registry,
                    settings: self.settings,
                    pages: &plan.index.target,
                };
                self.outcome.verified = channel::verify(&channels, &plan.tag)
                    .await
                    .with_context(|| format!("the release `{}` is published, but reading it back failed", plan.tag))
                    .hint("`cargo xtask verify` checks it again")?;
            }
            Step::PackageChart { .. }
            | Step::BuildPackage { .. }
            | Step::WriteBundle { .. }
            | Step::BuildImage { .. }
            | Step::WriteManifest
            | Step::WriteSums => unreachable!("local steps are built before the remote ones"),
        }
        Ok(())
    }

    fn draft(&self) -> Draft<'_> {
        Draft {
            tag: &self.plan.tag,
            commit: &self.plan.commit,
            name: &self.plan.release.name,
            body: &self.body,
            prerelease: self.plan.prerelease,
            make_latest: self.plan.make_latest,
        }
    }

    /// The plan with its floating tags and "latest" decided again from what is published now:
    /// another release may have published a higher version since this run started.
    async fn settled_now(&self) -> anyhow::Result<Plan> {
        let mut plan = self.plan.clone();
        plan.settle_floating(&self.github.published_versions().await?);
        Ok(plan)
    }

    fn current(&self) -> anyhow::Result<&RemoteRelease> {
        self.release.as_ref().context("the release step runs before its assets")
    }

    /// Uploads, replaces and removes assets until the release holds exactly the build's, reading
    /// the list again after every round (an upload can land and still answer an error).
    async fn upload_assets(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        for round in 1..=ASSET_ROUNDS {
            let release = self.github.fill_digests(self.current()?.clone()).await?;
            let stage = Stage { draft: release.draft, immutable: release.immutable };
            let decisions = assets::decide(&self.assets, &release.assets, stage, &plan.tag);
            if let Some(refusal) =
                decisions.iter().find_map(|d| if let Action::Refuse(r) = &d.action { Some(r) } else { None })
            {
                return Err(refusal.error());
            }
            let pending: Vec<_> = decisions.into_iter().filter(|d| d.action != Action::Keep).collect();
            self.release = Some(release);
            if pending.is_empty() {
                return Ok(());
            }
            if round == ASSET_ROUNDS {
                let names: Vec<&str> = pending.iter().map(|d| d.name.as_str()).collect();
                return Err(lamina_remote::hint::fail(
                    format!(
                        "the assets of release `{}` did not settle after {ASSET_ROUNDS} rounds: {}",
                        plan.tag,
                        names.join(", ")
                    ),
                    "run `cargo xtask release` again; it continues where this run stopped",
                ));
            }
            let sizes: BTreeMap<String, u64> = self.assets.iter().map(|a| (a.name.clone(), a.size)).collect();
            let size = |name: &str| sizes.get(name).copied().unwrap_or(0);
            let total = pending.iter().map(|d| size(&d.name)).sum();
            let progress = Progress::start(crate::report::progress_mode(), "assets", total, Units::Bytes);
            for d in pending {
                let result = match &d.action {
                    Action::Upload => self.upload(&d.name, &progress).await.map(|()| Done::Uploaded),
                    Action::Replace { id, why } => {
                        progress.line(&format!("replacing `{}` on the draft: {why}", d.name));
                        match self.github.delete_asset(*id).await {
                            Ok(()) => self.upload(&d.name, &progress).await.map(|()| Done::Replaced),
                            Err(e) => Err(e),
                        }
                    }
                    Action::Remove { id } => self.github.delete_asset(*id).await.map(|()| Done::Removed),
                    Action::Keep | Action::Refuse(_) => continue,
                };
                match result {
                    Ok(done) => self.note(format!("asset {}", d.name), done),
                    // The upload may have landed anyway: the next round reads the list and decides.
                    Err(e) => progress.line(&format!(
                        "{}\n  reading the release's assets back to see what landed",
                        lamina_remote::hint::render(&e)
                    )),
                }
                progress.advance(size(&d.name));
            }
            progress.finish();
            let id = self.current()?.id;
            let reloaded = self.github.reload(id).await;
            let reloaded = reloaded
                .with_context(|| format!("read the release `{}` back after uploading", plan.tag))
                .hint("run the command again; it continues where this run stopped")?;
            self.release = Some(reloaded);
        }
        Ok(())
    }

    async fn upload(&self, name: &str, progress: &Progress) -> anyhow::Result<()> {
        let bytes = std::fs::read(self.out.join(name)).with_context(|| format!("read `{name}`"))?;
        progress.say(&format!("uploading {name} ({} bytes)", bytes.len()));
        self.github.upload(self.current()?, name, bytes).await
    }

    async fn publish(&mut self) -> anyhow::Result<()> {
        let tag = &self.plan.tag;
        let release = self.current()?.clone();
        if release.draft {
            eprintln!("every asset read back with the right digest; publishing {tag}");
            let make_latest = self.settled_now().await?.make_latest;
            self.github.publish(release.id, &Draft { make_latest, ..self.draft() }).await?;
            self.note(format!("release {tag}"), Done::Published);
            let release = self.github.reload(release.id).await?;
            if release.draft {
                return Err(lamina_remote::hint::fail(
                    format!("GitHub still shows `{tag}` as a draft after publishing it"),
                    "run the command again; it publishes the draft it finds",
                ));
            }
            self.release = Some(release);
        } else {
            self.note(format!("release {tag}"), Done::Kept);
        }
        self.outcome.release_url = self.current()?.html_url.clone();
        Ok(())
    }

    fn merge_index(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let archives: Vec<_> = plan
            .charts
            .iter()
            .map(|c| crate::commands::index::Archive { path: self.out.join(&c.file), tag: Some(plan.tag.clone()) })
            .collect();
        let manifest_file = self.out.join(lamina_release_format::names::MANIFEST);
        let manifest: crate::manifest::ReleaseManifest = serde_json::from_slice(&std::fs::read(&manifest_file)?)
            .with_context(|| format!("read `{}`", manifest_file.display()))?;
        let (merged, commit) =
            crate::commands::index::merge_archives(self.sh, &plan.index.target, self.settings, &archives, &manifest)
                .with_context(|| {
                    format!("the release `{}` is published, but its charts are not in the Helm index yet", plan.tag)
                })
                .hint("fix the cause above, then run `cargo xtask release` again: it only adds the index entries")?;
        for m in merged {
            match m {
                Merged::Added { name, version } => self.note(format!("index entry {name} {version}"), Done::Created),
                Merged::Kept { name, version } => self.note(format!("index entry {name} {version}"), Done::Kept),
            }
        }
        if let Some(c) = commit {
            eprintln!("pushed {} to `{}`", &c[..12.min(c.len())], plan.index.target.branch);
        }
        Ok(())
    }

    fn note(&mut self, what: String, action: Done) {
        self.outcome.effects.push(Effect { what, action });
    }
}
