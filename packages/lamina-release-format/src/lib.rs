//! The format of a Lamina OS infrastructure release, defined once for the pipeline that writes
//! it and the tools that read it: how its things are named ([`names`]), `release-manifest.json`
//! ([`manifest`]), `SHA256SUMS` ([`sums`]), the one verifier of a release's own files
//! ([`verify`]), a chart's entry of a Helm repository index ([`helm_index`]), a release as GitHub
//! lists it ([`listing`]) and a mirror folder's `mirror.json` ([`mirror`]). No IO: the callers
//! read, these decide.

pub mod helm_index;
pub mod listing;
pub mod manifest;
pub mod mirror;
pub mod names;
pub mod sums;
pub mod verify;

pub use names::{MANIFEST, SUMS};
