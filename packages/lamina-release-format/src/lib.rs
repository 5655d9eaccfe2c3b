//! The format of a Lamina OS infrastructure release, defined once for the pipeline that writes
//! it and the tools that read it: how its things are named ([`names`]), its archives read as
//! hostile input ([`archive`]), `release-manifest.json`
//! ([`manifest`]), `SHA256SUMS` ([`sums`]), the one verifier of a release's own files
//! ([`verify`]) and its report ([`checks`]), a chart's entry of a Helm repository index ([`helm_index`]), a release as GitHub
//! lists it ([`listing`]), a mirror folder's `mirror.json` ([`mirror`]) and the release's provenance
//! statement ([`provenance`]). No IO: the callers
//! read and write, these decide.

pub mod archive;
pub mod checks;
pub mod helm_index;
pub mod listing;
pub mod manifest;
pub mod mirror;
pub mod names;
pub mod provenance;
pub mod signature;
pub mod sums;
pub mod verify;

pub use names::{MANIFEST, SUMS};
