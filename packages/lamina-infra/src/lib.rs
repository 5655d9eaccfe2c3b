//! The consumer side of a Lamina OS infrastructure release: find the published releases and show
//! what each holds, verified against its `SHA256SUMS` and `release-manifest.json`, without
//! cloning the repository.
//!
//! ```text
//! cli ─> source: github (the Releases API, read only) | a mirror folder
//!     ─> verified release files ─> show | pull | verify
//! ```

pub mod cli;
pub mod github;
pub mod progress;
pub mod pull;
pub mod show;
pub mod source;
pub mod verify;

use cli::{Cli, Command};

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let source = source::Source::new(&cli.source)?;
    match cli.command {
        Command::Releases { json } => show::releases(&source, json),
        Command::Show { version, json } => show::release(&source, version.as_deref(), json),
        Command::Pull { components, version, to } => pull::pull(&source, &components, version.as_deref(), &to),
        Command::Verify { target, version, json } => verify::verify(&source, &target, version.as_deref(), json),
    }
}
