use super::*;

const GOOD: &str = r#"
[release]
version = "0.3.0"
repository = "lamina-os/lamina-infra"

[registry]
base = "ghcr.io/lamina-os"

[[chart]]
path = "./charts/lamina-core/"
oci = true

[[image]]
name = "lamina-core"
context = "docker/lamina-core"

[[bundle]]
name = "lamina-k8s"
kind = "manifests"
path = "infra/k8s"
allow = ["infra/k8s/demo.env"]
"#;

#[track_caller]
fn problems(text: &str) -> String {
    match parse(text) {
        Ok(c) => panic!("expected problems, got {c:?}"),
        Err(d) => d.to_string(),
    }
}

#[test]
fn good_config_gets_defaults_and_normalised_paths() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.version, semver::Version::new(0, 3, 0));
    assert_eq!(c.notes, "CHANGELOG.md");
    assert!(c.make_latest);
    assert_eq!(c.pages_branch, "gh-pages");
    assert_eq!(c.charts[0].path, "charts/lamina-core");
    assert_eq!(c.charts[0].line, 9);
    assert_eq!(
        c.images[0].source,
        ImageSource::Dockerfile {
            context: "docker/lamina-core".into(),
            dockerfile: "docker/lamina-core/Dockerfile".into(),
            builder: None
        }
    );
    assert_eq!(c.images[0].platforms, ["linux/amd64"]);
    assert_eq!(c.bundles[0].kind, BundleKind::Manifests);
    assert_eq!(c.bundles[0].allow, ["infra/k8s/demo.env"]);
}

#[test]
fn every_problem_is_reported_at_once_with_line_and_fix() {
    let text = r#"
[release]
version = "v1.2"
repository = "lamina-infra"
make-latset = true

[registry]
base = "http://registry.example.com/ns"

[[chart]]
pth = "charts/a"

[[image]]
name = "Lamina-Core"
context = "../outside"
platforms = ["linux"]

[[bundle]]
name = "k8s"
kind = "manifest"
path = "/etc"

[[bundle]]
name = "k8s"
kind = "compose"
path = "docker/compose"

[extra]
"#;
    insta::assert_snapshot!(problems(text));
}

#[test]
fn syntax_errors_name_the_line() {
    let out = problems("[release]\nversion = \"1.0.0\nrepository = 'a/b'\n");
    assert!(out.starts_with("error: release.toml:2: invalid TOML"), "{out}");
}

#[test]
fn wrong_types_and_missing_sections() {
    insta::assert_snapshot!(problems(
        "[release]\nversion = 1\nrepository = \"a/b\"\nmake-latest = \"yes\"\n\n[[registry]]\nbase = \"x\"\n"
    ));
}

#[test]
fn nearest_key_only_for_likely_typos() {
    assert_eq!(nearest("pth", &["path", "oci", "allow"]), Some("path"));
    assert_eq!(nearest("dockerfil", &["name", "context", "dockerfile"]), Some("dockerfile"));
    assert_eq!(nearest("zzzzzz", &["path", "oci"]), None);
}

#[test]
fn paths_stay_inside_the_repository() {
    assert_eq!(normalize_path("a/./b/../c/").unwrap(), "a/c");
    assert_eq!(normalize_path(".").unwrap(), ".");
    assert!(normalize_path("../a").is_err());
    assert!(normalize_path("a/../../b").is_err());
    assert!(normalize_path("/etc").is_err());
}

#[test]
fn registry_bases() {
    let b = parse_registry_base("ghcr.io/lamina-os").unwrap();
    assert_eq!((b.host.as_str(), b.namespace.as_str(), b.plain_http), ("ghcr.io", "lamina-os", false));
    assert!(parse_registry_base("http://127.0.0.1:5000/ns").unwrap().plain_http);
    assert!(parse_registry_base("http://localhost:5000").unwrap().plain_http);
    assert!(parse_registry_base("http://[::1]:5000/ns").unwrap().plain_http);
    assert!(parse_registry_base("http://10.0.0.1:5000/ns").is_err());
    assert!(parse_registry_base("ghcr.io/Lamina").is_err());
    assert!(parse_registry_base("ftp://x/y").is_err());
}

#[test]
fn the_repository_release_toml_parses() {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FILE)).unwrap();
    let c = parse(&text).unwrap();
    assert!(!c.charts.is_empty() && !c.images.is_empty() && !c.bundles.is_empty());
}

#[test]
fn prebuilt_images_take_an_input_and_nothing_to_build_with() {
    let text = GOOD.replace("context = \"docker/lamina-core\"", "input = \"target/images/core.oci.tar\"");
    let c = parse(&text).unwrap();
    assert_eq!(c.images[0].source, ImageSource::Prebuilt { input: "target/images/core.oci.tar".into() });
    let both = GOOD.replace("context = \"docker/lamina-core\"", "context = \"a\"\ninput = \"b\"");
    assert!(problems(&both).contains("`context` and `input` exclude each other"));
    let neither = GOOD.replace("context = \"docker/lamina-core\"\n", "");
    assert!(problems(&neither).contains("missing key `context` in [[image]]"));
    let builder = GOOD.replace("context = \"docker/lamina-core\"", "context = \"a\"\nbuilder = \"kaniko\"");
    assert!(problems(&builder).contains("unknown builder `kaniko`"));
}

#[test]
fn python_index_is_optional_and_its_urls_are_checked() {
    assert_eq!(parse(GOOD).unwrap().python_index, None);
    let c = parse(&format!(
        "{GOOD}\n[python-index]\nupload-url = \"https://upload.pypi.org/legacy/\"\nsimple-url = \"https://pypi.org/simple/\"\ntrusted-publishing = true\n"
    ))
    .unwrap();
    let index = c.python_index.unwrap();
    assert_eq!(index.upload_url, "https://upload.pypi.org/legacy/");
    assert!(index.trusted_publishing);
    assert_eq!(index.token_exchange_url, None);
    let local = parse(&format!(
        "{GOOD}\n[python-index]\nupload-url = \"http://127.0.0.1:8080/\"\nsimple-url = \"http://localhost:8080/simple/\"\n"
    ))
    .unwrap();
    assert!(!local.python_index.unwrap().trusted_publishing);

    let text = format!(
        "{GOOD}\n[python-index]\nupload-url = \"http://pypi.example/legacy/\"\nsimple-ur = \"https://pypi.org/simple/\"\ntrusted-publishing = \"yes\"\n"
    );
    let found = problems(&text);
    assert!(
        found.contains(
            "python-index.upload-url: `http://pypi.example/legacy/` uses plain http to a host that is not loopback"
        ),
        "{found}"
    );
    assert!(found.contains("help: write `upload-url = \"https://upload.pypi.org/legacy/\"`"), "{found}");
    assert!(found.contains("missing key `simple-url` in [python-index]"), "{found}");
    assert!(
        found.contains("unknown key `simple-ur` in [python-index]") && found.contains("did you mean `simple-url`?"),
        "{found}"
    );
    assert!(found.contains("`trusted-publishing` in [python-index] must be true or false"), "{found}");
    assert!(found.contains("release.toml:24: python-index.upload-url"), "lines point into the file: {found}");
}

#[test]
fn plain_http_only_reaches_a_loopback_host() {
    for url in ["http://127.0.0.1:8080/", "http://localhost/simple/", "http://[::1]:5000/"] {
        assert_eq!(paths::web_url_problem(url), None, "{url}");
    }
    for url in ["http://127.0.0.1:1@evil.example/", "http://localhost@evil.example/", "http://example.com/"] {
        assert!(paths::web_url_problem(url).is_some(), "{url} must be refused");
    }
}
