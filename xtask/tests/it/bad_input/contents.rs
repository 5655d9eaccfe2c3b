//! Bad files behind the entries: charts, bundle contents by kind, refused secrets and symlinks,
//! Dockerfiles, release notes, and image tags the release does not push.

use super::{Case, check_all, replace};
use crate::support::TestRepo;

/// Writes `content` to `file`.
fn write(file: &'static str, content: &'static str) -> impl FnOnce(&TestRepo) {
    move |r| r.write(file, content)
}

/// Replaces the first `from` in `file` with `to`.
fn edit(file: &'static str, from: &'static str, to: &'static str) -> impl FnOnce(&TestRepo) {
    move |r| replace(r, file, from, to)
}

fn symlink(target: &'static str, link: &'static str) -> impl FnOnce(&TestRepo) {
    move |r| std::os::unix::fs::symlink(target, r.path(link)).unwrap()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn charts_follow_helms_rules() {
    const CHART: &str = "charts/demo/Chart.yaml";
    check_all([
        Case::new("chart_yaml_missing", |r| std::fs::remove_file(r.path(CHART)).unwrap())
            .expect(&["release.toml:13: chart `charts/demo`: `charts/demo/Chart.yaml` does not exist"]),
        Case::new("chart_yaml_invalid_yaml", write(CHART, "apiVersion: v2\nname: demo\n  version: [\n"))
            .expect(&["charts/demo/Chart.yaml:3: invalid Chart.yaml"]),
        Case::new("chart_api_version_v1", edit(CHART, "apiVersion: v2", "apiVersion: v1"))
            .expect(&["charts/demo/Chart.yaml:2: apiVersion `v1` is Helm 2's format", "set `apiVersion: v2`"]),
        Case::new("chart_api_version_unknown", edit(CHART, "apiVersion: v2", "apiVersion: v3"))
            .expect(&["charts/demo/Chart.yaml:2: apiVersion `v3` is not one Helm packages"]),
        Case::new("chart_name_not_its_directory", edit(CHART, "name: demo", "name: other"))
            .expect(&["charts/demo/Chart.yaml:3: name `other` differs from its directory `demo`"]),
        Case::new("chart_version_not_semver", edit(CHART, "version: 0.2.0", "version: 0.2"))
            .expect(&["charts/demo/Chart.yaml:6: version `0.2` is not SemVer 2"]),
        Case::new("chart_version_not_the_release", edit(CHART, "version: 0.2.0", "version: 0.3.0")).expect(&[
            "charts/demo/Chart.yaml:6: version `0.3.0` differs from the release version `0.2.0`",
            "cargo xtask bump",
        ]),
        Case::new("chart_app_version_not_the_release", edit(CHART, "appVersion: \"0.2.0\"", "appVersion: \"1.0\""))
            .expect(&["charts/demo/Chart.yaml:7: appVersion `1.0` differs from the release version `0.2.0`"]),
        Case::new("chart_type_unknown", edit(CHART, "type: application", "type: plugin"))
            .expect(&["charts/demo/Chart.yaml:5: type `plugin` is not `application` or `library`"]),
        Case::new(
            "chart_maintainer_without_name",
            edit(CHART, "  - name: Acme Platform Team", "  - email: a@example.com"),
        )
        .expect(&["charts/demo/Chart.yaml:8: maintainer 1 has no name"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn chart_files_must_parse() {
    check_all([
        Case::new("values_yaml_invalid", write("charts/demo/values.yaml", "image:\n  repository: [x\n"))
            .expect(&["charts/demo/values.yaml:3: invalid YAML", "fix the YAML syntax"]),
        Case::new("values_schema_invalid_json", write("charts/demo/values.schema.json", "{\"type\": \"object\",}\n"))
            .expect(&["charts/demo/values.schema.json:1: invalid JSON"]),
        Case::new("helmignore_double_star", write("charts/demo/.helmignore", "docs/\n**/*.tmp\n"))
            .expect(&["charts/demo/.helmignore", "line 2"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn bundles_are_checked_by_kind() {
    check_all([
        Case::new(
            "manifest_without_name",
            write(
                "infra/k8s/extra.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n",
            ),
        )
        .expect(&["infra/k8s/extra.yaml:6: Secret in document 2 has no `metadata.name`"]),
        Case::new("manifest_invalid_yaml", write("infra/k8s/broken.yaml", "apiVersion: v1\nkind: [unclosed\n"))
            .expect(&["infra/k8s/broken.yaml:", "invalid YAML"]),
        Case::new("manifest_not_an_object", write("infra/k8s/list.yaml", "- a\n- b\n"))
            .expect(&["infra/k8s/list.yaml:1: document 1 is not a Kubernetes object"]),
        Case::new("compose_service_without_image", write("docker/compose/compose.yaml", "services:\n  hello:\n    build: ../hello\n"))
            .expect(&["docker/compose/compose.yaml:2: service `hello` names no image"]),
        Case::new("compose_invalid_yaml", write("docker/compose/compose.yaml", "services: [\n"))
            .expect(&["docker/compose/compose.yaml:2: invalid YAML"]),
        Case::new("compose_without_services", write("docker/compose/compose.yaml", "services: {}\n"))
            .expect(&["docker/compose/compose.yaml:1: the Compose file defines no `services`"]),
        Case::new("terraform_invalid_hcl", write("terraform/modules/values/broken.tf", "variable \"x\" {\n  type = string\n"))
            .expect(&["terraform/modules/values/broken.tf", "invalid HCL"]),
        Case::new("tfvars_invalid_hcl", write("terraform/modules/values/prod.tfvars", "region = \n"))
            .expect(&["terraform/modules/values/prod.tfvars:1: invalid HCL"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn state_and_secret_files_are_refused_even_when_tracked() {
    check_all([
        Case::new("tfstate_tracked", write("terraform/modules/values/terraform.tfstate", "{}\n"))
            .expect(&["refusing to publish `terraform/modules/values/terraform.tfstate`", "Terraform state"]),
        Case::new("tfstate_backup_tracked", write("terraform/modules/values/terraform.tfstate.backup", "{}\n"))
            .expect(&["refusing to publish `terraform/modules/values/terraform.tfstate.backup`"]),
        Case::new("terraform_cache_tracked", write("terraform/modules/values/.terraform/modules/modules.json", "{}\n"))
            .expect(&["`.terraform/`"]),
        Case::new("dotenv_tracked", write("docker/compose/.env", "TOKEN=x\n"))
            .expect(&["refusing to publish `docker/compose/.env`", "allow"]),
        Case::new("dotenv_production_tracked", write("docker/compose/.env.production", "TOKEN=x\n"))
            .expect(&["refusing to publish `docker/compose/.env.production`", "environment file"]),
        Case::new("private_key_by_name", write("infra/k8s/id_ed25519", "x\n"))
            .expect(&["infra/k8s/id_ed25519", "private key"]),
        Case::new("private_key_by_extension_in_a_chart", write("charts/demo/files/tls.key", "x\n"))
            .expect(&["refusing to publish `charts/demo/files/tls.key`", "release.toml:13"]),
        Case::new(
            "private_key_by_content",
            write("infra/k8s/notes.txt", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"),
        )
        .expect(&["infra/k8s/notes.txt", "holds a private key"]),
        Case::new(
            "kubeconfig_by_content",
            write("charts/demo/files/admin.yaml", "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"),
        )
        .expect(&["charts/demo/files/admin.yaml", "kubeconfig"]),
        Case::new("kubeconfig_by_name", write("infra/k8s/prod.kubeconfig", "x\n"))
            .expect(&["refusing to publish `infra/k8s/prod.kubeconfig`", "kubeconfig"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn symlinks_leaving_their_component_are_refused() {
    check_all([
        Case::new("bundle_symlink_escapes", symlink("../../release.toml", "infra/k8s/config.toml"))
            .expect(&["infra/k8s/config.toml: symlink to `../../release.toml` leaves `infra/k8s`"]),
        Case::new("bundle_symlink_absolute", symlink("/etc/passwd", "infra/k8s/passwd"))
            .expect(&["infra/k8s/passwd: symlink to `/etc/passwd` leaves `infra/k8s`"]),
        Case::new("chart_symlink_escapes", symlink("../../../release.toml", "charts/demo/templates/release.yaml"))
            .expect(&["charts/demo/templates/release.yaml: symlink to `../../../release.toml` leaves `charts/demo`"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn images_need_their_dockerfile() {
    check_all([
        Case::new("dockerfile_missing", |r| std::fs::remove_file(r.path("docker/hello/Dockerfile")).unwrap())
            .expect(&["image `hello`: Dockerfile `docker/hello/Dockerfile` is missing"]),
        Case::new(
            "dockerfile_key_names_no_file",
            edit(
                "release.toml",
                "context = \"docker/hello\"",
                "context = \"docker/hello\"\ndockerfile = \"docker/hello/Containerfile\"",
            ),
        )
        .expect(&["image `hello`: Dockerfile `docker/hello/Containerfile` is missing"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn release_notes_need_a_section_for_the_version() {
    check_all([Case::new(
        "changelog_without_section",
        edit("CHANGELOG.md", "## [0.2.0] - 2026-01-15", "## [0.1.1] - 2026-01-15"),
    )
    .expect(&["CHANGELOG.md: no section for 0.2.0", "cargo xtask bump 0.2.0"])]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn charts_and_pinned_compose_files_name_only_tags_this_release_pushes() {
    const COMPOSE: &str = "docker/compose/compose.yaml";
    check_all([
        Case::new("chart_values_name_an_unpushed_tag", edit("charts/demo/values.yaml", "tag: \"\"", "tag: \"0.1.9\""))
            .expect(&[
                "charts/demo/values.yaml:5: names `ghcr.io/acme/hello:0.1.9`, a tag this release does not push",
                "0.2.0, 0.2, 0, latest",
            ]),
        Case::new(
            "pinned_compose_names_an_unpushed_tag",
            edit(COMPOSE, "ghcr.io/acme/hello:0.2.0", "ghcr.io/acme/hello:0.1.0"),
        )
        .expect(&["docker/compose/compose.yaml:3: names `ghcr.io/acme/hello:0.1.0`, a tag this release does not push"]),
        // With the registry overridden, the configured names are still checked: such a file could never be pinned.
        Case::new(
            "pinned_compose_unpushed_tag_with_registry_overridden",
            edit(COMPOSE, "ghcr.io/acme/hello:0.2.0", "ghcr.io/acme/hello:0.1.0"),
        )
        .env("LAMINA_REGISTRY", "registry.example.com/fork")
        .expect(&["docker/compose/compose.yaml:3: names `ghcr.io/acme/hello:0.1.0`, a tag this release does not push"]),
    ]);
}
