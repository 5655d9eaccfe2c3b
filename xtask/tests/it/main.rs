//! The one integration-test binary. Tests drive the `xtask` binary on throwaway repositories.
//! Tests that need a real peer (Helm, buildah, terraform) are `#[ignore]`d with the reason:
//! plain `cargo test` counts them as ignored, `cargo xtask test` runs them all.

// Tests start the binary and peers directly and read their own environment.
#![allow(clippy::disallowed_methods)]

/// Shared helpers: fixture repositories, running the binary, peers, snapshot settings.
mod support;

/// A backport moves no floating tag and no "latest" backwards.
mod backports;
/// One test per validation rule: clear message, non-zero exit, nothing written.
mod bad_input;
/// `bump` moves every version and keeps formatting.
mod bump;
/// The catalog on Pages in chromium, its module pages through terraform, its module registry.
mod catalog;
/// Exit codes, `--help` of every command, the repository's own configuration.
mod cli;
/// Two releases of different versions at once against the same registry, GitHub and Pages remote.
mod concurrent;
/// The consumer end to end: the released wheel installed by pip pulls, mirrors and verifies.
mod consumer;
/// `dry-run` on a fixture: plan, artifacts, checksums, manifest and its schema.
mod dry_run;
/// `release` runs the plan's steps in order: no tag before every push.
mod executor;
/// The GitHub fake answers like GitHub's Releases API, checked against GitHub's description.
mod github_fake;
/// The job graph run locally: each build in its own clone, one release from their folders.
mod graph;
/// Real Helm v4 loads, lints and packages the same files as our chart archives.
mod helm;
/// Images built from a staged context: tracked files only, `.dockerignore`, fixed modes, any umask.
mod image_context;
/// Images pushed by digest then tagged on the real registry, read back by skopeo.
mod images;
/// `kill -9` of `release` at every step boundary, then one rerun finishes on every channel.
mod kill;
/// Charts as OCI artifacts on the real registry, pulled by real Helm.
mod oci;
/// `[[package]]`: a binary archive and a wheel, reproducible, installed by pip.
mod packages;
/// The Helm index on the Pages branch, races and refusals, real Helm over HTTP.
mod pages;
/// Terraform validates the provider-free module from its bundle; buildah builds images.
mod peers;
/// The Python package channel: pypiserver, pip, reruns, refusals, the trusted-publishing exchange.
mod pyindex;
/// After a rate-limited answer from GitHub no request of any kind goes out before the wait.
mod rate_limits;
/// A release against the recorded one, byte for byte, on every channel.
mod recorded;
/// `release` end to end: registry, Pages remote and the GitHub fake; faults and reruns.
mod release;
/// `dry-run` with credentials: read-only comparison with GitHub, the registry and the Pages index.
mod remote;
/// Byte-identical artifacts from two clones with different mtimes and umask.
mod reproducible;
/// Repository invariants: module docs, no module cycles, documented keys.
mod tidy;
