//! `deploy COMPONENT`: from a verified release to a running deployment with the user's own tool.
//! The component is pulled and verified, `compat` and `validate` run, and only then are the files
//! written into a working folder and the tool started: `helm upgrade --install` of the chart
//! archive with the release's image digests pinned through values, `docker compose up -d` of the
//! pinned project, or `terraform init`, `plan` and (after a confirmation) `apply` of a root module
//! calling the verified module. `--dry-run` prints the files and commands and touches nothing.

mod compose;
mod helm;
mod terraform;

use crate::cli::Deploy;
use crate::source::Source;
use crate::tools::Tool;
use crate::validate::{self, Target};
use anyhow::{Context, bail};
use lamina_release_format::archive::Tree;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// A file the deployment writes into its working folder.
pub enum Staged {
    /// Bytes written as they are.
    File { path: PathBuf, bytes: Vec<u8>, shown: bool },
    /// A verified archive's folder `take` (the top folder when `None`) written as `to`.
    Tree { tree: Tree, take: Option<String>, to: PathBuf },
}

/// The whole deployment, decided before anything is written.
pub struct Plan {
    pub workdir: PathBuf,
    pub staged: Vec<Staged>,
    pub commands: Vec<Vec<String>>,
    /// The command (by index) that changes real infrastructure; it asks first unless `--yes`.
    pub confirm: Option<usize>,
    /// What that command changes, said before it runs (a chart: kube context, namespace, release).
    pub target: Option<String>,
}

