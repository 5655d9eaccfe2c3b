//! The user's signature policy: an unsigned release is shown as unsigned, but every command that
//! uses it refuses it, writing nothing, unless `--allow-unsigned` (then with a warning), and
//! `verify` fails its line; a release signed by another workflow is refused unless
//! `--signer-workflow` names that workflow.

use crate::common::run_lamina_infra;
use lamina_release_format::provenance::{self, Run};
use std::ffi::OsStr;
use std::path::PathBuf;
use xtask_dev::github::{GithubFake, Options, SeedRelease};
use xtask_dev::sigstore::{Sigstore, github_token};

/// A public repository's fake with release `tag` holding `assets`.
fn fake_with(tag: &str, assets: Vec<(String, Vec<u8>)>) -> GithubFake {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: tag.into(), draft: false, assets, starter_assets: Vec::new() });
    fake
}

#[test]
fn an_unsigned_release_is_refused_unless_allowed() {
    let fake = fake_with("v0.2.0", crate::cli::assets("0.2.0"));
    let strict = [("LAMINA_INFRA_ALLOW_UNSIGNED", OsStr::new("false"))];
    let api = fake.api_url();

    let shown = run_lamina_infra(&api, &["show", "0.2.0"], &strict);
    assert_eq!(shown.code, 0, "show reads it: {shown}");
    assert!(shown.stdout.contains("unsigned: the release has no provenance.sigstore.json"), "{shown}");
    let json = run_lamina_infra(&api, &["show", "0.2.0", "--json"], &strict);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json.stdout).unwrap()["signed_by"], serde_json::Value::Null);

    let to = tempfile::tempdir().unwrap();
    let target = to.path().join("pulled");
    let pull = ["pull", "demo-k8s", "--to", target.to_str().unwrap()];
    let refused = run_lamina_infra(&api, &pull, &strict);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("release v0.2.0 is unsigned"), "{refused}");
    assert!(refused.stderr.contains("pass --allow-unsigned"), "{refused}");
    assert!(!target.exists(), "nothing was written");
    let deploy = ["deploy", "demo", "--dry-run"];
    for args in [&["compat", "0.2.0"][..], &deploy, &["mirror", "0.2.0", "--to", target.to_str().unwrap()]] {
        let refused = run_lamina_infra(&api, args, &strict);
        assert_eq!(refused.code, 1, "{args:?}: {refused}");
        assert!(refused.stderr.contains("is unsigned"), "{args:?}: {refused}");
        assert!(!target.exists(), "nothing was written");
    }
    let verified = run_lamina_infra(&api, &["verify", "0.2.0"], &strict);
    assert_eq!(verified.code, 1, "{verified}");
    assert!(
        verified.stdout.contains("FAIL v0.2.0/provenance.sigstore.json  missing: the release is unsigned"),
        "{verified}"
    );

    let mut allowed = pull.to_vec();
    allowed.push("--allow-unsigned");
    let pulled = run_lamina_infra(&api, &allowed, &strict);
    assert_eq!(pulled.code, 0, "{pulled}");
    assert!(pulled.stderr.contains("warning: release v0.2.0 is unsigned"), "{pulled}");
    assert!(target.join("demo-k8s-0.2.0").is_dir());
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn another_workflow_s_signature_is_accepted_only_when_named() {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("LAMINA_TEST_PEERS"));
    let sigstore = Sigstore::start(&peers).unwrap();
    let mut assets = crate::cli::assets("0.2.0");
    let sums = assets.iter().find(|(n, _)| n == "SHA256SUMS").unwrap().1.clone();
    let made = Run {
        server: "https://github.com".into(),
        repository: "acme/infra-demo".into(),
        git_ref: "refs/tags/v0.2.0".into(),
        workflow: ".github/workflows/publish.yml".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    };
    let token = github_token(&made.repository, &made.workflow, &made.git_ref, &made.commit);
    let bundle = crate::signature::attest(&peers, &sigstore, &token, &made, "SHA256SUMS", &sums);
    assets.push((provenance::ASSET.to_owned(), bundle));
    let fake = fake_with("v0.2.0", assets);
    let env = [
        ("LAMINA_SIGSTORE_TRUST_CONFIG", sigstore.trust_config.as_os_str()),
        ("LAMINA_INFRA_ALLOW_UNSIGNED", OsStr::new("false")),
    ];
    let refused = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &env);
    assert_eq!(refused.code, 1, "{refused}");
    let expected =
        "does not verify for https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0";
    assert!(refused.stderr.contains(expected), "{refused}");
    let named = run_lamina_infra(
        &fake.api_url(),
        &["show", "0.2.0", "--signer-workflow", ".github/workflows/publish.yml"],
        &env,
    );
    assert_eq!(named.code, 0, "{named}");
    let identity = "https://github.com/acme/infra-demo/.github/workflows/publish.yml@refs/tags/v0.2.0";
    assert!(named.stdout.contains(&format!("signed by {identity} (verified)")), "{named}");
    // `deploy` gets past the signature to its tools (none here).
    let no_tools = tempfile::tempdir().unwrap();
    let mut deploy_env = env.to_vec();
    deploy_env.push(("PATH", no_tools.path().as_os_str()));
    let workflow = ["--signer-workflow", ".github/workflows/publish.yml"];
    let deploy =
        run_lamina_infra(&fake.api_url(), &[&["deploy", "demo", "--dry-run"][..], &workflow].concat(), &deploy_env);
    assert!(deploy.stderr.contains("`helm` is not installed here"), "{deploy}");
    for wrong in ["../release.yml", ".github/workflows/x.yml@refs/heads/main", "release.yml"] {
        let refused = run_lamina_infra(&fake.api_url(), &["show", "0.2.0", "--signer-workflow", wrong], &env);
        assert_eq!(refused.code, 2, "{refused}");
        assert!(refused.stderr.contains("is not a workflow file: give `.github/workflows/NAME.yml`"), "{refused}");
    }
}
