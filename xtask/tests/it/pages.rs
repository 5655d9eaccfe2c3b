//! The Helm index on the Pages branch: real git with bare remotes, races, refusals, and real
//! Helm reading the repository over HTTP.

use crate::support::{StaticServer, TestRepo, bare_remote, git_in, peers, python, run};
use std::path::{Path, PathBuf};

/// A fixture with its chart built for each of `versions`; returns the archives.
fn archives(repo: &TestRepo, versions: &[&str]) -> Vec<PathBuf> {
    let store = repo.path("archives");
    std::fs::create_dir_all(&store).unwrap();
    let mut out = Vec::new();
    for v in versions {
        repo.xtask(&["bump", v, "--date", "2026-02-01"]).ok();
        repo.commit(&format!("release {v}"));
        repo.xtask(&["dry-run", "--builder", "none"]).ok();
        let file = format!("demo-{v}.tgz");
        std::fs::copy(repo.out(v).join(&file), store.join(&file)).unwrap();
        out.push(store.join(file));
    }
    out
}

fn add(repo: &TestRepo, remote: &Path, archives: &[PathBuf], extra: &[(&str, &str)]) -> crate::support::Run {
    let mut args = vec!["index", "add"];
    let paths: Vec<String> = archives.iter().map(|a| a.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let mut env = vec![("LAMINA_PAGES_REMOTE", remote.to_str().unwrap())];
    env.extend_from_slice(extra);
    repo.xtask_env(&args, &env)
}

fn tip(remote: &Path) -> String {
    git_in(remote, &["rev-parse", "gh-pages"]).trim().to_owned()
}

fn index_on(remote: &Path) -> String {
    git_in(remote, &["show", "gh-pages:index.yaml"])
}

#[test]
fn first_add_creates_the_branch_and_a_rerun_pushes_nothing() {
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let files = archives(&repo, &["0.2.1"]);
    let run = add(&repo, &remote, &files, &[]).ok();
    assert!(run.stderr.contains("pushed"), "{}", run.stderr);
    let tree = git_in(&remote, &["ls-tree", "--name-only", "gh-pages"]);
    assert_eq!(tree.lines().collect::<Vec<_>>(), [".nojekyll", "assets", "index.html", "index.yaml"]);
    let before = tip(&remote);
    let rerun = add(&repo, &remote, &files, &[]).ok();
    assert!(rerun.stderr.contains("nothing to push"), "{}", rerun.stderr);
    assert_eq!(tip(&remote), before, "a rerun makes no commit");
    crate::support::snapshot_settings(Some(&repo)).bind(|| insta::assert_snapshot!("pages_index", index_on(&remote)));
}

/// Four processes add four versions to one remote at once; every entry lands, nothing is forced.
#[test]
fn concurrent_writers_all_land() {
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let files = archives(&repo, &["0.3.0", "0.4.0", "0.5.0", "0.6.0"]);
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args(["-C", repo.root.to_str().unwrap(), "index", "add", f.to_str().unwrap()])
                .env("LAMINA_PAGES_REMOTE", &remote)
                .env_remove("GITHUB_SERVER_URL")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let index = index_on(&remote);
    for v in ["0.3.0", "0.4.0", "0.5.0", "0.6.0"] {
        assert!(index.contains(&format!("version: {v}")), "{v} lost:\n{index}");
    }
    let commits = git_in(&remote, &["rev-list", "--count", "gh-pages"]);
    assert_eq!(commits.trim(), "4", "one commit per writer, each on top of the last");
    let versions: Vec<&str> = index.lines().filter_map(|l| l.trim().strip_prefix("version: ")).collect();
    assert_eq!(versions, ["0.6.0", "0.5.0", "0.4.0", "0.3.0"], "newest first");
}

#[test]
fn a_protected_branch_is_reported_not_retried() {
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n").unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&hook).unwrap().permissions(), 0o755);
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let files = archives(&repo, &["0.2.1"]);
    let run = add(&repo, &remote, &files, &[]).fails();
    assert!(
        run.stderr.contains("refused the push") && run.stderr.contains("pre-receive hook declined"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("attempt 2"), "a refusal is not retried: {}", run.stderr);
}

/// Seeds the branch with `index` and checks that adding is refused with `expected` and no push.
#[track_caller]
fn refused_on(index: &str, expected: &[&str]) {
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let seed = repo.root.parent().unwrap().join("seed");
    git_in(repo.root.parent().unwrap(), &["clone", "-q", remote.to_str().unwrap(), seed.to_str().unwrap()]);
    git_in(&seed, &["checkout", "-q", "--orphan", "gh-pages"]);
    std::fs::write(seed.join("index.yaml"), index).unwrap();
    git_in(&seed, &["add", "index.yaml"]);
    git_in(&seed, &["commit", "-q", "-m", "hand-edited index"]);
    git_in(&seed, &["push", "-q", "origin", "gh-pages"]);
    let before = tip(&remote);
    let files = archives(&repo, &["0.2.1"]);
    let run = add(&repo, &remote, &files, &[]).fails();
    for e in expected {
        assert!(run.stderr.contains(e), "{e:?} missing from:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert_eq!(tip(&remote), before, "nothing pushed");
}

#[test]
fn an_unknown_key_in_the_index_is_refused() {
    refused_on(
        "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 0.1.0\n    mirror: x\n",
        &["entries.demo[0]: unknown key `mirror`"],
    );
}

#[test]
fn a_malformed_index_is_refused() {
    refused_on("apiVersion: v1\nentries: [unclosed\n", &["index.yaml is not valid YAML"]);
}

#[test]
fn a_published_version_with_another_digest_is_refused() {
    refused_on(
        "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 0.2.1\n    digest: 0000\n    urls: [x]\n",
        &["index.yaml already has demo 0.2.1 with digest 0000", "immutable"],
    );
}

#[test]
fn an_unreachable_remote_is_a_clear_error() {
    let repo = TestRepo::fixture("minimal");
    let files = archives(&repo, &["0.2.1"]);
    let run = add(&repo, Path::new("/nonexistent/pages.git"), &files, &[]).fails();
    assert!(run.stderr.contains("cannot read the Pages remote `/nonexistent/pages.git`"), "{}", run.stderr);
}

#[test]
fn rebuild_repairs_a_pruned_index_and_dry_run_shows_the_diff() {
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let files = archives(&repo, &["0.2.1", "0.2.2"]);
    add(&repo, &remote, &files[..1], &[]).ok();
    let store = files[0].parent().unwrap().to_str().unwrap().to_owned();
    let env = [("LAMINA_PAGES_REMOTE", remote.to_str().unwrap())];
    let preview = repo.xtask_env(&["index", "rebuild", "--from", &store, "--dry-run"], &env).ok();
    assert!(preview.stdout.contains("+    version: 0.2.2"), "{}", preview.stdout);
    assert!(!preview.stdout.contains("-    version: 0.2.1"), "unchanged entries stay: {}", preview.stdout);
    let before = tip(&remote);
    assert_eq!(tip(&remote), before, "--dry-run pushes nothing");
    repo.xtask_env(&["index", "rebuild", "--from", &store], &env).ok();
    let index = index_on(&remote);
    assert!(index.contains("version: 0.2.1") && index.contains("version: 0.2.2"), "{index}");
    let again = repo.xtask_env(&["index", "rebuild", "--from", &store], &env).ok();
    assert!(again.stderr.contains("nothing to push"), "{}", again.stderr);
}

/// The branch, served over HTTP with the release assets at the URLs it names: real Helm loads the
/// repository and pulls every chart, and the digest checks out.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn helm_pulls_every_chart_through_the_served_index() {
    let peers = peers("Helm v4 repository client");
    let repo = TestRepo::fixture("minimal");
    let parent = repo.root.parent().unwrap().to_path_buf();
    let remote = bare_remote(&parent);
    let site = parent.join("site");
    std::fs::create_dir_all(&site).unwrap();
    let server = StaticServer::start(&site);
    let files = archives(&repo, &["0.2.1", "0.3.0-rc.1"]);
    add(&repo, &remote, &files, &[("GITHUB_SERVER_URL", &server.url())]).ok();
    // The Pages site is a checkout of the branch; the assets sit where GitHub would serve them.
    git_in(
        &parent,
        &["clone", "-q", "--branch", "gh-pages", remote.to_str().unwrap(), site.join("pages").to_str().unwrap()],
    );
    for f in &files {
        let version =
            f.file_name().unwrap().to_str().unwrap().trim_start_matches("demo-").trim_end_matches(".tgz").to_owned();
        let dir = site.join(format!("acme/infra-demo/releases/download/v{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_repo.py");
    let url = format!("{}/pages", server.url());
    let out =
        run(&python(&peers), &[script.to_str().unwrap(), &url, "demo:0.2.1", "demo:0.3.0-rc.1"], Path::new("/"), &[]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["entries"]["demo"], serde_json::json!(["0.3.0-rc.1", "0.2.1"]));
    for (pulled, file) in report["pulled"].as_array().unwrap().iter().zip(&files) {
        assert_eq!(pulled["sha256"], xtask::build::sha256_file(file).unwrap().0.as_str());
    }
    let index = index_on(&remote);
    for f in &files {
        let digest = xtask::build::sha256_file(f).unwrap().0;
        assert!(index.contains(&format!("digest: {digest}")), "the index digest is the archive's sha256");
    }
}

/// For the same archives, our index equals what Helm's `repo index` writes, field by field, but
/// for times and URLs.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn our_index_equals_helm_repo_index() {
    let peers = peers("Helm v4 repo index");
    let workspace = crate::support::workspace_copy();
    workspace.xtask(&["dry-run", "--builder", "none"]).ok();
    let config = xtask::config::parse(&workspace.read("release.toml")).unwrap();
    let out_dir = workspace.out(&config.version.to_string());
    let remote = bare_remote(workspace.root.parent().unwrap());
    let tgz: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    add(&workspace, &remote, &tgz, &[]).ok();
    let ours: serde_json::Value = serde_norway::from_str(&index_on(&remote)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_index.py");
    let helm = run(
        &python(&peers),
        &[script.to_str().unwrap(), out_dir.to_str().unwrap(), "https://example.com"],
        Path::new("/"),
        &[],
    );
    let helm: serde_json::Value = serde_json::from_str(&helm).unwrap();
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("generated");
        for versions in v["entries"].as_object_mut().unwrap().values_mut() {
            for e in versions.as_array_mut().unwrap() {
                e.as_object_mut().unwrap().remove("created");
                e.as_object_mut().unwrap().remove("urls");
            }
        }
        v
    };
    assert_eq!(strip(ours), strip(helm));
}

/// Charts versioned apart from their releases (`demo 0.2.1` in `v1.0.0`, `demo 0.3.0-rc.1` in
/// `v1.1.0`): `index rebuild` points each entry at the release the archive was read from, and
/// real Helm pulls every entry through the rebuilt index.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn rebuild_points_each_entry_at_the_release_it_came_from() {
    use xtask_dev::github::{GithubFake, Options, SeedRelease};
    let peers = peers("Helm v4 repository client");
    let repo = TestRepo::fixture("minimal");
    let remote = bare_remote(repo.root.parent().unwrap());
    let files = archives(&repo, &["0.2.1", "0.3.0-rc.1"]);
    // Public: Helm reads the archives from the release asset URLs the index names.
    let github = GithubFake::start(Options { public: true, ..Options::default() }).unwrap();
    for (tag, file) in ["v1.0.0", "v1.1.0"].iter().zip(&files) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let assets = vec![(name, std::fs::read(file).unwrap())];
        github.seed(SeedRelease { tag_name: (*tag).to_owned(), draft: false, assets, starter_assets: Vec::new() });
    }
    let env = [
        ("LAMINA_PAGES_REMOTE", remote.to_str().unwrap()),
        ("GITHUB_TOKEN", "test-token"),
        ("GITHUB_API_URL", &github.api_url()),
        ("GITHUB_SERVER_URL", &github.api_url()),
    ];
    repo.xtask_env(&["index", "rebuild"], &env).ok();
    let index = index_on(&remote);
    for (tag, file) in [("v1.0.0", "demo-0.2.1.tgz"), ("v1.1.0", "demo-0.3.0-rc.1.tgz")] {
        let url = format!("{}/acme/infra-demo/releases/download/{tag}/{file}", github.api_url());
        assert!(index.contains(&url), "{url} missing from:\n{index}");
    }

    // The index served over HTTP; the archives come from the fake's download URLs.
    let site = repo.root.parent().unwrap().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.yaml"), &index).unwrap();
    let server = StaticServer::start(&site);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_repo.py");
    let out = run(
        &python(&peers),
        &[script.to_str().unwrap(), &server.url(), "demo:0.2.1", "demo:0.3.0-rc.1"],
        Path::new("/"),
        &[],
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for (pulled, file) in report["pulled"].as_array().unwrap().iter().zip(&files) {
        assert_eq!(pulled["sha256"], xtask::build::sha256_file(file).unwrap().0.as_str());
    }

    // The same from a folder laid out by tag, with `--from`.
    let store = repo.root.parent().unwrap().join("by-tag");
    for (tag, file) in ["v1.0.0", "v1.1.0"].iter().zip(&files) {
        std::fs::create_dir_all(store.join(tag)).unwrap();
        std::fs::copy(file, store.join(tag).join(file.file_name().unwrap())).unwrap();
    }
    let again = repo.xtask_env(&["index", "rebuild", "--from", store.to_str().unwrap()], &env).ok();
    assert!(again.stderr.contains("nothing to push"), "the same entries: {}", again.stderr);
}
