//! Remote side effects, one small seam per channel. Only `release` and the `index` commands
//! reach this module; `dry-run` never does.

pub mod pages;
pub mod registry;
