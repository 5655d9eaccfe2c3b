//! Image builds into OCI layouts under `{out}/images/{name}/`, one platform at a time, joined by
//! an index. Either builder reads the staged copy of the context (`context.rs`: tracked files
//! only, fixed modes and times), never the checkout. `buildah` runs daemonless with its storage
//! under `target/buildah`; `docker buildx` writes the layout directly.

use crate::config::ImageSource;
use crate::plan::{Builder, ImagePlan};
use crate::shell::{Shell, cmd, run_captured};
use anyhow::{Context, bail};
use std::path::Path;

/// Makes the image's OCI layout at `layout`, built by its builder or imported from its input,
/// then annotated; returns the digest of its root manifest or index.
pub fn produce(sh: &Shell, root: &Path, image: &ImagePlan, epoch: i64, layout: &Path) -> anyhow::Result<String> {
    if let (ImageSource::Dockerfile { .. }, None) = (&image.source, image.builder) {
        bail!("no image builder found (docker buildx or buildah)");
    }
    if layout.exists() {
        std::fs::remove_dir_all(layout)?;
    }
    std::fs::create_dir_all(layout.parent().unwrap_or(root))?;
    match (&image.source, image.builder) {
        (ImageSource::Prebuilt { input }, _) => crate::layout::import(&root.join(input), layout)?,
        (ImageSource::Dockerfile { context, dockerfile, .. }, Some(builder)) => {
            let dest = root.join(super::context::DIR).join(&image.name);
            let staged = super::context::stage(sh, root, (context, dockerfile), epoch, &dest)?;
            build(sh, root, image, builder, (&staged.context, &staged.dockerfile), epoch, layout)?;
        }
        (ImageSource::Dockerfile { .. }, None) => unreachable!("checked above"),
    }
    crate::layout::annotate(layout, &image.annotations)
}

/// Runs the builder into an OCI layout at `layout`.
fn build(
    sh: &Shell,
    root: &Path,
    image: &ImagePlan,
    builder: Builder,
    (context, dockerfile): (&Path, &Path),
    epoch: i64,
    layout: &Path,
) -> anyhow::Result<()> {
    let epoch = epoch.to_string();
    match builder {
        Builder::Buildah => {
            let base = buildah_storage(&root.join("target/buildah"));
            let base = base.as_slice();
            let list = format!("localhost/lamina-build/{}:{}", image.name, image.tags[0]);
            let _ = cmd!(sh, "buildah {base...} manifest rm {list}").quiet().ignore_stdout().ignore_stderr().run();
            cmd!(sh, "buildah {base...} manifest create {list}").quiet().ignore_stdout().run()?;
            for platform in &image.platforms {
                let tag = format!("{list}-{}", platform.replace('/', "-"));
                let build = cmd!(
                    sh,
                    "buildah {base...} build --quiet --isolation chroot --format oci --timestamp {epoch} --platform {platform} -f {dockerfile} -t {tag} {context}"
                );
                run_captured(build).with_context(|| platform.clone())?;
                cmd!(sh, "buildah {base...} manifest add {list} {tag}").quiet().ignore_stdout().run()?;
            }
            let dest = format!("oci:{}", layout.display());
            cmd!(sh, "buildah {base...} manifest push --quiet --all --format oci {list} {dest}")
                .quiet()
                .ignore_stdout()
                .run()?;
        }
        Builder::Buildx => {
            let platforms = image.platforms.join(",");
            // Reproducible, so a rerun rebuilds the same digest and the version tag is kept:
            // layer times rewritten to SOURCE_DATE_EPOCH, and no provenance or SBOM attestation
            // (they record the build's own time and invocation).
            let dest = format!("type=oci,dest={}.tar,tar=true,rewrite-timestamp=true", layout.display());
            cmd!(
                sh,
                "docker buildx build --platform {platforms} --provenance=false --sbom=false -f {dockerfile} --output {dest} {context}"
            )
                .env("SOURCE_DATE_EPOCH", &epoch)
                .run()
                .with_context(|| format!("build image `{}`", image.name))?;
            std::fs::create_dir_all(layout)?;
            let tarball = format!("{}.tar", layout.display());
            cmd!(sh, "tar -xf {tarball} -C {layout}").quiet().run()?;
            std::fs::remove_file(&tarball)?;
        }
    }
    Ok(())
}

/// buildah's global flags for a private store under `dir` (vfs: works in containers, leaves no
/// mounts behind).
pub fn buildah_storage(dir: &Path) -> Vec<String> {
    let path = |p: &str| dir.join(p).display().to_string();
    [
        "--root".to_owned(),
        path("store"),
        "--runroot".to_owned(),
        path("run"),
        "--storage-driver".to_owned(),
        "vfs".to_owned(),
    ]
    .into()
}