/// Runs `deploy`.
pub fn deploy(source: &Source, opts: &Deploy) -> anyhow::Result<()> {
    let component = opts.component.as_str();
    let release = source.release(opts.version.as_deref())?;
    let manifest = crate::trusted::verified(source, &release)?.manifest;
    let target = validate::target(&manifest, component)?;
    let (tool, files, flag) = match &target {
        Target::Chart(_) => (Tool::Helm, &opts.values, "--values"),
        Target::Module(..) => (Tool::Terraform, &opts.var_file, "--var-file"),
        Target::Compose(..) => (Tool::Compose, &opts.env_file, "--env-file"),
    };
    for (given, other) in [(&opts.values, "--values"), (&opts.var_file, "--var-file"), (&opts.env_file, "--env-file")] {
        if !given.is_empty() && other != flag {
            bail!("`{other}` does not apply to `{component}`; give its configuration with `{flag}`");
        }
    }
    let program = tool.command()?;

    // A chart's kube context is decided once, and given to kubectl here and to helm below.
    let context = match &target {
        Target::Chart(_) => helm::context(opts.kube_context.as_deref()),
        _ => opts.kube_context.clone(),
    };
    let found = |tool| crate::compat::installed_in(tool, context.as_deref());
    let rows = crate::compat::check(&manifest, opts.kube_version.as_deref(), &found);
    let ours: Vec<_> = rows.into_iter().filter(|r| concerns(&r.component, component, &target)).collect();
    // A requirement that could not be checked is said, not passed over in silence.
    for r in ours.iter().filter(|r| r.ok.is_none()) {
        eprintln!("warning: {}: {} was not checked: {}", r.component, r.requirement, r.found);
    }
    let unmet: Vec<String> = ours
        .iter()
        .filter(|r| r.ok == Some(false))
        .map(|r| format!("{}: needs {}, found {}", r.component, r.requirement, r.found))
        .collect();
    if !unmet.is_empty() {
        bail!("{component} {} cannot be deployed here, nothing was done: {}", manifest.version, unmet.join("; "));
    }
    let problems = validate::check(source, &release, &manifest, &target, files)?;
    for p in &problems {
        eprintln!("{p}");
    }
    let errors = problems.iter().filter(|p| !p.warning).count();
    if errors > 0 {
        bail!("{errors} problem(s) in the configuration for {component}; nothing was deployed");
    }

    let workdir =
        opts.workdir.clone().unwrap_or_else(|| PathBuf::from(format!("lamina-deploy/{}", component.replace('/', "-"))));
    let workdir = std::path::absolute(&workdir).with_context(|| format!("`{}`", workdir.display()))?;
    claimable(&workdir, component)?;
    let files: Vec<PathBuf> = files.iter().map(std::path::absolute).collect::<Result<_, _>>()?;
    let plan = match &target {
        Target::Chart(chart) => {
            let (archive, _) = crate::pull::archive(source, &release, &manifest, &chart.name, &opts.unpack.limits())?;
            helm::plan(program, chart, archive, &files, opts, context.as_deref(), workdir)?
        }
        Target::Compose(bundle, project) => {
            let (_, tree) = crate::pull::archive(source, &release, &manifest, bundle, &opts.unpack.limits())?;
            compose::plan(program, project, tree, &files, workdir)
        }
        Target::Module(bundle, module) => {
            let (_, tree) = crate::pull::archive(source, &release, &manifest, bundle, &opts.unpack.limits())?;
            terraform::plan(program, module, tree, &files, workdir)?
        }
    };
    if !opts.dry_run {
        run(&plan, component, opts.yes, opts.json)?;
    }
    if opts.json {
        let files: Vec<String> = plan
            .staged
            .iter()
            .map(|s| match s {
                Staged::File { path, .. } | Staged::Tree { to: path, .. } => path.display().to_string(),
            })
            .collect();
        let out = serde_json::json!({
            "component": component,
            "version": manifest.version,
            "dryRun": opts.dry_run,
            "workdir": plan.workdir,
            "target": plan.target,
            "files": files,
            "commands": plan.commands,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if opts.dry_run {
        print!("{}", render(&plan));
    } else {
        eprintln!("deployed {component} {} (working folder {})", manifest.version, plan.workdir.display());
    }
    Ok(())
}

/// Whether a `compat` row is about `component` (or the tool it deploys with).
fn concerns(row: &str, component: &str, target: &Target<'_>) -> bool {
    match target {
        Target::Chart(chart) => row == "charts" || row.starts_with(&format!("chart {} ", chart.name)),
        Target::Module(bundle, module) => row == format!("{bundle} {}", module.path),
        Target::Compose(..) => row == component,
    }
}

/// The plan as `--dry-run` prints it: every file, then every command, exactly.
pub fn render(plan: &Plan) -> String {
    let mut out = format!("working folder: {}\n", plan.workdir.display());
    if let Some(target) = &plan.target {
        out.push_str(&format!("target: {target}\n"));
    }
    for staged in &plan.staged {
        match staged {
            Staged::File { path, bytes, shown } => {
                out.push_str(&format!("would write {}\n", path.display()));
                if *shown {
                    for line in String::from_utf8_lossy(bytes).lines() {
                        out.push_str(&format!("    {line}\n"));
                    }
                }
            }
            Staged::Tree { take, to, .. } => {
                let what =
                    take.as_deref().map(|t| format!("its `{t}` folder")).unwrap_or_else(|| "the bundle".to_owned());
                out.push_str(&format!("would extract {what} (verified) into {}\n", to.display()));
            }
        }
    }
    for (i, command) in plan.commands.iter().enumerate() {
        let ask = if plan.confirm == Some(i) { "  (after asking, unless --yes)" } else { "" };
        out.push_str(&format!("would run: {}{ask}\n", shell_words(command)));
    }
    out
}

/// A command as it would be typed into a POSIX shell.
pub fn shell_words(words: &[String]) -> String {
    let quote = |w: &String| {
        if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c)) {
            w.clone()
        } else {
            format!("'{}'", w.replace('\'', r"'\''"))
        }
    };
    words.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Writes the files, then runs the commands in order, stopping at the first failure.
fn run(plan: &Plan, component: &str, yes: bool, quiet_stdout: bool) -> anyhow::Result<()> {
    // A first command is asked about before anything is written.
    if plan.confirm == Some(0) {
        approve(plan, yes)?;
    }
    private_folder(&plan.workdir)?;
    let marker = plan.workdir.join(MARKER);
    std::fs::write(&marker, format!("{component}\n")).with_context(|| format!("write `{}`", marker.display()))?;
    for staged in &plan.staged {
        match staged {
            Staged::File { path, bytes, .. } => {
                std::fs::write(path, bytes).with_context(|| format!("write `{}`", path.display()))?;
            }
            Staged::Tree { tree, take, to } => write_tree(tree, take.as_deref(), to)?,
        }
    }
    for (i, command) in plan.commands.iter().enumerate() {
        if i > 0 && plan.confirm == Some(i) {
            approve(plan, yes)?;
        }
        let ran = crate::tools::run_attached(command, quiet_stdout);
        private_files(&plan.workdir);
        ran?;
    }
    Ok(())
}

/// Says what the plan's confirmed command changes, then asks (unless `yes`).
fn approve(plan: &Plan, yes: bool) -> anyhow::Result<()> {
    let command = plan.confirm.and_then(|i| plan.commands.get(i)).context("no command to approve")?;
    if let Some(target) = &plan.target {
        eprintln!("target: {target}");
    }
    if !yes && !confirmed(command, plan.target.as_deref())? {
        bail!("nothing was changed: the answer was not `yes`; run again with --yes to go ahead without asking");
    }
    Ok(())
}

/// The working folder, made readable by its owner only (mode 0700): Terraform keeps its state
/// there, and a plan file holds every value given.
fn private_folder(workdir: &Path) -> anyhow::Result<()> {
    let create = || format!("create `{}`", workdir.display());
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(workdir).with_context(create)?;
    #[cfg(unix)]
    std::fs::set_permissions(workdir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).with_context(create)?;
    Ok(())
}

/// Terraform's state and the saved plan, readable by their owner only (mode 0600).
fn private_files(workdir: &Path) {
    #[cfg(unix)]
    for name in ["terraform.tfstate", "terraform.tfstate.backup", "lamina.tfplan"] {
        let path = workdir.join(name);
        if path.symlink_metadata().is_ok_and(|m| m.is_file()) {
            let _ = std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = workdir;
}

/// The file naming the component a working folder belongs to.
const MARKER: &str = ".lamina-deploy";

/// A working folder `deploy` may write into for `component`: new, empty, or one it made for the
/// same component before. Anything else would have folders replaced, or (for Terraform) another
/// deployment's state changed.
fn claimable(workdir: &Path, component: &str) -> anyhow::Result<()> {
    let shown = workdir.display();
    match std::fs::read_to_string(workdir.join(MARKER)) {
        Ok(owner) if owner.trim() == component => Ok(()),
        Ok(owner) => {
            bail!("`{shown}` is the working folder of {}, not {component}; give another --workdir", owner.trim())
        }
        Err(_) if std::fs::read_dir(workdir).map_or(true, |mut entries| entries.next().is_none()) => Ok(()),
        Err(_) => bail!(
            "`{shown}` holds files `lamina-infra deploy` did not write; give a new or empty folder with --workdir"
        ),
    }
}

/// Writes the archive's folder `take` (all of it when `None`) as `to`, replacing what was there.
fn write_tree(tree: &Tree, take: Option<&str>, to: &Path) -> anyhow::Result<()> {
    let parent = to.parent().context("the target folder has no parent")?;
    let scratch = tempfile::Builder::new().prefix(".lamina-deploy-").tempdir_in(parent)?;
    let new = scratch.path().join("new");
    crate::extract::write(tree, Path::new(take.unwrap_or("")), &new)?;
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("replace `{}`", to.display()))?;
    }
    std::fs::rename(&new, to).with_context(|| format!("move `{}` into place", to.display()))
}

/// Asks on the terminal whether to run `command`, which changes `target` (when known).
fn confirmed(command: &[String], target: Option<&str>) -> anyhow::Result<bool> {
    let shown = shell_words(command);
    if !std::io::stdin().is_terminal() {
        bail!("`{shown}` needs approval, and there is no terminal to ask; run again with --yes");
    }
    match target {
        Some(target) => eprint!("Deploy to {target} (`{shown}`)? Only `yes` goes ahead: "),
        None => eprint!("Apply this plan (`{shown}`)? Only `yes` applies: "),
    }
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
