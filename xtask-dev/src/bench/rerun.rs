//! The no-op rerun of a finished release: the test fixture released once to a fresh registry, a
//! bare Pages remote and the GitHub fake, then `release` timed again; every rerun must write
//! nothing anywhere (GitHub requests, registry uploads, Pages tip). No peer has this command
//! (chart-releaser and goreleaser stop on a finished release), so the row states the goal.

use crate::github::{GithubFake, Options};
use crate::registry::LocalRegistry;
use anyhow::{Context, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use xtask::shell::{Shell, cmd};

/// The contract's goal for this row.
pub const GOAL: Duration = Duration::from_secs(2);

pub fn no_op_rerun(sh: &Shell, root: &Path, runs: usize) -> anyhow::Result<Duration> {
    let tmp = tempfile::tempdir()?;
    let repo = tmp.path().join("repo");
    copy_fixture(&root.join("xtask/tests/fixtures/minimal"), &repo)?;
    let _dir = sh.push_dir(&repo);
    let _env = [
        ("GIT_AUTHOR_NAME", "Bench"),
        ("GIT_AUTHOR_EMAIL", "bench@example.com"),
        ("GIT_COMMITTER_NAME", "Bench"),
        ("GIT_COMMITTER_EMAIL", "bench@example.com"),
    ]
    .map(|(k, v)| sh.push_env(k, v));
    cmd!(sh, "git init -q -b main").quiet().run()?;
    cmd!(sh, "git add -A").quiet().run()?;
    cmd!(sh, "git commit -q -m fixture").quiet().run()?;
    cmd!(sh, "git tag v0.2.0").quiet().run()?;
    let pages = tmp.path().join("pages.git");
    cmd!(sh, "git init -q --bare {pages}").quiet().run()?;

    let registry = LocalRegistry::start(&[])?;
    let github = GithubFake::start(Options::default())?;
    let token = Options::default().token;
    let xtask = super::pipeline()?;
    let release = || {
        cmd!(sh, "{xtask} -C {repo} release --builder buildah")
            .env("GITHUB_TOKEN", &token)
            .env("GITHUB_API_URL", github.api_url())
            .env("GITHUB_SERVER_URL", github.api_url())
            .env("LAMINA_REGISTRY", format!("http://{}/acme", registry.host()))
            .env("LAMINA_PAGES_REMOTE", &pages)
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .context("release the fixture")
    };
    release()?;
    let writes = || -> anyhow::Result<(usize, usize, usize, String)> {
        let tip = cmd!(sh, "git -C {pages} rev-parse gh-pages").quiet().read()?;
        Ok((github.writes(), registry.requests("PUT", "/"), registry.requests("POST", "/"), tip))
    };
    let before = writes()?;
    let time = super::median(runs, || {
        let start = Instant::now();
        release()?;
        Ok(start.elapsed())
    })?;
    if writes()? != before {
        bail!("a no-op rerun wrote to a remote: before {before:?}, after {:?}", writes()?);
    }
    Ok(time)
}

fn copy_fixture(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
