//! Sigstore's trusted root refreshed over TUF: a real TUF repository (python-tuf, fresh keys) on
//! loopback publishes the loopback Sigstore's trusted root, and a release signed against that
//! Sigstore verifies with no `--trust-config`; the cache then serves it with the repository
//! stopped. A repository that serves what does not verify (a target of other bytes, a bad
//! signature, expired metadata, a rollback) is refused, saying why, and the cached root, else
//! the embedded public-good one, is used. An unsigned release or a mirror folder makes no request.

use crate::common::{Run, run_lamina_infra};
use lamina_release_format::provenance;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use xtask_dev::github::{GithubFake, Options, SeedRelease};
use xtask_dev::sigstore::Sigstore;
use xtask_dev::site::StaticSite;

const PEERS: &str = "needs the test peers: run `cargo xtask test`";
const IDENTITY: &str = "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0";

/// A TUF repository made by `tests/peers/tuf_repo.py`: its keys and its served folder.
struct Tuf {
    peers: PathBuf,
    dir: tempfile::TempDir,
}

impl Tuf {
    /// A repository with fresh keys publishing `target` as `trusted_root.json`.
    fn init(peers: &Path, target: &[u8]) -> Tuf {
        let tuf = Tuf { peers: peers.to_owned(), dir: tempfile::tempdir().unwrap() };
        tuf.run("init", target, &[]);
        tuf
    }

    /// The next version of targets, snapshot and timestamp, publishing `target` (`options`:
    /// `--expired`, `--bad-signature`).
    fn publish(&self, target: &[u8], options: &[&str]) {
        self.run("publish", target, options);
    }

    fn run(&self, command: &str, target: &[u8], options: &[&str]) {
        let file = self.dir.path().join("target.json");
        std::fs::write(&file, target).unwrap();
        let out = std::process::Command::new(self.peers.join("venv/bin/python"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/tuf_repo.py"))
            .arg(command)
            .args([self.dir.path().join("keys"), self.repo(), file])
            .args(options)
            .output()
            .unwrap();
        assert!(out.status.success(), "tuf_repo.py {command}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The folder served.
    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The root.json trust starts from.
    fn root(&self) -> PathBuf {
        self.repo().join("1.root.json")
    }

    /// A copy of the folder served, as it is now.
    fn copy(&self) -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(&self.repo(), copy.path());
        copy
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
        match entry.file_type().unwrap().is_dir() {
            true => copy_dir(&entry.path(), &to.join(entry.file_name())),
            false => drop(std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap()),
        }
    }
}

/// The loopback Sigstore, its trusted root (what the TUF repository publishes), and release
/// 0.2.0 of acme/infra-demo signed against it on the GitHub fake.
fn signed_release(peers: &Path) -> (Sigstore, Vec<u8>, GithubFake) {
    let sigstore = Sigstore::start(peers).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(&sigstore.trust_config).unwrap()).unwrap();
    let trusted_root = serde_json::to_vec_pretty(&config["trustedRoot"]).unwrap();
    let mut assets = crate::cli::assets("0.2.0");
    let sums = assets.iter().find(|(n, _)| n == "SHA256SUMS").unwrap().1.clone();
    assets.push((provenance::ASSET.to_owned(), crate::signature::attested(peers, &sigstore, &sums, "v0.2.0")));
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets, starter_assets: Vec::new() });
    (sigstore, trusted_root, fake)
}

/// `lamina-infra show 0.2.0` with no `--trust-config`, Sigstore's TUF repository at `url` from
/// the root.json `root`, and the cache in `cache`.
fn show(fake: &GithubFake, url: &str, root: &Path, cache: &Path) -> Run {
    let env = [
        ("LAMINA_SIGSTORE_TUF_URL", OsStr::new(url)),
        ("LAMINA_SIGSTORE_TUF_ROOT", root.as_os_str()),
        ("LAMINA_INFRA_CACHE", cache.as_os_str()),
        ("LAMINA_INFRA_ALLOW_UNSIGNED", OsStr::new("false")),
    ];
    run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &env)
}

fn notes(run: &Run) -> Vec<&str> {
    run.stderr.lines().filter(|l| l.starts_with("note:")).collect()
}

fn verified(run: &Run) -> bool {
    run.code == 0 && run.stdout.contains(&format!("signed by {IDENTITY} (verified)"))
}

