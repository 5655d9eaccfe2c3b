//! `dry-run` with credentials reads what is published (never writes) and says, for each image
//! tag, OCI chart and index entry, whether a release would create, keep, move or refuse it.

use crate::support::{RegistryServer, TestRepo, bare_remote, git_in, peers};
use xtask::channel::registry::Registry;
use xtask::config::parse_registry_base;
use xtask::helm::{archive, oci};
use xtask_dev::github::{GithubFake, Options, SeedRelease};

fn line<'a>(stdout: &'a str, what: &str) -> &'a str {
    stdout.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("no line for {what}:\n{stdout}"))
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn dry_run_compares_with_what_is_published_and_writes_nothing() {
    peers("buildah and the registry");
    let repo = TestRepo::fixture("minimal");
    let server = RegistryServer::start(&[]).unwrap();
    let remote = bare_remote(repo.root.parent().unwrap());
    let registry_base = format!("http://{}/acme", server.host());
    let github = GithubFake::start(Options::default()).unwrap();
    let (api, token) = (github.api_url(), Options::default().token);
    let env = [
        ("GITHUB_TOKEN", token.as_str()),
        ("GITHUB_API_URL", api.as_str()),
        ("GITHUB_SERVER_URL", api.as_str()),
        ("LAMINA_REGISTRY", registry_base.as_str()),
        ("LAMINA_PAGES_REMOTE", remote.to_str().unwrap()),
    ];
    let first = repo.xtask_env(&["dry-run", "--builder", "buildah"], &env).ok();
    for what in ["image tag", "chart oci://", "index entry demo 0.2.0", "asset demo-0.2.0.tgz", "asset SHA256SUMS"] {
        assert!(line(&first.stdout, what).trim_start().starts_with("create"), "{}", first.stdout);
    }

    // Publish what the dry run built: the image, the OCI chart, the index entry.
    let out = repo.out("0.2.0");
    let image = xtask::layout::read(&out.join("images/hello")).unwrap();
    let registry = Registry::new(&parse_registry_base(&registry_base).unwrap(), None);
    let tags: Vec<String> = ["0.2.0", "0.2", "0", "latest"].map(String::from).to_vec();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(registry.push_image("hello", &image, &tags, "0.2.0")).unwrap();
    let tgz = out.join("demo-0.2.0.tgz");
    let (bytes, meta) = (std::fs::read(&tgz).unwrap(), archive::read(&tgz).unwrap());
    let artifact = oci::chart_artifact(&meta.metadata, &bytes, &xtask::plan::rfc3339(meta.mtime));
    let reference = registry.chart_reference("demo", "0.2.0");
    runtime.block_on(registry.push_chart(&reference, &artifact, &bytes)).unwrap();
    runtime.block_on(registry.tag_chart(&reference, &artifact)).unwrap();
    let archives = repo.path("published");
    std::fs::create_dir_all(&archives).unwrap();
    std::fs::copy(&tgz, archives.join("demo-0.2.0.tgz")).unwrap();
    repo.xtask_env(&["index", "add", archives.join("demo-0.2.0.tgz").to_str().unwrap()], &env).ok();

    let (writes, posts) = (server.requests("PUT", "/"), server.requests("POST", "/"));
    let tip = git_in(&remote, &["rev-parse", "gh-pages"]);
    let second = repo.xtask_env(&["dry-run", "--builder", "buildah"], &env).ok();
    for what in ["image tag", "chart oci://", "index entry demo 0.2.0"] {
        assert!(line(&second.stdout, what).trim_start().starts_with("keep"), "{}", second.stdout);
    }

    // Another build of the same version: every published version is refused, floating tags move.
    repo.write("docker/hello/hello.txt", "another image\n");
    repo.write(
        "charts/demo/values.yaml",
        &repo.read("charts/demo/values.yaml").replace("greeting: hello", "greeting: hi"),
    );
    repo.commit("change after publishing");
    let third = repo.xtask_env(&["dry-run", "--builder", "buildah"], &env).ok();
    assert!(line(&third.stdout, "/acme/hello:0.2.0 ").trim_start().starts_with("refuse"), "{}", third.stdout);
    assert!(line(&third.stdout, "/acme/hello:latest").trim_start().starts_with("move"), "{}", third.stdout);
    assert!(line(&third.stdout, "chart oci://").trim_start().starts_with("refuse"), "{}", third.stdout);
    assert!(line(&third.stdout, "index entry demo 0.2.0").trim_start().starts_with("refuse"), "{}", third.stdout);

    assert_eq!(server.requests("PUT", "/"), writes, "dry-run wrote nothing to the registry");
    assert_eq!(server.requests("POST", "/"), posts, "nor started an upload");
    assert_eq!(git_in(&remote, &["rev-parse", "gh-pages"]), tip, "nor pushed to the Pages branch");
    assert_eq!(github.writes(), 0, "nor wrote to GitHub");
    assert!(!format!("{}{}", third.stdout, third.stderr).contains(&token));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn dry_run_shows_what_would_happen_to_each_release_asset() {
    peers("the GitHub fake");
    let repo = TestRepo::fixture("minimal");
    let github = GithubFake::start(Options::default()).unwrap();
    let (api, token) = (github.api_url(), Options::default().token);
    let server = RegistryServer::start(&[]).unwrap();
    let (registry, pages) = (format!("http://{}/acme", server.host()), bare_remote(repo.root.parent().unwrap()));
    let env = [
        ("GITHUB_TOKEN", token.as_str()),
        ("GITHUB_API_URL", api.as_str()),
        ("GITHUB_SERVER_URL", api.as_str()),
        ("LAMINA_REGISTRY", registry.as_str()),
        ("LAMINA_PAGES_REMOTE", pages.to_str().unwrap()),
    ];
    repo.xtask_env(&["dry-run", "--builder", "none"], &env).ok();
    let sums = std::fs::read(repo.out("0.2.0").join("SHA256SUMS")).unwrap();
    github.seed(SeedRelease {
        tag_name: "v0.2.0".into(),
        draft: true,
        assets: vec![("SHA256SUMS".into(), sums), ("demo-0.2.0.tgz".into(), b"other".to_vec())],
        starter_assets: vec!["demo-k8s-0.2.0.tar.gz".into()],
    });
    let run = repo.xtask_env(&["dry-run", "--builder", "none"], &env).ok();
    assert!(line(&run.stdout, "asset SHA256SUMS").trim_start().starts_with("keep"), "{}", run.stdout);
    assert!(line(&run.stdout, "asset demo-0.2.0.tgz").trim_start().starts_with("replace"), "{}", run.stdout);
    assert!(line(&run.stdout, "asset demo-k8s-0.2.0.tar.gz").contains("half-uploaded"), "{}", run.stdout);
    assert!(line(&run.stdout, "asset release-manifest.json").trim_start().starts_with("create"), "{}", run.stdout);
    assert_eq!(github.writes(), 0);
}
