//! Which files go into each archive: git-tracked files under the component's path, with Helm's
//! `.helmignore` rules for charts, and refusals for state files, secrets and symlinks that leave
//! the component (unless the file is named in `allow`). [`mirror`] also lays out an image's
//! staged build context (`build/context.rs`).

use crate::config::{BundleConfig, ChartConfig, FILE as CONFIG, ReleaseConfig, normalize_path};
use crate::helm::ignore::Rules;
use crate::repo::{FileKind, RepoState, TrackedFile};
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use serde::Serialize;

/// One archive entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Path inside the archive, `/`-separated.
    pub name: String,
    /// Unix permission bits: 0644 or 0755 (0777 for symlinks); shown in octal.
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    #[serde(flatten)]
    pub kind: EntryKind,
}

fn octal<S: serde::Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{mode:04o}"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file with the content of `source` (repository-relative).
    File {
        source: String,
    },
    Dir,
    Symlink {
        target: String,
    },
}

/// The entries of `{name}-{version}.tar.gz`: one top folder, directories and files sorted by
/// path, symlinks kept when they stay inside the bundle.
pub fn bundle(repo: &RepoState, bundle: &BundleConfig, version: &str) -> Result<Vec<Entry>, Diagnostics> {
    let top = lamina_release_format::names::bundle_folder(&bundle.name, version);
    let mut diags = Diagnostics::default();
    let kept = repo.files_under(&bundle.path).filter(|file| match refused(&file.path, &bundle.allow) {
        Some(reason) => {
            diags.push(refusal(&file.path, reason, bundle.line));
            false
        }
        None => true,
    });
    let (mut entries, unfit) = mirror(kept, &bundle.path, &top);
    for problem in unfit {
        diags.push(match problem {
            Unfit::EscapingLink { path, target } => escaping_link(path, target, &bundle.path, bundle.line),
            Unfit::Submodule { path } => submodule(path, bundle.line),
        });
    }
    // One problem per file at most: in path order, as the files come.
    diags.0.sort_by(|a, b| a.file.cmp(&b.file));
    if entries.is_empty() && diags.is_empty() {
        diags.push(empty(&bundle.path, bundle.line));
    }
    entries.insert(0, Entry { name: top, mode: 0o755, kind: EntryKind::Dir });
    diags.into_result(entries)
}

/// A tracked file that cannot be copied as it is into an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit<'a> {
    /// A symlink whose target (as git stores it) leaves the folder being copied.
    EscapingLink { path: &'a str, target: &'a str },
    /// A git submodule: its files are not this repository's.
    Submodule { path: &'a str },
}

