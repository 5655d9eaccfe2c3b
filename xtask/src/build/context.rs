//! The staged build context of an image: the git-tracked files of its context folder that its
//! `.dockerignore` keeps, copied into a fresh folder under `target/` with modes 0644 or 0755 (as
//! git records them), folders 0755 and every time set to `SOURCE_DATE_EPOCH`. Builders read this
//! copy, so an untracked or ignored file never reaches an image, and the umask, clock or clone
//! that made the checkout cannot change a layer.

use super::dockerignore::DockerIgnore;
use crate::plan::select::{self, Entry, EntryKind, Unfit};
use crate::repo::{self, TrackedFile};
use crate::shell::{Shell, cmd};
use anyhow::{Context, bail};
use std::fs::{File, FileTimes};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where the staged contexts live, relative to the repository root: one folder per image.
pub const DIR: &str = "target/contexts";

/// What the builder is given.
#[derive(Debug)]
pub struct Staged {
    /// The staged folder: the build context.
    pub context: PathBuf,
    /// The staged Dockerfile, or the checkout's when it lies outside the context.
    pub dockerfile: PathBuf,
}

/// Stages the repository-relative `context` of the checkout at `root` into `dest`, which is
/// removed first.
pub fn stage(
    sh: &Shell,
    root: &Path,
    (context, dockerfile): (&str, &str),
    epoch: i64,
    dest: &Path,
) -> anyhow::Result<Staged> {
    let files = repo::tracked_files(sh, root)?;
    let under: Vec<&TrackedFile> = files.iter().filter(|f| repo::is_under(context, &f.path)).collect();
    let rules = ignore_rules(root, context, &under)?;
    let own_dockerfile = repo::is_under(context, dockerfile).then(|| select::relative(context, dockerfile));
    // Docker's builders always receive the Dockerfile and `.dockerignore`, whatever the rules say.
    let kept = under.into_iter().filter(|f| {
        let rel = select::relative(context, &f.path);
        rel == ".dockerignore" || Some(rel) == own_dockerfile || !rules.excludes(rel)
    });
    let (entries, unfit) = select::mirror(kept, context, "");
    if !unfit.is_empty() {
        let problems: Vec<String> = unfit.iter().map(|u| refusal(u, context)).collect();
        bail!("{}", problems.join("\n"));
    }
    write(sh, root, &entries, epoch, dest).with_context(|| format!("stage the build context `{context}`"))?;
    let dockerfile = match own_dockerfile {
        Some(rel) => dest.join(rel),
        None => root.join(dockerfile),
    };
    Ok(Staged { context: dest.to_path_buf(), dockerfile })
}

/// The rules of the context's tracked `.dockerignore`; none when it has none.
fn ignore_rules(root: &Path, context: &str, files: &[&TrackedFile]) -> anyhow::Result<DockerIgnore> {
    let Some(file) = files.iter().find(|f| select::relative(context, &f.path) == ".dockerignore") else {
        return Ok(DockerIgnore::default());
    };
    let path = &file.path;
    let text = std::fs::read_to_string(root.join(path)).with_context(|| format!("read `{path}`"))?;
    DockerIgnore::parse(&text).map_err(|(line, problem)| {
        lamina_remote::hint::fail(format!("{path}:{line}: {problem}"), "fix the line, as Docker reads `.dockerignore`")
    })
}

/// Why a tracked file cannot be staged, and what to do.
fn refusal(unfit: &Unfit, context: &str) -> String {
    match unfit {
        Unfit::EscapingLink { path, target } => format!(
            "{path}: symlink to `{target}` leaves the image context `{context}`\n  \
             help: replace the link with the file itself, or move the target inside `{context}`"
        ),
        Unfit::Submodule { path } => format!(
            "{path}: is a git submodule inside the image context `{context}`, which cannot be staged\n  \
             help: move the submodule out of `{context}`, or point `context` at a folder without it"
        ),
    }
}

/// Writes `entries` (contents read from `root`) into `dest`, then sets every time to `epoch`.
/// Modes are set explicitly, so the umask does not matter.
fn write(sh: &Shell, root: &Path, entries: &[Entry], epoch: i64, dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).with_context(|| format!("clear `{}`", dest.display()))?;
    }
    std::fs::create_dir_all(dest).with_context(|| format!("create `{}`", dest.display()))?;
    let mut folders = vec![dest.to_path_buf()];
    let mut links = Vec::new();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(epoch).unwrap_or(0));
    let times = FileTimes::new().set_accessed(time).set_modified(time);
    for entry in entries {
        let path = dest.join(&entry.name);
        match &entry.kind {
            EntryKind::Dir => {
                std::fs::create_dir(&path).with_context(|| format!("create `{}`", path.display()))?;
                folders.push(path.clone());
            }
            EntryKind::File { source } => {
                std::fs::copy(root.join(source), &path).with_context(|| format!("copy `{source}`"))?;
                set_mode(&path, entry.mode)?;
                File::options().write(true).open(&path)?.set_times(times)?;
                continue;
            }
            EntryKind::Symlink { target } => {
                symlink(target, &path).with_context(|| format!("link `{}`", entry.name))?;
                links.push(path);
                continue;
            }
        }
        set_mode(&path, entry.mode)?;
    }
    set_mode(dest, 0o755)?;
    if !links.is_empty() {
        // The standard library cannot set a symlink's own time.
        let stamp = format!("@{epoch}");
        cmd!(sh, "touch -h -d {stamp} -- {links...}").quiet().run()?;
    }
    // Innermost first: writing into a folder changes its time.
    for folder in folders.iter().rev() {
        File::open(folder)?.set_times(times).with_context(|| format!("set the time of `{}`", folder.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(unix)]
fn symlink(target: &str, path: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, path)
}

// Images are built on Linux; these let the pipeline compile where the job graph builds only
// packages (macOS has `unix`, Windows has neither).
#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Err(std::io::Error::other("image contexts are staged on Linux or macOS only"))
}

#[cfg(not(unix))]
fn symlink(_: &str, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("image contexts are staged on Linux or macOS only"))
}
