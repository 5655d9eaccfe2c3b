//! The consumer side of a Lamina OS infrastructure release: find the published releases and show
//! what each holds, verified against its `SHA256SUMS` and `release-manifest.json`, without
//! cloning the repository; mirror a release, images included, for use offline.
//!
//! ```text
//! cli ─> github (the Releases API, read only) ─> verified release files ─> show | pull | mirror
//! cli ─> registry (OCI manifests and blobs by digest, exact bytes) ─────────────────> mirror [push]
//! ```

pub mod cli;
pub mod github;
pub mod mirror;
pub mod pull;
pub mod registry;
pub mod show;

use cli::{Cli, Command, Mirror, MirrorPush};

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let github = github::GitHub::new(&cli.source)?;
    match cli.command {
        Command::Releases { json } => show::releases(&github, json),
        Command::Show { version, json } => show::release(&github, version.as_deref(), json),
        Command::Pull { components, version, to } => pull::pull(&github, &components, version.as_deref(), &to),
        Command::Mirror(Mirror { push: Some(MirrorPush::Push { dir, registry, version }), .. }) => {
            mirror::push::push(&dir, &registry, version.as_deref())
        }
        Command::Mirror(Mirror { version, to, platforms, json, .. }) => {
            let to = to.ok_or_else(|| anyhow::format_err!("`mirror` needs `--to DIR`"))?;
            mirror::mirror(&github, version.as_deref(), &to, &platforms, json)
        }
    }
}
