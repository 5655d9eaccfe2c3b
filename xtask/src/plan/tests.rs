use super::*;
use crate::config;
use crate::repo::{FileKind, TrackedFile};

const CONFIG: &str = r#"
[release]
version = "1.2.0"
repository = "lamina-os/lamina-infra"

[registry]
base = "ghcr.io/lamina-os"

[[chart]]
path = "charts/demo"
oci = true

[[image]]
name = "demo"
context = "docker/demo"
platforms = ["linux/amd64", "linux/arm64"]

[[bundle]]
name = "demo-k8s"
kind = "manifests"
path = "infra/k8s"
"#;

fn file(path: &str) -> TrackedFile {
    TrackedFile { path: path.to_owned(), kind: FileKind::Regular }
}

fn repo(mut files: Vec<TrackedFile>) -> RepoState {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    RepoState {
        root: "/repo".into(),
        head: "0123456789abcdef0123456789abcdef01234567".to_owned(),
        commit_time: 1_700_000_000,
        tags_at_head: vec![],
        changed: vec![],
        files,
    }
}

fn default_files() -> Vec<TrackedFile> {
    vec![
        file("charts/demo/Chart.yaml"),
        file("charts/demo/values.yaml"),
        file("charts/demo/templates/cm.yaml"),
        file("charts/demo/templates/.hidden"),
        file("charts/demo/notes.tmp"),
        file("charts/demo/.helmignore"),
        file("docker/demo/Dockerfile"),
        file("infra/k8s/ns.yaml"),
        file("infra/k8s/app/deploy.yaml"),
        TrackedFile { path: "infra/k8s/run.sh".to_owned(), kind: FileKind::Executable },
        TrackedFile {
            path: "infra/k8s/current.yaml".to_owned(),
            kind: FileKind::Symlink("app/deploy.yaml".to_owned()),
        },
        file("README.md"),
    ]
}

fn chart_source() -> ChartSource {
    let meta = crate::helm::chart::parse("apiVersion: v2\nname: demo\nversion: 1.2.0\nappVersion: 1.2.0\n").unwrap();
    ChartSource { meta, helmignore: Some("*.tmp\n".to_owned()) }
}

fn run(config_text: &str, repo: &RepoState) -> Result<Plan, Diagnostics> {
    let config = config::parse(config_text).unwrap();
    let settings = Settings::resolve(&Default::default(), &config).unwrap();
    let charts: Vec<ChartSource> = config.charts.iter().map(|_| chart_source()).collect();
    plan(&Inputs {
        config: &config,
        settings: &settings,
        repo,
        charts: &charts,
        builder: BuilderPick::Auto(Some(Builder::Buildah)),
        target: "x86_64-unknown-linux-gnu",
        graph: false,
    })
}

/// A whole plan (chart, two-platform image, bundle) for other modules' tests.
pub(crate) fn sample() -> Plan {
    run(CONFIG, &repo(default_files())).unwrap()
}

#[test]
fn plan_as_json() {
    let plan = run(CONFIG, &repo(default_files())).unwrap();
    insta::assert_json_snapshot!(plan);
}

#[test]
fn plan_as_table() {
    let plan = run(CONFIG, &repo(default_files())).unwrap();
    insta::assert_snapshot!(render_human(&plan));
}

#[test]
fn planning_is_pure() {
    let r = repo(default_files());
    assert_eq!(run(CONFIG, &r).unwrap(), run(CONFIG, &r).unwrap());
}

#[test]
fn chart_follows_helmignore_and_helm_defaults() {
    let plan = run(CONFIG, &repo(default_files())).unwrap();
    let names: Vec<&str> = plan.charts[0].entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["demo/Chart.yaml", "demo/.helmignore", "demo/templates/cm.yaml", "demo/values.yaml"]);
    assert!(plan.charts[0].entries.iter().all(|e| e.mode == 0o644));
}

#[test]
fn bundle_has_one_top_folder_sorted_entries_and_normal_modes() {
    let plan = run(CONFIG, &repo(default_files())).unwrap();
    let entries: Vec<(&str, u32)> = plan.bundles[0].entries.iter().map(|e| (e.name.as_str(), e.mode)).collect();
    assert_eq!(
        entries,
        [
            ("demo-k8s-1.2.0", 0o755),
            ("demo-k8s-1.2.0/app", 0o755),
            ("demo-k8s-1.2.0/app/deploy.yaml", 0o644),
            ("demo-k8s-1.2.0/current.yaml", 0o777),
            ("demo-k8s-1.2.0/ns.yaml", 0o644),
            ("demo-k8s-1.2.0/run.sh", 0o755),
        ]
    );
}

#[test]
fn state_secrets_and_escaping_links_are_refused_unless_allowed() {
    let mut files = default_files();
    for bad in [
        "infra/k8s/terraform.tfstate",
        "infra/k8s/.terraform/providers.json",
        "infra/k8s/.env",
        "infra/k8s/id_ed25519",
        "infra/k8s/admin.kubeconfig",
        "infra/k8s/tls.key",
    ] {
        files.push(file(bad));
    }
    files.push(TrackedFile {
        path: "infra/k8s/escape.yaml".to_owned(),
        kind: FileKind::Symlink("../../README.md".to_owned()),
    });
    files
        .push(TrackedFile { path: "infra/k8s/abs.yaml".to_owned(), kind: FileKind::Symlink("/etc/passwd".to_owned()) });
    let err = run(CONFIG, &repo(files.clone())).unwrap_err();
    insta::assert_snapshot!(err.to_string());

    let allowed = CONFIG.replace("path = \"infra/k8s\"", "path = \"infra/k8s\"\nallow = [\"infra/k8s/tls.key\"]");
    let err = run(&allowed, &repo(files)).unwrap_err();
    assert!(!err.to_string().contains("tls.key"), "{err}");
    assert_eq!(err.len(), 7);
}

