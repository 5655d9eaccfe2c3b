//! Bad `release.toml`: syntax, types, missing sections and keys, invalid values, bad entries.

use super::{Case, Stage, append, check_all, replace};
use crate::support::TestRepo;

/// Replaces a line of `release.toml`.
fn toml(from: &'static str, to: &'static str) -> impl FnOnce(&TestRepo) {
    move |r| replace(r, "release.toml", from, to)
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_syntax_error_stops_parsing_and_is_reported_alone() {
    check_all([
        Case::new("toml_syntax_error", |r| append(r, "release.toml", "oops = [\n"))
            .expect(&["release.toml:37: invalid TOML: unclosed array, expected `]`", "1 problem found"]),
        Case::new(
            "toml_duplicate_key",
            toml("notes = \"CHANGELOG.md\"", "notes = \"CHANGELOG.md\"\nnotes = \"NEWS.md\""),
        )
        .expect(&["release.toml:6: invalid TOML: duplicate key"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn values_of_the_wrong_type_name_the_key_and_the_type() {
    check_all([
        Case::new("version_not_a_string", toml("version = \"0.2.0\"", "version = 2"))
            .expect(&["release.toml:3: `version` in [release] must be a string", "write `version = \"0.3.0\"`"]),
        Case::new(
            "make_latest_not_a_bool",
            toml("notes = \"CHANGELOG.md\"", "notes = \"CHANGELOG.md\"\nmake-latest = \"yes\""),
        )
        .expect(&["release.toml:6: `make-latest` in [release] must be true or false"]),
        Case::new("oci_not_a_bool", toml("oci = true", "oci = \"yes\""))
            .expect(&["release.toml:15: `oci` in [[chart]] must be true or false", "write `oci = true`"]),
        Case::new("image_name_not_a_string", toml("name = \"hello\"", "name = 7"))
            .expect(&["release.toml:18: `name` in [[image]] must be a string"]),
        Case::new(
            "platforms_not_a_list",
            toml("platforms = [\"linux/amd64\", \"linux/arm64\"]", "platforms = \"linux/amd64\""),
        )
        .expect(&["release.toml:20: `platforms` in [[image]] must be a list of strings"]),
        Case::new("pages_branch_not_a_string", toml("[pages]\n", "[pages]\nbranch = 1\n"))
            .expect(&["release.toml:11: `branch` in [pages] must be a string", "write `branch = \"gh-pages\"`"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn missing_sections_and_keys_are_named() {
    check_all([
        Case::new(
            "release_section_missing",
            toml("[release]\nversion = \"0.2.0\"   # SemVer 2\nrepository = \"acme/infra-demo\"\nnotes = \"CHANGELOG.md\"\n\n", ""),
        )
        .expect(&["release.toml:1: missing section [release]", "add a [release] table"]),
        Case::new("release_version_missing", toml("version = \"0.2.0\"   # SemVer 2\n", ""))
            .expect(&["release.toml:2: missing key `version` in [release]", "add `version = \"0.3.0\"`"]),
        Case::new("chart_path_key_missing", toml("path = \"charts/demo\"\n", ""))
            .expect(&["release.toml:13: missing key `path` in [[chart]]"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn unknown_keys_and_tables_are_errors() {
    check_all([
        Case::new("misspelt_key", toml("oci = true", "ocii = true"))
            .expect(&["release.toml:15: unknown key `ocii` in [[chart]]", "did you mean `oci`?"]),
        Case::new("unknown_table", |r| append(r, "release.toml", "\n[notary]\nkey = \"x\"\n"))
            .expect(&["release.toml:38: unknown key `notary` at the top level", "valid keys at the top level"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn python_index_values_are_checked() {
    let table = |body: &'static str| move |r: &TestRepo| append(r, "release.toml", body);
    check_all([
        Case::new(
            "python_index_plain_http_to_a_public_host",
            table("\n[python-index]\nupload-url = \"http://pypi.example/legacy/\"\nsimple-url = \"https://pypi.org/simple/\"\n"),
        )
        .expect(&[
            "release.toml:39: python-index.upload-url: `http://pypi.example/legacy/` uses plain http to a host that is not loopback",
            "write `upload-url = \"https://upload.pypi.org/legacy/\"`",
        ]),
        Case::new(
            "python_index_simple_url_missing",
            table("\n[python-index]\nupload-url = \"https://upload.pypi.org/legacy/\"\ntrusted-publishing = \"yes\"\n"),
        )
        .expect(&[
            "release.toml:38: missing key `simple-url` in [python-index]",
            "release.toml:40: `trusted-publishing` in [python-index] must be true or false",
        ]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn every_problem_is_listed_at_once() {
    check_all([Case::new("three_problems_at_once", |r| {
        replace(r, "release.toml", "oci = true", "ocii = true");
        replace(r, "release.toml", "kind = \"compose\"", "kind = \"composer\"");
        replace(r, "release.toml", "version = \"0.2.0\"", "version = \"0.2\"");
    })
    .expect(&[
        "unknown key `ocii`",
        "unknown bundle kind `composer`",
        "did you mean \"compose\"?",
        "release.version `0.2` is not SemVer 2",
        "3 problems found",
    ])]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn release_values_are_checked() {
    check_all([
        Case::new("version_with_a_v", toml("version = \"0.2.0\"", "version = \"v0.2.0\""))
            .expect(&["release.toml:3: release.version `v0.2.0` is not SemVer 2", "drop the `v`"]),
        Case::new("repository_without_owner", toml("repository = \"acme/infra-demo\"", "repository = \"acme\""))
            .expect(&["release.toml:4: release.repository `acme` is not `owner/repo`"]),
        Case::new(
            "repository_with_three_parts",
            toml("repository = \"acme/infra-demo\"", "repository = \"acme/infra/demo\""),
        )
        .expect(&["release.toml:4: release.repository `acme/infra/demo` is not `owner/repo`"]),
        Case::new("notes_file_missing", toml("notes = \"CHANGELOG.md\"", "notes = \"NOTES.md\""))
            .expect(&["release.toml:5: release notes file `NOTES.md` does not exist"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn registry_and_pages_addresses_are_checked() {
    check_all([
        Case::new("registry_base_ftp", toml("base = \"ghcr.io/acme\"", "base = \"ftp://ghcr.io/acme\""))
            .expect(&["release.toml:8: registry.base: `ftp://ghcr.io/acme` has a scheme other than http or https"]),
        Case::new("registry_base_plain_http", toml("base = \"ghcr.io/acme\"", "base = \"http://ghcr.io/acme\""))
            .expect(&[
                "release.toml:8: registry.base: `http://ghcr.io/acme` uses plain http to a host that is not loopback",
            ]),
        Case::new("registry_namespace_uppercase", toml("base = \"ghcr.io/acme\"", "base = \"ghcr.io/Acme\""))
            .expect(&["release.toml:8: registry.base: namespace `Acme` has uppercase letters"]),
        Case::new(
            "pages_url_ftp",
            toml("url = \"https://acme.github.io/infra-demo\"", "url = \"ftp://acme.github.io/infra-demo\""),
        )
        .expect(&["release.toml:11: pages.url `ftp://acme.github.io/infra-demo` is not an http(s) URL"]),
        Case::new("terraform_registry_malformed", toml("[pages]\n", "[pages]\nterraform-registry = \"acme\"\n"))
            .expect(&["release.toml:11: pages.terraform-registry `acme` is not `NAMESPACE/SYSTEM`"]),
        Case::new(
            "terraform_registry_needs_a_host_root",
            toml("[pages]\n", "[pages]\nterraform-registry = \"acme/kubernetes\"\n"),
        )
        .expect(&[
            "release.toml:11: pages.terraform-registry needs the site at a host root, and pages.url https://acme.github.io/infra-demo is not one",
        ]),
        Case::new(
            "pages_url_override_not_a_host_root",
            toml("url = \"https://acme.github.io/infra-demo\"\n", "url = \"https://infra.acme.dev\"\nterraform-registry = \"acme/kubernetes\"\n"),
        )
        .stage(Stage::Settings)
        .env("LAMINA_PAGES_URL", "https://acme.github.io/infra-demo")
        .expect(&[
            "pages.terraform-registry needs the site at a host root, and `https://acme.github.io/infra-demo` is not one",
            "hint: serve Pages from an organisation site",
        ]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn entries_are_checked() {
    check_all([
        Case::new("duplicate_bundle_name", toml("name = \"demo-compose\"", "name = \"demo-k8s\""))
            .expect(&["release.toml:27: duplicate bundle name `demo-k8s` (first at line 22)"]),
        Case::new("path_outside_the_repository", toml("path = \"infra/k8s\"", "path = \"../infra\""))
            .expect(&["release.toml:25: `path` `../infra` leaves the repository"]),
        Case::new("unknown_bundle_kind", toml("kind = \"terraform\"", "kind = \"helmfile\"")).expect(&[
            "release.toml:35: unknown bundle kind `helmfile`",
            "use one of \"manifests\", \"compose\", \"terraform\"",
        ]),
        Case::new("image_name_uppercase", toml("name = \"hello\"", "name = \"Hello\""))
            .expect(&["release.toml:18: image name `Hello` has uppercase letters"]),
        Case::new("bundle_name_invalid", toml("name = \"demo-k8s\"", "name = \"-k8s\""))
            .expect(&["release.toml:23: bundle name `-k8s` is not a valid asset name"]),
        Case::new("pin_images_on_manifests", toml("path = \"infra/k8s\"", "path = \"infra/k8s\"\npin-images = true"))
            .expect(&["release.toml:26: `pin-images` applies to compose bundles only"]),
        Case::new("two_charts_with_one_name", |r| {
            crate::support::copy_dir(&r.path("charts/demo"), &r.path("vendor/demo"));
            replace(r, "release.toml", "[[image]]", "[[chart]]\npath = \"vendor/demo\"\n\n[[image]]");
        })
        .expect(&[
            "chart name `demo` is also used by the chart at line 13",
            "asset `demo-0.2.0.tgz` is also made by the entry at line 13",
        ]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn paths_must_hold_what_the_entry_needs() {
    check_all([
        Case::new("chart_path_missing", toml("path = \"charts/demo\"", "path = \"charts/missing\""))
            .expect(&["release.toml:13: chart `charts/missing`: `charts/missing/Chart.yaml` does not exist"]),
        Case::new("bundle_path_missing", toml("path = \"infra/k8s\"", "path = \"infra/helm\""))
            .expect(&["release.toml:22: `infra/helm` holds no file tracked by git"]),
        Case::new("bundle_without_tracked_files", |r| {
            r.write("infra/empty/.keep", "");
            r.write(".gitignore", "infra/empty/\n");
            replace(r, "release.toml", "path = \"infra/k8s\"", "path = \"infra/empty\"");
        })
        .expect(&["release.toml:22: `infra/empty` holds no file tracked by git", "`git add` the files"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn image_entries_are_checked() {
    check_all([
        Case::new(
            "image_context_and_input",
            toml("context = \"docker/hello\"", "context = \"docker/hello\"\ninput = \"target/hello.tar\""),
        )
        .expect(&["release.toml:19: `context` and `input` exclude each other"]),
        Case::new("image_input_missing", toml("context = \"docker/hello\"", "input = \"target/hello.tar\""))
            .expect(&["release.toml:17: image `hello`: input `target/hello.tar` does not exist"]),
        Case::new(
            "platform_without_arch",
            toml("platforms = [\"linux/amd64\", \"linux/arm64\"]", "platforms = [\"linux\"]"),
        )
        .expect(&["release.toml:20: platform `linux` is not `os/arch` or `os/arch/variant`"]),
        Case::new(
            "platform_listed_twice",
            toml(
                "platforms = [\"linux/amd64\", \"linux/arm64\"]",
                "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/amd64\"]",
            ),
        )
        .expect(&["release.toml:20: platform `linux/amd64` is listed twice"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn package_entries_are_checked() {
    let package = |version: &'static str| move |r: &TestRepo| crate::packages::add_package(r, version);
    check_all([
        Case::new("package_version_differs", package("0.1.0"))
            .expect(&["package `hello-tool` is at version \"0.1.0\", the release at 0.2.0", "cargo xtask bump"]),
        Case::new("package_path_missing", |r| {
            append(r, "release.toml", "\n[[package]]\nname = \"hello-tool\"\npath = \"tools/missing\"\n");
        })
        .expect(&["package `hello-tool`: `tools/missing/Cargo.toml` is not tracked by git"]),
        Case::new("package_named_otherwise", |r| {
            crate::packages::add_package(r, "0.2.0");
            replace(r, "release.toml", "name = \"hello-tool\"", "name = \"hello\"");
        })
        .expect(&["package `hello`: `tools/hello-tool/Cargo.toml` names the package \"hello-tool\""]),
        Case::new("package_wheel_without_pyproject", |r| {
            crate::packages::add_package(r, "0.2.0");
            r.git(&["rm", "-q", "tools/hello-tool/pyproject.toml"]);
        })
        .expect(&["does not set `[tool.maturin] bindings = \"bin\"`", "or set `wheel = false`"]),
    ]);
}
