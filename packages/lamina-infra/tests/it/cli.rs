//! `lamina-infra` against the GitHub fake, anonymously, as a user of a public repository would
//! run it: the release list, `show` with its files verified, and the errors people meet.

use crate::common::{Run, run_lamina_infra};
use lamina_release_format::MANIFEST;
use lamina_release_format::manifest::Image;
use std::process::Command;
use xtask_dev::github::{Fault, FaultKind, GithubFake, Options, SeedRelease};

fn lamina_infra(fake: &GithubFake, args: &[&str]) -> Run {
    lamina_infra_env(fake, args, &[])
}

/// `lamina-infra ARGS` against the fake, with `env` set.
fn lamina_infra_env(fake: &GithubFake, args: &[&str], env: &[(&str, &std::path::Path)]) -> Run {
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    run_lamina_infra(&fake.api_url(), args, &env)
}

/// A `.tar.gz` of `(path, content)` files, paths written as given (even `..` or absolute ones);
/// a content starting with `-> ` makes a symlink to the rest.
fn targz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for (path, content) in files {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_mode(0o644);
        match content.strip_prefix("-> ") {
            Some(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
            None => {
                header.set_size(content.len() as u64);
                header.set_cksum();
                builder.append(&header, content.as_bytes()).unwrap();
            }
        }
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A release's assets as the pipeline makes them: a chart, a bundle, the manifest and the sums.
pub fn assets(version: &str) -> Vec<(String, Vec<u8>)> {
    let files = [(format!("demo-k8s-{version}/namespace.yaml"), format!("name: demo-{version}\n"))];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    assets_with(version, targz(&files))
}

/// [`assets`] with this bundle archive.
fn assets_with(version: &str, bundle: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let chart = targz(&[("demo/Chart.yaml", "name: demo\n")]);
    let image = Image {
        name: "hello".into(),
        repository: "ghcr.io/acme/hello".into(),
        tags: vec![version.into()],
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        digest: Some(format!("sha256:{}", "a".repeat(64))),
    };
    let oci = Some(format!("ghcr.io/acme/charts/demo:{version}"));
    crate::common::release_assets(version, chart, bundle, vec![image], oci, Some("https://acme.github.io/infra-demo"))
}

/// A public repository with releases 0.1.0, 0.2.0, a 0.3.0-rc.1 pre-release and a 0.4.0 draft.
pub fn published() -> GithubFake {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    for (version, draft) in [("0.1.0", false), ("0.2.0", false), ("0.3.0-rc.1", false), ("0.4.0", true)] {
        let seed =
            SeedRelease { tag_name: format!("v{version}"), draft, assets: assets(version), starter_assets: Vec::new() };
        fake.seed(seed);
    }
    fake
}

fn settings(fake: &GithubFake) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(&fake.api_url().replace('.', "\\."), "[api]");
    s.add_filter(r"\d{4}-\d{2}-\d{2}", "[date]");
    s
}

#[test]
fn releases_lists_newest_first_marks_prereleases_and_hides_drafts() {
    let fake = published();
    let run = lamina_infra(&fake, &["releases"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let versions: Vec<&str> = run.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(versions, ["0.3.0-rc.1", "0.2.0", "0.1.0"]);
    assert!(run.stdout.lines().next().unwrap().ends_with("(pre-release)"), "{}", run.stdout);
    let json = lamina_infra(&fake, &["releases", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[0]["prerelease"], true);
}

#[test]
fn show_verifies_the_release_and_says_how_to_use_each_component() {
    let fake = published();
    let latest = lamina_infra(&fake, &["show"]);
    assert_eq!(latest.code, 0, "{}", latest.stderr);
    assert!(
        latest.stdout.starts_with("release 0.2.0 of acme/infra-demo"),
        "the latest, not the pre-release: {}",
        latest.stdout
    );
    settings(&fake).bind(|| insta::assert_snapshot!("show_0_2_0", latest.stdout));
    let json = lamina_infra(&fake, &["show", "v0.1.0", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(shown["manifest"]["version"], "0.1.0");
    assert!(shown["usage"][0][1].as_str().unwrap().starts_with("helm install demo oci://ghcr.io/acme/charts/demo"));
}

#[test]
fn a_missing_version_names_the_nearest_ones() {
    let fake = published();
    let run = lamina_infra(&fake, &["show", "0.2.1"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("`acme/infra-demo` has no published release 0.2.1 (nearest: 0.2.0"), "{}", run.stderr);
    let drafted = lamina_infra(&fake, &["show", "0.4.0"]);
    assert!(drafted.stderr.contains("has no published release 0.4.0"), "a draft is never shown: {}", drafted.stderr);
    // `latest` stands for the latest wherever a version is asked for.
    let latest = lamina_infra(&fake, &["show", "latest"]);
    assert!(latest.stdout.starts_with("release 0.2.0 of acme/infra-demo"), "{latest}");
    // A version given where a component goes is pointed at `--version`.
    let to = tempfile::tempdir().unwrap();
    let swapped = lamina_infra(&fake, &["pull", "demo-k8s", "0.2.0", "--to", to.path().to_str().unwrap()]);
    assert!(
        swapped.stderr.contains("`0.2.0` is a version, not a component; did you mean `--version 0.2.0`?"),
        "{swapped}"
    );
}

#[test]
fn a_manifest_that_disagrees_with_sha256sums_is_refused() {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    let mut tampered = assets("0.2.0");
    for (name, bytes) in &mut tampered {
        if name == MANIFEST {
            bytes.extend_from_slice(b"\n");
        }
    }
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets: tampered, starter_assets: Vec::new() });
    let run = lamina_infra(&fake, &["show"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`release-manifest.json` of release v0.2.0 does not match SHA256SUMS"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing shown from a tampered release: {}", run.stdout);
}

#[test]
fn a_wrong_token_and_a_wrong_repository_are_told_apart() {
    let fake = published();
    let out = Command::new(env!("CARGO_BIN_EXE_lamina-infra"))
        .args(["--repo", "acme/infra-demo", "releases"])
        .env("GITHUB_API_URL", fake.api_url())
        .env("GITHUB_TOKEN", "ghp_wrong_canary")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not accept the token (401)") && !stderr.contains("ghp_wrong_canary"), "{stderr}");
    let missing = Command::new(env!("CARGO_BIN_EXE_lamina-infra"))
        .args(["--repo", "acme/other", "releases"])
        .env("GITHUB_API_URL", fake.api_url())
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("`acme/other` was not found (404)"));
}

/// A private repository: GitHub answers 404 to anonymous reads and to a token on a browser URL;
/// the asset API with the token works, and the storage host it redirects to never sees the token.
#[test]
fn a_private_repository_is_read_with_a_token_through_the_asset_api() {
    let fake = GithubFake::start(Options { token: "ghp_private_canary".into(), ..Options::default() }).unwrap();
    fake.seed(SeedRelease {
        tag_name: "v0.2.0".into(),
        draft: false,
        assets: assets("0.2.0"),
        starter_assets: Vec::new(),
    });
    let to = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let pull = ["pull", "demo-k8s", "--to", to.path().to_str().unwrap()];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, std::ffi::OsStr::new(*v))).collect();
        all.push(("LAMINA_INFRA_CACHE", cache.path().as_os_str()));
        run_lamina_infra(&fake.api_url(), args, &all)
    };

    let anonymous = run(&pull, &[]);
    assert_eq!(anonymous.code, 3, "{anonymous}");
    assert!(anonymous.stderr.contains("`acme/infra-demo` was not found (404)"), "{anonymous}");
    assert!(anonymous.stderr.contains("set GH_TOKEN (or GITHUB_TOKEN)"), "{anonymous}");

    // GH_TOKEN wins over GITHUB_TOKEN, as with `gh`; whitespace around it is dropped.
    let env = [("GH_TOKEN", " ghp_private_canary\n"), ("GITHUB_TOKEN", "ghp_wrong")];
    for args in [&["show", "0.2.0"][..], &pull] {
        let signed_in = run(args, &env);
        assert_eq!(signed_in.code, 0, "{args:?}: {signed_in}");
        assert!(!format!("{signed_in}").contains("ghp_private_canary"), "the token was printed");
    }
    // `verify` reads every asset the same way (its registry and Pages are not on this machine).
    let verified = run(&["verify", "0.2.0"], &env);
    for asset in ["SHA256SUMS", "demo-0.2.0.tgz", "demo-k8s-0.2.0.tar.gz", "release-manifest.json"] {
        assert!(verified.stdout.contains(&format!("ok   v0.2.0/{asset}  sha256")), "{verified}");
    }
    assert!(to.path().join("demo-k8s-0.2.0/namespace.yaml").exists());
    let requests = fake.requests();
    let storage = requests.iter().filter(|r| r.upload_host && r.path_and_query.starts_with("/_storage/"));
    assert!(storage.clone().count() > 0 && storage.clone().all(|r| r.status == 200), "{requests:#?}");
    assert!(!requests.iter().any(|r| r.path_and_query.contains("/releases/download/")), "no browser URL was used");
}

/// An old release re-published under a new tag, and another repository's release copied in:
/// every record agrees with the bytes, and each is still refused before anything is used.
#[test]
fn a_rollback_or_a_release_of_another_repository_is_refused() {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease {
        tag_name: "v0.3.0".into(),
        draft: false,
        assets: assets("0.2.0"),
        starter_assets: Vec::new(),
    });
    let foreign = crate::common::edit_release(assets("0.4.0"), |m, _| m.repository = "evil/infra-demo".into());
    fake.seed(SeedRelease { tag_name: "v0.4.0".into(), draft: false, assets: foreign, starter_assets: Vec::new() });
    let to = tempfile::tempdir().unwrap();
    let dir = to.path().to_str().unwrap();
    for (version, says) in [
        ("0.3.0", "`release-manifest.json` of release v0.3.0 records release v0.2.0"),
        ("0.4.0", "records the repository evil/infra-demo, but it was read from acme/infra-demo"),
    ] {
        for args in [&["show", version][..], &["pull", "demo-k8s", "--version", version, "--to", dir]] {
            let run = lamina_infra(&fake, args);
            assert_eq!(run.code, 1, "{args:?}: {run}");
            assert!(run.stderr.contains(says), "{args:?}: {run}");
        }
        let verified = lamina_infra(&fake, &["verify", version]);
        assert!(verified.stdout.contains(&format!("FAIL v{version}/release-manifest.json")), "{verified}");
    }
    assert_eq!(listing(to.path()), Vec::<String>::new(), "nothing written");
}

/// Scripts tell failures apart by the exit code `--help` documents.
#[test]
fn exit_codes_tell_a_failed_check_a_usage_error_an_unreadable_remote_and_a_refusal_apart() {
    let fake = published();
    let token = [("GH_TOKEN", std::ffi::OsStr::new("ghp_wrong"))];
    let cases: [(&str, Run); 5] = [
        ("a failed check", lamina_infra(&fake, &["verify", "0.2.0"])),
        ("a usage error", lamina_infra(&fake, &["pull"])),
        ("no such release", lamina_infra(&fake, &["show", "9.9.9"])),
        ("an unreachable GitHub", run_lamina_infra("http://127.0.0.1:9", &["releases"], &[])),
        ("a refused token", run_lamina_infra(&fake.api_url(), &["releases"], &token)),
    ];
    let codes: Vec<(&str, i32)> = cases.iter().map(|(what, run)| (*what, run.code)).collect();
    let expected = [
        ("a failed check", 1),
        ("a usage error", 2),
        ("no such release", 1),
        ("an unreachable GitHub", 3),
        ("a refused token", 4),
    ];
    assert_eq!(codes, expected, "{}", cases.iter().map(|(w, r)| format!("{w}: {r}\n")).collect::<String>());
    assert!(lamina_infra(&fake, &["--help"]).stdout.contains("Exit codes: 0 success; 1 a check failed"));
}

#[test]
fn help_of_every_command() {
    let mut all = String::new();
    for args in [
        &["--help"][..],
        &["releases", "--help"],
        &["show", "--help"],
        &["pull", "--help"],
        &["verify", "--help"],
        &["mirror", "--help"],
        &["mirror", "push", "--help"],
        &["compat", "--help"],
        &["validate", "--help"],
        &["deploy", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_lamina-infra")).args(args).env_remove("GITHUB_API_URL").output().unwrap();
        assert!(out.status.success());
        all.push_str(&format!("==== lamina-infra {} ====\n{}\n", args.join(" "), String::from_utf8_lossy(&out.stdout)));
    }
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("help", all));
}

/// `--repo` defaults to the repository that publishes this package's releases.
#[test]
fn the_default_repository_is_the_one_release_toml_names() {
    let config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../release.toml")).unwrap();
    let named = format!("repository = \"{}\"", lamina_infra::github::REPOSITORY);
    assert!(config.lines().any(|l| l.trim_start().starts_with(&named)), "release.toml does not say {named}");
}

fn pull(fake: &GithubFake, cache: &std::path::Path, args: &[&str]) -> Run {
    lamina_infra_env(fake, &[&["pull"][..], args].concat(), &[("LAMINA_INFRA_CACHE", cache)])
}

/// Every entry of a folder, recursively, relative to it.
use crate::common::listing;

#[test]
fn pull_verifies_extracts_and_a_second_pull_downloads_nothing() {
    let fake = published();
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = to.path().to_str().unwrap();
    let run = pull(&fake, cache.path(), &["demo-k8s", "demo", "--version", "0.2.0", "--to", dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pulled = std::fs::read_to_string(to.path().join("demo-k8s-0.2.0/namespace.yaml")).unwrap();
    assert_eq!(pulled, "name: demo-0.2.0\n");
    assert!(to.path().join("demo/Chart.yaml").exists(), "a chart unpacks into its own folder");
    // Asset bytes come through the API, by the asset's id.
    let downloads = |fake: &GithubFake| {
        let releases = fake.releases();
        let assets = releases.iter().flat_map(|r| &r.assets);
        let id = assets.filter(|a| a.name == "demo-k8s-0.2.0.tar.gz").map(|a| a.id).next().unwrap();
        let path = format!("/releases/assets/{id}");
        fake.requests().iter().filter(|r| r.path_and_query.ends_with(&path)).count()
    };
    assert_eq!(downloads(&fake), 1);
    let again = pull(&fake, cache.path(), &["demo-k8s", "--version", "0.2.0", "--to", dir, "--json"]);
    assert_eq!(downloads(&fake), 1, "the same content comes from the cache");
    let listed: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(listed[0]["name"], "demo-k8s");
    assert_eq!(listed[0]["folder"], to.path().join("demo-k8s-0.2.0").to_str().unwrap());
    assert_eq!(listing(to.path()), ["demo", "demo-k8s-0.2.0", "demo-k8s-0.2.0/namespace.yaml", "demo/Chart.yaml"]);

    let unknown = pull(&fake, cache.path(), &["demo-k9s", "--to", dir]);
    assert!(unknown.stderr.contains("has no component `demo-k9s`; it has: demo-k8s"), "{}", unknown.stderr);
}

#[test]
fn pull_never_replaces_a_folder_it_did_not_write_unless_told_to() {
    let fake = published();
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = to.path().to_str().unwrap();
    let folder = to.path().join("demo-k8s-0.2.0");
    let args = ["demo-k8s", "--version", "0.2.0", "--to", dir];
    assert_eq!(pull(&fake, cache.path(), &args).code, 0);

    // The same content again: left as it is, and said so.
    let first_inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&folder).unwrap());
    let same = pull(&fake, cache.path(), &[&args[..], &["--json"]].concat());
    assert_eq!(same.code, 0, "{same}");
    assert!(same.stderr.contains("is already in"), "{same}");
    let report: serde_json::Value = serde_json::from_str(&same.stdout).unwrap();
    assert_eq!(report[0]["changed"], false);
    assert_eq!(std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&folder).unwrap()), first_inode);

    // The user's own file in it: refused, and the folder is untouched.
    std::fs::write(folder.join("mine.txt"), "the user's notes\n").unwrap();
    let refused = pull(&fake, cache.path(), &args);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("already exists and holds something other than demo-k8s 0.2.0"), "{refused}");
    assert!(refused.stderr.contains("--clobber"), "{refused}");
    assert_eq!(std::fs::read_to_string(folder.join("mine.txt")).unwrap(), "the user's notes\n");

    // `--clobber` replaces it whole, and leaves nothing else behind.
    let replaced = pull(&fake, cache.path(), &[&args[..], &["--clobber"]].concat());
    assert_eq!(replaced.code, 0, "{replaced}");
    assert_eq!(listing(to.path()), ["demo-k8s-0.2.0", "demo-k8s-0.2.0/namespace.yaml"]);
}

