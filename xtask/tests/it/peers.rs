//! Terraform validates the provider-free module from its bundle; buildah builds images.

use crate::support::{TestRepo, peers, run, tool, workspace_copy};
use std::path::Path;

/// The provider-free Terraform module, extracted from its bundle, passes `terraform init`,
/// `validate` and `test` offline; every module in the bundle is `terraform fmt` clean.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn terraform_validates_the_module_from_its_bundle() {
    peers("terraform");
    let terraform = tool("terraform", "install terraform 1.11 from HashiCorp on PATH");
    let repo = workspace_copy();
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let config = xtask::config::parse(&repo.read("release.toml")).unwrap();
    let version = config.version.to_string();
    let bundle =
        config.bundles.iter().find(|b| b.kind == xtask::config::BundleKind::Terraform).expect("a terraform bundle");
    let tmp = tempfile::tempdir().unwrap();
    let file = std::fs::File::open(repo.out(&version).join(format!("{}-{version}.tar.gz", bundle.name))).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(file)).unpack(tmp.path()).unwrap();
    let top = tmp.path().join(format!("{}-{version}", bundle.name));
    let rc = tmp.path().join("terraformrc");
    std::fs::write(&rc, "").unwrap();
    let env = [("TF_CLI_CONFIG_FILE", rc.to_str().unwrap()), ("CHECKPOINT_DISABLE", "1"), ("TF_IN_AUTOMATION", "1")];
    run(&terraform, &["fmt", "-check", "-recursive"], &top, &env);
    let module = top.join("lamina-values");
    assert!(module.join("main.tf").exists(), "the bundle holds the provider-free module");
    run(&terraform, &["init", "-backend=false", "-input=false"], &module, &env);
    let validate = run(&terraform, &["validate", "-json"], &module, &env);
    let report: serde_json::Value = serde_json::from_str(&validate).unwrap();
    assert_eq!(report["valid"], true, "{validate}");
    let test = run(&terraform, &["test"], &module, &env);
    assert!(test.contains("0 failed"), "{test}");
}

/// buildah builds a two-platform FROM-scratch image into an OCI layout whose digests an
/// independent reader (skopeo) agrees with; the build is reproducible.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn buildah_builds_a_two_platform_image_reproducibly() {
    peers("buildah");
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let repo = TestRepo::fixture("minimal");
    let first = repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    assert!(first.stdout.contains("with buildah"), "{}", first.stdout);
    let layout = repo.out("0.2.0").join("images/hello");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(layout.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let manifest: serde_json::Value =
        serde_json::from_str(&repo.read("target/release/v0.2.0/release-manifest.json")).unwrap();
    assert_eq!(manifest["images"][0]["digest"], digest.as_str(), "the manifest records the layout's index digest");

    // skopeo reads the index from the layout; both platforms are there.
    let raw = run(&skopeo, &["inspect", "--raw", &format!("oci:{}", layout.display())], Path::new("/"), &[]);
    let list: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let mut platforms: Vec<String> = list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!("{}/{}", m["platform"]["os"].as_str().unwrap(), m["platform"]["architecture"].as_str().unwrap())
        })
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    let sha =
        xtask::build::sha256_file(&layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap().0;
    assert_eq!(format!("sha256:{sha}"), digest, "the index blob hashes to its digest");

    let second = repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    let again: serde_json::Value =
        serde_json::from_str(&repo.read("target/release/v0.2.0/release-manifest.json")).unwrap();
    assert_eq!(
        again["images"][0]["digest"],
        digest.as_str(),
        "a rebuild gives the same image digest\n{}",
        second.stdout
    );
}