/// Entries that copy the tracked `files` under `dir` (repository-relative), sorted by name:
/// each named `{prefix}/{rel}` (`rel` alone when `prefix` is empty), their folders 0755, files
/// 0644 or 0755 as git records them, symlinks 0777 when they stay inside `dir`. The files that
/// cannot be copied come back beside, in path order.
pub fn mirror<'a>(
    files: impl IntoIterator<Item = &'a TrackedFile>,
    dir: &str,
    prefix: &str,
) -> (Vec<Entry>, Vec<Unfit<'a>>) {
    let named = |rel: &str| if prefix.is_empty() { rel.to_owned() } else { format!("{prefix}/{rel}") };
    let mut entries: Vec<Entry> = Vec::new();
    let mut unfit = Vec::new();
    for file in files {
        let rel = relative(dir, &file.path);
        let source = file.path.clone();
        let entry = match &file.kind {
            FileKind::Regular => Entry { name: named(rel), mode: 0o644, kind: EntryKind::File { source } },
            FileKind::Executable => Entry { name: named(rel), mode: 0o755, kind: EntryKind::File { source } },
            FileKind::Symlink(target) if link_inside(&file.path, target, dir).is_some() => {
                Entry { name: named(rel), mode: 0o777, kind: EntryKind::Symlink { target: target.clone() } }
            }
            FileKind::Symlink(target) => {
                unfit.push(Unfit::EscapingLink { path: &file.path, target });
                continue;
            }
            FileKind::Submodule => {
                unfit.push(Unfit::Submodule { path: &file.path });
                continue;
            }
        };
        for folder in ancestors(rel) {
            let name = named(folder);
            if !entries.iter().any(|e| e.name == name) {
                entries.push(Entry { name, mode: 0o755, kind: EntryKind::Dir });
            }
        }
        entries.push(entry);
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    (entries, unfit)
}

/// The entries of `{chart}-{version}.tgz` as `helm package` selects them: files only, under one
/// top folder named after the chart, `Chart.yaml` first, all 0644; symlinks are followed.
pub fn chart(
    repo: &RepoState,
    chart: &ChartConfig,
    name: &str,
    helmignore: Option<&str>,
) -> Result<Vec<Entry>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let rules = match Rules::parse(helmignore) {
        Ok(rules) => rules,
        Err(e) => {
            let file = format!("{}/.helmignore", chart.path);
            let help = "`.helmignore` takes one Go glob per line, as `helm package` reads it";
            return Err(Diagnostics(vec![Diagnostic::new(file, None, format!("{e:#}")).help(help)]));
        }
    };
    let mut entries = Vec::new();
    for file in repo.files_under(&chart.path) {
        let rel = relative(&chart.path, &file.path);
        if helm_skips(&rules, rel) {
            continue;
        }
        if let Some(reason) = refused(&file.path, &chart.allow) {
            diags.push(refusal(&file.path, reason, chart.line));
            continue;
        }
        let source = match &file.kind {
            FileKind::Regular | FileKind::Executable => file.path.clone(),
            FileKind::Symlink(target) => match link_inside(&file.path, target, &chart.path) {
                Some(resolved)
                    if repo
                        .files
                        .iter()
                        .any(|f| f.path == resolved && matches!(f.kind, FileKind::Regular | FileKind::Executable)) =>
                {
                    resolved
                }
                Some(_) => {
                    let d = Diagnostic::new(&file.path, None, format!("symlink to `{target}` does not point at a tracked file"))
                        .help("charts follow symlinks to files only: replace the link with the file, or link to a tracked file");
                    diags.push(d);
                    continue;
                }
                None => {
                    diags.push(escaping_link(&file.path, target, &chart.path, chart.line));
                    continue;
                }
            },
            FileKind::Submodule => {
                diags.push(submodule(&file.path, chart.line));
                continue;
            }
        };
        entries.push(Entry { name: format!("{name}/{rel}"), mode: 0o644, kind: EntryKind::File { source } });
    }
    let chart_yaml = format!("{name}/Chart.yaml");
    entries.sort_by(|a, b| (a.name != chart_yaml, &a.name).cmp(&(b.name != chart_yaml, &b.name)));
    if entries.first().is_none_or(|e| e.name != chart_yaml) && diags.is_empty() {
        diags.push(
            Diagnostic::new(format!("{}/Chart.yaml", chart.path), None, "Chart.yaml is not tracked by git")
                .help("`git add` it"),
        );
    }
    diags.into_result(entries)
}

/// Asset names must not collide: two charts with one name, a chart and a bundle, or either
/// with the checksum file or the manifest.
pub fn asset_clashes(
    charts: &[super::ChartPlan],
    bundles: &[super::BundlePlan],
    config: &ReleaseConfig,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut seen: Vec<(&str, usize)> = vec![(super::SUMS, 0), (super::MANIFEST, 0)];
    let lines = config.charts.iter().map(|c| c.line).chain(config.bundles.iter().map(|b| b.line));
    let files = charts.iter().map(|c| &c.file).chain(bundles.iter().map(|b| &b.file));
    for (file, line) in files.zip(lines) {
        match seen.iter().find(|(f, _)| f == file) {
            Some((_, first)) => {
                let earlier = if *first == 0 {
                    "a file the release always has".to_owned()
                } else {
                    format!("the entry at line {first}")
                };
                diags.push(
                    Diagnostic::new(CONFIG, Some(line), format!("asset `{file}` is also made by {earlier}"))
                        .help("give the chart or bundle another name"),
                );
            }
            None => seen.push((file, line)),
        }
    }
    diags
}