#[test]
fn a_replaced_asset_is_refused_and_nothing_is_written() {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    let mut served = assets("0.2.0");
    let evil = targz(&[("demo-k8s-0.2.0/namespace.yaml", "name: evil\n")]);
    served.iter_mut().find(|(n, _)| n == "demo-k8s-0.2.0.tar.gz").unwrap().1 = evil;
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets: served, starter_assets: Vec::new() });
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = pull(&fake, cache.path(), &["demo-k8s", "--to", to.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`demo-k8s-0.2.0.tar.gz` of release v0.2.0 does not match its recorded digest"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(to.path()), Vec::<String>::new(), "nothing written");
}

#[test]
fn a_download_other_than_github_holds_is_blamed_on_the_way_it_came() {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    let served = assets("0.2.0");
    let id =
        fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets: served, starter_assets: Vec::new() });
    let asset = fake.releases().into_iter().find(|r| r.id == id).unwrap().assets;
    let asset = asset.iter().find(|a| a.name == "demo-k8s-0.2.0.tar.gz").unwrap().id;
    let altered = targz(&[("demo-k8s-0.2.0/namespace.yaml", "name: altered\n")]);
    let path_contains = format!("/_storage/assets/{asset}");
    fake.inject(Fault { method: "GET".into(), path_contains, kind: FaultKind::Altered(altered), times: 1 });
    let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = pull(&fake, cache.path(), &["demo-k8s", "--to", to.path().to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the download of `demo-k8s-0.2.0.tar.gz` of release v0.2.0 is not what GitHub holds"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SHA256SUMS and the manifest say"), "SHA256SUMS is not blamed: {}", run.stderr);
    assert_eq!(listing(to.path()), Vec::<String>::new(), "nothing written");
}

