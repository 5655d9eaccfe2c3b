//! `cargo xtask bench`: the pipeline against the real peers, side by side in one run, as whole
//! processes, with the median of several runs and the ratio.
//!
//! - index: add one chart to an index of 10,000 versions on a Pages branch (ours: `xtask index
//!   add`, through git) against Helm's `repo index --merge` of the same index (Helm v4 SDK).
//!   Helm's merge is quadratic in the number of versions (each old entry is looked up in the new
//!   index by semver constraint), so at this size it takes minutes: it runs once, ours five times.
//!
//! - images: push three images that share a base layer (built by buildah, FROM scratch) to a fresh
//!   registry (ours: the registry channel, blobs checked, shared ones mounted, uploads in
//!   parallel) against `skopeo copy` of the same layouts one after the other; then a rerun of
//!   ours, which must upload nothing.
//!
//! - rerun: the no-op rerun of a finished release (`bench/rerun.rs`); goal under 2 s, zero
//!   writes.
//!
//! - pull: `lamina-infra pull` of three 4 MiB bundles from the GitHub fake, downloaded into an
//!   empty cache, verified and extracted, against `curl` once per file (the three bundles and
//!   `SHA256SUMS`) and `sha256sum -c --ignore-missing` (`bench/consumer.rs`); goal: within 1.2x
//!   of the peer (measured 1.05–1.10x on an idle machine, 140 ms against 150 ms).
//!
//! - mirror: `lamina-infra mirror` of a release listing three two-platform images (42 MiB of
//!   layers in a local registry; its assets are tiny) into OCI layouts, against `skopeo copy
//!   --all` of each image by digest, one after the other (`bench/consumer.rs`); goal: 1.5x
//!   faster (measured 1.56–1.60x on an idle machine, 0.39 s against 0.62 s; 1.9–2.1x loaded).
//!
//! The timed binaries are release builds of the pipeline and of `lamina-infra`, built first.

mod consumer;
mod rerun;

use super::peers;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use xtask::shell::{Shell, cmd};

const RUNS: usize = 5;

/// The release pipeline's binary beside this one: the program the benchmarks time.
pub fn pipeline() -> anyhow::Result<std::path::PathBuf> {
    Ok(std::env::current_exe()?.with_file_name("xtask"))
}
const PEER_RUNS: usize = 1;
const VERSIONS: usize = 10_000;

