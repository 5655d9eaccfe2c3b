//! `validate` agrees with the real tools: every var file of the corpus is accepted by
//! `lamina-infra validate` exactly when `terraform plan` accepts it, and every values file exactly
//! when real Helm v4 renders the chart with it; and each refusal names a line.

use lamina_infra::validate::{Diagnostic, terraform, values};
use lamina_release_format::manifest::ComponentKind;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 5, "the {kind} corpus holds good and bad files");
    files
}

fn read(path: &Path) -> (String, String) {
    (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(path).unwrap())
}

/// Every problem has a line, except a required value no file sets.
fn assert_lines(problems: &[Diagnostic]) {
    for p in problems {
        let unset = p.message.starts_with("required variable") || p.message.ends_with("is a required property");
        assert!(p.line.is_some() || unset, "{p}");
    }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn var_files_are_refused_exactly_when_terraform_plan_refuses_them() {
    let tree: Vec<(String, String)> = walk(&root().join("terraform/modules/lamina-values"));
    let files: Vec<(&str, &str)> = tree.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let recorded = crate::common::recorded_component("lamina-terraform", ComponentKind::Terraform, &files);
    let module = recorded.modules.iter().find(|m| m.path == ".").unwrap();
    let work = tempfile::tempdir().unwrap();
    for (path, text) in &tree {
        let to = work.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, text).unwrap();
    }
    let terraform_cmd = |args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(work.path())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("terraform is on PATH: run `cargo xtask test`")
    };
    let init = terraform_cmd(&["init", "-input=false", "-backend=false"]);
    assert!(init.status.success(), "terraform init: {}", String::from_utf8_lossy(&init.stderr));
    for file in corpus("tfvars") {
        let plan = terraform_cmd(&["plan", "-input=false", "-lock=false", &format!("-var-file={}", file.display())]);
        let found = terraform::check(module, &[read(&file)], &Default::default());
        let problems: Vec<&Diagnostic> = found.iter().filter(|p| !p.warning).collect();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            problems.is_empty(),
            plan.status.success(),
            "{name}: validate says {problems:#?}, terraform plan says {}",
            String::from_utf8_lossy(&plan.stderr)
        );
        assert_eq!(name.starts_with("good"), problems.is_empty(), "{name}: {problems:#?}");
        assert_lines(&found);
        if name == "good-unknown-name.tfvars" {
            assert!(found[0].warning && found[0].help.as_deref() == Some("did you mean `replicas`?"), "{found:#?}");
        }
    }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn values_files_are_refused_exactly_when_helm_refuses_them() {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("run `cargo xtask test`"));
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_values.py");
    for name in ["lamina-core", "lamina-observability"] {
        let chart = root().join("charts").join(name);
        let text = |file: &str| std::fs::read_to_string(chart.join(file)).unwrap();
        let schema = serde_json::from_str(&text("values.schema.json")).unwrap();
        let defaults = serde_norway::from_str(&text("values.yaml")).unwrap();
        for file in corpus(&format!("values/{name}")) {
            let out = Command::new(peers.join("venv/bin/python")).arg(&oracle).arg(&chart).arg(&file).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let helm: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let problems = values::check(&schema, &defaults, &[read(&file)]).unwrap();
            let case = format!("{name}/{}", file.file_name().unwrap().to_string_lossy());
            assert_eq!(
                problems.is_empty(),
                helm["ok"] == true,
                "{case}: validate says {problems:#?}, Helm says {helm}"
            );
            assert_eq!(case.contains("/good"), problems.is_empty(), "{case}: {problems:#?}");
            assert_lines(&problems);
        }
    }
}

/// The files under `dir`, paths relative to it, skipping Terraform's own folders.
fn walk(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with(".terraform") {
                    pending.push(path);
                }
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), text));
            }
        }
    }
    out.sort();
    out
}
