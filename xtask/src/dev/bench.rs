//! `cargo xtask bench`: the pipeline against the real peers, side by side in one run.

use crate::shell::Shell;
use std::path::Path;
use std::process::ExitCode;

pub fn run(sh: &Shell, root: &Path) -> anyhow::Result<ExitCode> {
    let _ = (sh, root);
    anyhow::bail!("`cargo xtask bench` has no benchmark yet")
}
