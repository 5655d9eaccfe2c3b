//! `cargo xtask test`: provision the peers, then run the whole test suite with them switched on.
//!
//! The test binaries learn where the peers are from `LAMINA_TEST_PEERS`. Without it (plain
//! `cargo test`), tests that need a peer skip, except under `CI=true`, where they fail.

use super::peers;
use std::path::Path;
use std::process::ExitCode;
use xtask::cli::TestArgs;
use xtask::env;
use xtask::shell::{Shell, cmd};

pub fn run(sh: &Shell, root: &Path, args: TestArgs) -> anyhow::Result<ExitCode> {
    let strict = env::flag(env::CI);
    let peers = {
        let _s = xtask::shell::Section::new("provision test peers");
        peers::provision(sh, root, strict)?
    };
    for m in &peers.missing {
        eprintln!("warning: missing test peer: {m}; tests that need it will skip");
    }
    if args.peers_only {
        return Ok(ExitCode::SUCCESS);
    }
    let _s = xtask::shell::Section::new("cargo test");
    let cargo = env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
    let extra = &args.cargo_args;
    cmd!(sh, "{cargo} test --workspace --locked {extra...}").env(env::LAMINA_TEST_PEERS, &peers.dir).run()?;
    Ok(ExitCode::SUCCESS)
}
