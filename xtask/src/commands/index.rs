//! `cargo xtask index add` and `index rebuild`: maintain the Helm index on the Pages branch from
//! chart archives, with the same merge and push loop `release` uses.

use crate::channel::pages::site::Site;
use crate::channel::pages::{Change, Pages, Tip, redact};
use crate::helm::{
    archive,
    index::{Index, Merged, NewEntry},
};
use crate::manifest::ReleaseManifest;
use crate::plan::{PagesTarget, download_base, rfc3339};
use crate::settings::{RemoteArgs, Settings};
use crate::shell::{Shell, cmd};
use anyhow::{Context, bail};
use lamina_release_format::names;
use lamina_remote::digest::sha256_file;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A chart archive and the release whose asset it is.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: PathBuf,
    /// The release tag; `None`: `v{chart version}`.
    pub tag: Option<String>,
}

/// Merges chart archives into the index, keeping every other entry.
pub fn add(
    sh: &Shell,
    root: &Path,
    archives: &[Archive],
    dry_run: bool,
    args: &RemoteArgs,
) -> anyhow::Result<ExitCode> {
    let (config, settings) = super::load(root, args)?;
    let entries = entries(archives, &settings)?;
    let target = PagesTarget::of(&config, &settings);
    let pages = pages(sh, &target, &entries);
    if dry_run {
        let current = pages.read()?;
        let (index, merged) = merged_index(current.as_deref(), &pages, &entries)?;
        report(&merged);
        print!("{}", diff(sh, current.as_deref().unwrap_or(""), &index.to_string())?);
        return Ok(ExitCode::SUCCESS);
    }
    let (merged, commit) = merge(&pages, &site(&target, &settings), &entries, None)?;
    report(&merged);
    finish(&pages, &commit);
    Ok(ExitCode::SUCCESS)
}

/// Merges `archives` into the index on the Pages branch, and `release` into its catalog, with the
/// push loop; returns what each entry became and the commit pushed (`None`: nothing to change).
/// `release` calls this.
pub fn merge_archives(
    sh: &Shell,
    target: &PagesTarget,
    settings: &Settings,
    archives: &[Archive],
    release: &ReleaseManifest,
) -> anyhow::Result<(Vec<Merged>, Option<String>)> {
    let entries = entries(archives, settings)?;
    let mut pages = pages(sh, target, &entries);
    pages.time = pages.time.max(release.source_date_epoch);
    merge(&pages, &site(target, settings), &entries, Some(release))
}

/// Writes the catalog this release would add, alone, into `into` (`dry-run`'s preview, and
/// `release`'s check before any write); the release's chart archives and manifest are read from
/// `out`. `false`: the plan publishes no catalog (no chart and no Terraform module).
pub fn preview(plan: &crate::plan::Plan, settings: &Settings, out: &Path, into: &Path) -> anyhow::Result<bool> {
    if !plan.steps.contains(&crate::plan::Step::MergeIndex) {
        return Ok(false);
    }
    let archives: Vec<Archive> =
        plan.charts.iter().map(|c| Archive { path: out.join(&c.file), tag: Some(plan.tag.clone()) }).collect();
    let entries = entries(&archives, settings)?;
    let index = Index::of(&entries, &latest(&entries)).map_err(|e| anyhow::format_err!("{e}"))?;
    let manifest_file = out.join(names::MANIFEST);
    let manifest: ReleaseManifest = serde_json::from_slice(&std::fs::read(&manifest_file)?)
        .with_context(|| format!("read `{}`", manifest_file.display()))?;
    if into.exists() {
        std::fs::remove_dir_all(into).with_context(|| format!("remove the earlier preview `{}`", into.display()))?;
    }
    let mut files = site(&plan.index.target, settings).files(&index, &[], Some(&manifest))?;
    files.push(("index.yaml".to_owned(), index.to_string().into_bytes()));
    for (path, bytes) in files {
        let file = into.join(&path);
        std::fs::create_dir_all(file.parent().unwrap_or(into))?;
        std::fs::write(&file, bytes).with_context(|| format!("write `{}`", file.display()))?;
    }
    Ok(true)
}

/// The catalog the Pages branch serves.
fn site<'a>(target: &'a PagesTarget, settings: &'a Settings) -> Site<'a> {
    Site {
        url: &target.pages_url,
        server_url: &settings.server_url,
        repository: &settings.repository,
        registry: target.terraform_registry.as_ref(),
    }
}

