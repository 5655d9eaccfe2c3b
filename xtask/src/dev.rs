//! Developer commands: `cargo xtask test` (provision the peers, run every test) and
//! `cargo xtask bench` (compare with the real peers).

pub mod bench;
pub mod github;
pub mod peers;
pub mod registry;
pub mod test;