#[test]
fn env_examples_are_not_secrets() {
    assert_eq!(select::refused("a/.env.example", &[]), None);
    assert_eq!(select::refused("a/lamina.env.example", &[]), None);
    assert!(select::refused("a/.env.production", &[]).is_some());
}

#[test]
fn private_keys_and_kubeconfigs_are_found_by_content() {
    assert!(select::refused_content(b"x\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n").is_some());
    assert!(select::refused_content(b"apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n").is_some());
    assert!(select::refused_content(b"-----BEGIN CERTIFICATE-----\n").is_none());
    assert!(select::refused_content(b"apiVersion: v1\nkind: ConfigMap\n").is_none());
}

#[test]
fn empty_bundle_and_clashing_assets_are_errors() {
    let text = format!("{CONFIG}\n[[bundle]]\nname = \"demo\"\nkind = \"compose\"\npath = \"nothing/here\"\n");
    let err = run(&text, &repo(default_files())).unwrap_err().to_string();
    assert!(err.contains("`nothing/here` holds no file tracked by git"), "{err}");

    let text = format!(
        "{CONFIG}\n[[bundle]]\nname = \"demo-k8s2\"\nkind = \"manifests\"\npath = \"infra/k8s\"\n[[bundle]]\nname = \"release-manifest.json\"\nkind = \"compose\"\npath = \"infra\"\n"
    );
    let plan = run(&text.replace("release-manifest.json", "x"), &repo(default_files()));
    assert!(plan.is_ok());
}

#[test]
fn prerelease_gets_only_its_own_tag() {
    let pre = semver::Version::parse("2.0.0-rc.1+build.5").unwrap();
    assert_eq!(image_tags(&pre, true), ["2.0.0-rc.1_build.5"]);
    assert_eq!(image_tags(&semver::Version::new(1, 4, 2), true), ["1.4.2", "1.4", "1", "latest"]);
    assert_eq!(image_tags(&semver::Version::new(1, 4, 2), false), ["1.4.2"]);
}

#[test]
fn rfc3339_dates() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
}

#[test]
fn python_index_uploads_wheel_and_sdist_after_the_helm_index() {
    let package = "\n[[package]]\nname = \"lamina-infra\"\npath = \"packages/lamina-infra\"\n";
    let without = run(&format!("{CONFIG}{package}"), &repo(default_files())).unwrap();
    assert_eq!(without.python_index, None);
    assert!(!without.steps.contains(&Step::UploadPython));
    let index = "\n[python-index]\nupload-url = \"https://upload.pypi.org/legacy/\"\nsimple-url = \"https://pypi.org/simple\"\ntrusted-publishing = true\n";
    let plan = run(&format!("{CONFIG}{package}{index}"), &repo(default_files())).unwrap();
    let python = plan.python_index.clone().unwrap();
    assert_eq!(python.files, ["lamina_infra-1.2.0-*.whl", "lamina_infra-1.2.0.tar.gz"]);
    assert_eq!(python.simple_url, "https://pypi.org/simple/");
    assert_eq!(plan.steps[plan.steps.len() - 3..], [Step::MergeIndex, Step::UploadPython, Step::Verify]);
    let assets = &plan.release.assets;
    assert_eq!(assets[assets.len() - 4..], ["lamina_infra-1.2.0-*.whl", "lamina_infra-1.2.0.tar.gz", MANIFEST, SUMS]);
    let table = render_human(&plan);
    let line = table.lines().find(|l| l.contains("upload Python packages (remote)")).unwrap_or_default();
    assert!(line.contains("https://upload.pypi.org/legacy/") && line.contains("trusted publishing"), "{table}");
    // A package without a wheel has nothing for the index.
    let no_wheel =
        package.replace("path = \"packages/lamina-infra\"", "path = \"packages/lamina-infra\"\nwheel = false");
    assert_eq!(run(&format!("{CONFIG}{no_wheel}{index}"), &repo(default_files())).unwrap().python_index, None);
}

/// A signed release signs after every build and before the first push, attaches its bundle to
/// the images and charts once they are pushed and before any tag moves, and uploads it.
#[test]
fn a_signed_release_signs_between_the_build_and_the_first_publish() {
    let plan = run(&format!("{CONFIG}\n[signing]\nrequired = true\n"), &repo(default_files())).unwrap();
    assert!(plan.signing.signs());
    let at = |step: Step| plan.steps.iter().position(|s| *s == step).unwrap();
    let first_remote = plan.steps.iter().position(|s| !s.is_local()).unwrap();
    assert_eq!(plan.steps[first_remote], Step::Sign, "{:?}", plan.steps);
    assert_eq!(at(Step::Sign), at(Step::WriteSums) + 1);
    let last_push = plan.steps.iter().rposition(|s| matches!(s, Step::PushImage { .. } | Step::PushChart { .. }));
    assert_eq!(at(Step::AttachProvenance), last_push.unwrap() + 1);
    let signed: Vec<&str> =
        plan.release.assets.iter().map(String::as_str).filter(|a| a.ends_with(".sigstore.json")).collect();
    assert_eq!(signed[0], "provenance.sigstore.json");
    assert!(signed.len() > 1, "and an SBOM of each image platform and package: {signed:?}");
    let table = render_human(&plan);
    assert!(
        table.contains(
            "signed by https://github.com/lamina-os/lamina-infra/.github/workflows/release.yml@refs/tags/v1.2.0 with Sigstore's public-good instance"
        ),
        "{table}"
    );
    assert!(table.contains("sign (remote)"), "{table}");
}
