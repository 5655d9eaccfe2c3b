//! A folder `pull` wrote into, compared file by file with the published archives (fetched through
//! the same verified, cached path `pull` uses): missing, changed and extra files, links and modes.

use crate::extract::{Written as Entry, on_disk, written};
use crate::pull::folder_of;
use crate::source::Source;
use crate::trusted::verified;
use anyhow::{Context, bail};
use lamina_release_format::archive::{self, Limits};
use lamina_release_format::checks::Checks;
use lamina_remote::fs::names;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn check(source: &Source, dir: &Path, version: Option<&str>, report: &mut Checks) -> anyhow::Result<()> {
    let folders: Vec<String> = names(dir).into_iter().filter(|n| !n.starts_with('.') && dir.join(n).is_dir()).collect();
    let version = match version {
        Some(v) => v.trim_start_matches('v').to_owned(),
        None => {
            let found: BTreeSet<&str> = folders.iter().filter_map(|f| split(f)).map(|(_, v)| v).collect();
            match found.into_iter().collect::<Vec<_>>().as_slice() {
                [one] => (*one).to_owned(),
                [] => bail!(
                    "`{}` holds no `COMPONENT-VERSION` folder made by `lamina-infra pull`, and no `mirror.json`; name the release with `--version`, or give a mirror folder",
                    dir.display()
                ),
                several => bail!(
                    "`{}` holds folders of several releases ({}); name one with `--version`",
                    dir.display(),
                    several.join(", ")
                ),
            }
        }
    };
    let release = source.release(Some(&version))?;
    let manifest = verified(source, &release)?.manifest;
    let mut compared = 0;
    for component in &manifest.components {
        let folder = folder_of(&manifest, component);
        if !dir.join(&folder).is_dir() {
            continue;
        }
        compared += 1;
        let bytes = crate::pull::fetch(source, &release, component)?;
        let tree = archive::read(&bytes, Some(&folder), &Limits::default())
            .with_context(|| format!("`{}` of release {}", component.file, release.tag_name))?;
        let on_disk = on_disk(&dir.join(&folder))?;
        compare(&folder, &written(&tree), &on_disk, &component.name, report);
    }
    for folder in &folders {
        let known = manifest.components.iter().any(|c| folder_of(&manifest, c) == *folder);
        if !known && split(folder).is_some_and(|(_, v)| v == manifest.version) {
            report.fail(folder, format!("extra: release {} has no such component", release.tag_name));
        }
    }
    if compared == 0 {
        bail!("`{}` holds no folder of a component of release {}", dir.display(), release.tag_name);
    }
    Ok(())
}

/// `demo-k8s-0.3.0-rc.1` → `("demo-k8s", "0.3.0-rc.1")`.
fn split(folder: &str) -> Option<(&str, &str)> {
    folder
        .match_indices('-')
        .map(|(i, _)| (&folder[..i], &folder[i + 1..]))
        .find(|(name, v)| !name.is_empty() && semver::Version::parse(v).is_ok())
}

fn compare(
    top: &str,
    published: &BTreeMap<PathBuf, Entry>,
    on_disk: &BTreeMap<PathBuf, Entry>,
    name: &str,
    report: &mut Checks,
) {
    let at = |p: &Path| format!("{top}/{}", p.display());
    let mut failed = false;
    for (path, want) in published {
        let problem = match (want, on_disk.get(path)) {
            (_, None) => "missing".to_owned(),
            (w, Some(got)) if w == got => continue,
            (Entry::File { sha: a, .. }, Some(Entry::File { sha: b, .. })) if a != b => {
                format!("changed: published {a}, the file is {b}")
            }
            (Entry::File { mode: a, .. }, Some(Entry::File { mode: b, .. })) => {
                format!("mode {b:o}, published {a:o}")
            }
            (Entry::Link(a), Some(Entry::Link(b))) => {
                format!("links to `{}`, published links to `{}`", b.display(), a.display())
            }
            (w, Some(got)) => format!("is {}, published {}", kind(got), kind(w)),
        };
        report.fail(at(path), problem);
        failed = true;
    }
    for path in on_disk.keys().filter(|p| !published.contains_key(*p)) {
        report.fail(at(path), "extra: not in the published archive");
        failed = true;
    }
    if !failed {
        let files = published.values().filter(|e| matches!(e, Entry::File { .. })).count();
        let noun = if files == 1 { "file" } else { "files" };
        report.ok(top, format!("matches the published {name}: {files} {noun}"));
    }
}

fn kind(e: &Entry) -> &'static str {
    match e {
        Entry::Folder => "a folder",
        Entry::File { .. } => "a file",
        Entry::Link(_) => "a link",
    }
}
