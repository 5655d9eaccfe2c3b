//! `cargo xtask test`: provision the peers, then run the whole test suite with them switched on.
//!
//! The test binaries learn where the peers are from `LAMINA_TEST_PEERS`. Tests that need a peer
//! are `#[ignore]`d, so plain `cargo test` lists them as ignored; here they run
//! (`--include-ignored`), and a missing peer fails them: none is ever skipped silently. The
//! whole suite runs in two lanes at once (`test/lanes.rs`); arguments for `cargo test` (a filter,
//! `-p`) run it as `cargo test` does.

mod lanes;

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
        eprintln!("warning: missing test peer: {m}; tests that need it will fail");
    }
    if args.peers_only {
        return Ok(ExitCode::SUCCESS);
    }
    let cargo = env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
    {
        // Tests run cargo offline on copies of this workspace, which needs every locked crate
        // in the local cache, including those of other platforms' targets.
        let _s = xtask::shell::Section::new("fetch every locked crate");
        cmd!(sh, "{cargo} fetch --locked").run()?;
    }
    let _s = xtask::shell::Section::new("cargo test");
    if args.cargo_args.is_empty() {
        lanes::run(sh, &cargo, root, &[(env::LAMINA_TEST_PEERS, &peers.dir)])?;
        return Ok(ExitCode::SUCCESS);
    }
    let args = with_ignored(&args.cargo_args);
    cmd!(sh, "{cargo} test --workspace --locked {args...}").env(env::LAMINA_TEST_PEERS, &peers.dir).run()?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo test` arguments that also run the ignored (peer) tests: `--include-ignored` goes to the
/// test binaries, after the user's own `--` when there is one.
fn with_ignored(extra: &[String]) -> Vec<String> {
    let mut args = extra.to_vec();
    match args.iter().position(|a| a == "--") {
        Some(at) => args.insert(at + 1, "--include-ignored".to_owned()),
        None => args.extend(["--".to_owned(), "--include-ignored".to_owned()]),
    }
    args
}

#[cfg(test)]
mod tests {
    #[test]
    fn ignored_tests_are_included_after_the_users_arguments() {
        let args = |a: &[&str]| super::with_ignored(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(args(&[]), ["--", "--include-ignored"]);
        assert_eq!(args(&["release::"]), ["release::", "--", "--include-ignored"]);
        assert_eq!(
            args(&["-p", "xtask", "--", "--nocapture"]),
            ["-p", "xtask", "--", "--include-ignored", "--nocapture"]
        );
    }
}
