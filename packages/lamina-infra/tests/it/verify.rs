//! `--mirror DIR` and `verify`: a mirror folder read with every server stopped, `verify` of a
//! mirror, of a pulled folder and of a published release (the GitHub fake, and a real registry for
//! image tags, a static site for the Helm index on Pages), each damage named by its file.

mod fixtures;

use crate::common::{Run, run_lamina_infra};
use fixtures::{
    assets, assets_on_pages, bundle_archive, chart_archive, copy, dir_arg, hello, image_layout, mirror, seed, sha,
    start_fake,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask_dev::site::StaticSite;

const PEERS: &str = "needs the test peers: run `cargo xtask test`";

/// `lamina-infra ARGS` against `api` (a GitHub fake, or a stopped one), with `env` set.
fn lamina_infra(api: &str, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    run_lamina_infra(api, args, &env)
}

#[test]
fn releases_show_and_pull_read_a_mirror_with_github_stopped() {
    let (fake, mirror) = mirror();
    let api = fake.api_url();
    drop(fake);
    let from = dir_arg(mirror.path());
    let releases = lamina_infra(&api, &["releases", "--mirror", from], &[]);
    assert_eq!(releases.code, 0, "{releases}");
    let versions: Vec<&str> = releases.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(versions, ["0.3.0-rc.1", "0.2.0", "0.1.0"]);

    let show = lamina_infra(&api, &["show"], &[("LAMINA_INFRA_MIRROR", mirror.path())]);
    assert_eq!(show.code, 0, "{show}");
    assert!(show.stdout.starts_with("release 0.2.0 of acme/infra-demo"), "latest = newest non-prerelease: {show}");
    let json = lamina_infra(&api, &["show", "0.1.0", "--json", "--mirror", from], &[]);
    let shown: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(shown["manifest"]["version"], "0.1.0");

    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [("LAMINA_INFRA_CACHE", cache.path())];
    let pull = lamina_infra(&api, &["pull", "demo-k8s", "--mirror", from, "--to", dir_arg(to.path())], &env);
    assert_eq!(pull.code, 0, "{pull}");
    assert!(pull.stderr.contains("downloading demo-k8s-0.2.0.tar.gz"), "plain lines off a terminal: {pull}");
    let pulled = std::fs::read_to_string(to.path().join("demo-k8s-0.2.0/namespace.yaml")).unwrap();
    assert_eq!(pulled, "name: demo-0.2.0\n");

    let missing = lamina_infra(&api, &["show", "0.2.1", "--mirror", from], &[]);
    assert!(missing.stderr.contains("holds no release 0.2.1 (nearest: 0.2.0"), "{missing}");
}

/// `SHA256SUMS` is anchored by GitHub's digest, or by the value a user pinned; without either,
/// every command says so; a digest of an unknown algorithm is refused, not skipped.
#[test]
fn what_anchors_sha256sums_is_said_and_a_pin_is_kept() {
    let (fake, mirror) = mirror();
    let api = fake.api_url();
    drop(fake);
    let from = dir_arg(mirror.path());
    let shown = lamina_infra(&api, &["show", "0.2.0", "--json", "--mirror", from], &[]);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    let sums = shown["sums_sha256"].as_str().unwrap().to_owned();
    assert_eq!(sums, sha(&std::fs::read(mirror.path().join("v0.2.0/SHA256SUMS")).unwrap()));
    assert_eq!(shown["anchored_by"], "GitHub's digest");

    let pinned = lamina_infra(&api, &["show", "0.2.0", "--mirror", from, "--sums-sha256", &sums.to_uppercase()], &[]);
    assert!(pinned.stdout.contains(&format!("SHA256SUMS sha256 {sums} (anchored by --sums-sha256)")), "{pinned}");
    let other = "0".repeat(64);
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [("LAMINA_INFRA_CACHE", cache.path())];
    for args in [&["show", "0.2.0"][..], &["pull", "demo-k8s", "--version", "0.2.0", "--to", dir_arg(to.path())]] {
        let refused = lamina_infra(&api, &[args, &["--mirror", from, "--sums-sha256", &other]].concat(), &env);
        assert_eq!(refused.code, 1, "{refused}");
        let says = format!("`SHA256SUMS` of release v0.2.0 hashes to {sums}, not the {other} given with --sums-sha256");
        assert!(refused.stderr.contains(&says), "{refused}");
    }
    assert_eq!(crate::common::listing(to.path()), Vec::<String>::new());
    let verified = lamina_infra(&api, &["verify", "0.2.0", "--mirror", from, "--sums-sha256", &other], &[]);
    assert!(verified.stdout.contains("FAIL v0.2.0/SHA256SUMS  changed: --sums-sha256 says"), "{verified}");
    assert!(verified.stdout.contains("authenticity rests on --sums-sha256"), "{verified}");
    let bad = lamina_infra(&api, &["show", "--sums-sha256", "abc"], &[]);
    assert_eq!(bad.code, 2, "{bad}");

    // GitHub reported no digest (older assets): said by show, pull and verify.
    let copied = tempfile::tempdir().unwrap();
    copy(mirror.path(), copied.path());
    let edit = |digest: Value| {
        let path = copied.path().join("mirror.json");
        let mut held: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for release in held["releases"].as_array_mut().unwrap() {
            for asset in release["assets"].as_array_mut().unwrap() {
                asset["digest"] = digest.clone();
            }
        }
        std::fs::write(&path, serde_json::to_vec(&held).unwrap()).unwrap();
    };
    edit(Value::Null);
    let from = dir_arg(copied.path());
    let show = lamina_infra(&api, &["show", "0.2.0", "--mirror", from], &[]);
    assert!(show.stdout.contains("not anchored to GitHub's digest"), "{show}");
    let to = tempfile::tempdir().unwrap();
    let pull = lamina_infra(&api, &["pull", "demo-k8s", "--mirror", from, "--to", dir_arg(to.path()), "--json"], &env);
    assert!(pull.stderr.contains("warning: release v0.2.0: not anchored"), "{pull}");
    assert_eq!(serde_json::from_str::<Value>(&pull.stdout).unwrap()[0]["anchored"], false);
    let verify = lamina_infra(&api, &["verify", "0.2.0", "--mirror", from], &[]);
    assert!(verify.stdout.contains("matches, not anchored to GitHub's digest"), "{verify}");

    edit(Value::from(format!("sha512:{}", "a".repeat(128))));
    let unknown = lamina_infra(&api, &["show", "0.2.0", "--mirror", from], &[]);
    assert_eq!(unknown.code, 1, "{unknown}");
    assert!(unknown.stderr.contains("which this version cannot check"), "{unknown}");
}

#[test]
fn a_folder_that_is_not_a_mirror_or_misses_a_file_says_how_to_make_it_whole() {
    let (fake, mirror) = mirror();
    let api = fake.api_url();
    drop(fake);
    let empty = tempfile::tempdir().unwrap();
    let run = lamina_infra(&api, &["releases", "--mirror", dir_arg(empty.path())], &[]);
    assert_eq!(run.code, 1);
    let expected = format!("`{}` is missing", empty.path().join("mirror.json").display());
    assert!(run.stderr.contains(&expected) && run.stderr.contains("lamina-infra mirror"), "{run}");

    let other = lamina_infra(&api, &["releases", "--mirror", dir_arg(mirror.path()), "--repo", "acme/other"], &[]);
    assert!(other.stderr.contains("holds releases of `acme/infra-demo`, not of `acme/other`"), "{other}");

    let bundle = mirror.path().join("v0.2.0/demo-k8s-0.2.0.tar.gz");
    std::fs::remove_file(&bundle).unwrap();
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["pull", "demo-k8s", "--mirror", dir_arg(mirror.path()), "--to", dir_arg(to.path())];
    let run = lamina_infra(&api, &args, &[("LAMINA_INFRA_CACHE", cache.path())]);
    assert_eq!(run.code, 1);
    let expected = format!("`{}` is missing from the mirror; run `lamina-infra mirror 0.2.0 --to", bundle.display());
    assert!(run.stderr.contains(&expected), "{run}");
}

/// A change made to a copy of a mirror.
type Damage = Box<dyn FnOnce(&Path)>;

/// `verify DIR` of the mirror after `damage`; the lines of its failed checks.
fn verify_damaged(mirror: &Path, damage: impl FnOnce(&Path)) -> (Run, Vec<String>) {
    let copied = tempfile::tempdir().unwrap();
    copy(mirror, copied.path());
    damage(copied.path());
    let run = lamina_infra("http://127.0.0.1:9", &["verify", dir_arg(copied.path())], &[]);
    let failed = run.stdout.lines().filter(|l| l.starts_with("FAIL")).map(str::to_owned).collect();
    (run, failed)
}

/// The one blob of a layout holding a layer (a gzip file).
fn layer_blob(layout: &Path) -> PathBuf {
    let blobs = layout.join("blobs/sha256");
    let found = std::fs::read_dir(&blobs).unwrap().map(|e| e.unwrap().path());
    found.into_iter().find(|p| std::fs::read(p).unwrap().starts_with(&[0x1f, 0x8b])).unwrap()
}

#[test]
fn verify_of_a_mirror_passes_and_names_every_damaged_file() {
    let (fake, mirror) = mirror();
    drop(fake);
    let good = lamina_infra("http://127.0.0.1:9", &["verify", dir_arg(mirror.path())], &[]);
    assert_eq!(good.code, 0, "{good}");
    assert!(!good.stdout.contains("FAIL"), "{good}");
    assert!(good.stdout.contains("ok   v0.2.0/oci/images/hello/index.json"), "{good}");
    assert!(good.stdout.contains("ok   v0.2.0/index.yaml demo 0.2.0"), "{good}");
    assert!(good.stdout.lines().any(|l| l.ends_with(" checks, 30 ok, 0 failed")), "{good}");
    let rests = "authenticity rests on the folder alone: its SHA256SUMS and mirror.json vouch only for each other";
    assert!(good.stdout.lines().last().unwrap().starts_with(rests), "{good}");
    let one = lamina_infra("http://127.0.0.1:9", &["verify", "v0.2.0", "--mirror", dir_arg(mirror.path())], &[]);
    assert_eq!(one.code, 0, "a version from a mirror is checked there, registry-free: {one}");
    assert!(one.stdout.contains("ok   v0.2.0/oci/images/hello/index.json") && !one.stdout.contains("v0.1.0"), "{one}");

    let hello = "v0.2.0/oci/images/hello";
    let cases: Vec<(&str, String, Damage)> = vec![
        (
            "changed asset",
            "v0.2.0/demo-k8s-0.2.0.tar.gz  changed".into(),
            Box::new(|m| std::fs::write(m.join("v0.2.0/demo-k8s-0.2.0.tar.gz"), b"evil").unwrap()),
        ),
        (
            "missing asset",
            "v0.2.0/demo-0.2.0.tgz  missing".into(),
            Box::new(|m| std::fs::remove_file(m.join("v0.2.0/demo-0.2.0.tgz")).unwrap()),
        ),
        (
            "extra file",
            "v0.2.0/stray.txt  extra".into(),
            Box::new(|m| std::fs::write(m.join("v0.2.0/stray.txt"), b"hi").unwrap()),
        ),
        (
            "index.yaml entry with another digest",
            "v0.2.0/index.yaml demo 0.2.0  digest ".into(),
            Box::new(|m| {
                let path = m.join("v0.2.0/index.yaml");
                let text = std::fs::read_to_string(&path).unwrap();
                let wrong = text.replace(&sha(&chart_archive("0.2.0")), &"0".repeat(64));
                std::fs::write(path, wrong).unwrap();
            }),
        ),
        (
            "corrupted blob",
            format!("{hello}/blobs/sha256/"),
            Box::new(move |m| std::fs::write(layer_blob(&m.join(hello)), b"corrupt").unwrap()),
        ),
        (
            "index.json pointing elsewhere",
            format!("{hello}/index.json  points at sha256:"),
            Box::new(move |m| {
                let other = tempfile::tempdir().unwrap();
                image_layout(other.path(), "0.2.0", "another\n");
                std::fs::remove_dir_all(m.join(hello)).unwrap();
                copy(other.path(), &m.join(hello));
            }),
        ),
    ];
    let mut all_named = Vec::new();
    for (case, named, damage) in cases {
        let (run, failed) = verify_damaged(mirror.path(), damage);
        assert_eq!(run.code, 1, "{case}: {run}");
        assert!(failed.iter().any(|l| l.contains(&named)), "{case}: no FAIL line names `{named}`: {run}");
        assert!(run.stderr.contains("checks failed for"), "{case}: {run}");
        all_named.push(named);
    }

    // Every problem at once, in JSON too.
    let (run, failed) = verify_damaged(mirror.path(), |m| {
        std::fs::write(m.join("v0.1.0/demo-k8s-0.1.0.tar.gz"), b"evil").unwrap();
        std::fs::write(m.join("v0.3.0-rc.1/stray.txt"), b"hi").unwrap();
        std::fs::write(layer_blob(&m.join("v0.1.0/oci/charts/demo")), b"corrupt").unwrap();
    });
    assert_eq!(run.code, 1, "{run}");
    for named in ["v0.1.0/demo-k8s-0.1.0.tar.gz", "v0.3.0-rc.1/stray.txt", "v0.1.0/oci/charts/demo/blobs/sha256/"] {
        assert!(failed.iter().any(|l| l.contains(named)), "{named} not reported: {run}");
    }
    let copied = tempfile::tempdir().unwrap();
    copy(mirror.path(), copied.path());
    std::fs::write(copied.path().join("v0.2.0/stray.txt"), b"hi").unwrap();
    let json = lamina_infra("http://127.0.0.1:9", &["verify", dir_arg(copied.path()), "--json"], &[]);
    assert_eq!(json.code, 1, "{json}");
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((report["kind"].as_str(), report["failed"].as_u64()), (Some("mirror"), Some(1)), "{json}");
    let bad: Vec<&Value> = report["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert_eq!(bad[0]["what"], "v0.2.0/stray.txt");
}

#[test]
fn verify_of_a_pulled_folder_finds_changed_extra_and_missing_files() {
    let fake = start_fake();
    seed(&fake, "0.2.0", assets("0.2.0", Vec::new(), bundle_archive("0.2.0")));
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [("LAMINA_INFRA_CACHE", cache.path())];
    let pull = lamina_infra(&fake.api_url(), &["pull", "demo-k8s", "demo", "--to", dir_arg(to.path())], &env);
    assert_eq!(pull.code, 0, "{pull}");
    let verify = || lamina_infra(&fake.api_url(), &["verify", dir_arg(to.path())], &env);
    let good = verify();
    assert_eq!(good.code, 0, "{good}");
    assert!(
        good.stdout.contains("ok   demo-k8s-0.2.0  matches the published demo-k8s: 2 files")
            && good.stdout.contains("ok   demo  matches"),
        "{good}"
    );

    let folder = to.path().join("demo-k8s-0.2.0");
    std::fs::write(folder.join("namespace.yaml"), "name: edited\n").unwrap();
    std::fs::write(folder.join("apps/extra.yaml"), "kind: Secret\n").unwrap();
    std::fs::remove_file(to.path().join("demo/Chart.yaml")).unwrap();
    let bad = verify();
    assert_eq!(bad.code, 1, "{bad}");
    for line in [
        "FAIL demo-k8s-0.2.0/namespace.yaml  changed",
        "FAIL demo-k8s-0.2.0/apps/extra.yaml  extra",
        "FAIL demo/Chart.yaml  missing",
    ] {
        assert!(bad.stdout.contains(line), "`{line}` not reported: {bad}");
    }
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::remove_dir_all(to.path().join("demo")).unwrap();
    let pull = lamina_infra(&fake.api_url(), &["pull", "demo-k8s", "--to", dir_arg(to.path())], &env);
    assert_eq!(pull.code, 0, "{pull}");
    assert_eq!(verify().code, 0, "pulled again, it matches");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder.join("namespace.yaml"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = verify();
        assert!(run.stdout.contains("FAIL demo-k8s-0.2.0/namespace.yaml  mode 755, published 644"), "{run}");
    }
}

#[test]
fn verify_of_a_release_checks_every_asset_against_sha256sums_and_github() {
    let fake = start_fake();
    seed(&fake, "0.2.0", assets("0.2.0", Vec::new(), bundle_archive("0.2.0")));
    let good = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(good.code, 0, "{good}");
    for file in ["SHA256SUMS", "release-manifest.json", "demo-0.2.0.tgz", "demo-k8s-0.2.0.tar.gz"] {
        assert!(good.stdout.contains(&format!("ok   v0.2.0/{file}  sha256 ")), "{file}: {good}");
    }
    drop(fake);

    let replaced = start_fake();
    let mut served = assets("0.2.0", Vec::new(), bundle_archive("0.2.0"));
    served.iter_mut().find(|(n, _)| n == "demo-k8s-0.2.0.tar.gz").unwrap().1 = bundle_archive("6.6.6");
    seed(&replaced, "0.2.0", served);
    let bad = lamina_infra(&replaced.api_url(), &["verify", "v0.2.0"], &[]);
    assert_eq!(bad.code, 1, "{bad}");
    assert!(bad.stdout.contains("FAIL v0.2.0/demo-k8s-0.2.0.tar.gz  changed: SHA256SUMS says"), "{bad}");
    assert!(bad.stderr.contains("1 of 5 checks failed for `v0.2.0`; do not use this release"), "{bad}");
}

#[test]
fn verify_of_a_release_checks_its_chart_in_the_helm_index_on_pages() {
    let site = tempfile::tempdir().unwrap();
    let pages = StaticSite::serve(site.path()).unwrap();
    let fake = start_fake();
    seed(&fake, "0.2.0", assets_on_pages("0.2.0", pages.url()));
    let what = format!("helm index {}/index.yaml", pages.url());
    let index = |digest: &str| {
        let url = "https://github.com/acme/infra-demo/releases/download/v0.2.0/demo-0.2.0.tgz";
        let yaml = format!(
            "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 0.2.0\n    digest: {digest}\n    urls: [{url}]\n"
        );
        std::fs::write(site.path().join("index.yaml"), yaml).unwrap();
    };

    let absent = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(absent.code, 1, "{absent}");
    assert!(absent.stdout.contains(&format!("FAIL {what}  read the Helm repository index: `")), "{absent}");
    assert!(absent.stdout.contains("/index.yaml` was not found (404)"), "{absent}");

    index(&sha(&chart_archive("0.2.0")));
    let good = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(good.code, 0, "{good}");
    assert!(good.stdout.contains(&format!("ok   {what} demo 0.2.0  digest ")), "{good}");

    index(&"0".repeat(64));
    let changed = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(changed.code, 1, "{changed}");
    let expected = format!("FAIL {what} demo 0.2.0  digest {}, the release's archive is", "0".repeat(64));
    assert!(changed.stdout.contains(&expected), "{changed}");
}

fn peers(what: &str) -> PathBuf {
    match std::env::var_os("LAMINA_TEST_PEERS") {
        Some(dir) => PathBuf::from(dir),
        None => panic!("{what} needs the test peers: run `cargo xtask test`, which installs and starts them"),
    }
}

/// Pushes the layout in `dir` (tag `tag`) to `reference` with skopeo.
fn push(dir: &Path, tag: &str, reference: &str) {
    let out = Command::new("skopeo")
        .args(["copy", "--preserve-digests", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:{tag}", dir.display()))
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo is on PATH: run `cargo xtask test`");
    assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn verify_of_a_release_checks_image_tags_in_the_registry() {
    let _ = peers("the registry test");
    let registry = xtask_dev::registry::LocalRegistry::start(&[]).expect(PEERS);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let digest = image_layout(first.path(), "0.2.0", "hello\n");
    image_layout(second.path(), "0.2.0", "moved\n");
    let repository = format!("{}/acme/hello", registry.host());
    push(first.path(), "0.2.0", &format!("{repository}:0.2.0"));

    let fake = start_fake();
    seed(&fake, "0.2.0", assets("0.2.0", vec![hello(&repository, &digest)], bundle_archive("0.2.0")));
    let good = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(good.code, 0, "{good}");
    assert!(good.stdout.contains(&format!("ok   image hello {repository}:0.2.0  points at")), "{good}");

    push(second.path(), "0.2.0", &format!("{repository}:0.2.0"));
    let moved = lamina_infra(&fake.api_url(), &["verify", "0.2.0", "--json"], &[]);
    assert_eq!(moved.code, 1, "{moved}");
    let report: Value = serde_json::from_str(&moved.stdout).unwrap();
    let bad: Vec<&Value> = report["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert_eq!(bad.len(), 1, "{moved}");
    assert_eq!(bad[0]["what"], format!("image hello {repository}:0.2.0"));
    assert!(bad[0]["detail"].as_str().unwrap().contains(&format!("the manifest records {digest}")), "{moved}");
    drop(fake);
    drop(registry);
}

/// A registry that answers 401 with a Bearer challenge, as ghcr.io does, and grants anonymous
/// pulls through its token service: the tag is read through the token exchange.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn image_tags_are_read_through_the_bearer_token_exchange() {
    let peers = peers("the token server");
    let registry = xtask_dev::registry::TokenRegistry::start(&peers.join("venv/bin/python"), "pusher:canary-Pw-7");
    let registry = registry.expect(PEERS);
    let image = tempfile::tempdir().unwrap();
    let digest = image_layout(image.path(), "0.2.0", "hello\n");
    let repository = format!("{}/acme/hello", registry.host());
    let out = Command::new("skopeo")
        .args(["copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "pusher:canary-Pw-7"])
        .arg(format!("oci:{}:0.2.0", image.path().display()))
        .arg(format!("docker://{repository}:0.2.0"))
        .output()
        .unwrap();
    assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));

    let fake = start_fake();
    seed(&fake, "0.2.0", assets("0.2.0", vec![hello(&repository, &digest)], bundle_archive("0.2.0")));
    let run = lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains(&format!("ok   image hello {repository}:0.2.0  points at")), "{run}");
    let log = registry.log();
    let ours: Vec<&str> = log.lines().filter(|l| l.contains("useragent=lamina-infra/")).collect();
    assert!(ours.iter().any(|l| l.contains("authorization token required")), "first refused: {log}");
    assert!(ours.iter().any(|l| l.contains("authorized request")), "then read with the token: {log}");
    drop((fake, registry));
}

/// Two registries, each with its own credentials in Docker's `config.json` (and
/// `LAMINA_REGISTRY_*` set, which are for `mirror push` alone): each host gets only its own. The
/// second registry's token service logs every `Authorization` header it is sent.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn each_registry_is_sent_only_its_own_credentials() {
    use base64::Engine;
    let peers = peers("the token server");
    let first = xtask_dev::registry::LocalRegistry::start(&[("alice", "pw-alice-canary")]).expect(PEERS);
    let log = tempfile::NamedTempFile::new().unwrap();
    let python = peers.join("venv/bin/python");
    let second = xtask_dev::registry::TokenRegistry::start_logged(&python, "bob:pw-bob-canary", Some(log.path()));
    let second = second.expect(PEERS);
    let layout = tempfile::tempdir().unwrap();
    let digest = image_layout(layout.path(), "0.2.0", "hello\n");
    let mut images = Vec::new();
    for (name, registry, creds) in [("hello", &first, "alice:pw-alice-canary"), ("copy", &second, "bob:pw-bob-canary")]
    {
        let repository = format!("{}/acme/hello", registry.host());
        let out = Command::new("skopeo")
            .args(["copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds])
            .arg(format!("oci:{}:0.2.0", layout.path().display()))
            .arg(format!("docker://{repository}:0.2.0"))
            .output()
            .unwrap();
        assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
        images.push(lamina_release_format::manifest::Image { name: name.into(), ..hello(&repository, &digest) });
    }
    let fake = start_fake();
    seed(&fake, "0.2.0", assets("0.2.0", images, bundle_archive("0.2.0")));
    let docker = tempfile::tempdir().unwrap();
    let alice = base64::engine::general_purpose::STANDARD.encode("alice:pw-alice-canary");
    let config = serde_json::json!({"auths": {first.host(): {"auth": alice}}});
    std::fs::write(docker.path().join("config.json"), config.to_string()).unwrap();
    let env = [
        ("DOCKER_CONFIG", docker.path().as_os_str()),
        ("LAMINA_REGISTRY_USERNAME", std::ffi::OsStr::new("alice")),
        ("LAMINA_REGISTRY_PASSWORD", std::ffi::OsStr::new("pw-alice-canary")),
    ];
    // What the token service was sent from here on: the pushes above signed in as bob.
    let pushed = std::fs::read_to_string(log.path()).unwrap().len();
    let run = run_lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &env);
    for (name, registry) in [("hello", &first), ("copy", &second)] {
        let line = format!("ok   image {name} {}/acme/hello:0.2.0  points at {digest}", registry.host());
        assert!(run.stdout.contains(&line), "{line}\n{run}");
    }
    let sent = std::fs::read_to_string(log.path()).unwrap()[pushed..].to_owned();
    assert!(!sent.is_empty(), "the token service was asked");
    assert!(!sent.contains(&alice) && !sent.contains("Basic"), "the second registry saw credentials: {sent}");
    assert!(!format!("{run}").contains("pw-alice-canary"), "a password was printed");

    // Without Docker's entry the first registry is read anonymously, and says how to sign in.
    let anonymous = run_lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &env[1..]);
    assert!(anonymous.stdout.contains("FAIL image hello"), "{anonymous}");
    assert!(anonymous.stdout.contains("docker login"), "{anonymous}");
}
