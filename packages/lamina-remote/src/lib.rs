//! How the release tools talk to remotes, written once for the producer (`xtask`) and the
//! consumer (`lamina-infra`): the registry client over oci-client, GitHub's read API, OCI image
//! layouts, the retry policy and GitHub's rate-limit rules, the loopback rule for plain HTTP,
//! progress, SHA-256 digests and atomic writes; and the one way both say what went wrong (hints
//! on errors, diagnostics for the user's files).

pub mod diagnostic;
pub mod digest;
pub mod fs;
pub mod github;
pub mod hint;
pub mod layout;
pub mod loopback;
pub mod progress;
pub mod registry;
pub mod retry;
pub mod tls;
