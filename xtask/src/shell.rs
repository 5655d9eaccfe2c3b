//! The one place that starts other programs: a quiet xshell `Shell` rooted at the repository,
//! tool discovery, and CI log sections.
//!
//! Every process goes through xshell's `cmd!`, so arguments are never parsed by a shell and a
//! non-zero exit is an error. `std::process::Command::new` is banned by `clippy.toml`.

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use xshell::{Shell, cmd};

/// A shell whose working directory is `root`.
pub fn at(root: &Path) -> anyhow::Result<Shell> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    Ok(sh)
}

/// The repository a run works on, resolved at run time (a binary may be reused from another
/// checkout's `target/`): `-C DIR` when given; else the parent of `CARGO_MANIFEST_DIR`, which
/// `cargo xtask` sets; else the git top level of the working directory. Without `-C`, a working
/// directory inside another repository than the one resolved is refused.
pub fn project_root(directory: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = directory {
        return Ok(std::path::absolute(dir)?);
    }
    let cwd = std::env::current_dir()?;
    let here = git_toplevel(&cwd);
    let Some(manifest) = crate::env::var(crate::env::CARGO_MANIFEST_DIR) else {
        return here.ok_or_else(|| {
            lamina_remote::hint::fail(
                format!("`{}` is not inside a git repository", cwd.display()),
                "run `cargo xtask` from a checkout, or pass `-C DIR`",
            )
        });
    };
    let root = Path::new(&manifest).parent().map_or_else(|| PathBuf::from(&manifest), Path::to_path_buf);
    let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().is_ok_and(|b| a == b));
    match here {
        Some(here) if !same(&here, &root) => Err(lamina_remote::hint::fail(
            format!(
                "the working directory is inside `{}`, but this xtask belongs to `{}`",
                here.display(),
                root.display()
            ),
            "run `cargo xtask` from the checkout you mean, or pass `-C DIR` to choose one",
        )),
        _ => Ok(root),
    }
}

/// The top level of the git repository holding `dir`, if any.
fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let sh = Shell::new().ok()?;
    sh.change_dir(dir);
    let out = cmd!(sh, "git rev-parse --show-toplevel").quiet().ignore_stderr().read().ok()?;
    Some(PathBuf::from(out.trim())).filter(|p| !p.as_os_str().is_empty())
}

/// Full path of `program` on `PATH`, if present.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = crate::env::var("PATH")?;
    let file = format!("{program}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&path).map(|dir| dir.join(&file)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Windows has no executable bit: the `.exe` name says it (the job graph builds packages there).
#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// A named block of log output: `::group::` in GitHub Actions, a heading elsewhere; prints the
/// elapsed time when dropped.
pub struct Section {
    name: &'static str,
    start: Instant,
    github: bool,
}

impl Section {
    pub fn new(name: &'static str) -> Section {
        let github = crate::env::flag(crate::env::GITHUB_ACTIONS);
        if github {
            eprintln!("::group::{name}");
        } else {
            eprintln!("== {name}");
        }
        Section { name, start: Instant::now(), github }
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        eprintln!("   {} took {:.2?}", self.name, self.start.elapsed());
        if self.github {
            eprintln!("::endgroup::");
        }
    }
}

/// Runs `cmd` with its output captured; on failure the error carries the last lines the
/// program wrote on stderr, which usually say why.
pub fn run_captured(cmd: xshell::Cmd<'_>) -> anyhow::Result<String> {
    let shown = cmd.to_string();
    let output = cmd.quiet().ignore_status().output()?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(3)..].join("\n");
    anyhow::bail!("`{}` failed ({}): {tail}", shown.split(' ').next().unwrap_or_default(), output.status)
}

/// Runs `cmd` with this process's standard streams; returns its exit code (1 when killed).
pub fn status(cmd: xshell::Cmd<'_>) -> anyhow::Result<i32> {
    let mut command: std::process::Command = cmd.into();
    Ok(command.status()?.code().unwrap_or(1))
}

/// Starts `cmd` in the background with its output discarded; the caller stops it.
pub fn spawn(cmd: xshell::Cmd<'_>) -> anyhow::Result<std::process::Child> {
    let mut command: std::process::Command = cmd.into();
    Ok(command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn()?)
}
