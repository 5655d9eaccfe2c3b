//! The body of each pipeline command: load and validate the workspace, plan, then build (and,
//! for `release`, publish). `dry-run` and `release` share [`prepare`], so they run one plan.

pub mod index;
pub mod jobs;
mod release;

pub use release::release;

use crate::build::{self, ImageFailure};
use crate::cli::{BuilderChoice, BumpArgs, DryRunArgs, VerifyArgs};
use crate::plan::{self, Inputs, Plan};
use crate::settings::{RemoteArgs, Settings};
use crate::shell::Shell;
use crate::workspace::{self, Workspace};
use crate::{bump, report, validate};
use anyhow::{Context, format_err};
use std::path::Path;
use std::process::ExitCode;

/// A validated workspace and its plan.
pub struct Prepared {
    pub ws: Workspace,
    pub settings: Settings,
    pub plan: Plan,
}

/// Load, validate, resolve settings, plan. Fails with [`Diagnostics`] listing every problem.
pub fn prepare(sh: &Shell, root: &Path, args: &RemoteArgs, builder: BuilderChoice) -> anyhow::Result<Prepared> {
    prepare_plan(sh, root, args, builder, false, false)
}

/// [`prepare`], planning the job graph when `graph` is on (see [`plan::Inputs::graph`]).
pub fn prepare_plan(
    sh: &Shell,
    root: &Path,
    args: &RemoteArgs,
    builder: BuilderChoice,
    graph: bool,
    unsigned: bool,
) -> anyhow::Result<Prepared> {
    let ws = Workspace::load(sh, root)?;
    let mut diags = validate::check(&ws);
    let mut settings = Settings::resolve(args, &ws.config)?;
    if unsigned {
        settings.signing.waive();
    }
    let builder = match builder {
        BuilderChoice::Auto => plan::BuilderPick::Auto(workspace::detect_builder(sh)),
        BuilderChoice::Buildx => plan::BuilderPick::Forced(Some(plan::Builder::Buildx)),
        BuilderChoice::Buildah => plan::BuilderPick::Forced(Some(plan::Builder::Buildah)),
        BuilderChoice::None => plan::BuilderPick::Forced(None),
    };
    let target = match ws.config.packages.is_empty() {
        true => String::new(),
        false => workspace::host_target(sh)?,
    };
    let planned = plan::plan(&Inputs {
        config: &ws.config,
        settings: &settings,
        repo: &ws.repo,
        charts: &ws.charts,
        builder,
        target: &target,
        graph,
    });
    let plan = match planned {
        Ok(plan) => {
            diags.extend(validate::check_contents(&ws, &plan));
            diags.extend(validate::image_references(&ws, &plan));
            Some(plan)
        }
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    diags.into_result(())?;
    let plan = plan.ok_or_else(|| format_err!("no plan"))?;
    Ok(Prepared { ws, settings, plan })
}

pub fn validate(sh: &Shell, root: &Path) -> anyhow::Result<ExitCode> {
    let p = prepare(sh, root, &RemoteArgs::default(), BuilderChoice::None)?;
    let c = &p.ws.config;
    eprintln!(
        "{} and {} components are valid: {} chart(s), {} bundle(s), {} image(s)",
        crate::config::FILE,
        c.charts.len() + c.bundles.len() + c.images.len(),
        c.charts.len(),
        c.bundles.len(),
        c.images.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn dry_run(sh: &Shell, root: &Path, args: DryRunArgs) -> anyhow::Result<ExitCode> {
    let mut p = prepare_plan(sh, root, &args.remote, args.builder, args.prebuilt.is_some(), args.unsigned)?;
    let prebuilt = args.prebuilt.as_deref().map(|dir| jobs::prebuilt(dir, &p.plan)).transpose()?;
    let token = crate::env::var(crate::env::GITHUB_TOKEN);
    // With credentials, floating tags and "latest" are decided as `release` would decide them.
    if let Some(token) = &token {
        match crate::channel::published_versions(&p.settings, token) {
            Ok(published) => p.plan.settle_floating(&published),
            Err(e) => {
                eprintln!(
                    "note: the published releases could not be read; floating tags are shown as moving: {}",
                    lamina_remote::hint::render(&e)
                )
            }
        }
    }
    let plan = &p.plan;
    if !args.json {
        print!("{}", plan::render_human(plan));
    }
    let out = root.join(&plan.out_dir);
    let built = build::run(sh, root, plan, &out, ImageFailure::Report, prebuilt.as_ref(), build::Reuse::Recorded)?;
    let mut reproducible = None;
    if args.check_reproducible {
        let second = root.join(format!("{}.check", plan.out_dir));
        let again = build::run(sh, root, plan, &second, ImageFailure::Report, prebuilt.as_ref(), build::Reuse::Never)?;
        let differ = build::differences(&built, &again)?;
        std::fs::remove_dir_all(&second)?;
        if !differ.is_empty() {
            return Err(lamina_remote::hint::fail(
                format!("two builds of the same commit differ in: {}", differ.join(", ")),
                "this is a bug in the pipeline or a builder; please report it",
            ));
        }
        reproducible = Some(true);
    }
    report::github::write(plan, &built, "dry run", None)?;
    let catalog = index::preview(plan, &p.settings, &out, &out.join("site"))?;
    // With credentials present, read (never write) what is published and compare.
    let remote = token.map(|token| {
        crate::channel::compare(sh, plan, &built, &p.settings, Some(&token))
            .map_err(|e| lamina_remote::hint::render(&e))
    });
    if args.json {
        let remote = match &remote {
            Some(Ok(c)) => serde_json::to_value(c)?,
            Some(Err(e)) => serde_json::json!({ "error": e }),
            None => serde_json::Value::Null,
        };
        let value = serde_json::json!({ "plan": plan, "built": { "assets": built.assets, "images": built.images }, "reproducible": reproducible, "remote": remote });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", report::built(&built, &plan.out_dir));
        match &remote {
            Some(Ok(comparisons)) => print!("{}", crate::channel::render(comparisons)),
            Some(Err(e)) => println!("remote state not read: {e}"),
            None => {
                println!("remote state not read: no credentials (set GITHUB_TOKEN to compare with what is published)")
            }
        }
        if reproducible == Some(true) {
            let images = built.images.iter().filter(|i| i.digest.is_some()).count();
            println!(
                "reproducible: a second build in a separate folder is byte-identical ({images} image digest{} compared)",
                if images == 1 { "" } else { "s" }
            );
        }
        if catalog {
            println!("catalog preview: {}/site/index.html", plan.out_dir);
        }
        println!("dry run: nothing was published");
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cargo xtask test` or `bench` in the `xtask-dev` crate of the checkout at `root`, through
/// cargo, with this terminal; its exit code is ours.
pub fn run_xtask_dev(sh: &Shell, root: &Path, args: &[String]) -> anyhow::Result<ExitCode> {
    let cargo = crate::env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
    let manifest = root.join("xtask-dev/Cargo.toml");
    let code = crate::shell::status(crate::shell::cmd!(
        sh,
        "{cargo} run --quiet --locked --manifest-path {manifest} --bin xtask-dev -- -C {root} {args...}"
    ))?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// `release.toml` alone (no workspace, no validation of the components) and the settings: enough
/// for the commands that only read or write remotes (`verify`, `index`).
fn load(root: &Path, args: &RemoteArgs) -> anyhow::Result<(crate::config::ReleaseConfig, Settings)> {
    let text = std::fs::read_to_string(root.join(crate::config::FILE))
        .with_context(|| format!("read `{}`", crate::config::FILE))?;
    let config = crate::config::parse(&text)?;
    let settings = Settings::resolve(args, &config)?;
    Ok((config, settings))
}

/// Reads a published release back from every channel; fails when any check fails.
pub fn verify(sh: &Shell, root: &Path, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (config, settings) = load(root, &args.remote)?;
    let version = args.version.unwrap_or_else(|| config.version.to_string());
    let tag = lamina_release_format::names::tag(&version);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let _context = runtime.enter();
    // Reads only: with the token when there is one (a private repository needs it), else
    // anonymously.
    let token = crate::env::var(crate::env::GITHUB_TOKEN).unwrap_or_default();
    let github = crate::channel::github::GitHub::new(&settings, &token)?;
    let registry = crate::channel::registry::Registry::from_env(&settings.registry)?;
    let channels = crate::channel::Channels {
        sh,
        github: &github,
        registry: &registry,
        settings: &settings,
        pages: &plan::PagesTarget::of(&config, &settings),
    };
    let checks = runtime.block_on(crate::channel::verify(&channels, &tag))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        println!("release {tag} of {}:", settings.repository);
        print!("{}", crate::channel::render_checks(&checks));
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        return Err(lamina_remote::hint::fail(
            format!("{failed} of {} checks failed for `{tag}`", checks.len()),
            "`cargo xtask release` on the tagged commit repairs what is missing",
        ));
    }
    eprintln!("all {} checks passed", checks.len());
    Ok(ExitCode::SUCCESS)
}

pub fn bump(sh: &Shell, root: &Path, args: BumpArgs) -> anyhow::Result<ExitCode> {
    let _ = sh;
    let path = root.join(crate::config::FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format_err!("read `{}`: {e}", path.display()))?;
    let config = crate::config::parse(&text).map_err(anyhow::Error::from)?;
    let date = match args.date {
        Some(d) => d,
        None => plan::rfc3339(now())[..10].to_owned(),
    };
    let edits = bump::edits(root, &text, &config, &args.new_version, &date)?;
    bump::apply(root, &edits)?;
    for e in &edits {
        eprintln!("updated {}", e.path);
    }
    eprintln!("moved the release to {}; review with `git diff`, then `cargo xtask validate`", args.new_version);
    Ok(ExitCode::SUCCESS)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
