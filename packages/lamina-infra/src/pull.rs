//! `pull`: download a release's components, verify each against `SHA256SUMS`, the manifest and
//! GitHub's own digest, read each archive as hostile input ([`archive`]), and only then write
//! anything. Downloads go through a content-addressed cache, so pulling the same content again
//! downloads nothing; a folder that already holds the same is left as it is, another is replaced
//! only with `--clobber`, and nothing is left half-written.

use crate::extract::{on_disk, written};
use crate::github::Release;
use crate::source::Source;
use crate::trusted::{Verified, verified};
use anyhow::{Context, bail};
use lamina_release_format::archive::{self, Limits, Refused, Tree};
use lamina_release_format::manifest::{Component, ComponentKind, ReleaseManifest};
use lamina_release_format::names;
use std::path::Path;

/// Whether a program built for the Rust `target` runs on this machine (its architecture and OS).
fn runs_here(target: &str) -> bool {
    let os = match std::env::consts::OS {
        "linux" => "-linux-",
        "macos" => "-apple-darwin",
        "windows" => "-windows-",
        other => other,
    };
    target.starts_with(std::env::consts::ARCH) && target.contains(os)
}

/// How well a program built for `target` fits this machine, best first: `0` the same C library as
/// this program's, `1` a static musl program on a glibc machine (it runs anywhere on Linux);
/// `None`: it does not run here (another architecture or OS, or a glibc program where this
/// program is musl, on Alpine say).
fn fit(target: &str) -> Option<u8> {
    let musl_here = cfg!(target_env = "musl");
    match (runs_here(target), target.ends_with("-musl")) {
        (false, _) => None,
        (true, musl) if musl == musl_here => Some(0),
        (true, true) => Some(1),
        (true, false) => None,
    }
}

/// What `pull` is asked to do.
pub struct Pull<'a> {
    pub names: &'a [String],
    pub version: Option<&'a str>,
    pub to: &'a Path,
    /// Replace a folder of the same name that holds something else.
    pub clobber: bool,
    pub limits: Limits,
    pub json: bool,
}

/// Pulls the components named into `to`. Every archive is downloaded, verified and read, and
/// every target folder decided (new, already the same, or replaced with `--clobber`), before
/// anything is written.
pub fn pull(source: &Source, ask: &Pull) -> anyhow::Result<()> {
    if ask.to.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
        bail!("`{}` is not a folder; give a folder with --to (a missing one is made)", ask.to.display());
    }
    let release = source.release(ask.version)?;
    let Verified { manifest, sums: listed, anchor, .. } = verified(source, &release)?;
    if anchor.is_none() {
        eprintln!("warning: release {}: {}", release.tag_name, crate::trusted::UNANCHORED);
    }
    let mut chosen = Vec::new();
    for name in ask.names {
        // A package's wheel and sdist share its name; `pull` takes the archive (pip takes the
        // others), the one built for this machine when the release has one per target.
        let python = |c: &Component| matches!(c.kind, ComponentKind::Wheel | ComponentKind::Sdist);
        let named = || manifest.components.iter().filter(|c| c.name == *name && !python(c));
        let for_here = named().filter_map(|c| Some((fit(c.target.as_deref()?)?, c))).min_by_key(|(rank, _)| *rank);
        let found = for_here.map(|(_, c)| c).or_else(|| named().next());
        let Some(component) = found else {
            if semver::Version::parse(name.trim_start_matches('v')).is_ok() {
                bail!("`{name}` is a version, not a component; did you mean `--version {name}`?");
            }
            let mut near: Vec<&str> = manifest.components.iter().map(|c| c.name.as_str()).collect();
            near.sort_by_key(|n| strsim::levenshtein(n, name));
            bail!("release {} has no component `{name}`; it has: {}", release.tag_name, near.join(", "));
        };
        if listed.get(&component.file) != Some(&component.sha256) {
            bail!(
                "release {}: `{}` is not listed in SHA256SUMS as the manifest records it",
                release.tag_name,
                component.file
            );
        }
        let tree = checked(&fetch(source, &release, component)?, &manifest, component, &release, &ask.limits)?;
        let target = ask.to.join(&tree.top);
        let same = target.symlink_metadata().is_ok_and(|m| m.is_dir())
            && on_disk(&target).is_ok_and(|held| held == written(&tree));
        if !same && target.symlink_metadata().is_ok() && !ask.clobber {
            bail!(
                "`{}` already exists and holds something other than {} {}; nothing was written; `--clobber` replaces it",
                target.display(),
                component.name,
                manifest.version
            );
        }
        chosen.push((component, tree, same));
    }
    std::fs::create_dir_all(ask.to).with_context(|| format!("create `{}`", ask.to.display()))?;
    let mut pulled = Vec::new();
    for (component, tree, same) in chosen {
        let folder = ask.to.join(&tree.top);
        if same {
            eprintln!("{} {} is already in {}", component.name, manifest.version, folder.display());
        } else {
            extract(&tree, ask.to).with_context(|| format!("extract `{}`", component.file))?;
            eprintln!("pulled {} {} into {}", component.name, manifest.version, folder.display());
        }
        pulled.push(serde_json::json!({
            "name": component.name, "version": manifest.version, "file": component.file,
            "sha256": component.sha256, "folder": folder, "changed": !same, "anchored": anchor.is_some(),
        }));
    }
    if ask.json {
        println!("{}", serde_json::to_string_pretty(&pulled)?);
    }
    Ok(())
}