/// The repository's folder of the cache: the only one under `<cache>/tuf/`.
fn cached(cache: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(cache.join("tuf")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// Makes the cache's last refresh two days old: past the time it is used with no request.
fn age(cache: &Path) {
    let marker = std::fs::File::options().write(true).open(cached(cache).join("refreshed")).unwrap();
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    marker.set_modified(two_days_ago).unwrap();
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn the_trusted_root_is_refreshed_over_tuf_cached_and_used_with_the_repository_stopped() {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect(PEERS));
    let (_sigstore, trusted_root, fake) = signed_release(&peers);
    let tuf = Tuf::init(&peers, &trusted_root);
    let site = StaticSite::serve(&tuf.repo()).unwrap();
    let url = site.url().to_owned();
    let cache = tempfile::tempdir().unwrap();

    let first = show(&fake, &url, &tuf.root(), cache.path());
    assert!(verified(&first), "{first}");
    assert!(notes(&first).is_empty(), "{first}");
    let dir = cached(cache.path());
    assert!(dir.file_name().unwrap().to_string_lossy().starts_with("http%3A%2F%2F127.0.0.1%3A"), "{dir:?}");
    assert_eq!(std::fs::read(dir.join("targets/trusted_root.json")).unwrap(), trusted_root);
    for file in ["root_history/1.root.json", "timestamp.json", "snapshot.json", "targets.json", "refreshed"] {
        assert!(dir.join(file).is_file(), "{file} is cached: {:?}", crate::common::listing(&dir));
    }

    // Refreshed less than a day ago: used with no request, so the stopped repository is not missed.
    drop(site);
    let again = show(&fake, &url, &tuf.root(), cache.path());
    assert!(verified(&again) && notes(&again).is_empty(), "{again}");

    // Older than that: the refresh is tried, fails, and the cached copy is used, saying so.
    age(cache.path());
    let stale = show(&fake, &url, &tuf.root(), cache.path());
    assert!(verified(&stale), "{stale}");
    let notes = notes(&stale);
    assert_eq!(notes.len(), 1, "{stale}");
    let said = format!("the TUF repository {url} could not be read");
    assert!(notes[0].contains(&said) && notes[0].contains("using the copy cached in"), "{stale}");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_tuf_repository_serving_what_does_not_verify_is_refused_and_said_so() {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect(PEERS));
    let (_sigstore, trusted_root, fake) = signed_release(&peers);
    let tuf = Tuf::init(&peers, &trusted_root);
    let version_1 = tuf.copy();

    // Each damaged repository with an empty cache: the embedded public-good root is used, which
    // does not vouch for the loopback Sigstore, and nothing is cached.
    let other_bytes = tuf.copy();
    let target = std::fs::read_dir(other_bytes.path().join("targets")).unwrap().next().unwrap().unwrap().path();
    let changed = String::from_utf8(trusted_root.clone()).unwrap().replacen("sigstore", "sigst0re", 1);
    assert_eq!(changed.len(), trusted_root.len());
    std::fs::write(&target, changed).unwrap();
    tuf.publish(&trusted_root, &["--bad-signature"]);
    let bad_signature = tuf.copy();
    tuf.publish(&trusted_root, &["--expired"]);
    let expired = tuf.copy();
    let cases = [
        ("a target of other bytes", other_bytes.path(), "integrity check failed: trusted_root.json: sha256 mismatch"),
        ("a timestamp signed by a key the root does not name", bad_signature.path(), "signature threshold not met"),
        ("an expired timestamp", expired.path(), "timestamp metadata expired"),
    ];
    for (what, repo, why) in cases {
        let site = StaticSite::serve(repo).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let run = show(&fake, site.url(), &tuf.root(), cache.path());
        assert_eq!(run.code, 1, "{what}: {run}");
        assert!(run.stderr.contains("`provenance.sigstore.json` of release v0.2.0"), "{what}: {run}");
        let notes = notes(&run);
        assert_eq!(notes.len(), 1, "{what}: {run}");
        let said = format!("the TUF repository {} was refused", site.url());
        assert!(notes[0].contains(&said) && notes[0].contains(why), "{what}: {run}");
        assert!(notes[0].ends_with("using the one embedded in this build"), "{what}: {run}");
        let listed = crate::common::listing(cache.path());
        assert!(
            !listed.iter().any(|f| f.ends_with("trusted_root.json") || f.ends_with("refreshed")),
            "{what}: {listed:?}"
        );
    }

    // A rollback to version 1 once version 4 is cached: refused, and the cached copy used.
    tuf.publish(&trusted_root, &[]);
    let served = tuf.copy();
    let site = StaticSite::serve(served.path()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let current = show(&fake, site.url(), &tuf.root(), cache.path());
    assert!(verified(&current) && notes(&current).is_empty(), "{current}");
    std::fs::remove_dir_all(served.path()).unwrap();
    copy_dir(version_1.path(), served.path());
    age(cache.path());
    let run = show(&fake, site.url(), &tuf.root(), cache.path());
    assert!(verified(&run), "{run}");
    let notes = notes(&run);
    assert_eq!(notes.len(), 1, "{run}");
    assert!(notes[0].contains("rollback detected for timestamp") && notes[0].contains("the copy cached in"), "{run}");
}

/// Release 0.2.0 with a provenance bundle that is no Sigstore bundle: verifying it asks for the
/// trusted root, then fails.
fn junk_signed() -> Vec<(String, Vec<u8>)> {
    let mut assets = crate::cli::assets("0.2.0");
    assets.push((provenance::ASSET.to_owned(), b"{}".to_vec()));
    assets
}

/// A mirror folder holding `assets` as release v0.2.0 of acme/infra-demo.
fn mirror_of(assets: &[(String, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("v0.2.0")).unwrap();
    let download = "https://github.com/acme/infra-demo/releases/download/v0.2.0";
    let listed: Vec<serde_json::Value> = assets
        .iter()
        .map(|(name, bytes)| {
            std::fs::write(dir.path().join("v0.2.0").join(name), bytes).unwrap();
            let digest = format!("sha256:{}", crate::common::sha(bytes));
            serde_json::json!({"name": name, "size": bytes.len(), "browser_download_url": format!("{download}/{name}"), "digest": digest})
        })
        .collect();
    let release = serde_json::json!({
        "tag_name": "v0.2.0", "draft": false, "prerelease": false, "published_at": null,
        "html_url": "https://github.com/acme/infra-demo/releases/tag/v0.2.0", "assets": listed,
    });
    let file = serde_json::json!({"repository": "acme/infra-demo", "releases": [release]});
    std::fs::write(dir.path().join("mirror.json"), serde_json::to_vec_pretty(&file).unwrap()).unwrap();
    dir
}

/// The tests' TUF repository is a loopback port nothing listens on (`common::run_lamina_infra`):
/// a request for it fails at once, and says so in a note.
#[test]
fn the_trusted_root_is_asked_for_only_to_verify_a_signature_and_never_from_a_mirror() {
    let fake = crate::cli::published();
    let unsigned = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &[]);
    assert_eq!(unsigned.code, 0, "{unsigned}");
    assert!(notes(&unsigned).is_empty(), "an unsigned release makes no request: {unsigned}");

    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets: junk_signed(), starter_assets: vec![] });
    let online = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &[]);
    assert_eq!(online.code, 1, "{online}");
    assert_eq!(notes(&online).len(), 1, "{online}");
    let said =
        "note: Sigstore's trusted root was not refreshed: the TUF repository http://127.0.0.1:9 could not be read";
    assert!(notes(&online)[0].starts_with(said), "{online}");
    assert!(notes(&online)[0].ends_with("; using the one embedded in this build"), "{online}");
    assert!(online.stderr.contains("the bundle is not a Sigstore bundle"), "{online}");

    let mirror = mirror_of(&junk_signed());
    let from = mirror.path().to_str().unwrap();
    for args in [&["show", "0.2.0", "--mirror", from][..], &["verify", from]] {
        let offline = run_lamina_infra("http://127.0.0.1:9", args, &[]);
        assert_eq!(offline.code, 1, "{args:?}: {offline}");
        assert!(notes(&offline).is_empty(), "{args:?} makes no request: {offline}");
        assert!(format!("{offline}").contains("the bundle is not a Sigstore bundle"), "{args:?}: {offline}");
    }
}