/// Whether Helm leaves `rel` out: a `.helmignore` rule on the file or any parent folder, or a
/// `charts/` entry starting with `_` or `.`.
fn helm_skips(rules: &Rules, rel: &str) -> bool {
    if rel.strip_prefix("charts/").is_some_and(|sub| sub.starts_with(['_', '.'])) {
        return true;
    }
    ancestors(rel).any(|dir| rules.ignored(dir, true)) || rules.ignored(rel, false)
}

/// Why a tracked file must never be published, by its name.
pub fn refused(path: &str, allow: &[String]) -> Option<&'static str> {
    if allow.iter().any(|a| a == path) {
        return None;
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    let (stem, ext) = base.rsplit_once('.').unwrap_or((base, ""));
    if base.contains(".tfstate") {
        Some("is Terraform state, which holds secrets and belongs in a backend")
    } else if parts[..parts.len() - 1].contains(&".terraform") {
        Some("is inside `.terraform/`, Terraform's local cache")
    } else if base == ".env"
        || (base.starts_with(".env.") && !matches!(ext, "example" | "sample" | "template" | "dist"))
    {
        Some("is an environment file, which usually holds secrets")
    } else if matches!(base, "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519")
        || matches!(ext, "key" | "p12" | "pfx" | "jks")
    {
        Some("looks like a private key")
    } else if base == "kubeconfig" || ext == "kubeconfig" || stem == "kubeconfig" || path.ends_with(".kube/config") {
        Some("looks like a kubeconfig, which holds cluster credentials")
    } else {
        None
    }
}

/// Why a file must never be published, by its content (private keys, kubeconfigs).
pub fn refused_content(content: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(&content[..content.len().min(1 << 20)]);
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        return Some("holds a private key");
    }
    let kubeconfig = text.lines().any(|l| l.trim_end() == "kind: Config")
        && text.lines().any(|l| l.starts_with("clusters:"))
        && text.lines().any(|l| l.starts_with("users:"));
    if kubeconfig {
        return Some("is a kubeconfig, which holds cluster credentials");
    }
    None
}

pub fn refusal(path: &str, reason: &str, line: usize) -> Diagnostic {
    Diagnostic::new(path, None, format!("refusing to publish `{path}`: it {reason}")).help(format!(
        "remove it from git (`git rm --cached {path}`), or if it is safe to publish, name it in `allow` of the entry at {CONFIG}:{line}"
    ))
}

fn escaping_link(path: &str, target: &str, within: &str, line: usize) -> Diagnostic {
    Diagnostic::new(path, None, format!("symlink to `{target}` leaves `{within}`")).help(format!(
        "replace the link with the file itself, or move the target inside `{within}` (entry at {CONFIG}:{line})"
    ))
}

fn submodule(path: &str, line: usize) -> Diagnostic {
    Diagnostic::new(path, None, "is a git submodule, which cannot be packaged")
        .help(format!("move the submodule out of the path of the entry at {CONFIG}:{line}"))
}

fn empty(path: &str, line: usize) -> Diagnostic {
    Diagnostic::new(CONFIG, Some(line), format!("`{path}` holds no file tracked by git"))
        .help("fix the path, or `git add` the files that belong in it")
}

/// `path` relative to `dir` (both repository-relative).
pub fn relative<'a>(dir: &str, path: &'a str) -> &'a str {
    if dir == "." { path } else { &path[dir.len() + 1..] }
}

/// Parent folders of a relative path, outermost first: `a/b/c` → `a`, `a/b`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

/// Where a symlink points, repository-relative, when that stays inside `within`.
pub fn link_inside(path: &str, target: &str, within: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if dir.is_empty() { target.to_owned() } else { format!("{dir}/{target}") };
    let resolved = normalize_path(&joined).ok()?;
    let inside = within == "." || resolved.strip_prefix(within).is_some_and(|r| r.starts_with('/'));
    inside.then_some(resolved)
}