pub fn run(sh: &Shell, root: &Path, only: Option<&str>) -> anyhow::Result<ExitCode> {
    // Timings of a debug build say nothing: build the pipeline and this tooling for release, and
    // run the benchmarks from there (the release `xtask-dev` times the release `xtask`).
    if cfg!(debug_assertions) {
        let cargo = xtask::env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
        cmd!(sh, "{cargo} build --release --quiet --package xtask --package xtask-dev --package lamina-infra")
            .run()
            .context("build the release binaries")?;
        let release = root.join("target/release/xtask-dev");
        let only = only.map(str::to_owned);
        cmd!(sh, "{release} -C {root} bench {only...}").run()?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = only.filter(|o| !BENCHMARKS.contains(o)) {
        bail!("there is no benchmark `{name}`; pick one of {}, or none for all", BENCHMARKS.join(", "));
    }
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let mut rows: Vec<Row> = Vec::new();
    if wanted("index") {
        // Only the Helm comparison needs the venv; the others need programs on PATH.
        let peers = peers::provision(sh, root, false)?;
        let python = peers.dir.join("venv/bin/python");
        if !python.exists() {
            bail!("the Helm SDK venv is missing: run `cargo xtask test --peers-only` first");
        }
        let (name, ours, peer) = index_add(sh, root, &python)?;
        rows.push(Row { name: name.to_owned(), ours, peer, goal: None });
    }
    if wanted("images") {
        let (name, ours, peer) = images(sh)?;
        rows.push(Row { name: name.to_owned(), ours, peer, goal: None });
    }
    if wanted("rerun") {
        let ours = rerun::no_op_rerun(sh, root, RUNS)?;
        let name = "release: no-op rerun, 0 writes (peer column: the goal)".to_owned();
        rows.push(Row { name, ours, peer: rerun::GOAL, goal: Some(("under the goal", 1.0)) });
    }
    if wanted("pull") {
        require(&[("curl", "curl"), ("sha256sum", "coreutils")])?;
        let (name, ours, peer) = consumer::pull(sh)?;
        rows.push(Row { name, ours, peer, goal: Some(("ours within 1.2x of peer", 1.0 / 1.2)) });
    }
    if wanted("mirror") {
        require(&[("skopeo", "skopeo"), ("docker-registry", "docker-registry")])?;
        let (name, ours, peer) = consumer::mirror(sh)?;
        rows.push(Row { name, ours, peer, goal: Some(("1.5x faster", 1.5)) });
    }
    let width = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).max(18);
    println!("{:<width$} {:>10} {:>10} {:>8}  goal", "benchmark (median)", "ours", "peer", "ratio");
    for Row { name, ours, peer, goal } in rows {
        let ratio = peer.as_secs_f64() / ours.as_secs_f64();
        let goal = match goal {
            Some((text, min)) => format!("{text}: {}", if ratio >= min { "met" } else { "MISSED" }),
            None => "-".to_owned(),
        };
        println!(
            "{name:<width$} {:>8.0}ms {:>8.0}ms {ratio:>7.2}x  {goal}",
            ours.as_secs_f64() * 1e3,
            peer.as_secs_f64() * 1e3
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The benchmarks, in the order they run.
const BENCHMARKS: [&str; 5] = ["index", "images", "rerun", "pull", "mirror"];

/// One line of the table; `ratio` is peer over ours, and a goal is its least acceptable value.
struct Row {
    name: String,
    ours: Duration,
    peer: Duration,
    goal: Option<(&'static str, f64)>,
}

/// Fails naming the first of `programs` (`(program, Debian package)`) that is not on `PATH`.
fn require(programs: &[(&str, &str)]) -> anyhow::Result<()> {
    match programs.iter().find(|(p, _)| xtask::shell::which(p).is_none()) {
        Some((missing, package)) => {
            bail!("`{missing}` is not on PATH; install it (Debian: `apt-get install {package}`)")
        }
        None => Ok(()),
    }
}

/// Ours: `index add` of one archive onto a Pages branch holding 10,000 versions.
/// Peer: Helm's `repo index --merge` of the same index with the same archive.
fn index_add(sh: &Shell, root: &Path, python: &Path) -> anyhow::Result<(&'static str, Duration, Duration)> {
    let tmp = tempfile::tempdir()?;
    let t = tmp.path();
    // One real archive, from the repository's own dry-run.
    let xtask = pipeline()?;
    cmd!(sh, "{xtask} -C {root} dry-run --builder none")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .context("build the charts")?;
    let text = std::fs::read_to_string(root.join(xtask::config::FILE))?;
    let version = xtask::config::parse(&text)?.version;
    let out = root.join(format!("target/release/v{version}"));
    let archive = std::fs::read_dir(&out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .context("no chart archive")?;

    // A Pages branch with a 10,000-version index of another chart.
    let index = big_index();
    let remote = t.join("pages.git");
    cmd!(sh, "git init -q --bare {remote}").quiet().run()?;
    let seed = t.join("seed");
    cmd!(sh, "git init -q -b gh-pages {seed}").quiet().run()?;
    std::fs::write(seed.join("index.yaml"), &index)?;
    {
        let _d = sh.push_dir(&seed);
        cmd!(sh, "git add index.yaml").quiet().run()?;
        cmd!(sh, "git -c user.name=bench -c user.email=bench@example.com commit -q -m seed").quiet().run()?;
        cmd!(sh, "git push -q {remote} gh-pages").quiet().run()?;
    }
    let seed_tip = cmd!(sh, "git -C {remote} rev-parse gh-pages").quiet().read()?;
    let seed_tip = seed_tip.trim();

    let ours = median(RUNS, || {
        cmd!(sh, "git -C {remote} update-ref refs/heads/gh-pages {seed_tip}").quiet().run()?;
        let start = Instant::now();
        cmd!(sh, "{xtask} -C {root} index add {archive}")
            .env(xtask::env::LAMINA_PAGES_REMOTE, &remote)
            .quiet()
            .ignore_stderr()
            .run()?;
        Ok(start.elapsed())
    })?;
    let merged = cmd!(sh, "git -C {remote} show gh-pages:index.yaml").quiet().read()?;

    // Helm: the same archive in a folder, merged into the same index.
    let dir = t.join("helm");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(&archive, dir.join(archive.file_name().unwrap_or_default()))?;
    let merge_file = t.join("index.yaml");
    std::fs::write(&merge_file, &index)?;
    let script = root.join("xtask/tests/peers/helm_merge.py");
    let peer = median(PEER_RUNS, || {
        let start = Instant::now();
        cmd!(sh, "{python} {script} {dir} {merge_file} https://example.com").quiet().ignore_stdout().run()?;
        Ok(start.elapsed())
    })?;

    // Helm loads what we wrote, over HTTP, as `helm repo add` would.
    let site = t.join("site");
    std::fs::create_dir_all(&site)?;
    std::fs::write(site.join("index.yaml"), merged)?;
    let count = with_server(sh, &site, |url| {
        let load = root.join("xtask/tests/peers/helm_load.py");
        Ok(cmd!(sh, "{python} {load} {url}").quiet().read()?)
    })?;
    if count.trim() != (VERSIONS + 1).to_string() {
        bail!("Helm read {} versions from our index, expected {}", count.trim(), VERSIONS + 1);
    }
    Ok(("index: add 1 chart to 10,000 versions", ours, peer))
}

fn median(runs: usize, mut f: impl FnMut() -> anyhow::Result<Duration>) -> anyhow::Result<Duration> {
    let mut times = (0..runs).map(|_| f()).collect::<anyhow::Result<Vec<_>>>()?;
    times.sort();
    Ok(times[runs / 2])
}

/// Runs `f` with `dir` served by `python3 -m http.server` on a free loopback port.
fn with_server<T>(sh: &Shell, dir: &Path, f: impl FnOnce(&str) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let mut server = xtask::shell::spawn(cmd!(sh, "python3 -m http.server {port} --bind 127.0.0.1 --directory {dir}"))?;
    let url = format!("http://127.0.0.1:{port}");
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap_or(0))).is_ok()
    });
    let result = if ready { f(&url) } else { Err(anyhow::format_err!("http.server did not start on port {port}")) };
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// An index of one chart with 10,000 versions, in Helm's layout.
fn big_index() -> String {
    let mut out = String::from("apiVersion: v1\nentries:\n  legacy-app:\n");
    for i in (0..VERSIONS).rev() {
        let version = format!("1.{}.{}", i / 100, i % 100);
        out.push_str(&format!(
            "  - apiVersion: v2\n    appVersion: {version}\n    created: \"2025-01-01T00:00:00Z\"\n    description: A legacy application\n    digest: {:064x}\n    name: legacy-app\n    type: application\n    urls:\n    - https://example.com/legacy-app-{version}.tgz\n    version: {version}\n",
            i
        ));
    }
    out.push_str("generated: \"2025-01-01T00:00:00Z\"\n");
    out
}

/// Ours: three images pushed to a fresh registry; peer: `skopeo copy` of each, in turn.
fn images(sh: &Shell) -> anyhow::Result<(&'static str, Duration, Duration)> {
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
    let images: Vec<_> =
        layouts.iter().map(|(n, l)| Ok((*n, xtask::layout::read(l)?))).collect::<anyhow::Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let tags = vec!["1".to_owned()];
    let mut rerun_uploads = 0;
    let ours = median(RUNS, || {
        let registry = super::registry::LocalRegistry::start(&[])?;
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
    })?;
    if rerun_uploads != 0 {
        bail!("a rerun uploaded {rerun_uploads} blobs; it must upload none");
    }
    let peer = median(RUNS, || {
        let registry = super::registry::LocalRegistry::start(&[])?;
        let start = Instant::now();
        for (name, layout) in &layouts {
            let (src, dest) =
                (format!("oci:{}:1", layout.display()), format!("docker://{}/skopeo/{name}:1", registry.host()));
            cmd!(sh, "skopeo copy --quiet --dest-tls-verify=false {src} {dest}").quiet().run()?;
        }
        Ok(start.elapsed())
    })?;
    Ok(("images: push 3 sharing a 32 MiB layer (rerun: 0 uploads)", ours, peer))
}
