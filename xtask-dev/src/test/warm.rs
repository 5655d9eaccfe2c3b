//! The longest compile of a cold run, started early. The consumer's end-to-end test
//! (`consumer::a_user_installs_the_released_wheel…`) releases a copy of this workspace, which
//! compiles lamina-infra through maturin for this machine's target, from nothing, into
//! `target/it-consumer`; started only when that test starts, it is most of the integration
//! lane's time. Here the same compile (`xtask build --package lamina-infra`, the job graph's
//! package build, with the test's environment: maturin from the peers, `opt-level` 0, that build
//! folder) starts beside the test build instead. The test then finds every dependency compiled,
//! and recompiles only the three crates its copy holds at another path. Nothing depends on the
//! warm-up: when it fails, the test compiles as before.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use xtask::shell::{Shell, cmd};

/// The package the end-to-end test builds, and the build folder it builds it in (the test's
/// `CARGO_TARGET_DIR`, relative to the workspace).
const PACKAGE: &str = "lamina-infra";
pub const BUILD_FOLDER: &str = "target/it-consumer";

/// Starts the warm-up compile in the background, its output in `target/it-consumer/warm-up.log`;
/// `None` when it cannot start (no xtask binary beside this one, no maturin among the peers).
pub fn start(sh: &Shell, root: &Path, peers: &Path) -> Option<Child> {
    let xtask = std::env::current_exe().ok()?.with_file_name("xtask");
    let venv = peers.join("venv/bin");
    if !xtask.is_file() || !venv.join("maturin").is_file() {
        return None;
    }
    let text = cmd!(sh, "rustc -vV").quiet().read().ok()?;
    let host = text.lines().find_map(|l| l.strip_prefix("host: "))?.trim().to_owned();
    let folder = root.join(BUILD_FOLDER);
    let out = folder.join("warm-up");
    std::fs::create_dir_all(&folder).ok()?;
    let log = std::fs::File::create(folder.join("warm-up.log")).ok()?;
    let path = format!("{}:{}", venv.display(), xtask::env::var("PATH").unwrap_or_default());
    let mut build: Command = cmd!(sh, "{xtask} -C {root} build --package {PACKAGE} --target {host} --out {out}").into();
    build
        .env("PATH", path)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_TARGET_DIR", &folder)
        .stdin(Stdio::null())
        .stdout(log.try_clone().ok()?)
        .stderr(log);
    build.spawn().ok()
}
