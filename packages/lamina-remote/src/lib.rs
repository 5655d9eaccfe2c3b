//! How the release tools talk to remotes, written once for the producer (`xtask`) and the
//! consumer (`lamina-infra`): the retry policy and GitHub's rate-limit rules, the loopback rule
//! for plain HTTP, progress, SHA-256 digests, atomic writes and the hints errors carry.

pub mod digest;
pub mod fs;
pub mod github;
pub mod hint;
pub mod layout;
pub mod loopback;
pub mod progress;
pub mod registry;
pub mod retry;
