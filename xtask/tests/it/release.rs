//! `release` end to end against the real registry, a bare git remote for Pages and the GitHub
//! fake: every channel in order, independent read-back (Helm through the index, the registry,
//! the fake's state), faults followed by a converging rerun, a no-op rerun that writes nothing,
//! refusals before any write, and a canary token that appears nowhere.

use crate::support::{RegistryServer, Run, StaticServer, TestRepo, bare_remote, git_in, peers, python, run};
use std::path::{Path, PathBuf};
use xtask_dev::github::{Fault, FaultKind, GithubFake, Options, Request, SeedRelease};

const TOKEN: &str = "ghp_canary0000000000000000000000000000";

/// A fixture repository tagged `v0.2.0`, and the three remotes a release writes to.
pub struct World {
    pub repo: TestRepo,
    pub registry: RegistryServer,
    pub github: GithubFake,
    pub pages: PathBuf,
}

impl World {
    pub fn new(options: Options) -> World {
        World::at(options, 0)
    }

    /// [`new`](Self::new) with the registry on `registry_port` (0: one the system picks).
    pub fn at(options: Options, registry_port: u16) -> World {
        peers("buildah, the registry and Helm");
        let repo = TestRepo::fixture("minimal");
        repo.git(&["tag", "v0.2.0"]);
        let registry_options = xtask_dev::registry::Options { port: registry_port, ..Default::default() };
        let registry = RegistryServer::start_with(tempfile::tempdir().unwrap(), registry_options).unwrap();
        // The fixture's repository is public: Helm reads its chart archives from the release
        // asset URLs the index on Pages names, which a private repository does not serve.
        let github = GithubFake::start(Options { token: TOKEN.to_owned(), public: true, ..options }).unwrap();
        let pages = bare_remote(repo.root.parent().unwrap());
        World { repo, registry, github, pages }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("GITHUB_API_URL".into(), self.github.api_url()),
            ("GITHUB_SERVER_URL".into(), self.github.api_url()),
            ("LAMINA_REGISTRY".into(), format!("http://{}/acme", self.registry.host())),
            ("LAMINA_PAGES_REMOTE".into(), self.pages.to_str().unwrap().into()),
        ]
    }

    pub fn xtask(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let env = self.env();
        let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        let run = self.repo.xtask_env(args, &all);
        assert!(!format!("{}{}", run.stdout, run.stderr).contains(TOKEN), "the token was printed");
        run
    }

    pub fn release(&self) -> Run {
        self.xtask(&["release", "--builder", "buildah"], &[])
    }

    /// Every write any remote saw: GitHub requests, registry uploads and manifests, Pages tip.
    pub fn writes(&self) -> (usize, usize, usize, Option<String>) {
        let tip = std::process::Command::new("git")
            .args(["rev-parse", "-q", "--verify", "refs/heads/gh-pages"])
            .current_dir(&self.pages)
            .output()
            .unwrap();
        let tip = tip.status.success().then(|| String::from_utf8_lossy(&tip.stdout).trim().to_owned());
        (self.github.writes(), self.registry.requests("PUT", "/"), self.registry.requests("POST", "/"), tip)
    }
}

/// The one release of the fake, with its assets by name.
pub(crate) fn only_release(world: &World) -> xtask_dev::github::FakeRelease {
    let releases = world.github.releases();
    assert_eq!(releases.len(), 1, "exactly one release: {releases:#?}");
    releases.into_iter().next().unwrap()
}

/// The release on the fake holds exactly the built assets, byte for byte, all uploaded.
pub(crate) fn assert_assets_match_build(world: &World) {
    let release = only_release(world);
    assert!(!release.draft, "published");
    let out = world.repo.out("0.2.0");
    let mut names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    let mut built: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    built.sort();
    assert_eq!(names, built, "one asset per built file, no duplicate");
    for asset in &release.assets {
        assert_eq!(asset.state, "uploaded", "{}", asset.name);
        assert_eq!(asset.bytes, std::fs::read(out.join(&asset.name)).unwrap(), "{}", asset.name);
    }
}

