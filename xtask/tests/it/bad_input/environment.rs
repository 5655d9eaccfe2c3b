//! Bad variables (refused by `dry-run` and `release`; `validate` reads none) and a checkout a
//! release must not start from (refused by `release`'s preflight).

use super::{Case, Stage, check_all};

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn malformed_variables_are_refused_before_anything_is_built() {
    check_all([
        Case::unchanged("lamina_registry_uppercase")
            .stage(Stage::Settings)
            .env("LAMINA_REGISTRY", "ghcr.io/Acme Corp")
            .expect(&[
                "registry namespace `Acme Corp` has uppercase letters",
                "hint: fix --registry, LAMINA_REGISTRY or registry.base",
            ]),
        Case::unchanged("lamina_registry_ftp")
            .stage(Stage::Settings)
            .env("LAMINA_REGISTRY", "ftp://127.0.0.1/acme")
            .expect(&["registry `ftp://127.0.0.1/acme` has a scheme other than http or https", "hint: fix --registry"]),
        Case::unchanged("github_repository_without_owner")
            .stage(Stage::Settings)
            .env("GITHUB_REPOSITORY", "acme")
            .expect(&["repository `acme` is not `owner/repo`", "hint: fix --repository or GITHUB_REPOSITORY"]),
        Case::unchanged("source_date_epoch_not_a_number")
            .stage(Stage::Settings)
            .env("SOURCE_DATE_EPOCH", "yesterday")
            .exit(2)
            .expect(&["invalid value 'yesterday' for '--source-date-epoch <SECONDS>'"]),
        Case::unchanged("github_api_url_plain_http")
            .stage(Stage::Settings)
            .env("GITHUB_API_URL", "http://api.github.example.com")
            .expect(&[
                "`http://api.github.example.com` uses plain http to a host that is not loopback",
                "hint: fix --api-url or GITHUB_API_URL",
            ]),
        Case::unchanged("github_server_url_plain_http")
            .stage(Stage::Settings)
            .env("GITHUB_SERVER_URL", "http://github.example.com")
            .expect(&["`http://github.example.com` uses plain http", "hint: fix --server-url or GITHUB_SERVER_URL"]),
        Case::unchanged("pages_url_without_scheme")
            .stage(Stage::Settings)
            .env("LAMINA_PAGES_URL", "acme.github.io/infra-demo")
            .expect(&["`acme.github.io/infra-demo` is not an https:// URL", "hint: fix --pages-url, LAMINA_PAGES_URL"]),
        Case::unchanged("source_date_epoch_before_1970")
            .stage(Stage::Settings)
            .env("SOURCE_DATE_EPOCH", "-5")
            .expect(&["SOURCE_DATE_EPOCH -5 is not a time between 1970 and the year 9999"]),
        Case::unchanged("source_date_epoch_past_9999")
            .stage(Stage::Settings)
            .env("SOURCE_DATE_EPOCH", "99999999999999")
            .expect(&["SOURCE_DATE_EPOCH 99999999999999 is not a time between 1970 and the year 9999"]),
    ]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn preflight_refuses_a_checkout_that_is_not_the_tagged_commit() {
    check_all([
        Case::unchanged("uncommitted_change")
            .stage(Stage::Release)
            .after_tag(|r| {
                r.write("infra/k8s/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n")
            })
            .expect(&[
                "preflight failed; nothing was built or published",
                "tracked files have uncommitted changes (infra/k8s/namespace.yaml)",
            ]),
        Case::unchanged("tag_on_another_commit")
            .stage(Stage::Release)
            .after_tag(|r| {
                r.git(&["commit", "-q", "--allow-empty", "-m", "after the tag"]);
            })
            .expect(&["the tag `v0.2.0` points at", "not at HEAD"]),
        Case::unchanged("tag_missing")
            .stage(Stage::Release)
            .untagged()
            .expect(&["the tag `v0.2.0` does not exist", "git tag v0.2.0"]),
        Case::unchanged("github_ref_name_mismatch")
            .stage(Stage::Release)
            .env("GITHUB_REF_NAME", "v0.2.1")
            .expect(&["GITHUB_REF_NAME is `v0.2.1` but the release is `v0.2.0`"]),
        Case::unchanged("github_sha_mismatch")
            .stage(Stage::Release)
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .expect(&["GITHUB_SHA is 0123456789ab but HEAD is"]),
        Case::unchanged("github_token_missing")
            .stage(Stage::Release)
            .env("GITHUB_TOKEN", "")
            .expect(&["GITHUB_TOKEN is not set"]),
    ]);
}