#[test]
fn archives_that_escape_their_folder_are_refused_with_nothing_written() {
    for (case, files) in [
        ("a `..` path", vec![("demo-k8s-0.2.0/ok.yaml", "a: 1\n"), ("../evil.yaml", "evil\n")]),
        ("an absolute path", vec![("/tmp/evil.yaml", "evil\n")]),
        ("an escaping link", vec![("demo-k8s-0.2.0/ok.yaml", "a: 1\n"), ("demo-k8s-0.2.0/link", "-> ../../outside")]),
    ] {
        let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
        let seed = SeedRelease {
            tag_name: "v0.2.0".into(),
            draft: false,
            assets: assets_with("0.2.0", targz(&files)),
            starter_assets: Vec::new(),
        };
        fake.seed(seed);
        let (to, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let run = pull(&fake, cache.path(), &["demo-k8s", "--to", to.path().to_str().unwrap()]);
        assert_eq!(run.code, 1, "{case}: {}", run.stderr);
        assert!(run.stderr.contains("refusing the archive"), "{case}: {}", run.stderr);
        assert_eq!(listing(to.path()), Vec::<String>::new(), "{case}: nothing written");
    }
}

#[test]
fn a_used_up_rate_limit_is_reported_with_its_reset_time_and_unreachable_hosts_by_name() {
    let fake = published();
    fake.inject(xtask_dev::github::Fault {
        method: "GET".into(),
        path_contains: "/releases".into(),
        kind: xtask_dev::github::FaultKind::RateLimitReset { seconds: 3600 },
        times: 1,
    });
    let run = lamina_infra(&fake, &["releases"]);
    assert_eq!(run.code, 3, "a remote that cannot be read now, not a refusal: {run}");
    // An RFC 3339 time about an hour from now, and the way out.
    let reset = run.stderr.split("used up until ").nth(1).unwrap_or_default();
    assert!(reset.get(..4).is_some_and(|y| y.chars().all(|c| c.is_ascii_digit())), "{}", run.stderr);
    assert!(reset.get(10..11) == Some("T") && run.stderr.contains("set GITHUB_TOKEN"), "{}", run.stderr);

    let out = Command::new(env!("CARGO_BIN_EXE_lamina-infra"))
        .args(["--repo", "acme/infra-demo", "releases"])
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("cannot reach 127.0.0.1:9"), "{stderr}");
}

