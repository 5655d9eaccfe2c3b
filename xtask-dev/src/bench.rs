//! `cargo xtask bench`: the pipeline against the real peers, side by side in one run, as whole
//! processes, with the median of several runs. Each row has its peer (another program doing the
//! same work, or the goal where none exists), its limit where one is measured (the least the
//! work can take: the same bytes through git or curl and nothing else), both ratios, the goal
//! and whether it was met. `--json` prints the rows and the machine (cores, load average at the
//! start and the end); `--readme FILE` writes that JSON into README.md's Performance table
//! (`bench/table.rs`).
//!
//! | row | ours | peer | limit | goal |
//! |---|---|---|---|---|
//! | `index` (`bench/index.rs`) | `index add` onto a 10,000-version index | Helm `repo index --merge`, one run | `git fetch` + commit + `git push` | ≥ 100x Helm, within 2x of the limit |
//! | `images` (`bench/images.rs`) | push 3 images sharing a 32 MiB layer | `skopeo copy` ×3 | curl, monolithic uploads over one connection | ≥ 2.5x skopeo, within 1.5x of the limit |
//! | `rerun` (`bench/rerun.rs`) | no-op rerun of a finished release, with its sequential round trips | the goal | - | under 0.25 s |
//! | `pull` (`bench/consumer.rs`) | `lamina-infra pull` of three 4 MiB bundles | `curl` + `sha256sum -c` | - | within 1.2x of the peer |
//! | `mirror` (`bench/consumer.rs`) | `lamina-infra mirror`, three two-platform images | `skopeo copy --all` ×3 | - | ≥ 2.5x skopeo |
//! | `cold-dry-run` (`bench/cold.rs`) | `cargo xtask dry-run` on a fresh clone, one run | the goal | - | 200 s or less |
//! | `cold-test` (`bench/cold.rs`) | `cargo xtask test` on a fresh clone, peers provisioned, one run | the goal | - | 400 s or less |
//!
//! The cold rows take minutes each: they run only when named or with `--cold`. The timed binaries
//! are release builds of the pipeline and of `lamina-infra`, built first.

mod cold;
mod consumer;
mod images;
mod index;
mod proxy;
mod report;
mod rerun;
mod table;

use super::peers;
use anyhow::{Context, bail};
use report::{Goal, Machine, Report, Row, Side, Work};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use xtask::cli::{BENCHMARKS, BenchArgs};
use xtask::shell::{Shell, cmd};

/// Runs of ours (and of the limit) where a run takes about a second.
const RUNS: usize = 5;

/// The release pipeline's binary beside this one: the program the benchmarks time.
pub fn pipeline() -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name("xtask"))
}

pub fn run(sh: &Shell, root: &Path, args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.readme {
        return readme(root, file);
    }
    // Timings of a debug build say nothing: build the pipeline and this tooling for release, and
    // run the benchmarks from there (the release `xtask-dev` times the release `xtask`).
    if cfg!(debug_assertions) {
        let cargo = xtask::env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
        cmd!(sh, "{cargo} build --release --quiet --package xtask --package xtask-dev --package lamina-infra")
            .run()
            .context("build the release binaries")?;
        let release = root.join("target/release/xtask-dev");
        cmd!(sh, "{release} -C {root} bench {args...}").run()?;
        return Ok(ExitCode::SUCCESS);
    }
    let selected: Vec<&str> = match args.only.as_deref() {
        Some(only) => vec![only],
        None => BENCHMARKS.into_iter().filter(|b| args.cold || !b.starts_with("cold-")).collect(),
    };
    let mut machine = Machine::now();
    let mut rows = Vec::new();
    for name in selected {
        rows.push(bench(sh, root, name).with_context(|| format!("benchmark `{name}`"))?);
    }
    machine.end();
    let report = Report { machine, commit: commit(sh, root), rows };
    if args.json {
        eprint!("{}", table::text(&report));
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(sh: &Shell, root: &Path, name: &str) -> anyhow::Result<Row> {
    match name {
        "index" => index::index_add(sh, root, &helm_python(sh, root)?),
        "images" => images::images(sh),
        "rerun" => rerun::no_op_rerun(sh, root, RUNS),
        "pull" => {
            require(&[("curl", "curl"), ("sha256sum", "coreutils")])?;
            let (work, ours, peer) = consumer::pull(sh)?;
            let work = work.strip_prefix("pull: ").unwrap_or(&work).to_owned();
            let work = Work { name, work, peer_short: "curl", goal: &[Goal::WithinPeer(1.2)] };
            let peer = Side::new("`curl` once per file, then `sha256sum -c`; no extraction", peer, consumer::RUNS);
            Ok(Row::new(work, ours, consumer::RUNS, peer, None))
        }
        "mirror" => {
            require(&[("skopeo", "skopeo"), ("docker-registry", "docker-registry")])?;
            let (work, ours, peer) = consumer::mirror(sh)?;
            let work = work.strip_prefix("mirror: ").unwrap_or(&work).to_owned();
            let work = Work { name, work, peer_short: "skopeo copy --all", goal: &[Goal::Faster(2.5)] };
            let peer = Side::new("`skopeo copy --all` of each image, one after the other", peer, consumer::RUNS);
            Ok(Row::new(work, ours, consumer::RUNS, peer, None))
        }
        "cold-dry-run" => cold::dry_run(sh, root),
        "cold-test" => cold::test(sh, root),
        _ => bail!("there is no benchmark `{name}`; pick one of {}, or none for all", BENCHMARKS.join(", ")),
    }
}

/// `--readme FILE`: README.md's Performance table, rewritten from `bench --json`'s output.
fn readme(root: &Path, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read `{}`", file.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not the output of `cargo xtask bench --json`", file.display()))?;
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path).context("read README.md")?;
    std::fs::write(&path, table::splice(&readme, &table::markdown(&report))?).context("write README.md")?;
    eprintln!("README.md: the Performance table now shows {} rows from `{}`", report.rows.len(), file.display());
    Ok(ExitCode::SUCCESS)
}

/// The Python of the Helm SDK's venv: in `LAMINA_TEST_PEERS` when it is set (peers provisioned
/// elsewhere), else in the peers this checkout provisions.
fn helm_python(sh: &Shell, root: &Path) -> anyhow::Result<PathBuf> {
    let dir = match xtask::env::var(xtask::env::LAMINA_TEST_PEERS) {
        Some(dir) => PathBuf::from(dir),
        None => peers::provision(sh, root, false)?.dir,
    };
    let python = dir.join("venv/bin/python");
    if !python.exists() {
        bail!("the Helm SDK venv is missing in `{}`: run `cargo xtask test --peers-only` first", dir.display());
    }
    Ok(python)
}

/// `HEAD`, short, with `+` when tracked files have local changes (the build measured has them).
fn commit(sh: &Shell, root: &Path) -> String {
    let head = cmd!(sh, "git -C {root} rev-parse --short HEAD").quiet().read().unwrap_or_default();
    let dirty = cmd!(sh, "git -C {root} status --porcelain --untracked-files=no")
        .quiet()
        .read()
        .is_ok_and(|s| !s.trim().is_empty());
    format!("{}{}", head.trim(), if dirty { "+" } else { "" })
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

/// The median of `times`.
fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}
