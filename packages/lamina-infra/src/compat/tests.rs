use super::*;
use lamina_release_format::manifest::{
    Chart, Component, ComposeProject, ComposeVariable, Image, Provider, TerraformModule, Variable,
};
use serde_json::json;

fn variable(name: &str, type_: serde_json::Value, default: Option<serde_json::Value>) -> Variable {
    Variable { name: name.into(), type_, required: default.is_none(), default, sensitive: false, description: None }
}

fn manifest(
    version: &str,
    chart: &str,
    digest: &str,
    variables: Vec<Variable>,
    compose: Vec<ComposeVariable>,
) -> ReleaseManifest {
    let component = |name: &str, kind| Component {
        name: name.into(),
        kind,
        version: version.into(),
        file: format!("{name}-{version}.tar.gz"),
        size: 1,
        sha256: "0".repeat(64),
        target: None,
        modules: Vec::new(),
        compose: None,
    };
    let terraform = Component {
        modules: vec![TerraformModule {
            path: "lamina-values".into(),
            required_version: Some(">= 1.6.0".into()),
            providers: vec![Provider {
                name: "kubernetes".into(),
                source: Some("hashicorp/kubernetes".into()),
                version: Some(">= 2.31.0".into()),
            }],
            variables,
        }],
        ..component("lamina-terraform", ComponentKind::Terraform)
    };
    let compose = Component {
        compose: Some(ComposeProject { files: vec!["compose.yaml".into()], images: Vec::new(), variables: compose }),
        ..component("lamina-compose", ComponentKind::Compose)
    };
    ReleaseManifest {
        schema_version: 1,
        repository: "acme/infra".into(),
        version: version.into(),
        tag: format!("v{version}"),
        commit: "0".repeat(40),
        source_date_epoch: 0,
        components: vec![terraform, compose],
        images: vec![Image {
            name: "core".into(),
            repository: "ghcr.io/acme/core".into(),
            tags: vec![version.into()],
            platforms: vec!["linux/amd64".into()],
            digest: Some(digest.into()),
        }],
        charts: vec![Chart {
            name: "lamina-core".into(),
            version: chart.into(),
            file: format!("lamina-core-{chart}.tgz"),
            digest: "0".repeat(64),
            url: String::new(),
            oci: None,
            repository: None,
            kube_version: Some(">=1.27.0-0".into()),
            images: Vec::new(),
        }],
    }
}

fn optional(name: &str) -> ComposeVariable {
    ComposeVariable { name: name.into(), required: false, default: Some("x".into()) }
}

fn required(name: &str) -> ComposeVariable {
    ComposeVariable { name: name.into(), required: true, default: None }
}

#[test]
fn the_environment_is_checked_against_every_requirement() {
    let m = manifest("0.1.0", "0.1.0", "sha256:aa", vec![variable("x", json!("string"), None)], vec![optional("PORT")]);
    let found = |tool: Tool| match tool {
        Tool::Helm => Ok("v4.0.1".to_owned()),
        Tool::Terraform => Ok("1.5.7".to_owned()),
        Tool::Compose => Err("`docker compose` is not installed here".to_owned()),
        Tool::Kubectl => Err("no cluster".to_owned()),
    };
    let rows = check(&m, Some("v1.30.2-gke.1"), &found);
    insta::assert_snapshot!(table(&rows), @r"
    COMPONENT                       REQUIREMENT                              FOUND                                            OK
    charts                          helm >= 3.8.0                            v4.0.1                                           ok
    chart lamina-core 0.1.0         kubernetes >=1.27.0-0                    v1.30.2-gke.1                                    ok
    lamina-terraform lamina-values  terraform >= 1.6.0                       1.5.7                                            NO
    lamina-terraform lamina-values  provider hashicorp/kubernetes >= 2.31.0  installed by `terraform init`                    ok
    lamina-compose                  docker compose (any)                     unknown: `docker compose` is not installed here  ?
    ");
    let old_cluster = check(&m, Some("1.26.3"), &found);
    assert_eq!(old_cluster[1].ok, Some(false));
    let unknown = check(&m, None, &found);
    assert_eq!((unknown[1].ok, unknown[1].found.as_str()), (None, "unknown: no cluster"));
}

#[test]
fn an_upgrade_lists_each_change_and_marks_the_breaking_ones() {
    let a = manifest(
        "0.1.0",
        "0.1.0",
        "sha256:aa",
        vec![
            variable("replicas", json!("number"), Some(json!(1))),
            variable("labels", json!(["map", "string"]), Some(json!({}))),
            variable("gone", json!("bool"), Some(json!(true))),
        ],
        vec![optional("PORT"), optional("TOKEN")],
    );
    let b = manifest(
        "0.2.0",
        "0.2.0",
        "sha256:bb",
        vec![
            variable("replicas", json!("number"), Some(json!(2))),
            variable("labels", json!(["list", "string"]), Some(json!([]))),
            variable("region", json!("string"), None),
            variable("zone", json!("string"), Some(json!("a"))),
        ],
        vec![optional("PORT"), required("TOKEN"), required("SECRET")],
    );
    let changes: Vec<String> = super::upgrade::diff(&a, &b)
        .iter()
        .map(|c| format!("{} | {} | {}", c.component, c.change, if c.breaking { "BREAKING" } else { "" }))
        .collect();
    assert_eq!(
        changes,
        [
            "chart lamina-core | version 0.1.0 → 0.2.0 | ",
            "image core | digest sha256:aa → sha256:bb | ",
            "lamina-terraform lamina-values | variable replicas default 1 → 2 | ",
            "lamina-terraform lamina-values | variable labels type map(string) → list(string), default {} → [] | BREAKING",
            "lamina-terraform lamina-values | variable gone removed: drop it from your var files | BREAKING",
            "lamina-terraform lamina-values | variable region added, required: set it | BREAKING",
            "lamina-terraform lamina-values | variable zone added (string) | ",
            "lamina-compose | variable TOKEN is now required: set it in the .env file | BREAKING",
            "lamina-compose | variable SECRET is now required: set it in the .env file | BREAKING",
        ]
    );
    assert!(super::upgrade::diff(&a, &a).is_empty());
}
