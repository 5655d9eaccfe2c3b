//! `dry-run` on a fixture: plan, artifacts, checksums, manifest and its schema.

use crate::support::{TestRepo, snapshot_settings, tar_names};
use std::process::Command;

#[test]
fn plan_and_artifacts_of_the_fixture() {
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let out = repo.out("0.2.0");
    let mut files: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "SHA256SUMS",
            "demo-0.2.0.tgz",
            "demo-compose-0.2.0.tar.gz",
            "demo-k8s-0.2.0.tar.gz",
            "demo-terraform-0.2.0.tar.gz",
            "release-manifest.json",
            "site"
        ]
    );
    // The catalog this release would add to Pages, for a preview in a browser.
    for page in ["index.html", "index.yaml", "releases/0.2.0/index.html", "modules/values/0.2.0/index.html"] {
        assert!(out.join("site").join(page).is_file(), "no preview of {page}");
    }
    assert!(run.stdout.contains("catalog preview: target/release/v0.2.0/site/index.html"), "{}", run.stdout);
    // One uber-snapshot: what the user reads, and what each archive holds.
    let mut all = format!("==== stdout ====\n{}\n", run.stdout);
    for name in &files {
        if name.ends_with("gz") {
            all.push_str(&format!("==== {name} ====\n{}\n", tar_names(&out.join(name)).join("\n")));
        }
    }
    all.push_str(&format!("==== SHA256SUMS ====\n{}", std::fs::read_to_string(out.join("SHA256SUMS")).unwrap()));
    all.push_str(&format!(
        "==== release-manifest.json ====\n{}",
        std::fs::read_to_string(out.join("release-manifest.json")).unwrap()
    ));
    snapshot_settings(Some(&repo)).bind(|| insta::assert_snapshot!("dry_run_minimal", all));
}

#[test]
fn json_plan_is_the_same_plan() {
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["dry-run", "--json", "--builder", "none"]).ok();
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    let steps = value["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.first().unwrap()["step"], "package-chart");
    assert_eq!(steps.last().unwrap()["step"], "verify");
    snapshot_settings(Some(&repo)).bind(|| insta::assert_json_snapshot!("dry_run_minimal_json", value["plan"]));
}

#[test]
fn sha256sum_reads_the_checksum_file() {
    let repo = TestRepo::fixture("minimal");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let out = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(repo.out("0.2.0"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().filter(|l| l.ends_with(": OK")).count(), 5, "{text}");
}

#[test]
fn manifest_matches_its_committed_schema() {
    let repo = TestRepo::fixture("minimal");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let schema_path = crate::support::workspace_root().join(xtask::manifest::SCHEMA_FILE);
    let committed = std::fs::read_to_string(&schema_path).unwrap_or_default();
    let generated = xtask::manifest::schema();
    if committed != generated {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{} is stale: run `cargo test` locally to regenerate it and commit the result",
                xtask::manifest::SCHEMA_FILE
            );
        }
        std::fs::write(&schema_path, &generated).unwrap();
    }
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.out("0.2.0").join("release-manifest.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&manifest).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a manifest without its digests fails it.
    let mut broken = manifest.clone();
    broken["components"][0]["sha256"] = "not-hex".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn check_reproducible_builds_twice_and_compares() {
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["dry-run", "--check-reproducible", "--builder", "none"]).ok();
    assert!(run.stdout.contains("byte-identical"), "{}", run.stdout);
    assert!(!repo.path("target/release/v0.2.0.check").exists(), "the second build folder is removed");
}

#[test]
fn uncommitted_changes_are_shown_and_built_from_the_worktree() {
    let repo = TestRepo::fixture("minimal");
    repo.write("infra/k8s/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: changed\n");
    let run = repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert!(run.stdout.contains("uncommitted changes"), "{}", run.stdout);
}

/// Inside GitHub Actions: a step summary, step outputs, and problems as annotations.
#[test]
fn github_actions_summary_outputs_and_annotations() {
    let repo = TestRepo::fixture("minimal");
    let dir = tempfile::tempdir().unwrap();
    let (summary, outputs) = (dir.path().join("summary.md"), dir.path().join("outputs"));
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
    ];
    repo.xtask_env(&["dry-run", "--builder", "none"], &env).ok();
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert_eq!(outputs, "version=0.2.0\ntag=v0.2.0\n");
    let summary = std::fs::read_to_string(&summary).unwrap();
    snapshot_settings(Some(&repo)).bind(|| insta::assert_snapshot!("github_step_summary", summary));

    repo.write("release.toml", &repo.read("release.toml").replace("oci = true", "ocii = true"));
    let run = repo.xtask_env(&["validate"], &env);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("::error file=release.toml,line=15::unknown key `ocii` in [[chart]] (help: did you mean `oci`?)"),
        "{}",
        run.stdout
    );
}
