//! The format of a Lamina OS infrastructure release, defined once for the pipeline that writes
//! it and the tools that read it: how its things are named ([`names`]), `release-manifest.json`
//! ([`manifest`]) and `SHA256SUMS` ([`sums`]).

pub mod manifest;
pub mod names;
pub mod sums;

pub use names::{MANIFEST, SUMS};
