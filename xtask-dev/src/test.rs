//! `cargo xtask test`: provision the peers, then run the whole test suite with them switched on.
//!
//! The test binaries learn where the peers are from `LAMINA_TEST_PEERS`. Tests that need a peer
//! are `#[ignore]`d, so plain `cargo test` lists them as ignored; here they run
//! (`--include-ignored`), and a missing peer fails them: none is ever skipped silently. The
//! whole suite is built while the peers are provisioned, then runs in two lanes at once
//! (`test/lanes.rs`); arguments for `cargo test` (a filter, `-p`) run it as `cargo test` does.

mod lanes;

use super::peers;
use std::path::Path;
use std::process::ExitCode;
use xtask::cli::TestArgs;
use xtask::env;
use xtask::shell::{Shell, cmd};

pub fn run(sh: &Shell, root: &Path, args: TestArgs) -> anyhow::Result<ExitCode> {
    let strict = env::flag(env::CI);
    let cargo = env::var("CARGO").unwrap_or_else(|| "cargo".to_owned());
    let provision = || {
        let _s = xtask::shell::Section::new("provision test peers");
        let peers = peers::provision(sh, root, strict)?;
        for m in &peers.missing {
            eprintln!("warning: missing test peer: {m}; tests that need it will fail");
        }
        anyhow::Ok(peers)
    };
    if args.peers_only {
        provision()?;
        return Ok(ExitCode::SUCCESS);
    }
    {
        // Tests run cargo offline on copies of this workspace, which needs every locked crate
        // in the local cache, including those of other platforms' targets.
        let _s = xtask::shell::Section::new("fetch every locked crate");
        cmd!(sh, "{cargo} fetch --locked").run()?;
    }
    if !args.cargo_args.is_empty() {
        let peers = provision()?;
        let _s = xtask::shell::Section::new("cargo test");
        let args = with_ignored(&args.cargo_args);
        cmd!(sh, "{cargo} test --workspace --locked {args...}").env(env::LAMINA_TEST_PEERS, &peers.dir).run()?;
        return Ok(ExitCode::SUCCESS);
    }
    // The test binaries compile while the peers are provisioned: one is the CPU's work, the
    // other mostly downloads.
    let build = lanes::build(sh, &cargo, root);
    let (peers, binaries) = {
        let _s = xtask::shell::Section::new("build the tests and provision the peers");
        std::thread::scope(|scope| {
            let building = scope.spawn(move || lanes::built(build));
            let peers = provision();
            let built = building.join().unwrap_or_else(|_| Err(anyhow::format_err!("the test build panicked")));
            (peers, built)
        })
    };
    let (peers, binaries) = (peers?, binaries?);
    let _s = xtask::shell::Section::new("cargo test");
    lanes::run(sh, &cargo, root, binaries, &[(env::LAMINA_TEST_PEERS, &peers.dir)])?;
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
