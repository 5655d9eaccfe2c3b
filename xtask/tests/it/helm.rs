//! Real Helm v4 loads, lints and packages the same files as our chart archives.

use crate::support::{TestRepo, export, peers, python, workspace_copy};
use serde_json::Value;
use std::path::Path;

/// Runs the Helm oracle on our archive and the chart's tracked files.
fn helm_check(peers: &Path, ours: &Path, chart_dir: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_check.py");
    let out = crate::support::run(
        &python(peers),
        &[script.to_str().unwrap(), ours.to_str().unwrap(), chart_dir.to_str().unwrap()],
        Path::new("/"),
        &[],
    );
    serde_json::from_str(&out).unwrap()
}

#[track_caller]
fn assert_helm_agrees(repo: &TestRepo, peers: &Path, chart: &str, version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = export(repo, &format!("charts/{chart}"), tmp.path());
    let ours = repo.out(version).join(format!("{chart}-{version}.tgz"));
    let report = helm_check(peers, &ours, &dir);
    assert_eq!(report["ours"], report["helm"], "{chart}: our file set differs from `helm package`");
    assert_eq!(report["name"], chart);
    assert_eq!(report["version"], version);
    let errors: Vec<&Value> =
        report["lint"]["messages"].as_array().unwrap().iter().filter(|m| m["severity"].as_i64() >= Some(2)).collect();
    assert!(errors.is_empty(), "{chart}: strict lint found problems: {errors:#?}");
    assert!(!report["rendered"].as_array().unwrap().is_empty(), "{chart}: Helm rendered nothing");
    let sha = xtask::build::sha256_file(&ours).unwrap().0;
    assert_eq!(report["digest"], format!("sha256:{sha}"), "Helm's digest of the archive is ours");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn every_chart_of_the_repository_loads_lints_and_matches_helm_package() {
    let peers = peers("Helm v4 oracle");
    let repo = workspace_copy();
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let config = xtask::config::parse(&repo.read("release.toml")).unwrap();
    let version = config.version.to_string();
    assert!(config.charts.len() >= 2);
    for chart in &config.charts {
        let name = chart.path.rsplit('/').next().unwrap();
        assert_helm_agrees(&repo, &peers, name, &version);
    }
}

/// `.helmignore` cases where Helm's rules differ from gitignore's; each file set must equal Helm's.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn helmignore_cases_select_what_helm_selects() {
    let peers = peers("Helm v4 oracle");
    let cases = [
        "*.tmp\ndocs/\n",
        "*.md\n!README.md\n",
        "!values.yaml\n",
        "/README.md\ntemplates/*.tpl\n",
        "# comment only\n\n",
        "docs\n[a-d]*.tmp\n",
    ];
    for (i, ignore) in cases.iter().enumerate() {
        let repo = TestRepo::fixture("minimal");
        repo.write("charts/demo/.helmignore", ignore);
        repo.write("charts/demo/templates/.draft.yaml", "dotfiles in templates/ are ignored by Helm's default rule\n");
        repo.write("charts/demo/docs/nested/deep.md", "deep\n");
        repo.commit(&format!("case {i}"));
        let run = repo.xtask(&["dry-run", "--builder", "none"]);
        if run.code != 0 {
            // A .helmignore that hides Chart.yaml cannot be packaged by Helm either.
            assert!(run.stderr.contains("Chart.yaml"), "case {i}: {}", run.stderr);
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = export(&repo, "charts/demo", tmp.path());
        let report = helm_check(&peers, &repo.out("0.2.0").join("demo-0.2.0.tgz"), &dir);
        assert_eq!(report["ours"], report["helm"], "case {i}: {ignore:?}");
    }
}
