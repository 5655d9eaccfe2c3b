use super::*;

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

#[test]
fn terraform_types_defaults_providers_and_versions_come_from_the_hcl() {
    let variables = r#"
variable "environment" {
  description = "Where."
  type        = string
}
variable "replicas" {
  type    = number
  default = null
}
variable "labels" {
  type    = map(string)
  default = {}
}
variable "token" {
  type      = string
  sensitive = true
  default   = "x"
}
variable "nodes" {
  type = list(object({ name = string, size = optional(number, 1), tags = optional(set(string)) }))
}
variable "pair" {
  type    = tuple([string, bool])
  default = ["a", true]
}
variable "anything" {}
"#;
    let versions = r#"
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    kubernetes = { source = "hashicorp/kubernetes", version = "~> 2.30" }
    legacy     = "1.0"
  }
}
"#;
    let got = terraform(&files(&[
        ("m/variables.tf", variables),
        ("m/versions.tf", versions),
        ("m/tests/x.tftest.hcl", "not { hcl"),
        ("other/main.tf", "locals {}"),
    ]))
    .unwrap();
    assert_eq!(got.len(), 2);
    let m = &got[0];
    assert_eq!((m.path.as_str(), m.required_version.as_deref()), ("m", Some(">= 1.6.0")));
    assert_eq!(m.providers[0].source.as_deref(), Some("hashicorp/kubernetes"));
    assert_eq!(m.providers[0].version.as_deref(), Some("~> 2.30"));
    assert_eq!((m.providers[1].name.as_str(), m.providers[1].version.as_deref()), ("legacy", Some("1.0")));
    let v: BTreeMap<&str, &Variable> = m.variables.iter().map(|v| (v.name.as_str(), v)).collect();
    assert_eq!(v["environment"].type_, json!("string"));
    assert!(v["environment"].required);
    assert_eq!(v["environment"].description.as_deref(), Some("Where."));
    assert!(!v["replicas"].required && v["replicas"].default.is_none());
    assert_eq!(v["labels"].type_, json!(["map", "string"]));
    assert_eq!(v["labels"].default, Some(json!({})));
    assert!(v["token"].sensitive);
    assert_eq!(
        v["nodes"].type_,
        json!(["list", ["object", {"name": "string", "size": "number", "tags": ["set", "string"]}, ["size", "tags"]]])
    );
    assert_eq!(v["pair"].type_, json!(["tuple", ["string", "bool"]]));
    assert_eq!(v["pair"].default, Some(json!(["a", true])));
    assert_eq!(v["anything"].type_, json!("dynamic"));
    assert_eq!(got[1].path, "other");
}

#[test]
fn an_unknown_type_is_an_error_naming_the_variable() {
    let err = terraform(&files(&[("variables.tf", "variable \"x\" {\n  type = strng\n}\n")])).unwrap_err();
    assert_eq!(format!("{err:#}"), "`variables.tf`: variable `x`: `strng` is not a type");
}

#[test]
fn compose_images_and_variables_with_required_and_defaults() {
    let compose_yaml = r#"
# ${NOT_A_VARIABLE} in a comment
services:
  core:
    image: ghcr.io/acme/core@sha256:aaaa
    ports: ["127.0.0.1:${PORT:-8080}:8080"]
    environment:
      TOKEN: ${TOKEN:?set TOKEN in the .env file}
      PRICE: $$5
      HOME_DIR: $HOME
      NESTED: ${OUTER:-${INNER}}
      LOOSE: ${LOOSE-x}
  prom:
    image: prom/prometheus:v3
    volumes:
      - type: image
        source: ghcr.io/acme/monitoring@sha256:bbbb
        target: /etc/prometheus
      - data:/prometheus
"#;
    let got = compose(&files(&[("compose.yaml", compose_yaml), ("config/app.yaml", "x: ${IGNORED}")])).unwrap();
    assert_eq!(got.files, ["compose.yaml"]);
    let images: Vec<(&str, &str)> = got.images.iter().map(|i| (i.service.as_str(), i.image.as_str())).collect();
    assert_eq!(
        images,
        [
            ("core", "ghcr.io/acme/core@sha256:aaaa"),
            ("prom", "prom/prometheus:v3"),
            ("prom", "ghcr.io/acme/monitoring@sha256:bbbb")
        ]
    );
    let vars: Vec<(&str, bool, Option<&str>)> =
        got.variables.iter().map(|v| (v.name.as_str(), v.required, v.default.as_deref())).collect();
    assert_eq!(
        vars,
        [
            ("HOME", false, None),
            ("INNER", false, None),
            ("LOOSE", false, Some("x")),
            ("OUTER", false, None),
            ("PORT", false, Some("8080")),
            ("TOKEN", true, None),
        ]
    );
}

#[test]
fn unclosed_and_non_ascii_expressions_do_not_panic() {
    let mut found = BTreeMap::new();
    for text in ["${", "${é", "${NAME:-é", "$é", "${A}é${B"] {
        interpolated(text, &mut found);
    }
    assert_eq!(found.keys().collect::<Vec<_>>(), ["A", "B", "NAME"]);
}

#[test]
fn chart_images_are_the_values_mappings_naming_a_release_image() {
    let values = "image:\n  repository: ghcr.io/acme/core\n  tag: ''\nsidecar:\n  image:\n    repository: docker.io/library/busybox\nworker:\n  image:\n    repository: ghcr.io/acme/core\n";
    let known = [Known {
        name: "core",
        repositories: vec!["registry.local/acme/core", "ghcr.io/acme/core"],
        digest: Some("sha256:cc"),
    }];
    let got = chart_images(values, &known).unwrap();
    let found: Vec<(&str, &str, &str)> =
        got.iter().map(|c| (c.name.as_str(), c.values.as_str(), c.repository.as_str())).collect();
    assert_eq!(
        found,
        [("core", "image", "registry.local/acme/core"), ("core", "worker.image", "registry.local/acme/core")]
    );
    assert_eq!(got[0].digest.as_deref(), Some("sha256:cc"));
}

/// The files under the repository's `dir`, paths relative to it.
fn tree(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut out: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let path = e.path().strip_prefix(&root).ok()?.to_string_lossy().into_owned();
            Some((path, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_repository_s_own_modules_and_compose_project() {
    insta::assert_json_snapshot!("terraform_modules", terraform(&tree("terraform/modules")).unwrap());
    insta::assert_json_snapshot!("compose_project", compose(&tree("docker/compose")).unwrap());
}
