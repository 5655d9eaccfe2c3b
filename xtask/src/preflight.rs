//! Preflight checks that need no remote: a clean checkout, the tag `v{version}` on HEAD, the
//! GitHub Actions variables agreeing with both, a token present, and the job's OIDC token when
//! the release is signed. Every problem is listed at
//! once, before anything is built or written.

use crate::env;
use crate::plan::Plan;
use crate::shell::{Shell, cmd};
use std::fmt;

/// What the environment says about the run, read once.
#[derive(Debug, Clone, Default)]
pub struct RunEnv {
    pub ref_name: Option<String>,
    pub sha: Option<String>,
    pub token_present: bool,
    /// GitHub Actions can give this job an OIDC token (`id-token: write`).
    pub job_token: bool,
}

impl RunEnv {
    pub fn read() -> RunEnv {
        RunEnv {
            ref_name: env::var(env::GITHUB_REF_NAME),
            sha: env::var(env::GITHUB_SHA),
            token_present: env::var(env::GITHUB_TOKEN).is_some(),
            job_token: env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL).is_some()
                && env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN).is_some(),
        }
    }
}

/// Every local reason the release cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed(pub Vec<String>);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "preflight failed; nothing was built or published:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failed {}

/// Checks the checkout and the environment against the plan.
pub fn local(sh: &Shell, plan: &Plan, run: &RunEnv) -> Result<(), Failed> {
    let mut problems = Vec::new();
    let tag = &plan.tag;
    if !plan.changed.is_empty() {
        problems.push(format!(
            "tracked files have uncommitted changes ({}); a release is built from a commit: commit or stash them",
            plan.changed.join(", ")
        ));
    }
    let tagged = format!("refs/tags/{tag}^{{commit}}");
    match cmd!(sh, "git rev-parse -q --verify {tagged}").quiet().ignore_stderr().read() {
        Err(_) => problems.push(format!("the tag `{tag}` does not exist: create it on this commit with `git tag {tag} && git push origin {tag}`")),
        Ok(commit) if commit.trim() != plan.commit => problems.push(format!(
            "the tag `{tag}` points at {}, not at HEAD ({}): check out the tagged commit, or move the version with `cargo xtask bump`",
            short(commit.trim()),
            short(&plan.commit)
        )),
        Ok(_) => {}
    }
    if let Some(name) = &run.ref_name
        && name != tag
    {
        problems.push(format!(
            "{} is `{name}` but the release is `{tag}`: release.toml's version and the pushed tag disagree",
            env::GITHUB_REF_NAME
        ));
    }
    if let Some(sha) = &run.sha
        && *sha != plan.commit
    {
        problems.push(format!(
            "{} is {} but HEAD is {}: the checkout is not the commit the workflow was started for",
            env::GITHUB_SHA,
            short(sha),
            short(&plan.commit)
        ));
    }
    if !run.token_present {
        problems.push(format!(
            "{} is not set: a release needs a token that can write releases and packages",
            env::GITHUB_TOKEN
        ));
    }
    if plan.signing.signs() && !run.job_token {
        problems.push(lamina_remote::hint::render(&crate::sign::no_job_token()));
    }
    if problems.is_empty() { Ok(()) } else { Err(Failed(problems)) }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
