//! The release pipeline's developer tooling: `cargo xtask test` (provision the real peers, run
//! every test) and `cargo xtask bench` (compare with the real peers), and what they run on: a
//! throwaway registry, a throwaway Python package index, a stateful fake of GitHub's Releases API, a static site standing in for
//! Pages and a real browser reading it. A separate crate, so the `xtask` binary that holds the release token never links a test
//! server.

#![recursion_limit = "256"]

pub mod bench;
pub mod browser;
pub mod github;
pub mod peers;
pub mod pypi;
pub mod registry;
pub mod sigstore;
pub mod site;
pub mod test;
