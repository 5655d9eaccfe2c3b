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
fn release_refuses_until_channels_exist_and_writes_nothing_remote() {
    let repo = crate::support::TestRepo::fixture("minimal");
    let run = repo.xtask(&["release", "--builder", "none"]).fails();
    assert!(run.stderr.contains("not implemented yet"), "{}", run.stderr);
}