#[test]
fn a_tuf_repository_over_plain_http_off_this_machine_or_a_root_without_its_repository_is_refused() {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets: junk_signed(), starter_assets: vec![] });
    let env = [("LAMINA_SIGSTORE_TUF_URL", OsStr::new("http://tuf.example.com"))];
    let http = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &env);
    assert_eq!(http.code, 1, "{http}");
    assert!(http.stderr.contains("LAMINA_SIGSTORE_TUF_URL: `http://tuf.example.com` is not https"), "{http}");
    assert!(http.stderr.contains("plain http is accepted for loopback hosts only"), "{http}");

    let root = tempfile::NamedTempFile::new().unwrap();
    let env = [("LAMINA_SIGSTORE_TUF_URL", OsStr::new("")), ("LAMINA_SIGSTORE_TUF_ROOT", root.path().as_os_str())];
    let alone = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &env);
    assert_eq!(alone.code, 1, "{alone}");
    assert!(alone.stderr.contains("LAMINA_SIGSTORE_TUF_ROOT is set without LAMINA_SIGSTORE_TUF_URL"), "{alone}");
    let env = [("LAMINA_SIGSTORE_TUF_ROOT", root.path().as_os_str())];
    let empty = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &env);
    assert!(empty.stderr.contains("is not a TUF root.json signed by its own keys"), "{empty}");
}
