//! The consumer side of a Lamina OS infrastructure release: find the published releases and show
//! what each holds, verified against its `SHA256SUMS` and `release-manifest.json`, without
//! cloning the repository; mirror a release, images included, for use offline; check the user's
//! environment and configuration against it, and deploy it with the user's own tools.
//!
//! ```text
//! cli ─> source: github (the Releases API, read only) | a mirror folder
//!     ─> trusted: release files ─> show | pull | verify | mirror | compat | validate | deploy
//!                    registry (OCI images and charts) ─┘           tools (helm, terraform, compose) ─┘
//! ```

pub mod cache;
pub mod cli;
pub mod compat;
pub mod constraint;
pub mod credentials;
pub mod deploy;
pub mod extract;
pub mod github;
pub mod mirror;
pub mod pull;
pub mod registry;
pub mod show;
pub mod signature;
pub mod source;
pub mod tftype;
pub mod tools;
pub mod trust;
pub mod trusted;
pub mod validate;
pub mod verify;

use anyhow::Context;
use cli::{Cli, Command, Mirror, MirrorPush};

/// How progress shows: bars on a terminal, plain lines elsewhere, no colour with `NO_COLOR`.
#[allow(clippy::disallowed_methods)] // TERM and NO_COLOR decide how progress looks
pub fn progress_mode() -> lamina_remote::progress::Mode {
    let term = std::env::var("TERM").ok();
    lamina_remote::progress::Mode::detect(term.as_deref(), std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // What reads no release comes first: no source is needed.
    match cli.command {
        Command::Completions { shell } => {
            return cli::completions(shell, &mut std::io::stdout()).context("write the completion script");
        }
        Command::Man => return cli::man(&mut std::io::stdout()).context("write the man page"),
        _ => {}
    }
    if let Command::Compat { from: Some(from), to: Some(to), json, .. } = &cli.command {
        return compat::upgrade(&source::Source::new(&cli.source)?, from, to, *json);
    }
    let source = source::Source::new(&cli.source)?;
    match cli.command {
        Command::Releases { json } => show::releases(&source, json),
        Command::Show { version, json } => show::release(&source, version.as_deref(), json),
        Command::Pull { components, version, to, clobber, unpack, json } => {
            let limits = unpack.limits();
            let ask = pull::Pull { names: &components, version: version.as_deref(), to: &to, clobber, limits, json };
            pull::pull(&source, &ask)
        }
        Command::Mirror(Mirror { push: Some(MirrorPush::Push { dir, registry, version, json }), .. }) => {
            mirror::push::push(&dir, &registry, version.as_deref(), cli.source.trust(), json)
        }
        Command::Mirror(Mirror { version, to, platforms, json, .. }) => {
            let to = to.ok_or_else(|| anyhow::format_err!("`mirror` needs `--to DIR`"))?;
            if let source::Source::Mirror(m) = &source {
                anyhow::bail!(
                    "`mirror` reads a release from GitHub and its registry, not from the mirror `{}`; copy that folder instead (its images are already OCI layouts), or unset --mirror / LAMINA_INFRA_MIRROR",
                    m.dir.display()
                );
            }
            mirror::mirror(&source, version.as_deref(), &to, &platforms, json)
        }
        Command::Verify { target, version, json } => verify::verify(&source, &target, version.as_deref(), json),
        Command::Validate { component, files, version, json } => {
            validate::validate(&source, &component, &files, version.as_deref(), json)
        }
        Command::Deploy(args) => deploy::deploy(&source, &args),
        Command::Compat { version, kube_version, json, .. } => {
            compat::compat(&source, version.as_deref(), kube_version.as_deref(), json)
        }
        Command::Completions { .. } | Command::Man => unreachable!("answered above"),
    }
}
