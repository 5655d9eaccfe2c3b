//! Helm's formats, without IO: Chart.yaml metadata, `.helmignore` rules, the repository index,
//! and versions as Helm orders them.

pub mod archive;
pub mod chart;
pub mod ignore;
pub mod index;
pub mod oci;
pub mod version;
mod yaml;
