//! The consumer side of a Lamina OS infrastructure release: find the published releases and show
//! what each holds, verified against its `SHA256SUMS` and `release-manifest.json`, without
//! cloning the repository; mirror a release, images included, for use offline.
//!
//! ```text
//! cli ─> source: github (the Releases API, read only) | a mirror folder
//!     ─> verified release files ─> show | pull | verify | mirror
//!                    registry (OCI images and charts) ─┘
//! ```

pub mod cli;
pub mod github;
pub mod mirror;
pub mod progress;
pub mod pull;
pub mod registry;
pub mod show;
pub mod source;
pub mod verify;

use cli::{Cli, Command, Mirror, MirrorPush};

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let source = source::Source::new(&cli.source)?;
    match cli.command {
        Command::Releases { json } => show::releases(&source, json),
        Command::Show { version, json } => show::release(&source, version.as_deref(), json),
        Command::Pull { components, version, to, json } => {
            pull::pull(&source, &components, version.as_deref(), &to, json)
        }
        Command::Mirror(Mirror { push: Some(MirrorPush::Push { dir, registry, version, json }), .. }) => {
            mirror::push::push(&dir, &registry, version.as_deref(), json)
        }
        Command::Mirror(Mirror { version, to, platforms, json, .. }) => {
            let to = to.ok_or_else(|| anyhow::format_err!("`mirror` needs `--to DIR`"))?;
            if let source::Source::Mirror(m) = &source {
                anyhow::bail!(
                    "`mirror` reads a release from GitHub and its registry, not from the mirror `{}`; copy that folder instead (its images are already OCI layouts), or unset --from / LAMINA_INFRA_MIRROR",
                    m.dir.display()
                );
            }
            mirror::mirror(&source, version.as_deref(), &to, &platforms, json)
        }
        Command::Verify { target, version, json } => verify::verify(&source, &target, version.as_deref(), json),
    }
}
