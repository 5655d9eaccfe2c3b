//! The Lamina OS release pipeline: one plan, from `release.toml` to published artifacts.
//!
//! ```text
//! config ─┐
//! repo ───┼─> workspace ─> validate ─> plan (pure) ─> build (local) ─> channel (remote) ─> verify
//! env ────┘
//! ```
//!
//! Invariants:
//! - the plan is plain data computed without IO; `dry-run` and `release` run the same plan;
//! - `dry-run` writes nothing remote: with credentials it reads the published state, without them
//!   it makes no network call at all;
//! - archives hold only files git tracks, never state, secrets or symlinks that leave them;
//! - every artifact is byte-identical when built twice from the same commit;
//! - the environment is read only in `env`, programs are started only through `shell`.

#![recursion_limit = "256"]

pub mod build;
pub mod bump;
pub mod changelog;
pub mod channel;
pub mod cli;
pub mod commands;
pub mod config;
pub mod env;
pub mod helm;
pub mod layout;
pub mod oidc;
pub mod workspace;
/// The release format, shared with the tools that read a release.
pub use lamina_release_format::manifest;
pub mod plan;
pub mod preflight;
pub mod reference;
pub mod repo;
pub mod report;
pub mod sbom;
pub mod settings;
pub mod shell;
pub mod sign;
pub mod timestamp;
pub mod validate;

use cli::{Cli, Command, IndexCommand};
use std::process::ExitCode;

/// Runs one command from the repository root, wherever it was started.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let root = shell::project_root(cli.directory.as_deref())?;
    let sh = shell::at(&root)?;
    match cli.command {
        Command::Validate => commands::validate(&sh, &root),
        Command::DryRun(args) => commands::dry_run(&sh, &root, args),
        Command::Release(args) => commands::release(&sh, &root, args),
        Command::Verify(args) => commands::verify(&sh, &root, args),
        Command::Plan(args) => commands::jobs::plan(&sh, &root, args),
        Command::Build(args) => commands::jobs::build(&sh, &root, args),
        Command::Bump(args) => commands::bump(&sh, &root, args),
        // Paths on the command line are relative to where the command was started.
        Command::Index(IndexCommand::Add { archives, tag, dry_run, remote }) => {
            let archives = archives
                .iter()
                .map(|path| Ok(commands::index::Archive { path: std::path::absolute(path)?, tag: tag.clone() }))
                .collect::<std::io::Result<Vec<_>>>()?;
            commands::index::add(&sh, &root, &archives, dry_run, &remote)
        }
        Command::Index(IndexCommand::Rebuild { from, dry_run, remote }) => {
            let from = from.map(std::path::absolute).transpose()?;
            commands::index::rebuild(&sh, &root, from.as_deref(), dry_run, &remote)
        }
        // Test tooling lives in the `xtask-dev` crate: this binary links no test server.
        Command::Test(args) => {
            let mut forwarded = vec!["test".to_owned()];
            forwarded.extend(args.peers_only.then(|| "--peers-only".to_owned()));
            if !args.cargo_args.is_empty() {
                forwarded.push("--".to_owned());
                forwarded.extend(args.cargo_args);
            }
            commands::run_xtask_dev(&sh, &root, &forwarded)
        }
        Command::Bench(args) => {
            commands::run_xtask_dev(&sh, &root, &[vec!["bench".to_owned()], args.into_iter().collect()].concat())
        }
    }
}
