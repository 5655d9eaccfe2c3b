//! A release's provenance bundle, made by the independent signer (PyPI `sigstore attest`) against
//! the loopback Sigstore, verified offline by lamina-infra's verifier for the release workflow of
//! the repository and tag asked for; another repository, tag or `SHA256SUMS`, a changed bundle,
//! or another trusted root, refused. A signed release published on GitHub is shown as signed by
//! its workflow, and refused when its bundle does not verify.

use crate::common::run_lamina_infra;
use lamina_infra::signature;
use lamina_release_format::SUMS;
use lamina_release_format::provenance::{self, Run};
use std::path::{Path, PathBuf};
use xtask_dev::sigstore::{Sigstore, github_token};

pub(crate) fn run(repository: &str, tag: &str) -> Run {
    Run {
        server: "https://github.com".into(),
        repository: repository.into(),
        git_ref: format!("refs/tags/{tag}"),
        workflow: ".github/workflows/release.yml".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_provenance_bundle_verifies_offline_for_the_workflow_and_tag_asked_for() {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("LAMINA_TEST_PEERS"));
    let sigstore = Sigstore::start(&peers).unwrap();
    let work = tempfile::tempdir().unwrap();
    let sums_path = work.path().join("SHA256SUMS");
    let sums = format!("{}  demo-0.2.0.tgz\n", "a".repeat(64));
    std::fs::write(&sums_path, &sums).unwrap();
    let made = run("acme/infra-demo", "v0.2.0");
    let bundle = attested(&peers, &sigstore, sums.as_bytes(), "v0.2.0");
    let bundle_path = work.path().join(provenance::ASSET);
    std::fs::write(&bundle_path, &bundle).unwrap();
    std::fs::copy(&sigstore.trust_config, work.path().join("trust-config.json")).unwrap();
    let root = signature::trusted_root(&sigstore.trust_config).unwrap();
    drop(sigstore); // offline from here on

    // The independent verifier accepts the bundle for the same identity.
    let identity = made.identity();
    let checked = std::process::Command::new(peers.join("venv/bin/sigstore"))
        .arg("--trust-config")
        .arg(work.path().join("trust-config.json"))
        .args(["verify", "identity", "--cert-identity", &identity, "--cert-oidc-issuer", provenance::ISSUER])
        .arg("--bundle")
        .arg(&bundle_path)
        .arg(&sums_path)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));

    let signed = signature::verify(&bundle, sums.as_bytes(), &made.identity(), &root).unwrap();
    assert_eq!(signed.identity, "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0");
    assert!(signed.statement.covers("SHA256SUMS", &lamina_remote::digest::sha256_hex(sums.as_bytes())));

    let refused = |bundle: &[u8], sums: &str, expected: &Run| {
        format!("{:#}", signature::verify(bundle, sums.as_bytes(), &expected.identity(), &root).unwrap_err())
    };
    let other_repository = refused(&bundle, &sums, &run("evil/infra-demo", "v0.2.0"));
    assert!(other_repository.contains("does not verify for https://github.com/evil/infra-demo/"), "{other_repository}");
    let other_tag = refused(&bundle, &sums, &run("acme/infra-demo", "v0.3.0"));
    assert!(other_tag.contains("does not verify for"), "{other_tag}");
    let other_sums = refused(&bundle, &sums.replace('a', "b"), &made);
    assert!(other_sums.contains("does not name `SHA256SUMS`"), "{other_sums}");
    // One byte of the signature changed.
    let mut json: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    let sig = json["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('M') { sig.replacen('M', "N", 1) } else { sig.replacen(&sig[..1], "M", 1) };
    json["dsseEnvelope"]["signatures"][0]["sig"] = flipped.into();
    let changed = refused(&serde_json::to_vec(&json).unwrap(), &sums, &made);
    assert!(changed.contains("does not verify"), "{changed}");
    // Another Sigstore's trusted root (fresh keys) does not vouch for it.
    let other = Sigstore::start(&peers).unwrap();
    let other_root = signature::trusted_root(&other.trust_config).unwrap();
    let foreign =
        format!("{:#}", signature::verify(&bundle, sums.as_bytes(), &made.identity(), &other_root).unwrap_err());
    assert!(foreign.contains("does not verify"), "{foreign}");
}

/// `sums` signed by the release workflow of acme/infra-demo at `tag`, as a provenance bundle.
pub(crate) fn attested(peers: &Path, sigstore: &Sigstore, sums: &[u8], tag: &str) -> Vec<u8> {
    let made = run("acme/infra-demo", tag);
    let token = github_token(&made.repository, &made.workflow, &made.git_ref, &made.commit);
    attest(peers, sigstore, &token, &made, SUMS, sums)
}

