//! `pull`: download a release's components, verify each against `SHA256SUMS`, the manifest and
//! GitHub's own digest, and extract it safely into a folder. Downloads go through a
//! content-addressed cache, so pulling the same content again downloads nothing; nothing is left
//! half-written in the target folder.

use crate::github::Release;
use crate::source::Source;
use crate::trusted::verified;
use anyhow::{Context, bail};
use lamina_release_format::manifest::{Component, ComponentKind};
use std::path::{Component as PathPart, Path, PathBuf};

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

/// Pulls `names` (bundles or charts) of the release of `version` into `to`.
pub fn pull(source: &Source, names: &[String], version: Option<&str>, to: &Path, json: bool) -> anyhow::Result<()> {
    let release = source.release(version)?;
    let (manifest, listed) = verified(source, &release)?;
    let mut chosen = Vec::new();
    for name in names {
        // A package's wheel shares its name; `pull` takes the archive (pip takes the wheel), the
        // one built for this machine when the release has one per target.
        let named = || manifest.components.iter().filter(|c| c.name == *name && c.kind != ComponentKind::Wheel);
        let found = named().find(|c| c.target.as_deref().is_some_and(runs_here)).or_else(|| named().next());
        let Some(component) = found else {
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
        chosen.push(component);
    }
    std::fs::create_dir_all(to).with_context(|| format!("create `{}`", to.display()))?;
    let mut pulled = Vec::new();
    for component in chosen {
        let bytes = fetch(source, &release, component)?;
        let folder = extract(&bytes, to).with_context(|| format!("extract `{}`", component.file))?;
        eprintln!("pulled {} {} into {}", component.name, manifest.version, folder.display());
        pulled.push(serde_json::json!({
            "name": component.name, "version": manifest.version, "file": component.file,
            "sha256": component.sha256, "folder": folder,
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&pulled)?);
    }
    Ok(())
}

/// The verified archive of the release's component `name` (a chart or a bundle).
pub(crate) fn archive(
    source: &Source,
    release: &Release,
    manifest: &lamina_release_format::manifest::ReleaseManifest,
    name: &str,
) -> anyhow::Result<Vec<u8>> {
    use lamina_release_format::manifest::ComponentKind;
    let component = manifest
        .components
        .iter()
        .find(|c| c.name == name && !matches!(c.kind, ComponentKind::Binary | ComponentKind::Wheel))
        .with_context(|| format!("release {} records no archive of `{name}`", manifest.version))?;
    fetch(source, release, component)
}

/// The component's bytes, from the cache or downloaded, checked against every digest known.
pub(crate) fn fetch(source: &Source, release: &Release, component: &Component) -> anyhow::Result<Vec<u8>> {
    let cached = cache_dir().map(|dir| dir.join("sha256").join(&component.sha256));
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

/// `LAMINA_INFRA_CACHE`, else the platform's cache folder (`~/.cache/lamina-infra` on Linux).
#[allow(clippy::disallowed_methods)] // the cache folder's one override
fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("LAMINA_INFRA_CACHE").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::cache_dir().map(|d| d.join("lamina-infra")),
    }
}

/// Extracts a `.tar.gz` holding one top folder into `to`, through a scratch folder renamed into
/// place: absolute paths, `..`, links leaving the folder, and anything but files, folders and
/// symlinks are refused, and then nothing is written. Returns the extracted folder.
pub(crate) fn extract(bytes: &[u8], to: &Path) -> anyhow::Result<PathBuf> {
    let scratch = to.join(format!(".lamina-infra-{}", std::process::id()));
    let result = unpack(bytes, &scratch).and_then(|top| {
        let target = to.join(&top);
        if target.exists() {
            std::fs::remove_dir_all(&target).with_context(|| format!("replace `{}`", target.display()))?;
        }
        std::fs::rename(scratch.join(&top), &target)?;
        Ok(target)
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Unpacks into `dir`; returns the archive's one top folder.
fn unpack(bytes: &[u8], dir: &Path) -> anyhow::Result<PathBuf> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut top: Option<PathBuf> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let shown = path.display().to_string();
        if !path.components().all(|p| matches!(p, PathPart::Normal(_) | PathPart::CurDir)) {
            bail!("`{shown}` is an absolute path or climbs out with `..`; refusing the archive");
        }
        let first = path.components().find_map(|p| match p {
            PathPart::Normal(n) => Some(PathBuf::from(n)),
            _ => None,
        });
        let Some(first) = first else { continue };
        match &top {
            None => top = Some(first),
            Some(t) if *t != first => bail!("`{shown}` lies outside the archive's one top folder `{}`", t.display()),
            Some(_) => {}
        }
        let kind = entry.header().entry_type();
        let out = dir.join(&path);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match kind {
            tar::EntryType::Directory => std::fs::create_dir_all(&out)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mode = entry.header().mode().unwrap_or(0o644) & 0o755;
                let mut file = std::fs::File::create(&out)?;
                std::io::copy(&mut entry, &mut file)?;
                set_mode(&out, mode | 0o644)?;
            }
            tar::EntryType::Symlink => {
                let target = entry.link_name()?.context("a symlink without a target")?.into_owned();
                let resolved = lexical(&path.parent().unwrap_or(Path::new("")).join(&target));
                if target.is_absolute()
                    || !resolved.is_some_and(|r| r.starts_with(top.as_deref().unwrap_or(Path::new(""))))
                {
                    bail!(
                        "`{shown}` links to `{}`, outside the archive's folder; refusing the archive",
                        target.display()
                    );
                }
                symlink(&target, &out)?;
            }
            other => bail!("`{shown}` is a {other:?} entry; only files, folders and symlinks are accepted"),
        }
    }
    top.context("the archive is empty")
}

/// `path` with `.` and `..` resolved without the file system; `None` when it climbs above its start.
fn lexical(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            PathPart::Normal(n) => out.push(n),
            PathPart::CurDir => {}
            PathPart::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            PathPart::RootDir | PathPart::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(link.parent().unwrap_or(Path::new(".")).join(target), link).map(drop)
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
}
