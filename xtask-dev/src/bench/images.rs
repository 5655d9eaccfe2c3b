//! `images`: push three images that share a 32 MiB base layer (built by buildah, FROM scratch,
//! into OCI layouts) to a fresh registry, one repository each.
//!
//! - ours: the registry channel (`Registry::push_image`: blobs checked, shared ones mounted,
//!   uploads in parallel, manifests by digest, then the tag); then a rerun of ours, which must
//!   upload nothing;
//! - peer: `skopeo copy` of each layout, one after the other;
//! - limit: `curl` putting the same blobs and manifests, read from the same layouts: one curl
//!   process opens every upload (`POST /v2/<name>/blobs/uploads/`, over one connection), a
//!   second makes each a monolithic `PUT <location>&digest=…` with the whole blob, mounts the
//!   shared layer into the other repositories, then puts the manifests (over one connection,
//!   `--next`). The registry (distribution 2.8) ignores the single-request `POST …?digest=`
//!   upload, so the `Location`s have to come back first: two processes, the least there is.
//!
//! Each run of each side gets a registry of its own; the three sides run in turns.

use super::report::{Goal, Row, Side, Work};
use super::{RUNS, median_of};
use crate::registry::LocalRegistry;
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use xtask::layout::Image;
use xtask::shell::{Shell, cmd};

pub fn images(sh: &Shell) -> anyhow::Result<Row> {
    use xtask::channel::registry::Registry;
    use xtask::config::parse_registry_base;
    let tmp = tempfile::tempdir()?;
    let t = tmp.path();
    // A 32 MiB base file shared by all three, and a small file of each image's own.
    let base: Vec<u8> = (0..32u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let flags = xtask::build::image::buildah_storage(&t.join("buildah"));
    let flags = flags.as_slice();
    let mut layouts = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let ctx = t.join(name);
        std::fs::create_dir_all(&ctx)?;
        std::fs::write(ctx.join("base.bin"), &base)?;
        std::fs::write(ctx.join("own.txt"), name)?;
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nCOPY base.bin /base.bin\nCOPY own.txt /own.txt\n")?;
        let tag = format!("localhost/bench/{name}:1");
        cmd!(
            sh,
            "buildah {flags...} build --quiet --layers --isolation chroot --format oci --timestamp 0 -t {tag} {ctx}"
        )
        .quiet()
        .ignore_stdout()
        .run()?;
        let layout = t.join(format!("{name}.layout"));
        let dest = format!("oci:{}:1", layout.display());
        cmd!(sh, "buildah {flags...} push --quiet {tag} {dest}").quiet().ignore_stdout().run()?;
        layouts.push((name, layout));
    }
    let images: Vec<(&str, Image)> =
        layouts.iter().map(|(n, l)| Ok((*n, xtask::layout::read(l)?))).collect::<anyhow::Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let tags = vec!["1".to_owned()];
    let mut rerun_uploads = 0;
    let mut ours = || -> anyhow::Result<Duration> {
        let registry = LocalRegistry::start(&[])?;
        let client = Registry::new(
            &parse_registry_base(&format!("http://{}/ours", registry.host())).map_err(anyhow::Error::msg)?,
            None,
        );
        let start = Instant::now();
        for (name, image) in &images {
            let pushed = runtime.block_on(client.push_image(name, image, &tags, "1"))?;
            if xtask::env::flag("LAMINA_BENCH_TRACE") {
                eprintln!(
                    "  pushed {name} at {:?}: {} uploaded, {} mounted",
                    start.elapsed(),
                    pushed.uploaded,
                    pushed.mounted
                );
            }
        }
        let elapsed = start.elapsed();
        for (name, image) in &images {
            rerun_uploads += runtime.block_on(client.push_image(name, image, &tags, "1"))?.uploaded;
        }
        Ok(elapsed)
    };
    let peer = || -> anyhow::Result<Duration> {
        let registry = LocalRegistry::start(&[])?;
        let start = Instant::now();
        for (name, layout) in &layouts {
            let (src, dest) =
                (format!("oci:{}:1", layout.display()), format!("docker://{}/skopeo/{name}:1", registry.host()));
            cmd!(sh, "skopeo copy --quiet --dest-tls-verify=false {src} {dest}").quiet().run()?;
        }
        Ok(start.elapsed())
    };
    let limit = || -> anyhow::Result<Duration> {
        let registry = LocalRegistry::start(&[])?;
        curl_push(sh, &registry.host(), &images)
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        a.push(ours()?);
        b.push(peer()?);
        c.push(limit()?);
    }
    if rerun_uploads != 0 {
        bail!("a rerun uploaded {rerun_uploads} blobs; it must upload none");
    }
    let work = Work {
        name: "images",
        work: "push three images sharing a 32 MiB layer to a fresh registry; a rerun uploads nothing".to_owned(),
        peer_short: "skopeo copy ×3",
        goal: &[Goal::Faster(2.5), Goal::WithinLimit(1.5)],
    };
    Ok(Row::new(
        work,
        median_of(a),
        RUNS,
        Side::new("`skopeo copy` ×3, one after the other", median_of(b), RUNS),
        Some(Side::new(
            "`curl`: every upload opened, then monolithic PUTs, 2 mounts and the manifests over one connection",
            median_of(c),
            RUNS,
        )),
    ))
}

