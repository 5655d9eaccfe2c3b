//! Repository invariants: module docs, documented keys, the README and CI entry points.

use crate::support::workspace_root;

/// Every Rust module opens with a `//!` line saying what it owns.
#[test]
fn every_module_has_a_doc_line() {
    let root = workspace_root().join("xtask");
    let mut missing = Vec::new();
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let skip = path.components().any(|c| c.as_os_str() == "fixtures" || c.as_os_str() == "target");
        if skip || path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        if !text.starts_with("//!") {
            missing.push(path.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(missing.is_empty(), "modules without a `//!` line: {missing:?}");
}

/// `docs/release-toml.md` documents every key `release.toml` accepts.
#[test]
fn every_config_key_is_documented() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/release-toml.md")).unwrap();
    let config = std::fs::read_to_string(workspace_root().join("xtask/src/config/schema.rs")).unwrap();
    let keys: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("field(\""))
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert!(keys.len() > 10);
    let undocumented: Vec<&&str> = keys.iter().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(undocumented.is_empty(), "keys missing from docs/release-toml.md: {undocumented:?}");
}

/// The README starts with the two commands a newcomer runs.
#[test]
fn readme_starts_with_the_two_commands() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let head: String = readme.lines().take(25).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo xtask dry-run") && head.contains("cargo xtask test"), "{head}");
}

/// `.ci/run` is `cargo xtask test` and nothing cleverer.
#[test]
fn ci_runs_cargo_xtask_test() {
    let ci = std::fs::read_to_string(workspace_root().join(".ci/run")).unwrap();
    let commands: Vec<&str> =
        ci.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("set ")).collect();
    assert_eq!(commands, ["cargo xtask test"]);
}
