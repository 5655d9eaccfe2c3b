//! The catalog's pages from a manifest and an index: what they hold, and that hostile text from
//! Chart.yaml stays text.

use super::Site;
use crate::config::TerraformRegistry;
use crate::helm::index::Index;
use crate::manifest::ReleaseManifest;

fn manifest(version: &str) -> ReleaseManifest {
    serde_json::from_value(serde_json::json!({
        "schemaVersion": 2,
        "repository": "acme/infra-demo",
        "version": version,
        "tag": format!("v{version}"),
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "sourceDateEpoch": 1_767_225_600,
        "components": [
            { "name": "demo-terraform", "kind": "terraform", "version": version,
              "file": format!("demo-terraform-{version}.tar.gz"), "size": 382, "sha256": "9d".repeat(32),
              "modules": [{ "path": "values", "providers": [], "variables": [] }] },
            { "name": "lamina-infra", "kind": "wheel", "version": version,
              "file": format!("lamina_infra-{version}-py3-none-manylinux_2_17_x86_64.whl"), "size": 1, "sha256": "ab".repeat(32),
              "target": "x86_64-unknown-linux-gnu" }
        ],
        "images": [{ "name": "hello", "repository": "ghcr.io/acme/hello", "tags": [version],
                     "platforms": ["linux/amd64", "linux/arm64"], "digest": format!("sha256:{}", "cd".repeat(32)) }],
        "charts": [{ "name": "demo", "version": version, "file": format!("demo-{version}.tgz"), "digest": "ef".repeat(32),
                     "url": format!("https://github.com/acme/infra-demo/releases/download/v{version}/demo-{version}.tgz"),
                     "oci": format!("ghcr.io/acme/charts/demo:{version}"), "images": [] }]
    }))
    .unwrap()
}

/// An index whose entries carry what a contributor could write into Chart.yaml.
fn hostile_index(versions: &[&str]) -> Index {
    let entries: Vec<String> = versions
        .iter()
        .map(|v| {
            format!(
                "  - name: demo\n    version: {v}\n    apiVersion: v2\n    appVersion: '\"onmouseover=alert(1) x=\"'\n    description: \"<script>alert(1)</script> <img src=x onerror=alert(2)>\"\n    home: \"javascript:alert(3)\"\n    digest: {}\n    created: \"2026-01-01T00:00:00Z\"\n    urls:\n      - https://github.com/acme/infra-demo/releases/download/v{v}/demo-{v}.tgz\n",
                "ef".repeat(32)
            )
        })
        .collect();
    Index::parse(&format!(
        "apiVersion: v1\nentries:\n  demo:\n{}generated: \"2026-01-01T00:00:00Z\"\n",
        entries.concat()
    ))
    .unwrap()
}

fn site(registry: Option<&TerraformRegistry>) -> Site<'_> {
    // A registry is served only from a host root.
    let url = if registry.is_some() { "https://infra.acme.dev" } else { "https://acme.github.io/infra-demo" };
    Site { url, server_url: "https://github.com", repository: "acme/infra-demo", registry }
}

fn text(files: &[super::File], path: &str) -> String {
    let (_, bytes) =
        files.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no `{path}` in {:?}", names(files)));
    String::from_utf8(bytes.clone()).unwrap()
}

