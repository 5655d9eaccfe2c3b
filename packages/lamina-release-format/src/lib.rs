//! The format of a Lamina OS infrastructure release, defined once for the pipeline that writes
//! it and the tools that read it: how its things are named ([`names`]), `release-manifest.json`
//! ([`manifest`]), `SHA256SUMS` ([`sums`]), a release as GitHub lists it ([`listing`]) and a
//! mirror folder's `mirror.json` ([`mirror`]).

pub mod listing;
pub mod manifest;
pub mod mirror;
pub mod names;
pub mod sums;

pub use names::{MANIFEST, SUMS};
