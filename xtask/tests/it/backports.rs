//! A backport never moves a floating tag or GitHub's "latest" backwards: `v0.2.0`, then `v0.1.1`,
//! then `v0.2.1`, released against the real registry and the GitHub fake.

use crate::release::World;
use crate::support::{run, tool};
use std::path::Path;
use xtask_dev::github::Options;

/// The digest the registry serves for `hello:{tag}`, read with skopeo.
fn tag_digest(world: &World, tag: &str) -> String {
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let reference = format!("docker://{}/acme/hello:{tag}", world.registry.host());
    let raw = run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &reference], Path::new("/"), &[]);
    format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(raw.as_bytes())))
}

/// The image digest the release of `version` recorded in its manifest.
fn released_digest(world: &World, version: &str) -> String {
    let text = std::fs::read(world.repo.out(version).join("release-manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&text).unwrap();
    manifest["images"][0]["digest"].as_str().unwrap().to_owned()
}

/// Bumps, commits and tags `version`.
fn prepare(world: &World, version: &str) {
    world.repo.xtask(&["bump", version, "--date", "2026-02-01"]).ok();
    world.repo.write(".gitignore", "/target/\n");
    world.repo.commit(&format!("release {version}"));
    world.repo.git(&["tag", &format!("v{version}")]);
}

fn make_latest(world: &World, tag: &str) -> Option<String> {
    world.github.releases().into_iter().find(|r| r.tag_name == tag).and_then(|r| r.make_latest)
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_backport_keeps_latest_and_its_major_on_the_highest_release() {
    let world = World::new(Options::default());
    world.release().ok();
    let v020 = released_digest(&world, "0.2.0");

    prepare(&world, "0.1.1");
    // dry-run with credentials says what the release will do, and why.
    let preview = world.xtask(&["dry-run", "--builder", "buildah"], &[]).ok();
    let kept = preview.stdout.lines().find(|l| l.contains("acme/hello:latest")).unwrap_or_default().to_owned();
    assert!(kept.contains("keep") && kept.contains("0.2.0 is published and higher than 0.1.1"), "{}", preview.stdout);
    assert!(preview.stdout.contains("not latest: 0.2.0 is published and higher"), "{}", preview.stdout);
    let moved = preview.stdout.lines().find(|l| l.contains("acme/hello:0.1 ")).unwrap_or_default().to_owned();
    assert!(moved.contains("create"), "{}", preview.stdout);

    world.release().ok();
    let v011 = released_digest(&world, "0.1.1");
    assert_ne!(v011, v020);
    for (tag, want) in [("latest", &v020), ("0", &v020), ("0.2", &v020), ("0.1", &v011), ("0.1.1", &v011)] {
        assert_eq!(&tag_digest(&world, tag), want, "tag {tag} after the backport");
    }
    assert_eq!(make_latest(&world, "v0.1.1").as_deref(), Some("false"), "GitHub's latest stays on v0.2.0");
    let manifest = std::fs::read_to_string(world.repo.out("0.1.1").join("release-manifest.json")).unwrap();
    assert!(!manifest.contains("\"latest\""), "the manifest records only the tags the release moved: {manifest}");
    world.xtask(&["verify"], &[]).ok();

    // The next release of the highest line moves everything to itself.
    prepare(&world, "0.2.1");
    world.release().ok();
    let v021 = released_digest(&world, "0.2.1");
    for tag in ["latest", "0", "0.2", "0.2.1"] {
        assert_eq!(tag_digest(&world, tag), v021, "tag {tag} after 0.2.1");
    }
    assert_eq!(tag_digest(&world, "0.1"), v011);
    assert_eq!(make_latest(&world, "v0.2.1").as_deref(), Some("true"));
}
