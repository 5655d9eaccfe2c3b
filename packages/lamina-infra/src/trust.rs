//! The user's signature policy, from the command line: the Sigstore trust root, the workflow
//! whose signature a release must carry, and whether an unsigned release may be used.

use lamina_release_format::provenance;

/// The policy `--trust-config`, `--signer-workflow` and `--allow-unsigned` set.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// `--repo`: the repository whose release workflow must have signed a release.
    pub repository: String,
    /// `--trust-config`; `None`: Sigstore's public-good trusted root, embedded.
    pub config: Option<std::path::PathBuf>,
    /// `--signer-workflow`, e.g. `.github/workflows/release.yml`.
    pub workflow: String,
    /// `--allow-unsigned`.
    pub allow_unsigned: bool,
}

impl Trust {
    /// Lets an unsigned release `tag` through with a warning when `--allow-unsigned` says so,
    /// else refuses it.
    pub fn unsigned(&self, tag: &str) -> anyhow::Result<()> {
        if self.allow_unsigned {
            eprintln!("warning: release {tag} is unsigned, so who made it is not checked; using it (--allow-unsigned)");
            return Ok(());
        }
        Err(lamina_remote::hint::fail(
            format!("release {tag} is unsigned (it has no {}), so who made it cannot be checked", provenance::ASSET),
            "use a signed release; to use this one anyway, pass --allow-unsigned",
        ))
    }
}