/// What the curl limit sends for `images`, worked out before the clock starts.
struct Plan {
    /// `(repository, digest, file)`: each distinct blob, uploaded once.
    uploads: Vec<(String, String, PathBuf)>,
    /// `(repository, digest, from)`: a blob uploaded to another repository, mounted.
    mounts: Vec<(String, String, String)>,
    /// `(repository, reference, media type, file)`: children by digest, then the root by tag.
    manifests: Vec<(String, String, String, PathBuf)>,
}

fn plan(images: &[(&str, Image)]) -> Plan {
    let mut plan = Plan { uploads: Vec::new(), mounts: Vec::new(), manifests: Vec::new() };
    let mut first: BTreeMap<&str, String> = BTreeMap::new();
    for (name, image) in images {
        let repository = format!("curl/{name}");
        for blob in &image.blobs {
            match first.get(blob.digest.as_str()) {
                Some(from) => plan.mounts.push((repository.clone(), blob.digest.clone(), from.clone())),
                None => {
                    first.insert(&blob.digest, repository.clone());
                    plan.uploads.push((repository.clone(), blob.digest.clone(), image.blob_path(&blob.digest)));
                }
            }
        }
        for doc in &image.children {
            let file = image.blob_path(&doc.digest);
            plan.manifests.push((repository.clone(), doc.digest.clone(), doc.media_type.clone(), file));
        }
        let root = &image.root;
        plan.manifests.push((
            repository.clone(),
            "1".to_owned(),
            root.media_type.clone(),
            image.blob_path(&root.digest),
        ));
    }
    plan
}

/// What curl writes after each transfer: the status, new connections, seconds, and (for the
/// first process) the upload's `Location`.
const WRITE_OUT: &str = "%{http_code} %{num_connects} %{time_total} %header{location}\\n";

/// The limit: two curl processes, each over one connection (see the module's doc); the time both
/// take.
fn curl_push(sh: &Shell, host: &str, images: &[(&str, Image)]) -> anyhow::Result<Duration> {
    let Plan { uploads, mounts, manifests } = plan(images);
    let base = format!("http://{host}");
    let start = Instant::now();
    // Every upload opened; their `Location`s come back, one a line.
    let mut args: Vec<String> = ["-sS", "-d", "", "-w", WRITE_OUT].map(str::to_owned).into();
    for (repository, _, _) in &uploads {
        args.extend(["-o".to_owned(), "/dev/null".to_owned(), format!("{base}/v2/{repository}/blobs/uploads/")]);
    }
    let opened = cmd!(sh, "curl {args...}").quiet().read().context("curl: open the uploads")?;
    let locations: Vec<String> = answers(&opened, "202", uploads.len())?
        .into_iter()
        .map(|location| if location.starts_with('/') { format!("{base}{location}") } else { location.to_owned() })
        .collect();
    // Then every blob, mount and manifest, one transfer after the other.
    let mut args: Vec<String> = Vec::new();
    let mut transfer = |options: Vec<String>, url: String| {
        if !args.is_empty() {
            args.push("--next".to_owned());
        }
        args.extend(["-sS", "-o", "/dev/null", "-w", WRITE_OUT, "-H", "Expect:"].map(str::to_owned));
        args.extend(options);
        args.push(url);
    };
    for ((_, digest, file), location) in uploads.iter().zip(&locations) {
        let separator = if location.contains('?') { '&' } else { '?' };
        let options = ["-H", "Content-Type: application/octet-stream", "-T"].map(str::to_owned);
        transfer(
            [options.into(), vec![file.display().to_string()]].concat(),
            format!("{location}{separator}digest={digest}"),
        );
    }
    for (repository, digest, from) in &mounts {
        transfer(
            vec!["-d".to_owned(), String::new()],
            format!("{base}/v2/{repository}/blobs/uploads/?mount={digest}&from={from}"),
        );
    }
    for (repository, reference, media_type, file) in &manifests {
        let options =
            ["-H".to_owned(), format!("Content-Type: {media_type}"), "-T".to_owned(), file.display().to_string()];
        transfer(options.into(), format!("{base}/v2/{repository}/manifests/{reference}"));
    }
    let put = cmd!(sh, "curl {args...}").quiet().read().context("curl: put the blobs and manifests")?;
    let elapsed = start.elapsed();
    answers(&put, "201", uploads.len() + mounts.len() + manifests.len())?;
    Ok(elapsed)
}

/// The last field of each line curl wrote (see [`WRITE_OUT`]), once every line has `status` and
/// the process opened exactly one connection.
fn answers<'a>(written: &'a str, status: &str, expected: usize) -> anyhow::Result<Vec<&'a str>> {
    let (mut out, mut connections) = (Vec::new(), 0);
    for line in written.lines() {
        if xtask::env::flag("LAMINA_BENCH_TRACE") {
            eprintln!("  curl: {line}");
        }
        let mut fields = line.splitn(4, ' ');
        let (code, connects) = (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
        if code != status {
            bail!("curl: expected {status}, got `{line}`");
        }
        connections += connects.parse::<usize>().unwrap_or(0);
        out.push(fields.nth(1).unwrap_or_default());
    }
    if out.len() != expected || connections != 1 {
        bail!("curl made {} transfers over {connections} connections; expected {expected} over one", out.len());
    }
    Ok(out)
}