/// The verified archive of the release's component `name` (a chart or a bundle): its bytes, and
/// its entries read and checked ([`archive::read`]).
pub(crate) fn archive(
    source: &Source,
    release: &Release,
    manifest: &ReleaseManifest,
    name: &str,
    limits: &Limits,
) -> anyhow::Result<(Vec<u8>, Tree)> {
    let component = manifest
        .components
        .iter()
        .find(|c| {
            c.name == name && !matches!(c.kind, ComponentKind::Binary | ComponentKind::Wheel | ComponentKind::Sdist)
        })
        .with_context(|| format!("release {} records no archive of `{name}`", manifest.version))?;
    let bytes = fetch(source, release, component)?;
    let tree = checked(&bytes, manifest, component, release, limits)?;
    Ok((bytes, tree))
}

/// A component's archive read and checked, its top folder the one the release names; a limit
/// crossed says which flag raises it.
fn checked(
    bytes: &[u8],
    manifest: &ReleaseManifest,
    component: &Component,
    release: &Release,
    limits: &Limits,
) -> anyhow::Result<Tree> {
    archive::read(bytes, Some(&folder_of(manifest, component)), limits).map_err(|refused| {
        let what = format!("`{}` of release {}: {refused}", component.file, release.tag_name);
        match refused {
            Refused::TooBig(_) => lamina_remote::hint::fail(what, "raise the limit with --max-unpacked-size"),
            Refused::TooMany(_) => lamina_remote::hint::fail(what, "raise the limit with --max-entries"),
            _ => anyhow::format_err!("{what}"),
        }
    })
}

/// The folder a component's archive holds and `pull` extracts it into: a chart's name, a
/// program's `{name}-{version}-{target}`, else `{name}-{version}`.
pub(crate) fn folder_of(manifest: &ReleaseManifest, c: &Component) -> String {
    match c.kind {
        ComponentKind::Chart => {
            manifest.charts.iter().find(|ch| ch.file == c.file).map_or(&c.name, |ch| &ch.name).clone()
        }
        ComponentKind::Binary => names::package_folder(&c.name, &c.version, c.target.as_deref().unwrap_or_default()),
        _ => names::bundle_folder(&c.name, &c.version),
    }
}

/// The component's bytes, from the cache or downloaded, checked against every digest known.
pub(crate) fn fetch(source: &Source, release: &Release, component: &Component) -> anyhow::Result<Vec<u8>> {
    let cached = crate::cache::dir().map(|dir| dir.join("sha256").join(&component.sha256));
    if let Some(path) = &cached
        && let Ok(bytes) = std::fs::read(path)
        && lamina_remote::digest::sha256_hex(&bytes) == component.sha256
    {
        return Ok(bytes);
    }
    let asset = release
        .asset(&component.file)
        .with_context(|| format!("release {} has no asset `{}`", release.tag_name, component.file))?;
    let bytes = crate::trusted::asset(source, release, asset, &component.sha256, None)?;
    if let Some(path) = cached {
        // The cache is a convenience: a failure to fill it never fails a pull.
        let _ = lamina_remote::fs::write_atomic(&path, &bytes);
    }
    Ok(bytes)
}

/// Writes a checked archive's tree as `to/<top>` through a scratch folder renamed into place; a
/// folder already there is moved aside first and removed once the new one is in place.
fn extract(tree: &Tree, to: &Path) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix(".lamina-infra-").tempdir_in(to)?;
    let new = scratch.path().join("new");
    crate::extract::write(tree, Path::new(""), &new)?;
    let target = to.join(&tree.top);
    if target.symlink_metadata().is_ok() {
        std::fs::rename(&target, scratch.path().join("old"))
            .with_context(|| format!("replace `{}`", target.display()))?;
    }
    std::fs::rename(&new, &target).with_context(|| format!("move `{}` into place", target.display()))
}

#[cfg(test)]
mod target_tests {
    #[test]
    fn the_archive_for_this_machine_is_recognised_by_its_target() {
        let arch = std::env::consts::ARCH;
        let here = match std::env::consts::OS {
            "macos" => format!("{arch}-apple-darwin"),
            "windows" => format!("{arch}-pc-windows-msvc"),
            _ => format!("{arch}-unknown-linux-gnu"),
        };
        assert!(super::runs_here(&here), "{here}");
        let other_arch = if arch == "aarch64" { "x86_64" } else { "aarch64" };
        assert!(!super::runs_here(&here.replacen(arch, other_arch, 1)));
        assert!(!super::runs_here(&format!("{arch}-unknown-freebsd")));
    }

    #[test]
    fn the_archive_for_this_machine_is_its_own_c_library_then_static_musl() {
        let arch = std::env::consts::ARCH;
        if std::env::consts::OS != "linux" || cfg!(target_env = "musl") {
            return;
        }
        assert_eq!(super::fit(&format!("{arch}-unknown-linux-gnu")), Some(0));
        assert_eq!(super::fit(&format!("{arch}-unknown-linux-musl")), Some(1));
        assert_eq!(super::fit(&format!("{arch}-apple-darwin")), None);
        assert_eq!(super::fit("riscv64gc-unknown-linux-gnu"), None);
    }
}