fn merge(
    pages: &Pages,
    site: &Site,
    entries: &[NewEntry],
    release: Option<&ReleaseManifest>,
) -> anyhow::Result<(Vec<Merged>, Option<String>)> {
    let mut outcome = Vec::new();
    let updated = pages.update(|tip| {
        let (index, merged) = merged_index(tip.index.as_deref(), pages, entries)?;
        let added: Vec<String> = merged
            .iter()
            .filter_map(|m| match m {
                Merged::Added { name, version } => Some(format!("{name} {version}")),
                Merged::Kept { .. } => None,
            })
            .collect();
        outcome = merged;
        let message = match (added.is_empty(), release) {
            (false, _) => format!("Add {} to the Helm index", added.join(", ")),
            (true, Some(r)) => format!("Add release {} to the catalog", r.version),
            (true, None) => "Update the catalog".to_owned(),
        };
        Ok(Some(Change { files: catalog(site, tip, &index, release)?, index, message }))
    })?;
    Ok((outcome, updated.commit))
}

/// The catalog's files for `index` and the manifests kept at `tip`, with `release` added.
fn catalog(
    site: &Site,
    tip: &Tip,
    index: &Index,
    release: Option<&ReleaseManifest>,
) -> anyhow::Result<Vec<crate::channel::pages::site::File>> {
    site.files(index, &tip.manifests(site.repository)?, release)
}

/// The index at `current` with `entries` merged in.
fn merged_index(current: Option<&str>, pages: &Pages, entries: &[NewEntry]) -> anyhow::Result<(Index, Vec<Merged>)> {
    let mut index = parse(current, pages)?;
    let merged = index
        .merge(entries, &latest(entries))
        .map_err(|e| lamina_remote::hint::fail(format!("{e}"), e.help().to_string()))?;
    Ok((index, merged))
}

/// Replaces the index with one made from exactly these archives; `created` is kept for entries
/// that did not change.
pub fn rebuild(
    sh: &Shell,
    root: &Path,
    from: Option<&Path>,
    dry_run: bool,
    args: &RemoteArgs,
) -> anyhow::Result<ExitCode> {
    let (config, settings) = super::load(root, args)?;
    let downloaded = tempfile::tempdir()?;
    let archives = match from {
        Some(dir) => archives_in(dir)?,
        None => download_charts(&settings, downloaded.path())?,
    };
    if archives.is_empty() {
        return Err(lamina_remote::hint::fail(
            format!(
                "{} holds no chart archive (*.tgz)",
                from.map_or_else(|| "no published release".to_owned(), |d| format!("`{}`", d.display()))
            ),
            "put each release's chart assets in a folder named by its tag, `DIR/v1.2.0/*.tgz`",
        ));
    }
    let entries = entries(&archives, &settings)?;
    let target = PagesTarget::of(&config, &settings);
    let site = site(&target, &settings);
    let pages = pages(sh, &target, &entries);
    let generated = latest(&entries);
    let rebuilt = |current: Option<&str>| -> anyhow::Result<Index> {
        let mut index = Index::of(&entries, &generated).map_err(|e| anyhow::format_err!("{e}"))?;
        if let Some(old) = current.and_then(|c| Index::parse(c).ok()) {
            index.keep_created_from(&old);
        }
        Ok(index)
    };
    if dry_run {
        let current = pages.read()?;
        let index = rebuilt(current.as_deref())?;
        let text = diff(sh, current.as_deref().unwrap_or(""), &index.to_string())?;
        print!("{}", if text.is_empty() { "the rebuilt index equals the published one\n".to_owned() } else { text });
        return Ok(ExitCode::SUCCESS);
    }
    let updated = pages.update(|tip| {
        let index = rebuilt(tip.index.as_deref())?;
        Ok(Some(Change {
            files: catalog(&site, tip, &index, None)?,
            index,
            message: format!("Rebuild the Helm index from {} chart archives", entries.len()),
        }))
    })?;
    finish(&pages, &updated.commit);
    Ok(ExitCode::SUCCESS)
}

/// The chart archives under `dir`: `dir/{tag}/*.tgz` belong to release `{tag}`, `dir/*.tgz` to
/// `v{chart version}`.
fn archives_in(dir: &Path) -> anyhow::Result<Vec<Archive>> {
    let mut out = Vec::new();
    let read = |dir: &Path| -> anyhow::Result<Vec<PathBuf>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("read `{}`", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        Ok(paths)
    };
    let is_chart = |p: &Path| p.is_file() && p.extension().is_some_and(|x| x == "tgz");
    for path in read(dir)? {
        if is_chart(&path) {
            out.push(Archive { path, tag: None });
        } else if path.is_dir() {
            let tag = path.file_name().map(|n| n.to_string_lossy().into_owned());
            out.extend(read(&path)?.into_iter().filter(|p| is_chart(p)).map(|path| Archive { path, tag: tag.clone() }));
        }
    }
    Ok(out)
}

