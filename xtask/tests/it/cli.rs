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
