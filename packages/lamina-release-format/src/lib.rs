//! The format of a Lamina OS infrastructure release, defined once for the pipeline that writes
//! it and the tools that read it: `release-manifest.json` ([`manifest`]) and `SHA256SUMS`
//! ([`sums`]).

pub mod manifest;
pub mod sums;

/// Name of the checksum file among a release's assets.
pub const SUMS: &str = "SHA256SUMS";
/// Name of the release manifest among a release's assets.
pub const MANIFEST: &str = "release-manifest.json";