/// Downloads the `*.tgz` assets of every published release into `into`, through their public
/// URLs (the token, when present, is used only to list the releases); each archive keeps the tag
/// of the release it came from.
fn download_charts(settings: &Settings, into: &Path) -> anyhow::Result<Vec<Archive>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _context = runtime.enter();
    let token = crate::env::var(crate::env::GITHUB_TOKEN).unwrap_or_default();
    let github = crate::channel::github::GitHub::new(settings, &token)?;
    runtime.block_on(async {
        let mut out = Vec::new();
        for (n, release) in github.published().await?.into_iter().enumerate() {
            let dir = into.join(n.to_string());
            std::fs::create_dir_all(&dir)?;
            for asset in release
                .assets
                .iter()
                .filter(|a| a.name.ends_with(".tgz") && a.state == crate::channel::github::AssetState::Uploaded)
            {
                let bytes = github.download_asset(&asset.url).await?;
                eprintln!("downloaded {} from {}", asset.name, release.tag);
                std::fs::write(dir.join(&asset.name), bytes)?;
                out.push(Archive { path: dir.join(&asset.name), tag: Some(release.tag.clone()) });
            }
        }
        anyhow::Ok(out)
    })
}

fn pages<'a>(sh: &'a Shell, target: &PagesTarget, entries: &[NewEntry]) -> Pages<'a> {
    let time = entries.iter().filter_map(|e| crate::plan::parse_rfc3339(&e.created)).max().unwrap_or(0);
    Pages::new(sh, target, time)
}

/// One index entry per archive, pointing at its asset on the release it belongs to.
fn entries(archives: &[Archive], settings: &Settings) -> anyhow::Result<Vec<NewEntry>> {
    let mut out = Vec::new();
    for Archive { path, tag } in archives {
        let chart = archive::read(path)?;
        let file = names::chart_file(&chart.name, &chart.version);
        if path.file_name().is_none_or(|n| n.to_string_lossy() != file) {
            bail!("`{}` holds chart {} {}, so it must be named `{file}`", path.display(), chart.name, chart.version);
        }
        let (digest, _) = sha256_file(path)?;
        let tag = tag.clone().unwrap_or_else(|| names::tag(&chart.version));
        let base = download_base(&settings.server_url, &settings.repository, &tag);
        out.push(NewEntry {
            metadata: chart.metadata,
            digest,
            url: format!("{base}/{file}"),
            created: rfc3339(chart.mtime),
        });
    }
    Ok(out)
}

/// The newest `created` time: the index's `generated` after adding these entries.
fn latest(entries: &[NewEntry]) -> String {
    entries.iter().map(|e| e.created.clone()).max().unwrap_or_default()
}

fn parse(current: Option<&str>, pages: &Pages) -> anyhow::Result<Index> {
    match current {
        None => Ok(Index::empty()),
        Some(text) => Index::parse(text).map_err(|e| {
            lamina_remote::hint::fail(
                format!("{e} (branch `{}` of `{}`)", pages.branch, redact(&pages.remote)),
                e.help().to_string(),
            )
        }),
    }
}

pub fn report(merged: &[Merged]) {
    for m in merged {
        match m {
            Merged::Added { name, version } => eprintln!("add {name} {version}"),
            Merged::Kept { name, version } => {
                eprintln!("keep {name} {version}: already in the index with the same digest")
            }
        }
    }
}

fn finish(pages: &Pages, commit: &Option<String>) {
    match commit {
        Some(c) => eprintln!("pushed {} to `{}` of `{}`", &c[..12.min(c.len())], pages.branch, redact(&pages.remote)),
        None => eprintln!("the index already has every entry: nothing to push"),
    }
}

/// A unified diff of two texts, empty when equal.
fn diff(sh: &Shell, old: &str, new: &str) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let (a, b) = (dir.path().join("published/index.yaml"), dir.path().join("rebuilt/index.yaml"));
    for (path, text) in [(&a, old), (&b, new)] {
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))?;
        std::fs::write(path, text)?;
    }
    let _dir = sh.push_dir(dir.path());
    let out = cmd!(sh, "git diff --no-index --no-color published/index.yaml rebuilt/index.yaml")
        .quiet()
        .ignore_status()
        .read()?;
    Ok(out)
}
