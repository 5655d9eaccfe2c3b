//! One test per validation rule: clear message, non-zero exit, nothing written.

use crate::support::TestRepo;

/// Applies `change` to the fixture, commits it, and checks that `validate` and `dry-run` both
/// fail with every `expected` fragment in the message and that nothing was written.
#[track_caller]
fn check(change: impl FnOnce(&TestRepo), expected: &[&str]) {
    check_with(change, &[], expected);
}

/// [`check`] with these environment variables set.
#[track_caller]
fn check_with(change: impl FnOnce(&TestRepo), env: &[(&str, &str)], expected: &[&str]) {
    let repo = TestRepo::fixture("minimal");
    change(&repo);
    repo.commit("bad input");
    for command in ["validate", "dry-run"] {
        let run = repo.xtask_env(&[command, "--builder", "none"][..if command == "validate" { 1 } else { 3 }], env);
        assert_eq!(run.code, 1, "`{command}` must exit 1\n{}", run.stderr);
        for fragment in expected {
            assert!(run.stderr.contains(fragment), "`{command}`: {fragment:?} missing from:\n{}", run.stderr);
        }
        assert!(run.stderr.contains("help:"), "every problem says how to fix it:\n{}", run.stderr);
        assert!(!repo.path("target/release").exists(), "`{command}` wrote artifacts despite invalid input");
    }
}

fn replace(repo: &TestRepo, file: &str, from: &str, to: &str) {
    let text = repo.read(file);
    assert!(text.contains(from), "{file} has no {from:?}");
    repo.write(file, &text.replacen(from, to, 1));
}

#[test]
fn misspelt_key_gets_the_nearest_valid_one() {
    check(
        |r| replace(r, "release.toml", "oci = true", "ocii = true"),
        &["release.toml:15: unknown key `ocii` in [[chart]]", "did you mean `oci`?"],
    );
}

#[test]
fn duplicate_names_are_errors() {
    check(
        |r| replace(r, "release.toml", "name = \"demo-compose\"", "name = \"demo-k8s\""),
        &["release.toml:27: duplicate bundle name `demo-k8s` (first at line 22)"],
    );
}

#[test]
fn paths_outside_the_repository_are_errors() {
    check(
        |r| replace(r, "release.toml", "path = \"infra/k8s\"", "path = \"../infra\""),
        &["release.toml:25: `path` `../infra` leaves the repository"],
    );
}

#[test]
fn every_problem_is_listed_at_once() {
    check(
        |r| {
            replace(r, "release.toml", "oci = true", "ocii = true");
            replace(r, "release.toml", "kind = \"compose\"", "kind = \"composer\"");
            replace(r, "release.toml", "version = \"0.2.0\"", "version = \"0.2\"");
        },
        &[
            "unknown key `ocii`",
            "unknown bundle kind `composer`",
            "did you mean \"compose\"?",
            "release.version `0.2` is not SemVer 2",
            "3 problems found",
        ],
    );
}

#[test]
fn chart_version_must_be_semver_and_the_release_version() {
    check(
        |r| replace(r, "charts/demo/Chart.yaml", "version: 0.2.0", "version: 0.2"),
        &["charts/demo/Chart.yaml:6: version `0.2` is not SemVer 2"],
    );
    check(
        |r| replace(r, "charts/demo/Chart.yaml", "version: 0.2.0", "version: 0.3.0"),
        &["charts/demo/Chart.yaml:6: version `0.3.0` differs from the release version `0.2.0`", "cargo xtask bump"],
    );
}

#[test]
fn app_version_must_be_the_release_version() {
    check(
        |r| replace(r, "charts/demo/Chart.yaml", "appVersion: \"0.2.0\"", "appVersion: \"1.0\""),
        &["charts/demo/Chart.yaml:7: appVersion `1.0` differs from the release version `0.2.0`"],
    );
}

#[test]
fn chart_name_must_match_its_directory() {
    check(
        |r| replace(r, "charts/demo/Chart.yaml", "name: demo", "name: other"),
        &["charts/demo/Chart.yaml:3: name `other` differs from its directory `demo`"],
    );
}

#[test]
fn helmignore_double_star_is_an_error() {
    check(|r| r.write("charts/demo/.helmignore", "docs/\n**/*.tmp\n"), &["charts/demo/.helmignore", "line 2"]);
}

#[test]
fn values_schema_must_be_json() {
    check(
        |r| r.write("charts/demo/values.schema.json", "{\"type\": \"object\",}\n"),
        &["charts/demo/values.schema.json:1: invalid JSON"],
    );
}

#[test]
fn manifest_documents_need_api_version_kind_and_name() {
    check(
        |r| {
            r.write("infra/k8s/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Secret\nmetadata: {}\n")
        },
        &["infra/k8s/extra.yaml:6: Secret in document 2 has no `metadata.name`"],
    );
    check(
        |r| r.write("infra/k8s/broken.yaml", "apiVersion: v1\nkind: [unclosed\n"),
        &["infra/k8s/broken.yaml:", "invalid YAML"],
    );
}

#[test]
fn compose_services_must_name_images() {
    check(
        |r| r.write("docker/compose/compose.yaml", "services:\n  hello:\n    build: ../hello\n"),
        &["docker/compose/compose.yaml:2: service `hello` names no image"],
    );
}

