//! Reads everything a run starts from: `release.toml`, the checkout, each chart's Chart.yaml and
//! `.helmignore`, which image builder this machine has, and its Rust target.

use crate::config::{self, ReleaseConfig};
use crate::helm::chart;
use crate::plan::{Builder, ChartSource};
use crate::repo::RepoState;
use crate::shell::{self, Shell, cmd};
use anyhow::Context;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use lamina_remote::hint::WithHint;
use std::path::{Path, PathBuf};

/// The repository as read at the start of a run.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: ReleaseConfig,
    pub config_text: String,
    pub repo: RepoState,
    /// One per `[[chart]]`, in order.
    pub charts: Vec<ChartSource>,
}

impl Workspace {
    /// Reads the workspace; problems in the files come back as [`Diagnostics`] inside the error.
    pub fn load(sh: &Shell, root: &Path) -> anyhow::Result<Workspace> {
        let path = root.join(config::FILE);
        let config_text = std::fs::read_to_string(&path)
            .with_context(|| format!("read `{}`", path.display()))
            .hint(format!("run from a checkout that has a `{}`", config::FILE))?;
        let config = config::parse(&config_text)?;
        let repo = RepoState::read(sh, root)?;
        let mut diags = Diagnostics::default();
        let mut charts = Vec::new();
        for c in &config.charts {
            match read_chart(root, &repo, &c.path, c.line) {
                Ok(source) => charts.push(source),
                Err(d) => diags.push(d),
            }
        }
        diags.into_result(())?;
        Ok(Workspace { root: root.to_path_buf(), config, config_text, repo, charts })
    }

    /// Text of a tracked file.
    pub fn read(&self, path: &str) -> anyhow::Result<String> {
        std::fs::read_to_string(self.root.join(path)).with_context(|| format!("read `{path}`"))
    }
}

fn read_chart(root: &Path, repo: &RepoState, dir: &str, line: usize) -> Result<ChartSource, Diagnostic> {
    let file = config::normalize_path(&format!("{dir}/Chart.yaml")).unwrap_or_default();
    if !repo.is_tracked(&file) {
        let message = if root.join(&file).exists() { "is not tracked by git" } else { "does not exist" };
        return Err(Diagnostic::new(config::FILE, Some(line), format!("chart `{dir}`: `{file}` {message}"))
            .help("point `path` at a chart directory whose Chart.yaml is committed"));
    }
    let text = std::fs::read_to_string(root.join(&file))
        .map_err(|e| Diagnostic::new(&file, None, format!("cannot read: {e}")))?;
    let meta = chart::parse(&text).map_err(|(line, message)| {
        Diagnostic::new(&file, line, format!("invalid Chart.yaml: {message}"))
            .help("fix the YAML (Helm's chart format: https://helm.sh/docs/topics/charts/)")
    })?;
    let ignore = format!("{dir}/.helmignore");
    let helmignore = match repo.is_tracked(&ignore) {
        true => Some(
            std::fs::read_to_string(root.join(&ignore))
                .map_err(|e| Diagnostic::new(&ignore, None, format!("cannot read: {e}")))?,
        ),
        false => None,
    };
    Ok(ChartSource { meta, helmignore })
}

/// The image builder this machine can run: `docker buildx` when a Docker engine answers, else
/// `buildah`, else none.
pub fn detect_builder(sh: &Shell) -> Option<Builder> {
    if shell::which("docker").is_some()
        && cmd!(sh, "docker buildx version").quiet().ignore_stdout().ignore_stderr().run().is_ok()
        && cmd!(sh, "docker info").quiet().ignore_stdout().ignore_stderr().run().is_ok()
    {
        return Some(Builder::Buildx);
    }
    shell::which("buildah").map(|_| Builder::Buildah)
}

/// The Rust target triple of this machine (`rustc -vV`), which packages are built for.
pub fn host_target(sh: &Shell) -> anyhow::Result<String> {
    let info = shell::run_captured(cmd!(sh, "rustc -vV").quiet())
        .hint("packages are built with the Rust toolchain: install it from https://rustup.rs")?;
    info.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|t| t.trim().to_owned())
        .context("`rustc -vV` names no host target")
}