/// What a browser shows of `html`'s text: its character references decoded.
fn shown(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn names(files: &[super::File]) -> Vec<&str> {
    files.iter().map(|(p, _)| p.as_str()).collect()
}

#[test]
fn a_release_writes_its_page_its_manifest_and_a_page_per_module() {
    let (old, new) = (manifest("0.1.0"), manifest("0.2.0"));
    let files = site(None).files(&hostile_index(&["0.1.0", "0.2.0"]), &[old], Some(&new)).unwrap();
    assert_eq!(
        names(&files),
        [
            "index.html",
            "assets/catalog.css",
            "assets/catalog.js",
            "releases/0.2.0/index.html",
            "releases/0.2.0/release-manifest.json",
            "modules/values/0.2.0/index.html",
        ]
    );
    let front = shown(&text(&files, "index.html"));
    assert!(front.contains("<h2 id=\"latest\">Latest: 0.2.0</h2>"), "{front}");
    assert!(front.contains("href=\"releases/0.1.0/index.html\""), "{front}");
    let release = shown(&text(&files, "releases/0.2.0/index.html"));
    for line in [
        "helm repo add acme https://acme.github.io/infra-demo",
        "helm install demo acme/demo --version 0.2.0",
        "helm install demo oci://ghcr.io/acme/charts/demo --version 0.2.0",
        "pip install lamina-infra==0.2.0",
        "lamina-infra verify 0.2.0 --repo acme/infra-demo",
        "ghcr.io/acme/hello@sha256:cdcd",
        "source = \"https://acme.github.io/infra-demo/modules/values/0.2.0\"",
    ] {
        assert!(release.contains(line), "`{line}` missing:\n{release}");
    }
    let kept: ReleaseManifest = serde_json::from_slice(&files[4].1).unwrap();
    assert_eq!(kept, new);
    insta::assert_snapshot!("module_page", text(&files, "modules/values/0.2.0/index.html"));
}

#[test]
fn hostile_chart_text_is_escaped_and_never_a_link() {
    let new = manifest("0.2.0");
    let files = site(None).files(&hostile_index(&["0.2.0"]), &[], Some(&new)).unwrap();
    for path in ["index.html", "releases/0.2.0/index.html"] {
        let page = text(&files, path);
        assert!(!page.contains("<script>alert"), "{path}: {page}");
        assert!(!page.contains("<img src=x"), "{path}: {page}");
        assert!(!page.contains("\"onmouseover"), "{path}: {page}");
        assert!(!page.contains("javascript:"), "{path}: {page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || path == "index.html", "{path}: {page}");
    }
}

#[test]
fn the_registry_lists_every_version_and_answers_each_download() {
    let registry = TerraformRegistry { namespace: "acme".into(), system: "kubernetes".into() };
    let (old, new) = (manifest("0.1.0"), manifest("0.2.0"));
    let files = site(Some(&registry)).files(&Index::empty(), &[old], Some(&new)).unwrap();
    assert_eq!(text(&files, ".well-known/terraform.json"), "{\n  \"modules.v1\": \"/v1/modules/\"\n}\n");
    let versions: serde_json::Value =
        serde_json::from_str(&text(&files, "v1/modules/acme/values/kubernetes/versions")).unwrap();
    assert_eq!(
        versions,
        serde_json::json!({ "modules": [{ "versions": [{ "version": "0.2.0" }, { "version": "0.1.0" }] }] })
    );
    let download: serde_json::Value =
        serde_json::from_str(&text(&files, "v1/modules/acme/values/kubernetes/0.2.0/download")).unwrap();
    assert_eq!(
        download["location"],
        format!(
            "https://github.com/acme/infra-demo/releases/download/v0.2.0/demo-terraform-0.2.0.tar.gz//demo-terraform-0.2.0/values?archive=tar.gz&checksum=sha256:{}",
            "9d".repeat(32)
        )
    );
    let module = shown(&text(&files, "modules/values/0.2.0/index.html"));
    assert!(module.contains("source = \"infra.acme.dev/acme/values/kubernetes\"\n  version = \"0.2.0\""), "{module}");
}

#[test]
fn the_same_input_renders_the_same_bytes() {
    let new = manifest("0.2.0");
    let render = || site(None).files(&hostile_index(&["0.2.0"]), &[manifest("0.1.0")], Some(&new)).unwrap();
    assert_eq!(render(), render());
}

#[test]
fn the_new_release_wins_over_a_manifest_kept_under_its_version() {
    let mut planted = manifest("0.2.0");
    planted.components[0].sha256 = "00".repeat(32);
    let new = manifest("0.2.0");
    let files = site(None).files(&Index::empty(), &[planted], Some(&new)).unwrap();
    let module = text(&files, "modules/values/0.2.0/index.html");
    assert!(module.contains(&"9d".repeat(32)) && !module.contains(&"00".repeat(32)), "{module}");
}

#[test]
fn modules_are_named_after_their_folder_or_bundle_and_must_differ() {
    let mut new = manifest("0.2.0");
    new.components[0].modules[0].path = ".".into();
    let files = site(None).files(&Index::empty(), &[], Some(&new)).unwrap();
    let module = shown(&text(&files, "modules/demo-terraform/0.2.0/index.html"));
    assert!(module.contains("demo-terraform-0.2.0.tar.gz//demo-terraform-0.2.0?archive=tar.gz"), "{module}");

    let mut twice = manifest("0.2.0");
    let mut other = twice.components[0].modules[0].clone();
    other.path = "nested/values".into();
    twice.components[0].modules.push(other);
    let error = site(None).files(&Index::empty(), &[], Some(&twice)).unwrap_err();
    assert_eq!(
        lamina_remote::hint::render(&error),
        "the Terraform modules `demo-terraform-0.2.0/values` of `demo-terraform` and `demo-terraform-0.2.0/nested/values` of `demo-terraform` would both be published as `values`\n\nhint: the catalog names a module after its folder: rename one of the folders"
    );
}