/// The completion scripts and the man page come from the same definitions as `--help`: bash
/// completes subcommands, their flags and their values; every shell's script names every
/// command; the man page renders (groff) with every global flag and command.
#[test]
fn completions_and_the_man_page_come_from_the_command_line_definitions() {
    let completions = |shell: &str| run_lamina_infra("http://127.0.0.1:9", &["completions", shell], &[]);
    let bash = completions("bash");
    assert_eq!(bash.code, 0, "{bash}");
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), &bash.stdout).unwrap();
    let complete = |words: &[&str]| {
        let (current, previous) = (words[words.len() - 1], words[words.len() - 2]);
        let program = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; _lamina__infra lamina-infra '{current}' '{previous}'; echo \"${{COMPREPLY[@]}}\"",
            script.path().display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
        );
        let out = std::process::Command::new("bash").args(["-c", &program]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(complete(&["lamina-infra", "mi"]), "mirror");
    assert_eq!(complete(&["lamina-infra", "show", "--allow-u"]), "--allow-unsigned", "a subcommand's flags");
    assert!(complete(&["lamina-infra", "completions", "z"]).contains("zsh"), "a value's choices");
    for (shell, marker) in [
        ("zsh", "#compdef lamina-infra"),
        ("fish", "complete -c lamina-infra"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = completions(shell);
        assert_eq!(out.code, 0, "{out}");
        assert!(out.stdout.contains(marker), "{shell}: {}", &out.stdout[..out.stdout.len().min(300)]);
        for command in ["releases", "show", "pull", "verify", "compat", "validate", "deploy", "mirror"] {
            assert!(out.stdout.contains(command), "{shell} completes `{command}`");
        }
    }
    let refused = completions("tcsh");
    assert_eq!(refused.code, 2, "{refused}");

    let man = run_lamina_infra("http://127.0.0.1:9", &["man"], &[]);
    assert_eq!(man.code, 0, "{man}");
    let page = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page.path(), &man.stdout).unwrap();
    let rendered =
        std::process::Command::new("groff").args(["-man", "-Tascii", "-P-cbou"]).arg(page.path()).output().unwrap();
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(text.contains("lamina-infra - Find, verify and fetch Lamina OS infrastructure releases"), "{text}");
    for flag in ["--repo", "--mirror", "--trust-config", "--signer-workflow", "--allow-unsigned"] {
        assert!(text.contains(flag), "the man page names {flag}");
    }
    assert!(text.contains("lamina-infra-mirror(1)"), "and the commands: {text}");
}
