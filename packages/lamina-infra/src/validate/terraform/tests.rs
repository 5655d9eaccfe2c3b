use super::*;
use lamina_release_format::manifest::Variable;
use serde_json::json;
use std::collections::BTreeSet;

fn module() -> TerraformModule {
    let var = |name: &str, type_: Value, default: Option<Value>| Variable {
        name: name.into(),
        type_,
        required: default.is_none(),
        default,
        sensitive: false,
        description: None,
    };
    TerraformModule {
        path: "lamina-values".into(),
        required_version: None,
        providers: Vec::new(),
        variables: vec![
            var("environment", json!("string"), None),
            var("replicas", json!("number"), Some(json!(1))),
            var("extra_labels", json!(["map", "string"]), Some(json!({}))),
        ],
    }
}

fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    check(&module(), &files, &BTreeSet::new()).iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_good_file_has_no_problem() {
    assert_eq!(
        problems(&[("a.tfvars", "environment = \"dev\"\nreplicas = \"3\"\nextra_labels = { team = \"x\" }\n")]),
        Vec::<String>::new()
    );
    assert_eq!(problems(&[("a.tfvars.json", r#"{"environment": "prod", "replicas": 2}"#)]), Vec::<String>::new());
    let heredoc = "environment = <<-EOT\n  prod\n  EOT\nextra_labels = { note = \"costs $$5\" }\n";
    assert_eq!(problems(&[("h.tfvars", heredoc)]), Vec::<String>::new());
    let from_env = BTreeSet::from(["environment".to_owned()]);
    assert!(check(&module(), &[("e.tfvars".to_owned(), String::new())], &from_env).is_empty());
}

#[test]
fn every_problem_is_named_with_its_line_and_fix() {
    let text = "replicas = var.x\n";
    assert_eq!(
        problems(&[("bad.tfvars", text)]),
        [
            "bad.tfvars:1: `replicas` is not a literal value\n  help: var files take only literal values: no references, functions or interpolation",
            "bad.tfvars: required variable `environment` is not set\n  help: add `environment = …` (type string) to a var file",
        ]
    );
    let text = "replica = 2\nextra_labels = { team = [\"x\"] }\n";
    assert_eq!(
        problems(&[("bad.tfvars", text)]),
        [
            "bad.tfvars:1: warning: `replica` is not a variable of module lamina-values\n  help: did you mean `replicas`?",
            "bad.tfvars:2: `extra_labels`: key \"team\": expected string, found a list\n  help: give a value of type map(string)",
            "bad.tfvars: required variable `environment` is not set\n  help: add `environment = …` (type string) to a var file",
        ]
    );
    assert_eq!(
        problems(&[("broken.tfvars", "environment = \n")]).len(),
        1,
        "a syntax error, and nothing reported missing from a file that could not be read"
    );
    assert!(problems(&[("broken.tfvars", "environment = \n")])[0].starts_with("broken.tfvars:"));
    assert!(
        problems(&[("x.tfvars.json", "{\n  \"environment\": \n}")])[0].starts_with("x.tfvars.json:3: not valid JSON")
    );
}

#[test]
fn a_json_var_file_problem_carries_its_line_wherever_the_key_is_written() {
    let one_line = r#"{"environment": "dev", "replicas": "many"}"#;
    assert_eq!(
        problems(&[("one.tfvars.json", one_line)]),
        ["one.tfvars.json:1: `replicas`: expected number, found a string\n  help: give a value of type number"]
    );
    let spread = "{\n  \"environment\": \"a \\\"quoted\\\" {value}\",\n  \"extra_labels\": {\"replicas\": 1},\n  \"replicas\":\n    [1]\n}\n";
    assert_eq!(
        problems(&[("spread.tfvars.json", spread)]),
        ["spread.tfvars.json:4: `replicas`: expected number, found a list\n  help: give a value of type number"]
    );
}