/// Every file under `dir` (recursively) that contains `needle`.
pub(crate) fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter(|e| std::fs::read(e.path()).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())))
        .map(|e| e.into_path())
        .collect()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_release_publishes_every_channel_and_a_rerun_writes_nothing() {
    let world = World::new(Options::default());
    let summary = world.repo.path("summary.md");
    let outputs = world.repo.path("outputs.txt");
    let first = world.xtask(
        &["release", "--builder", "buildah"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ],
    );
    let first = first.ok();
    let mut settings = crate::support::snapshot_settings(Some(&world.repo));
    settings.add_filter(r"127\.0\.0\.1:\d+", "[host]");
    settings.add_filter(r"[0-9a-f]{64}", "[sha256]");
    settings.bind(|| insta::assert_snapshot!("release_first_run", first.stdout));
    assert!(first.stdout.contains("published") && first.stdout.contains("verified:"), "{}", first.stdout);
    assert!(!first.stdout.contains("FAIL"), "{}", first.stdout);

    // GitHub: one published release, the CHANGELOG section as body, every asset byte-exact.
    assert_assets_match_build(&world);
    let release = only_release(&world);
    assert_eq!(release.tag_name, "v0.2.0");
    assert_eq!(release.make_latest.as_deref(), Some("true"), "make_latest re-sent on publish");
    let changelog = world.repo.read("CHANGELOG.md");
    let section = xtask::changelog::section(&changelog, "0.2.0").unwrap();
    assert_eq!(release.body.as_deref(), Some(section.as_str()));

    // The registry: every tag resolves to the digest the manifest records.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(world.repo.out("0.2.0").join("release-manifest.json")).unwrap()).unwrap();
    let digest = manifest["images"][0]["digest"].as_str().unwrap().to_owned();
    for tag in ["0.2.0", "0.2", "0", "latest"] {
        let out = run(
            &crate::support::tool("skopeo", "apt-get install skopeo"),
            &[
                "inspect",
                "--raw",
                "--tls-verify=false",
                &format!("docker://{}/acme/hello:{tag}", world.registry.host()),
            ],
            Path::new("/"),
            &[],
        );
        let got = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(out.as_bytes())));
        assert_eq!(got, digest, "tag {tag}");
    }

    // The registry is overridden (`LAMINA_REGISTRY`): the Compose file's `ghcr.io/acme/hello:0.2.0`
    // is pinned to where the image went, and skopeo resolves that reference to the same digest.
    let bundle = world.repo.out("0.2.0").join("demo-compose-0.2.0.tar.gz");
    let compose = crate::support::tar_text(&bundle, "compose.yaml");
    let pinned = format!("{}/acme/hello@{digest}", world.registry.host());
    assert!(compose.contains(&format!("image: {pinned}")), "{compose}");
    let skopeo = crate::support::tool("skopeo", "apt-get install skopeo");
    let raw =
        run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &format!("docker://{pinned}")], Path::new("/"), &[]);
    assert_eq!(format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(raw.as_bytes()))), digest);

    // Pages: real Helm reads the index over HTTP and pulls the chart from the release asset.
    let site = world.repo.path("site");
    std::fs::create_dir_all(&site).unwrap();
    let index = git_in(&world.pages, &["show", "gh-pages:index.yaml"]);
    std::fs::write(site.join("index.yaml"), &index).unwrap();
    let server = StaticServer::start(&site);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_repo.py");
    let peers = peers("Helm");
    let report = run(&python(&peers), &[script.to_str().unwrap(), &server.url(), "demo:0.2.0"], Path::new("/"), &[]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let tgz = world.repo.out("0.2.0").join("demo-0.2.0.tgz");
    assert_eq!(report["pulled"][0]["sha256"], xtask::build::sha256_file(&tgz).unwrap().0.as_str());
    assert!(
        index.contains(&format!("{}/acme/infra-demo/releases/download/v0.2.0/demo-0.2.0.tgz", world.github.api_url()))
    );

    // GitHub Actions: summary with the release link, outputs with its URL and the image digest.
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("[GitHub release](") && summary.contains(&digest), "{summary}");
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(outputs.contains("release-url=") && outputs.contains(&format!("digest-hello={digest}")), "{outputs}");

    // The rerun of a finished release writes nothing anywhere and says so.
    let before = world.writes();
    let second = world.xtask(&["release", "--builder", "buildah", "--json"], &[]).ok();
    assert_eq!(world.writes(), before, "a no-op rerun wrote something:\n{}", second.stderr);
    let result: serde_json::Value = serde_json::from_str(&second.stdout).unwrap();
    let effects = result["effects"].as_array().unwrap();
    assert!(effects.iter().all(|e| e["action"] == "kept"), "{effects:#?}");
    assert!(effects.iter().any(|e| e["what"] == "release v0.2.0"), "{effects:#?}");
    assert!(result["verified"].as_array().unwrap().iter().all(|c| c["ok"] == true));

    // `verify` reads it all back independently.
    let verified = world.xtask(&["verify"], &[]).ok();
    assert!(verified.stdout.contains("ok") && !verified.stdout.contains("FAIL"), "{}", verified.stdout);

    // The token is in no file the runs wrote, nor in the registry's log.
    assert_eq!(files_containing(&world.repo.root, TOKEN), Vec::<PathBuf>::new());
    assert!(!world.registry.log().contains(TOKEN));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_published_release_with_other_content_is_refused_before_any_write() {
    let world = World::new(Options::default());
    world.github.seed(SeedRelease {
        tag_name: "v0.2.0".into(),
        draft: false,
        assets: vec![("demo-0.2.0.tgz".into(), b"something else".to_vec())],
        starter_assets: vec![],
    });
    let before = world.writes();
    let run = world.xtask(&["release", "--builder", "buildah"], &[("GITHUB_ACTIONS", "true")]).fails();
    assert!(run.stderr.contains("preflight failed"), "{}", run.stderr);
    assert!(run.stderr.contains("different `demo-0.2.0.tgz`") && run.stderr.contains("bump"), "{}", run.stderr);
    let annotation = run.stdout.lines().find(|l| l.starts_with("::error title=cargo xtask::")).unwrap_or_default();
    assert!(annotation.contains("different `demo-0.2.0.tgz`") && !annotation.contains('\n'), "{}", run.stdout);
    assert_eq!(world.writes(), before, "nothing was written anywhere");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_token_github_refuses_stops_in_preflight() {
    let world = World::new(Options::default());
    let run = world.xtask(&["release", "--builder", "buildah"], &[("GITHUB_TOKEN", "ghp_wrong")]).fails();
    assert!(
        run.stderr.contains("preflight failed") && run.stderr.contains("GITHUB_TOKEN was not accepted"),
        "{}",
        run.stderr
    );
    assert_eq!(world.writes(), (0, 0, 0, None));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_token_without_push_permission_stops_in_preflight() {
    let world = World::new(Options { can_push: false, ..Options::default() });
    let run = world.release().fails();
    assert!(run.stderr.contains("cannot write to `acme/infra-demo`"), "{}", run.stderr);
    assert_eq!(world.writes(), (0, 0, 0, None));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn an_existing_draft_is_reused_and_its_stale_assets_replaced() {
    let world = World::new(Options::default());
    world.github.seed(SeedRelease {
        tag_name: "v0.2.0".into(),
        draft: true,
        assets: vec![
            ("SHA256SUMS".into(), b"stale\n".to_vec()),
            ("lamina-old-0.1.0.tar.gz".into(), b"old plan".to_vec()),
        ],
        starter_assets: vec!["demo-0.2.0.tgz".into(), "leftover.bin".into()],
    });
    world.release().ok();
    assert_assets_match_build(&world);
}

pub(crate) fn fault(method: &str, path: &str, kind: FaultKind, times: usize) -> Fault {
    Fault { method: method.into(), path_contains: path.into(), kind, times }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn uploads_that_fail_half_way_or_land_with_an_error_converge_in_one_run() {
    let world = World::new(Options::default());
    world.github.inject(fault("POST", "name=demo-0.2.0.tgz", FaultKind::Starter502, 1));
    world.github.inject(fault("POST", "name=SHA256SUMS", FaultKind::LandThen502, 1));
    world.github.inject(fault("POST", "name=demo-k8s-0.2.0.tar.gz", FaultKind::Cut, 1));
    // The first create fails without landing (created again), the second lands but answers 502.
    world.github.inject(fault("POST", "/releases", FaultKind::Status(502), 1));
    world.github.inject(fault("POST", "/releases", FaultKind::LandThen502, 1));
    // Rate limits asking for no wait at all: the retries are exercised without sleeping through
    // real seconds (`rate_limits.rs` measures that real waits are kept).
    world.github.inject(fault("GET", "/releases?", FaultKind::RetryAfter { status: 429, seconds: 0 }, 1));
    world.github.inject(fault("GET", "/assets?", FaultKind::RetryAfter { status: 403, seconds: 0 }, 1));
    world.github.inject(fault("GET", "/repos/acme/infra-demo", FaultKind::RateLimitReset { seconds: 1 }, 1));
    world.github.inject(fault("GET", "/releases?", FaultKind::Status(503), 1));
    let run = world.release().ok();
    assert!(run.stderr.contains("secondary rate limit (retry-after) on list releases; trying again"), "{}", run.stderr);
    assert!(run.stderr.contains("primary rate limit exhausted; waiting "), "{}", run.stderr);
    assert!(run.stderr.contains("primary rate limit exhausted on "), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 503"), "{}", run.stderr);
    assert!(run.stderr.contains("reading the releases to see whether it landed"), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 502 on create the draft release `v0.2.0`; retrying"), "{}", run.stderr);
    assert_assets_match_build(&world);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_failure_at_each_step_is_finished_by_a_rerun() {
    let world = World::new(Options::default());
    // Publishing fails: the draft is complete but unpublished.
    world.github.inject(fault("PATCH", "/releases/", FaultKind::Status(422), 1));
    let failed = world.release().fails();
    assert!(failed.stderr.contains("publish the release"), "{}", failed.stderr);
    let release = only_release(&world);
    assert!(release.draft, "nothing published while the publish failed");
    assert!(world.writes().3.is_none(), "the index is not touched before the release is published");

    // The rerun publishes; then the Pages branch refuses the push (a server-side hook).
    let hook = world.pages.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho protected branch >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    world.github.inject(fault("GET", "/assets", FaultKind::Cut, 1));
    let refused = world.release().fails();
    assert!(refused.stderr.contains("protected branch") || refused.stderr.contains("declined"), "{}", refused.stderr);
    assert!(!only_release(&world).draft, "published before the index");
    assert!(world.writes().3.is_none(), "no index entry");

    // The hook is gone: the rerun only adds the index entry.
    std::fs::remove_file(&hook).unwrap();
    let github_writes = world.github.writes();
    world.release().ok();
    assert_eq!(world.github.writes(), github_writes, "nothing more on GitHub");
    assert!(git_in(&world.pages, &["show", "gh-pages:index.yaml"]).contains("demo-0.2.0.tgz"));
    assert_assets_match_build(&world);
    let published = world.writes();

    // A rerun after everything landed changes nothing.
    world.release().ok();
    assert_eq!(world.writes(), published);

    // Someone rewrites the index entry's digest: `verify` names it and fails.
    let checkout = world.repo.root.parent().unwrap().join("pages-checkout");
    git_in(
        world.repo.root.parent().unwrap(),
        &["clone", "-q", "-b", "gh-pages", world.pages.to_str().unwrap(), "pages-checkout"],
    );
    let index = std::fs::read_to_string(checkout.join("index.yaml")).unwrap();
    let digest = xtask::build::sha256_file(&world.repo.out("0.2.0").join("demo-0.2.0.tgz")).unwrap().0;
    std::fs::write(checkout.join("index.yaml"), index.replace(&digest, &"0".repeat(64))).unwrap();
    git_in(&checkout, &["commit", "-qam", "tamper"]);
    git_in(&checkout, &["push", "-q", "origin", "gh-pages"]);
    let verified = world.xtask(&["verify"], &[]).fails();
    let line = verified.stdout.lines().find(|l| l.contains("index entry demo 0.2.0")).unwrap_or_default();
    assert!(line.contains("FAIL"), "{}", verified.stdout);
    assert!(verified.stderr.contains("1 of") && verified.stderr.contains("checks failed"), "{}", verified.stderr);

    // `index rebuild` makes the index again from the published releases' chart assets.
    let preview = world.xtask(&["index", "rebuild", "--dry-run"], &[]).ok();
    assert!(preview.stdout.contains(&format!("+    digest: {digest}")), "{}", preview.stdout);
    world.xtask(&["index", "rebuild"], &[]).ok();
    world.xtask(&["verify"], &[]).ok();
}

/// The whole release with a validating `prism proxy` (GitHub's OpenAPI description) in front of
/// each host of the fake: every request we send and every answer the fake gives must satisfy
/// GitHub's own description, or prism answers 422/500 and the release fails.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_release_through_prism_satisfies_githubs_openapi_description() {
    use crate::github_fake::{block_on, prism::Prism};
    let world = World::new(Options::default());
    let peers = peers("prism");
    let mut api = Prism::start(&peers, &world.github.api_url());
    let mut uploads = Prism::start(&peers, &world.github.upload_url());
    block_on(async {
        api.wait_ready().await;
        uploads.wait_ready().await;
    });
    let through = [("GITHUB_API_URL", api.url.as_str())];

    // prism 5.14 passes text upload bodies intact but mangles binary ones (it re-encodes them as
    // UTF-8): the archives land corrupted. The read-back catches that, and nothing is published.
    world.github.advertise_uploads_at(&uploads.url);
    let mangled = world.xtask(&["release", "--builder", "buildah"], &through).fails();
    assert!(mangled.stderr.contains("did not settle"), "{}", mangled.stderr);
    assert!(!mangled.stderr.contains("sl-violations"), "{}", mangled.stderr);
    assert!(only_release(&world).draft, "a release whose assets do not read back is never published");
    let uploaded = world.github.requests().iter().filter(|r| r.upload_host && r.status == 201).count();
    assert!(uploaded >= 6, "uploads were validated by prism and reached the fake");

    // Uploads straight to the fake, the API still through prism: the rerun repairs the draft.
    world.github.advertise_uploads_at(&world.github.upload_url());
    world.xtask(&["release", "--builder", "buildah"], &through).ok();
    assert_assets_match_build(&world);
    // A rerun through prism: only reads, all valid.
    let before = world.writes();
    world.xtask(&["release", "--builder", "buildah"], &through).ok();
    assert_eq!(world.writes(), before);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_published_release_missing_assets_gets_them_unless_it_is_immutable() {
    for immutable in [false, true] {
        let world = World::new(Options { immutable, ..Options::default() });
        world.xtask(&["dry-run", "--builder", "buildah"], &[]).ok();
        let sums = std::fs::read(world.repo.out("0.2.0").join("SHA256SUMS")).unwrap();
        world.github.seed(SeedRelease {
            tag_name: "v0.2.0".into(),
            draft: false,
            assets: vec![("SHA256SUMS".into(), sums)],
            starter_assets: vec![],
        });
        if immutable {
            let before = world.writes();
            let run = world.release().fails();
            assert!(run.stderr.contains("is immutable and lacks `demo-0.2.0.tgz`"), "{}", run.stderr);
            assert_eq!(world.writes(), before, "refused in preflight, nothing written");
        } else {
            world.release().ok();
            assert_assets_match_build(&world);
        }
    }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_registry_that_dies_mid_push_is_finished_by_a_rerun() {
    let mut world = World::new(Options::default());
    let dying = xtask_dev::registry::Options { die_on: Some("http.request.method=PUT"), ..Default::default() };
    world.registry = RegistryServer::start_with(tempfile::tempdir().unwrap(), dying).unwrap();
    let failed = world.release().fails();
    assert!(failed.stderr.contains("127.0.0.1"), "{}", failed.stderr);
    assert_eq!(world.github.writes(), 0, "GitHub is not touched before the images are pushed");
    let spare = RegistryServer::start(&[]).unwrap();
    world.registry = std::mem::replace(&mut world.registry, spare).restart().unwrap();
    world.release().ok();
    assert_assets_match_build(&world);
    let verified = world.xtask(&["verify"], &[]).ok();
    assert!(!verified.stdout.contains("FAIL"), "{}", verified.stdout);
}

/// `kill -9` in the middle of the uploads (the fake holds one upload open until the process is
/// gone): the rerun reuses the draft, finishes the assets and publishes.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_release_killed_mid_upload_is_finished_by_a_rerun() {
    let world = World::new(Options::default());
    world.github.inject(fault("POST", "name=demo-compose-0.2.0.tar.gz", FaultKind::Hang, 1));
    let env = world.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut child = crate::support::xtask_command(&world.repo.root, &["release", "--builder", "buildah"], &env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let arrived =
        world.github.wait_for(|r| r.path_and_query.contains("name=demo-compose"), std::time::Duration::from_secs(120));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(arrived, "the release never reached the held upload");
    let release = only_release(&world);
    assert!(release.draft && !release.assets.is_empty(), "killed as a draft with some assets: {release:#?}");
    world.release().ok();
    assert_assets_match_build(&world);
    world.xtask(&["verify"], &[]).ok();
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_prerelease_is_never_latest() {
    let world = World::new(Options::default());
    world.repo.xtask(&["bump", "0.3.0-rc.1", "--date", "2026-01-16"]).ok();
    world.repo.commit("0.3.0-rc.1");
    world.repo.git(&["tag", "v0.3.0-rc.1"]);
    world.release().ok();
    let release = world.github.releases().into_iter().find(|r| r.tag_name == "v0.3.0-rc.1").unwrap();
    assert!(release.prerelease && !release.draft, "{release:#?}");
    assert_eq!(release.make_latest.as_deref(), Some("false"));
    let tags = run(
        &crate::support::tool("skopeo", "apt-get install skopeo"),
        &["list-tags", "--tls-verify=false", &format!("docker://{}/acme/hello", world.registry.host())],
        Path::new("/"),
        &[],
    );
    let tags: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["0.3.0-rc.1"]), "no floating tag moves for a prerelease");
}

/// GitHub Enterprise Server serves the API under `/api/v3` and uploads under `/api/uploads`:
/// setting `GITHUB_API_URL` (and `GITHUB_SERVER_URL`) is enough; uploads go where the release
/// says, not under the API prefix (octocrab's own upload would prefix them).
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn github_enterprise_server_paths_need_only_the_api_url() {
    let world = World::new(Options::default());
    world.github.serve_under("/api/v3", "/api/uploads");
    let api = format!("{}/api/v3", world.github.api_url());
    world.xtask(&["release", "--builder", "buildah"], &[("GITHUB_API_URL", api.as_str())]).ok();
    assert_assets_match_build(&world);
    let requests = world.github.requests();
    // Downloads land on the storage host the asset API redirects to, which has no prefix.
    let uploads = |r: &&Request| r.upload_host && !r.path_and_query.starts_with("/_storage/");
    let unprefixed: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.path_and_query.starts_with("/repos/") || (uploads(r) && !r.path_and_query.starts_with("/api/uploads/"))
        })
        .collect();
    assert!(unprefixed.is_empty(), "{unprefixed:#?}");
    assert!(requests.iter().any(|r| r.upload_host && r.status == 201));
    world.xtask(&["verify"], &[("GITHUB_API_URL", api.as_str())]).ok();
}