#[test]
fn terraform_must_parse_as_hcl() {
    check(
        |r| r.write("terraform/modules/values/broken.tf", "variable \"x\" {\n  type = string\n"),
        &["terraform/modules/values/broken.tf", "invalid HCL"],
    );
}

#[test]
fn images_need_their_dockerfile() {
    check(
        |r| {
            std::fs::remove_file(r.path("docker/hello/Dockerfile")).unwrap();
        },
        &["image `hello`: Dockerfile `docker/hello/Dockerfile` is missing"],
    );
}

#[test]
fn release_notes_need_a_section_for_the_version() {
    check(
        |r| replace(r, "CHANGELOG.md", "## [0.2.0] - 2026-01-15", "## [0.1.1] - 2026-01-15"),
        &["CHANGELOG.md: no section for 0.2.0", "cargo xtask bump 0.2.0"],
    );
}

#[test]
fn state_and_secret_files_are_refused_even_when_tracked() {
    check(
        |r| r.write("terraform/modules/values/terraform.tfstate", "{}\n"),
        &["refusing to publish `terraform/modules/values/terraform.tfstate`", "Terraform state"],
    );
    check(|r| r.write("terraform/modules/values/.terraform/modules/modules.json", "{}\n"), &["`.terraform/`"]);
    check(|r| r.write("docker/compose/.env", "TOKEN=x\n"), &["refusing to publish `docker/compose/.env`", "allow"]);
    check(|r| r.write("infra/k8s/id_ed25519", "x\n"), &["infra/k8s/id_ed25519", "private key"]);
    check(
        |r| r.write("infra/k8s/notes.txt", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"),
        &["infra/k8s/notes.txt", "holds a private key"],
    );
    check(
        |r| r.write("charts/demo/files/admin.yaml", "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"),
        &["charts/demo/files/admin.yaml", "kubeconfig"],
    );
}

#[test]
fn allow_admits_a_named_file() {
    let repo = TestRepo::fixture("minimal");
    repo.write("docker/compose/.env", "COMPOSE_PROJECT_NAME=demo\n");
    replace(
        &repo,
        "release.toml",
        "path = \"docker/compose\"",
        "path = \"docker/compose\"\nallow = [\"docker/compose/.env\"]",
    );
    repo.commit("allow .env");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let names = crate::support::tar_names(&repo.out("0.2.0").join("demo-compose-0.2.0.tar.gz"));
    assert!(names.contains(&"demo-compose-0.2.0/.env".to_owned()), "{names:?}");
}

#[test]
fn symlinks_leaving_the_bundle_are_refused() {
    check(
        |r| std::os::unix::fs::symlink("../../release.toml", r.path("infra/k8s/config.toml")).unwrap(),
        &["infra/k8s/config.toml: symlink to `../../release.toml` leaves `infra/k8s`"],
    );
}

#[test]
fn untracked_files_never_reach_an_archive() {
    let repo = TestRepo::fixture("minimal");
    repo.write("infra/k8s/untracked.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untracked\n");
    repo.write("infra/k8s/.gitignore", "");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let names = crate::support::tar_names(&repo.out("0.2.0").join("demo-k8s-0.2.0.tar.gz"));
    assert!(!names.iter().any(|n| n.contains("untracked") || n.contains(".gitignore")), "{names:?}");
}

#[test]
fn two_charts_with_one_name_clash() {
    check(
        |r| {
            crate::support::copy_dir(&r.path("charts/demo"), &r.path("vendor/demo"));
            let text =
                r.read("release.toml").replacen("[[image]]", "[[chart]]\npath = \"vendor/demo\"\n\n[[image]]", 1);
            r.write("release.toml", &text);
        },
        &[
            "chart name `demo` is also used by the chart at line 13",
            "asset `demo-0.2.0.tgz` is also made by the entry at line 13",
        ],
    );
}

#[test]
fn charts_and_pinned_compose_files_name_only_tags_this_release_pushes() {
    check(
        |r| replace(r, "charts/demo/values.yaml", "tag: \"\"", "tag: \"0.1.9\""),
        &[
            "charts/demo/values.yaml:5: names `ghcr.io/acme/hello:0.1.9`, a tag this release does not push",
            "0.2.0, 0.2, 0, latest",
        ],
    );
    check(
        |r| replace(r, "docker/compose/compose.yaml", "ghcr.io/acme/hello:0.2.0", "ghcr.io/acme/hello:0.1.0"),
        &["docker/compose/compose.yaml:3: names `ghcr.io/acme/hello:0.1.0`, a tag this release does not push"],
    );
}

/// With the registry overridden, a Compose file naming the configured base under a tag the
/// release does not push is still refused: it could never be pinned.
#[test]
fn an_overridden_registry_still_checks_the_configured_names() {
    check_with(
        |r| replace(r, "docker/compose/compose.yaml", "ghcr.io/acme/hello:0.2.0", "ghcr.io/acme/hello:0.1.0"),
        &[("LAMINA_REGISTRY", "registry.example.com/fork")],
        &["docker/compose/compose.yaml:3: names `ghcr.io/acme/hello:0.1.0`, a tag this release does not push"],
    );
}
