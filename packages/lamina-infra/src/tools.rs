//! The one place that runs the user's own tools (`helm`, `terraform`, `docker compose`,
//! `kubectl`): whether each is on PATH, which version it is, and how to get it when it is not.

use anyhow::{Context, bail};
use std::process::{Command, Output};

/// A tool a release's components are used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Helm,
    Terraform,
    Compose,
    Kubectl,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Helm => "helm",
            Tool::Terraform => "terraform",
            Tool::Compose => "docker compose",
            Tool::Kubectl => "kubectl",
        }
    }

    /// Where to get it.
    pub fn hint(self) -> &'static str {
        match self {
            Tool::Helm => "install Helm (https://helm.sh/docs/intro/install/) and put `helm` on PATH",
            Tool::Terraform => {
                "install Terraform (https://developer.hashicorp.com/terraform/install) and put `terraform` on PATH"
            }
            Tool::Compose => {
                "install Docker Compose (https://docs.docker.com/compose/install/): `docker compose` or `docker-compose` on PATH"
            }
            Tool::Kubectl => "install kubectl, or give the cluster's version with `--kube-version`",
        }
    }

    /// The program and leading arguments that run it: `docker compose` when the Docker CLI has
    /// the plugin, else `docker-compose`.
    pub fn command(self) -> anyhow::Result<Vec<String>> {
        let found = match self {
            Tool::Compose => {
                let plugin = run(&["docker", "compose", "version", "--short"]).ok().filter(|o| o.status.success());
                if plugin.is_some() {
                    Some(vec!["docker".to_owned(), "compose".to_owned()])
                } else {
                    on_path("docker-compose").then(|| vec!["docker-compose".to_owned()])
                }
            }
            other => on_path(other.name()).then(|| vec![other.name().to_owned()]),
        };
        match found {
            Some(command) => Ok(command),
            None => bail!("`{}` is not installed here: {}", self.name(), self.hint()),
        }
    }

    /// The tool's version (`1.11.4`, `v4.0.1`); an error when it is missing or does not say.
    /// kubectl's is the cluster's, of kube context `context` when given.
    pub fn version(self, context: Option<&str>) -> anyhow::Result<String> {
        let mut command = self.command()?;
        let args: &[&str] = match self {
            Tool::Helm => &["version", "--template", "{{.Version}}"],
            Tool::Terraform => &["version", "-json"],
            Tool::Compose => &["version", "--short"],
            Tool::Kubectl => &["version", "-o", "json"],
        };
        command.extend(args.iter().map(|a| a.to_string()));
        if let (Tool::Kubectl, Some(context)) = (self, context) {
            command.extend(["--context".to_owned(), context.to_owned()]);
        }
        let words: Vec<&str> = command.iter().map(String::as_str).collect();
        let out = run(&words)?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let version = match self {
            Tool::Terraform => json_field(&text, &["terraform_version"]),
            Tool::Kubectl => json_field(&text, &["serverVersion", "gitVersion"]),
            Tool::Helm | Tool::Compose => Some(text.clone()).filter(|t| !t.is_empty() && out.status.success()),
        };
        version.with_context(|| {
            let why = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().trim().to_owned();
            format!(
                "`{}` did not report its version{}",
                words.join(" "),
                if why.is_empty() { why } else { format!(": {why}") }
            )
        })
    }
}

fn json_field(text: &str, path: &[&str]) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    for key in path {
        value = value.get(key)?.clone();
    }
    value.as_str().map(str::to_owned)
}

/// Whether `program` is on PATH, found as the shell finds it (with `.exe` on Windows).
fn on_path(program: &str) -> bool {
    which::which(program).is_ok()
}

/// The program `name` as the shell would start it: its path on PATH (on Windows with the
/// extensions PATHEXT lists, so `helm` is `helm.exe` and a `.cmd` shim is found too), else the
/// name itself, for the error to name.
#[allow(clippy::disallowed_methods)] // this module is where lamina-infra runs other programs
fn program(name: &str) -> Command {
    Command::new(which::which(name).map_or_else(|_| name.into(), std::ffi::OsString::from))
}

/// Runs `words` (program, then arguments) to its end, capturing its output.
pub fn run(words: &[&str]) -> anyhow::Result<Output> {
    let (name, args) = words.split_first().context("no program to run")?;
    program(name).args(args).output().with_context(|| format!("run `{}`", words.join(" ")))
}

/// Runs `words` with `input` on its standard input, capturing its output.
pub fn run_with_input(words: &[&str], input: &[u8]) -> anyhow::Result<Output> {
    use std::process::Stdio;
    let (name, args) = words.split_first().context("no program to run")?;
    let shown = || format!("run `{}`", words.join(" "));
    let piped = || Stdio::piped();
    let spawned = program(name).args(args).stdin(piped()).stdout(piped()).stderr(piped()).spawn();
    let mut child = spawned.map_err(|e| anyhow::format_err!("{}: {e}", shown()))?;
    std::io::Write::write_all(&mut child.stdin.take().context("no stdin")?, input).with_context(shown)?;
    child.wait_with_output().with_context(shown)
}

/// Runs `words` with the terminal handed over (its output is the user's to read; on stderr when
/// `quiet_stdout`, which keeps stdout for JSON); an error naming the command when it fails.
pub fn run_attached(words: &[String], quiet_stdout: bool) -> anyhow::Result<()> {
    let (name, args) = words.split_first().context("no program to run")?;
    let mut command = program(name);
    command.args(args);
    if quiet_stdout {
        command.stdout(std::io::stderr());
    }
    let status = command.status().with_context(|| format!("run `{}`", words.join(" ")))?;
    if !status.success() {
        bail!("`{}` failed ({status})", words.join(" "));
    }
    Ok(())
}
