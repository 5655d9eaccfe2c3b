//! `index`: add one chart to an index of 10,000 versions on a Pages branch (a bare repository).
//!
//! - ours: `xtask index add` of a real chart archive (from the repository's own dry-run), the
//!   whole process, through git;
//! - peer: Helm's `repo index --merge` of the same index with the same archive (Helm v4 SDK). It
//!   is quadratic in the number of versions (each old entry is looked up in the new index by
//!   semver constraint), so at this size it takes minutes: it runs once;
//! - limit: what any tool has to do, with git alone, in a clone made beforehand: `git fetch` of
//!   the branch, a commit of exactly the index.yaml ours wrote, and `git push`.
//!
//! Ours and the limit run in turns, from the same starting tip, so both see the same load. Helm
//! then reads what we wrote over HTTP, as `helm repo add` would, and must find every version.

use super::report::{Goal, Row, Side, Work};
use super::{RUNS, median_of};
use anyhow::{Context, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use xtask::shell::{Shell, cmd};

const VERSIONS: usize = 10_000;

pub fn index_add(sh: &Shell, root: &Path, python: &Path) -> anyhow::Result<Row> {
    let tmp = tempfile::tempdir()?;
    let t = tmp.path();
    // One real archive, from the repository's own dry-run.
    let xtask = super::pipeline()?;
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
    let identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"];
    {
        let _d = sh.push_dir(&seed);
        cmd!(sh, "git add index.yaml").quiet().run()?;
        cmd!(sh, "git {identity...} commit -q -m seed").quiet().run()?;
        cmd!(sh, "git push -q {remote} gh-pages").quiet().run()?;
    }
    let seed_tip = cmd!(sh, "git -C {remote} rev-parse gh-pages").quiet().read()?;
    let seed_tip = seed_tip.trim();
    let clone = t.join("clone");
    cmd!(sh, "git clone -q -b gh-pages {remote} {clone}").quiet().run()?;

    let (mut ours, mut limit, mut merged) = (Vec::new(), Vec::new(), None);
    for _ in 0..RUNS {
        cmd!(sh, "git -C {remote} update-ref refs/heads/gh-pages {seed_tip}").quiet().run()?;
        let start = Instant::now();
        cmd!(sh, "{xtask} -C {root} index add {archive}")
            .env(xtask::env::LAMINA_PAGES_REMOTE, &remote)
            .quiet()
            .ignore_stderr()
            .run()?;
        ours.push(start.elapsed());
        let written = cmd!(sh, "git -C {remote} show gh-pages:index.yaml").quiet().read()?;
        let written: &String = merged.get_or_insert(written);

        cmd!(sh, "git -C {remote} update-ref refs/heads/gh-pages {seed_tip}").quiet().run()?;
        cmd!(sh, "git -C {clone} reset -q --hard {seed_tip}").quiet().run()?;
        let _d = sh.push_dir(&clone);
        let start = Instant::now();
        cmd!(sh, "git fetch -q origin gh-pages").quiet().run()?;
        std::fs::write(clone.join("index.yaml"), written)?;
        cmd!(sh, "git {identity...} commit -q -m add -- index.yaml").quiet().run()?;
        cmd!(sh, "git push -q origin HEAD:gh-pages").quiet().run()?;
        limit.push(start.elapsed());
    }
    let merged = merged.context("no run")?;

    // Helm: the same archive in a folder, merged into the same index.
    let dir = t.join("helm");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(&archive, dir.join(archive.file_name().unwrap_or_default()))?;
    let merge_file = t.join("index.yaml");
    std::fs::write(&merge_file, &index)?;
    let script = root.join("xtask/tests/peers/helm_merge.py");
    let start = Instant::now();
    cmd!(sh, "{python} {script} {dir} {merge_file} https://example.com").quiet().ignore_stdout().run()?;
    let peer = start.elapsed();

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
    let work = Work {
        name: "index",
        work: "add one chart to a 10,000-version index on the Pages branch (whole process, through git)".to_owned(),
        peer_short: "Helm",
        goal: &[Goal::Faster(100.0), Goal::WithinLimit(2.0)],
    };
    Ok(Row::new(
        work,
        median_of(ours),
        RUNS,
        Side::new("Helm `repo index --merge` (Helm v4 SDK)", peer, 1),
        Some(Side::new(
            "`git fetch`, a commit of the same index.yaml and `git push`, in a clone",
            median_of(limit),
            RUNS,
        )),
    ))
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
