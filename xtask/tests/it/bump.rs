//! `bump` moves every version and keeps formatting.

use crate::support::{TestRepo, snapshot_settings};

#[test]
fn bump_moves_every_version_and_keeps_formatting() {
    let repo = TestRepo::fixture("minimal");
    repo.xtask(&["bump", "0.3.0-rc.1", "--date", "2026-02-01"]).ok();
    let diff = repo.git(&["diff", "--no-color", "--unified=1"]);
    snapshot_settings(Some(&repo)).bind(|| insta::assert_snapshot!("bump_diff", diff));
    // Everything agrees again: the bumped repository validates and builds.
    repo.xtask(&["validate"]).ok();
    repo.commit("bump");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert!(repo.out("0.3.0-rc.1").join("demo-0.3.0-rc.1.tgz").exists());
}

#[test]
fn bump_refuses_a_version_that_is_not_semver() {
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["bump", "v1.0"]).fails();
    assert!(run.stderr.contains("`v1.0` is not a SemVer 2 version"), "{}", run.stderr);
    assert!(repo.git(&["status", "--porcelain"]).is_empty(), "nothing changed");
}

/// On this repository, `bump` also moves `lamina-infra`'s version in its manifest and in
/// `Cargo.lock`, so a `--locked` build still resolves.
#[test]
fn bump_moves_the_package_version_and_its_lock_entry() {
    let repo = crate::support::workspace_copy();
    repo.xtask(&["bump", "0.9.0", "--date", "2026-02-01"]).ok();
    assert!(repo.read("packages/lamina-infra/Cargo.toml").contains("version = \"0.9.0\""));
    let lock = repo.read("Cargo.lock");
    assert!(lock.contains("name = \"lamina-infra\"\nversion = \"0.9.0\""), "the lock entry moved");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["tree", "--offline", "--locked", "-p", "lamina-infra", "--depth", "0"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