/// `bytes`, the statement's subject `name`, attested with the provenance of `made` by PyPI
/// `sigstore attest` with the OIDC `token`, as a bundle.
pub(crate) fn attest(peers: &Path, sigstore: &Sigstore, token: &str, made: &Run, name: &str, bytes: &[u8]) -> Vec<u8> {
    let work = tempfile::tempdir().unwrap();
    let subject = work.path().join(name);
    std::fs::write(&subject, bytes).unwrap();
    let predicate = work.path().join("predicate.json");
    std::fs::write(&predicate, serde_json::to_vec(&provenance::statement(made, &[], &[]).predicate).unwrap()).unwrap();
    let bundle = work.path().join(provenance::ASSET);
    let out = std::process::Command::new(peers.join("venv/bin/sigstore"))
        .arg("--trust-config")
        .arg(&sigstore.trust_config)
        .args(["attest", "--predicate-type", provenance::PREDICATE_TYPE, "--identity-token", token])
        .arg("--predicate")
        .arg(&predicate)
        .arg("--bundle")
        .arg(&bundle)
        .arg(&subject)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stderr), sigstore.log());
    std::fs::read(&bundle).unwrap()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_signed_release_is_shown_signed_by_its_workflow_and_a_bundle_that_fails_is_refused() {
    use xtask_dev::github::{GithubFake, Options, SeedRelease};
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("LAMINA_TEST_PEERS"));
    let sigstore = Sigstore::start(&peers).unwrap();
    let mut assets = crate::cli::assets("0.2.0");
    let sums = assets.iter().find(|(n, _)| n == "SHA256SUMS").unwrap().1.clone();
    let bundle = attested(&peers, &sigstore, &sums, "v0.2.0");
    // Release 0.1.0 carries a bundle made for another tag: a replay.
    let mut replayed = crate::cli::assets("0.1.0");
    let sums_0_1 = replayed.iter().find(|(n, _)| n == "SHA256SUMS").unwrap().1.clone();
    replayed.push((provenance::ASSET.to_owned(), attested(&peers, &sigstore, &sums_0_1, "v0.2.0")));
    assets.push((provenance::ASSET.to_owned(), bundle));
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    for (tag, assets) in [("v0.1.0", replayed), ("v0.2.0", assets)] {
        fake.seed(SeedRelease { tag_name: tag.into(), draft: false, assets, starter_assets: Vec::new() });
    }
    let trust = [("LAMINA_SIGSTORE_TRUST_CONFIG", sigstore.trust_config.as_os_str())];

    let shown = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &trust);
    assert_eq!(shown.code, 0, "{shown}");
    let identity = "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0";
    assert!(shown.stdout.contains(&format!("signed by {identity} (verified)")), "{shown}");
    let json = run_lamina_infra(&fake.api_url(), &["show", "0.2.0", "--json"], &trust);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["signed_by"], identity);
    let to = tempfile::tempdir().unwrap();
    let pulled = run_lamina_infra(&fake.api_url(), &["pull", "demo-k8s", "--to", to.path().to_str().unwrap()], &trust);
    assert_eq!(pulled.code, 0, "{pulled}");
    // `verify VERSION` gives the bundle its own line (its images' registry is out of reach here).
    let verified = run_lamina_infra(&fake.api_url(), &["verify", "0.2.0"], &trust);
    let line = verified.stdout.lines().find(|l| l.contains("v0.2.0/provenance.sigstore.json")).unwrap_or_default();
    assert!(line.contains(&format!("signed by {identity} (verified)")) && !line.contains("FAIL"), "{verified}");
    let replayed = run_lamina_infra(&fake.api_url(), &["verify", "0.1.0"], &trust);
    assert!(replayed.stdout.contains("FAIL v0.1.0/provenance.sigstore.json"), "{replayed}");

    // A bundle signed for v0.2.0 on release v0.1.0, any bundle checked against Sigstore's
    // public-good root, or against another Sigstore: refused, naming the bundle.
    let replay = run_lamina_infra(&fake.api_url(), &["show", "0.1.0"], &trust);
    assert_eq!(replay.code, 1, "{replay}");
    assert!(replay.stderr.contains("`provenance.sigstore.json` of release v0.1.0"), "{replay}");
    let public_good = run_lamina_infra(&fake.api_url(), &["show", "0.2.0"], &[]);
    assert_eq!(public_good.code, 1, "{public_good}");
    assert!(public_good.stderr.contains("--trust-config"), "{public_good}");
    let other = Sigstore::start(&peers).unwrap();
    let other_trust = [("LAMINA_SIGSTORE_TRUST_CONFIG", other.trust_config.as_os_str())];
    let foreign =
        run_lamina_infra(&fake.api_url(), &["pull", "demo-k8s", "--to", to.path().to_str().unwrap()], &other_trust);
    assert_eq!(foreign.code, 1, "{foreign}");
    assert!(foreign.stderr.contains("does not verify"), "{foreign}");
}
