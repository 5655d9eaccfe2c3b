//! `cold-dry-run` and `cold-test`: what a contributor waits for on a fresh clone. The
//! repository's committed HEAD is cloned (`git clone -q`) into a temporary folder, and
//! `cargo xtask dry-run`, or `cargo xtask test`, runs there once (no median: each takes minutes)
//! with `CARGO_TARGET_DIR` removed from the environment, so everything compiles from nothing
//! into the clone's own `target/`. Crates already downloaded stay in Cargo's cache.
//!
//! `cargo xtask test` provisions its peers under `target/peers` of the checkout (`peers.rs`),
//! with no way to name another folder; so the clone's `target/peers` is a link to the one
//! already provisioned (`LAMINA_TEST_PEERS` when set, else this checkout's `target/peers`), which
//! must be up to date with the pins: provisioning would otherwise reinstall the venv or the npm
//! packages inside it, in place.

use super::report::{Goal, Row, Side, Work};
use crate::peers;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use xtask::shell::{Shell, cmd};

pub const DRY_RUN_GOAL: Duration = Duration::from_secs(200);
pub const TEST_GOAL: Duration = Duration::from_secs(400);

pub fn dry_run(sh: &Shell, root: &Path) -> anyhow::Result<Row> {
    let (_tmp, clone) = fresh_clone(sh, root)?;
    let time = cargo_xtask(sh, &clone, &["dry-run"])?;
    let work = "`cargo xtask dry-run` on a fresh clone: no target folder, `CARGO_TARGET_DIR` unset (one run)";
    Ok(row("cold-dry-run", work, time, DRY_RUN_GOAL))
}

pub fn test(sh: &Shell, root: &Path) -> anyhow::Result<Row> {
    let provisioned = match xtask::env::var(xtask::env::LAMINA_TEST_PEERS) {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target/peers"),
    };
    up_to_date(&provisioned)?;
    let (_tmp, clone) = fresh_clone(sh, root)?;
    std::fs::create_dir_all(clone.join("target"))?;
    std::os::unix::fs::symlink(&provisioned, clone.join("target/peers")).context("link the peers folder")?;
    let time = cargo_xtask(sh, &clone, &["test"])?;
    let work = "`cargo xtask test` on a fresh clone, peers already provisioned: no build in `target/`, \
                `CARGO_TARGET_DIR` unset (one run)";
    Ok(row("cold-test", work, time, TEST_GOAL))
}

fn row(name: &str, work: &str, time: Duration, goal: Duration) -> Row {
    let goal_s = goal.as_secs_f64();
    let work = Work { name, work: work.to_owned(), peer_short: "the goal", goal: &[Goal::AtMost(goal_s)] };
    Row::new(work, time, 1, Side::new("the goal", goal, 0), None)
}

/// Fails unless `dir` holds the venv and npm packages of today's pins (`peers.rs`'s markers).
fn up_to_date(dir: &Path) -> anyhow::Result<()> {
    let markers =
        [("venv/lamina-requirements.txt", peers::PYTHON_PACKAGES), ("npm/lamina-packages.txt", peers::NPM_PACKAGES)];
    for (marker, pins) in markers {
        let path = dir.join(marker);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(pins.join("\n").as_str()) {
            bail!(
                "the peers folder `{}` is not provisioned for today's pins (`{}` differs): `cargo xtask test` \
                 would reinstall it in place; run `cargo xtask test --peers-only` first, or set \
                 LAMINA_TEST_PEERS to a folder that is",
                dir.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// The committed HEAD of `root`, cloned into a temporary folder (removed on drop).
fn fresh_clone(sh: &Shell, root: &Path) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let tmp = tempfile::Builder::new().prefix("lamina-cold-").tempdir()?;
    let clone = tmp.path().join("repo");
    cmd!(sh, "git clone -q {root} {clone}").quiet().run().context("clone the repository")?;
    Ok((tmp, clone))
}

/// `cargo xtask ARGS` in `dir`, timed, with no inherited target folder; its output is kept and
/// shown only when it fails.
fn cargo_xtask(sh: &Shell, dir: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let _dir = sh.push_dir(dir);
    let start = Instant::now();
    let out = cmd!(sh, "cargo xtask {args...}")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove(xtask::env::LAMINA_TEST_PEERS)
        .quiet()
        .ignore_status()
        .output()
        .context("run cargo")?;
    let time = start.elapsed();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        bail!("`cargo xtask {}` failed on the fresh clone after {time:.0?}:\n{tail}", args.join(" "));
    }
    Ok(time)
}
