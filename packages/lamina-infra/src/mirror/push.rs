//! `mirror push`: load a mirror folder's images and OCI charts into another registry with the
//! same digests. The folder is checked first as `verify DIR` checks it, and only the images and
//! charts its manifests list are pushed, at the digests they record: blobs first, then child
//! manifests by digest, then the index, then the tags the layouts name
//! (`org.opencontainers.image.ref.name`). Image `<name>` goes to `HOST/NAMESPACE/<name>`, chart
//! `<name>` to `HOST/NAMESPACE/charts/<name>`.
//!
//! A layout mirrored with `--platform` lacks some children of its index. Its blobs and the
//! platforms it holds are still pushed by digest; the index itself is offered as well, and a
//! registry that refuses an index with missing children (distribution 2.8 does) gets the index
//! and tags left out, which is reported as an error naming what was pushed.

use crate::github::Release;
use crate::registry::{Manifest, Registry};
use crate::source::Mirror;
use anyhow::{Context, bail, format_err};
use lamina_release_format::MANIFEST;
use lamina_release_format::manifest::ReleaseManifest;
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
pub fn push(
    dir: &Path,
    registry: &str,
    version: Option<&str>,
    trust: crate::trust::Trust,
    json: bool,
) -> anyhow::Result<()> {
    let base = registry.trim_end_matches('/');
    let host = base.split('/').next().unwrap_or(base);
    let path_ok = base.split('/').skip(1).all(|p| !p.is_empty() && !p.contains(':'));
    if host.is_empty() || !path_ok || base.contains(['@', ' ']) {
        bail!("`--registry {registry}` is not HOST/NAMESPACE, e.g. `--registry registry.example.com/lamina`");
    }
    let mirror = Mirror::open_as(dir, trust, None)?;
    let releases = releases(&mirror, version)?;
    // The folder is checked first, as `verify DIR` checks it: nothing is pushed from a folder
    // that fails, and then only what the (checked) manifests list, at their digests.
    let checks = crate::verify::mirror_folder(&mirror, &releases);
    let failures: Vec<String> =
        checks.0.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.what, c.detail)).collect();
    if let Some(first) = failures.first() {
        return Err(lamina_remote::hint::fail(
            format!(
                "the mirror `{}` fails {} checks (first: {first}); nothing was pushed",
                dir.display(),
                failures.len()
            ),
            format!("`lamina-infra verify {}` lists them; `lamina-infra mirror` repairs the folder", dir.display()),
        ));
    }
    let client = Registry::new([host], Some(host))?;
    let (mut pushed, mut failed) = (Vec::new(), Vec::new());
    for release in &releases {
        let folder = dir.join(&release.tag_name);
        let manifest: ReleaseManifest = serde_json::from_slice(&std::fs::read(folder.join(MANIFEST))?)?;
        let images = manifest.images.iter().filter_map(|i| Some(("images", "", &i.name, Some(i.digest.as_deref()?))));
        let charts = manifest.charts.iter().filter(|c| c.oci.is_some()).map(|c| ("charts", "charts/", &c.name, None));
        for (kind, prefix, name, digest) in images.chain(charts) {
            let target = format!("{base}/{prefix}{name}");
            let layout = Layout::new(folder.join("oci").join(kind).join(name));
            match push_layout(&client, &layout, &target, digest) {
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

/// The releases to push: all that `mirror.json` lists, or the one of `version`.
fn releases<'a>(mirror: &'a Mirror, version: Option<&str>) -> anyhow::Result<Vec<&'a Release>> {
    let all = mirror.file.releases.iter();
    let Some(version) = version else { return Ok(all.collect()) };
    let wanted = version.trim_start_matches('v');
    match mirror.file.releases.iter().find(|r| r.version() == wanted) {
        Some(release) => Ok(vec![release]),
        None => {
            let held: Vec<&str> = all.map(|r| r.tag_name.as_str()).collect();
            bail!("`{}` holds no release {wanted}; it holds: {}", mirror.dir.display(), held.join(", "))
        }
    }
}

/// Pushes one layout to `target` (`HOST/NAME`); its root must be `digest` when the manifest
/// records one.
fn push_layout(client: &Registry, layout: &Layout, target: &str, digest: Option<&str>) -> anyhow::Result<Pushed> {
    let index = layout.index()?;
    let root_digest = match index.first() {
        Some(d) if index.iter().all(|o| o.digest == d.digest) => d.digest.clone(),
        Some(_) => bail!("`{}` points at several manifests; a mirror layout holds one", layout.root.display()),
        None => bail!("`{}` points at no manifest", layout.root.display()),
    };
    if let Some(recorded) = digest.filter(|d| *d != root_digest) {
        bail!("`{}` holds {root_digest}, the manifest records {recorded}; refusing it", layout.root.display());
    }
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
