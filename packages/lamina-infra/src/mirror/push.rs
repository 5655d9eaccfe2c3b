//! `mirror push`: load a mirror folder's images and OCI charts into another registry with the
//! same digests: blobs first, then child manifests by digest, then the index, then the tags the
//! layouts name (`org.opencontainers.image.ref.name`). Image `<name>` goes to
//! `HOST/NAMESPACE/<name>`, chart `<name>` to `HOST/NAMESPACE/charts/<name>`.
//!
//! A layout mirrored with `--platform` lacks some children of its index. Its blobs and the
//! platforms it holds are still pushed by digest; the index itself is offered as well, and a
//! registry that refuses an index with missing children (distribution 2.8 does) gets the index
//! and tags left out, which is reported as an error naming what was pushed.

use crate::registry::{Manifest, Registry};
use crate::source::Mirror;
use anyhow::{Context, bail, format_err};
use lamina_remote::layout::{Descriptor, Layout, Problem, references};
use serde::Serialize;
use std::path::Path;

/// What pushing one layout did.
#[derive(Debug, Serialize)]
struct Pushed {
    target: String,
    digest: String,
    /// Blobs uploaded; the others were in the registry already.
    uploaded: usize,
    tags: Vec<String>,
}

/// A layout that was not pushed, and why.
#[derive(Debug, Serialize)]
struct Failed {
    target: String,
    error: String,
}

/// Pushes every layout of the releases in `dir` (only `version` when given) to `registry`
/// (`HOST[/NAMESPACE]`); `json` prints what was pushed and what failed as JSON.
pub fn push(dir: &Path, registry: &str, version: Option<&str>, json: bool) -> anyhow::Result<()> {
    let base = registry.trim_end_matches('/');
    let host = base.split('/').next().unwrap_or(base);
    let path_ok = base.split('/').skip(1).all(|p| !p.is_empty() && !p.contains(':'));
    if host.is_empty() || !path_ok || base.contains(['@', ' ']) {
        bail!("`--registry {registry}` is not HOST/NAMESPACE, e.g. `--registry registry.example.com/lamina`");
    }
    let tags = releases(dir, version)?;
    let client = Registry::new([host], Some(host))?;
    let (mut pushed, mut failed) = (Vec::new(), Vec::new());
    for tag in &tags {
        for (kind, prefix) in [("images", ""), ("charts", "charts/")] {
            let folder = dir.join(tag).join("oci").join(kind);
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
            names.sort();
            for name in names.iter().filter(|n| !n.starts_with('.')) {
                let target = format!("{base}/{prefix}{name}");
                match push_layout(&client, &Layout::new(folder.join(name)), &target) {
                    Ok(p) => {
                        let tags = p.tags.join(", ");
                        eprintln!("pushed {}@{} ({} blobs uploaded; tags: {tags})", p.target, p.digest, p.uploaded);
                        pushed.push(p);
                    }
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        failed.push(Failed { target, error: format!("{e:#}") });
                    }
                }
            }
        }
    }
    if json {
        let out = serde_json::json!({ "registry": base, "pushed": pushed, "failed": failed });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|f| f.target.as_str()).collect();
        bail!("{} of the mirrored images and charts were not pushed: {}", failed.len(), names.join(", "));
    }
    Ok(())
}

/// The release tags to push: all that `mirror.json` lists, or the one of `version`.
fn releases(dir: &Path, version: Option<&str>) -> anyhow::Result<Vec<String>> {
    let mirror = Mirror::open(dir)?;
    let tags: Vec<String> = mirror.file.releases.iter().map(|r| r.tag_name.clone()).collect();
    let Some(version) = version else { return Ok(tags) };
    let wanted = version.trim_start_matches('v');
    match tags.iter().find(|t| lamina_release_format::names::version(t) == wanted) {
        Some(tag) => Ok(vec![tag.clone()]),
        None => bail!("`{}` holds no release {wanted}; it holds: {}", dir.display(), tags.join(", ")),
    }
}

/// Pushes one layout to `target` (`HOST/NAME`).
fn push_layout(client: &Registry, layout: &Layout, target: &str) -> anyhow::Result<Pushed> {
    let index = layout.index()?;
    let root_digest = match index.first() {
        Some(d) if index.iter().all(|o| o.digest == d.digest) => d.digest.clone(),
        Some(_) => bail!("`{}` points at several manifests; a mirror layout holds one", layout.root.display()),
        None => bail!("`{}` points at no manifest", layout.root.display()),
    };
    let root = stored(layout, &root_digest)?;
    // Every manifest present (children before parents), the index's children it lacks (a mirror
    // made with --platform), and the blobs; anything else missing or damaged stops the push.
    let top = index.iter().find(|d| d.digest == root_digest).cloned().into_iter().collect::<Vec<_>>();
    let walk = layout.walk(&top);
    let mut missing: Vec<Descriptor> = Vec::new();
    for problem in walk.problems {
        match problem {
            Problem::Missing(d) if root.is_index() && is_index_child(&root, &d) => missing.push(d),
            problem => bail!("`{}`: {problem}; mirror the release again", layout.root.display()),
        }
    }
    let present = walk.manifests;
    let blobs: Vec<String> = walk.blobs.into_iter().map(|b| b.digest).collect();
    let uploaded = client.push_blobs(target, &blobs, &layout.blobs())?;
    for m in present.iter().filter(|m| m.digest != root.digest) {
        client.push_manifest(&format!("{target}@{}", m.digest), m)?;
    }
    if let Err(e) = client.push_manifest(&format!("{target}@{}", root.digest), &root) {
        if missing.is_empty() {
            return Err(e);
        }
        let lacking: Vec<String> = missing.iter().map(|d| d.platform.clone().unwrap_or(d.digest.clone())).collect();
        let held: Vec<&str> = present.iter().filter(|m| m.digest != root.digest).map(|m| m.digest.as_str()).collect();
        return Err(e.context(format_err!(
            "`{target}`: the registry refused the index {} because the mirror lacks its platforms {} (it was mirrored with --platform); the platforms it holds were pushed by digest ({}), the index and its tags were not; mirror without --platform to push the whole image",
            root.digest,
            lacking.join(", "),
            held.join(", ")
        )));
    }
    let mut tags = Vec::new();
    for tag in index.iter().filter_map(|d| d.ref_name.as_deref()) {
        client.push_manifest(&format!("{target}:{tag}"), &root)?;
        tags.push(tag.to_owned());
    }
    Ok(Pushed { target: target.to_owned(), digest: root.digest, uploaded, tags })
}

fn stored(layout: &Layout, digest: &str) -> anyhow::Result<Manifest> {
    layout.manifest(digest)?.with_context(|| {
        format!("`{}` lacks its manifest {digest} or it is damaged; mirror the release again", layout.root.display())
    })
}

/// Whether `d` is one of the children `index` names.
fn is_index_child(index: &Manifest, d: &Descriptor) -> bool {
    references(index).is_ok_and(|children| children.iter().any(|c| c.digest == d.digest))
}
