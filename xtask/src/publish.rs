//! Remote side effects, one small seam per channel: GitHub releases, the registry, the Pages
//! branch, the Python package index. Only `release` and the `index` commands write through them; `dry-run` and `verify`
//! only read.

pub mod github;
pub mod pages;
pub mod pyindex;
pub mod registry;
