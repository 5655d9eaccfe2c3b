//! The one integration-test binary of `lamina-infra`. Tests drive the `lamina-infra` binary
//! against the GitHub fake, mirror folders and real peers. Tests that need a real peer (Terraform,
//! Helm, skopeo, a registry) are `#[ignore]`d with the reason: plain `cargo test` counts them as
//! ignored, `cargo xtask test` runs them all.

// Tests start the binary under test and peers directly and read their own environment.
#![allow(clippy::disallowed_methods)]

/// Shared helpers: a release's files as the pipeline makes them, running the binary.
mod common;

/// The release list, `show` with its files verified, `pull`, and the errors people meet.
mod cli;
/// `deploy` with real Terraform, Helm and `docker-compose config`; a bad configuration stops first.
mod deploy;
/// The errors of every command, as people read them, snapshotted.
mod errors;
/// Hostile archives a compromised pipeline could publish, refused by `pull` and `deploy`.
mod hostile;
/// `mirror` and `mirror push` against a real registry, with the digests unchanged.
mod mirror;
/// An unsigned release is used only with `--allow-unsigned`; `--signer-workflow` names another
/// signing workflow.
mod policy;
/// What the signature verifier refuses: another issuer, a swapped log entry, an expired
/// certificate, a statement without `SHA256SUMS`, and sigstore-conformance's failing bundles.
mod refusals;
/// A release's provenance bundle, made against the loopback Sigstore, verified offline.
mod signature;
/// Sigstore's trusted root refreshed over TUF from a real repository, cached, and refused when
/// what it serves does not verify; no request for an unsigned release or a mirror folder.
mod tuf;
/// `validate` agrees with `terraform plan` and real Helm on the files of `tests/corpus/`.
mod validate;
/// `--mirror DIR` with every server stopped, and `verify` of mirrors, pulled folders and releases.
mod verify;
