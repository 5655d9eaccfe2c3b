//! Every environment variable the pipeline reads, documented in one place, and the one reader.
//!
//! The names are GitHub Actions' own (docs/release-toml.md, "Overriding keys from the environment"), so the release workflow needs
//! no glue and GitHub Enterprise Server works by setting two variables. Command-line flags are
//! declared with these constants (`#[arg(env = …)]`), so a flag always wins over its variable.

/// API token; also the registry password for ghcr.io. Never printed, logged or written anywhere.
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// `owner/repo`; defaults to `release.repository`.
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// REST API base, default `https://api.github.com`.
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// Web base used for links and release asset URLs, default `https://github.com`.
pub const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";
/// When set, must equal the planned tag.
pub const GITHUB_REF_NAME: &str = "GITHUB_REF_NAME";
/// When set, must equal the checkout's HEAD.
pub const GITHUB_SHA: &str = "GITHUB_SHA";
/// When set, a markdown summary is written there.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// When set, step outputs are written there.
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// `true` inside GitHub Actions: diagnostics become workflow annotations.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// Registry user name for ghcr.io, default `x-access-token`.
pub const GITHUB_ACTOR: &str = "GITHUB_ACTOR";
/// Registry base for images and OCI charts; defaults to `registry.base`.
pub const LAMINA_REGISTRY: &str = "LAMINA_REGISTRY";
/// Registry user name; defaults to `GITHUB_ACTOR`.
pub const LAMINA_REGISTRY_USERNAME: &str = "LAMINA_REGISTRY_USERNAME";
/// Registry password; defaults to `GITHUB_TOKEN`.
pub const LAMINA_REGISTRY_PASSWORD: &str = "LAMINA_REGISTRY_PASSWORD";
/// Git URL or path of the repository whose Pages branch holds the Helm index; default `origin`.
pub const LAMINA_PAGES_REMOTE: &str = "LAMINA_PAGES_REMOTE";
/// Public base URL of the Pages site; defaults to `pages.url`.
pub const LAMINA_PAGES_URL: &str = "LAMINA_PAGES_URL";
/// Upload URL of the Python package index; overrides `python-index.upload-url`.
pub const LAMINA_PYTHON_INDEX_UPLOAD_URL: &str = "LAMINA_PYTHON_INDEX_UPLOAD_URL";
/// Simple repository API root of the Python package index; overrides `python-index.simple-url`.
pub const LAMINA_PYTHON_INDEX_SIMPLE_URL: &str = "LAMINA_PYTHON_INDEX_SIMPLE_URL";
/// Base of the index's trusted-publishing endpoints; overrides `python-index.token-exchange-url`.
pub const LAMINA_PYTHON_INDEX_TOKEN_EXCHANGE_URL: &str = "LAMINA_PYTHON_INDEX_TOKEN_EXCHANGE_URL";
/// Upload token (or password) for the Python package index. Never printed, logged or written.
pub const LAMINA_PYTHON_INDEX_TOKEN: &str = "LAMINA_PYTHON_INDEX_TOKEN";
/// User name for the Python package index, default `__token__` (PyPI's API tokens).
pub const LAMINA_PYTHON_INDEX_USERNAME: &str = "LAMINA_PYTHON_INDEX_USERNAME";
/// Set by GitHub Actions for jobs with `id-token: write`: where to request the job's OIDC token.
pub const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// Set by GitHub Actions with the URL above: the bearer token for that request. Never printed.
pub const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// A Sigstore ClientTrustConfig JSON: the instance (Fulcio, Rekor, timestamp authority) a release
/// is signed with, and the trusted root its signature is checked against. Default: Sigstore's
/// public-good instance.
pub const LAMINA_SIGSTORE_TRUST_CONFIG: &str = "LAMINA_SIGSTORE_TRUST_CONFIG";
/// Fixed timestamp for every archive entry; defaults to the commit time of HEAD.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// A PEM file of extra CA certificates trusted for the registry (e.g. a private CA).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// `true` on CI: a missing test peer is a failure, never a skip.
pub const CI: &str = "CI";
/// Any value turns colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

/// `dumb` turns progress bars into plain lines.
pub const TERM: &str = "TERM";

/// Set by cargo for `cargo xtask`: the `xtask` crate folder of the checkout being worked on.
pub const CARGO_MANIFEST_DIR: &str = "CARGO_MANIFEST_DIR";

/// Cargo's home (default `~/.cargo`): its registry sources are remapped out of built programs.
pub const CARGO_HOME: &str = "CARGO_HOME";

/// Cargo's build folder (default `target/`); packages build under `lamina-packages/` in it.
pub const CARGO_TARGET_DIR: &str = "CARGO_TARGET_DIR";

/// The user's home folder, for cargo's default home.
pub const HOME: &str = "HOME";

/// Set by `cargo xtask test` for the test binaries: the folder holding the provisioned peers.
pub const LAMINA_TEST_PEERS: &str = "LAMINA_TEST_PEERS";

/// Reads a variable; empty counts as unset, as in GitHub Actions where unset inputs are "".
pub fn var(name: &str) -> Option<String> {
    #[allow(clippy::disallowed_methods)] // this is the one audited reader
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `true` when the variable is set to `true` or `1`.
pub fn flag(name: &str) -> bool {
    matches!(var(name).as_deref(), Some("true" | "1"))
}
