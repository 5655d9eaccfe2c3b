//! Exit codes, `--help` of every command, the repository's own configuration.

use crate::support::{snapshot_settings, workspace_root, xtask_in};

#[test]
fn help_of_every_command() {
    let root = workspace_root();
    let commands: &[&[&str]] = &[
        &[],
        &["validate"],
        &["dry-run"],
        &["release"],
        &["verify"],
        &["plan"],
        &["build"],
        &["bump"],
        &["index"],
        &["index", "add"],
        &["index", "rebuild"],
        &["test"],
        &["bench"],
    ];
    let mut all = String::new();
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let run = xtask_in(&root, &args, &[]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        all.push_str(&format!("==== cargo xtask {} ====\n{}\n", args.join(" "), run.stdout));
    }
    snapshot_settings(None).bind(|| insta::assert_snapshot!("help", all));
}

/// The build matrix GitHub Actions reads: every job of the repository's own release, each on a
/// native runner.
#[test]
fn the_repositorys_build_matrix() {
    let run = xtask_in(&workspace_root(), &["plan", "--ci"], &[]).ok();
    assert_eq!(run.stdout.trim().lines().count(), 1, "one line, for $GITHUB_OUTPUT");
    let matrix: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    snapshot_settings(None).bind(|| insta::assert_json_snapshot!("build_matrix", matrix));
}

/// A package target no runner builds is refused with the line and the list of targets.
#[test]
fn a_target_without_a_native_runner_is_refused() {
    let repo = crate::support::TestRepo::fixture("minimal");
    let config = repo.read("release.toml");
    repo.write(
        "release.toml",
        &format!(
            "{config}\n[[package]]\nname = \"tool\"\npath = \"tool\"\ntargets = [\"riscv64gc-unknown-linux-gnu\"]\n"
        ),
    );
    let run = repo.xtask(&["plan", "--ci"]).fails();
    assert!(run.stderr.contains("target `riscv64gc-unknown-linux-gnu` has no native runner"), "{}", run.stderr);
    assert!(run.stderr.contains("\"aarch64-apple-darwin\""), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no matrix is printed: {}", run.stdout);
}

#[test]
fn the_repository_validates() {
    let run = xtask_in(&workspace_root(), &["validate"], &[]).ok();
    assert!(run.stderr.contains("components are valid"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "validate prints nothing on stdout: {}", run.stdout);
}

#[test]
fn unknown_command_is_a_usage_error() {
    let run = xtask_in(&workspace_root(), &["relase"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("release"), "clap suggests the nearest command: {}", run.stderr);
}

#[test]
fn release_preflight_lists_every_local_problem_at_once() {
    let repo = crate::support::TestRepo::fixture("minimal");
    repo.write("infra/k8s/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: changed\n");
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let run = repo
        .xtask_env(&["release", "--builder", "none"], &[("GITHUB_REF_NAME", "v9.9.9"), ("GITHUB_SHA", sha)])
        .fails();
    for expected in [
        "preflight failed; nothing was built or published",
        "uncommitted changes (infra/k8s/namespace.yaml)",
        "the tag `v0.2.0` does not exist: create it on this commit with `git tag v0.2.0 && git push origin v0.2.0`",
        "GITHUB_REF_NAME is `v9.9.9` but the release is `v0.2.0`",
        "GITHUB_SHA is 0123456789ab but HEAD is",
        "GITHUB_TOKEN is not set",
    ] {
        assert!(run.stderr.contains(expected), "{expected:?} missing from:\n{}", run.stderr);
    }
    assert!(!repo.path("target/release").exists(), "nothing built");
}

#[test]
fn release_refuses_a_tag_on_another_commit() {
    let repo = crate::support::TestRepo::fixture("minimal");
    repo.git(&["tag", "v0.2.0"]);
    repo.write("README.md", "later\n");
    repo.commit("after the tag");
    let run = repo.xtask_env(&["release", "--builder", "none"], &[("GITHUB_TOKEN", "canary-token-1234")]).fails();
    assert!(run.stderr.contains("the tag `v0.2.0` points at") && run.stderr.contains("not at HEAD"), "{}", run.stderr);
}

/// A binary built in one checkout and reused from another checkout's `target/` (a restored CI
/// cache) works on the checkout it is run in, never on the one it was built in; started by
/// `cargo` for another checkout than the working directory's, it refuses and writes nothing.
#[test]
fn the_root_is_resolved_when_the_command_runs() {
    let clone = crate::support::TestRepo::fixture("minimal");
    let reused = clone.path("target/debug/xtask");
    std::fs::create_dir_all(reused.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_xtask"), &reused).unwrap();
    let run = |cwd: &std::path::Path, manifest: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(&reused);
        cmd.args(["dry-run", "--builder", "none"]).current_dir(cwd).env_remove("CARGO_MANIFEST_DIR");
        cmd.env_remove("SOURCE_DATE_EPOCH").env_remove("LAMINA_REGISTRY").env_remove("GITHUB_TOKEN");
        if let Some(m) = manifest {
            cmd.env("CARGO_MANIFEST_DIR", m);
        }
        // Just copied: another test's fork may hold it open for writing a moment longer.
        crate::support::output_of_new_program(&mut cmd).unwrap()
    };

    // From a subfolder of the clone, with no `cargo` around: the clone's own git top level.
    let out = run(&clone.path("charts/demo"), None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme/infra-demo"));
    assert!(clone.out("0.2.0").join("SHA256SUMS").exists(), "built in the clone it ran in");
    assert!(!workspace_root().join("target/release/v0.2.0").exists(), "nothing built in the first checkout");

    // `cargo` named another checkout than the one the working directory is in: refused.
    std::fs::remove_dir_all(clone.path("target/release")).unwrap();
    let out = run(&clone.root, Some(&workspace_root().join("xtask")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("the working directory is inside") && stderr.contains("-C DIR"), "{stderr}");
    assert!(!clone.path("target/release").exists() && !workspace_root().join("target/release/v0.2.0").exists());
}
