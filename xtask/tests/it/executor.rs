//! `release` executes the plan's steps, in the plan's order: every image and chart is pushed by
//! digest before any tag moves, so a push that fails half-way leaves no tag pointing at the new
//! release; a rerun finishes.

use crate::release::World;
use crate::support::{RegistryServer, run, tool};
use std::path::Path;
use xtask_dev::github::Options;

/// The steps that only build into the output folder.
const LOCAL: [&str; 5] = ["package-chart", "write-bundle", "build-image", "write-manifest", "write-sums"];

/// Adds a second image, `world`, to the fixture and moves the tag onto that commit.
fn with_two_images(world: &World) {
    let repo = &world.repo;
    repo.write("docker/world/Dockerfile", "FROM scratch\nCOPY world.txt /world.txt\n");
    repo.write("docker/world/world.txt", "a second image\n");
    let config = repo.read("release.toml");
    repo.write(
        "release.toml",
        &format!("{config}\n[[image]]\nname = \"world\"\ncontext = \"docker/world\"\nplatforms = [\"linux/amd64\"]\n"),
    );
    repo.write(".gitignore", "/target/\n");
    repo.commit("a second image");
    repo.git(&["tag", "-f", "v0.2.0"]);
}

/// The tags of `acme/{name}` on the registry (none when the repository has no tag).
fn tags(world: &World, name: &str) -> Vec<String> {
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let reference = format!("docker://{}/acme/{name}", world.registry.host());
    let out =
        std::process::Command::new(skopeo).args(["list-tags", "--tls-verify=false", &reference]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    listed["Tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)).collect()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_failed_second_push_moves_no_tag_of_the_first_and_a_rerun_finishes() {
    let mut world = World::new(Options::default());
    with_two_images(&world);
    // The registry dies as soon as the second image's first blob upload starts.
    let dying = xtask_dev::registry::Options { die_on: Some("/v2/acme/world/blobs/uploads"), ..Default::default() };
    world.registry = RegistryServer::start_with(tempfile::tempdir().unwrap(), dying).unwrap();
    let failed = world.release().fails();
    assert!(failed.stderr.contains("pushing image") && failed.stderr.contains("127.0.0.1"), "{}", failed.stderr);
    let spare = RegistryServer::start(&[]).unwrap();
    world.registry = std::mem::replace(&mut world.registry, spare).restart().unwrap();
    assert_eq!(tags(&world, "hello"), Vec::<String>::new(), "`hello` was pushed by digest only");
    assert_eq!(world.github.writes(), 0, "GitHub is not touched before the images are tagged");

    // The rerun finishes, and runs exactly the remote steps the plan lists, in order.
    let plan = world.xtask(&["dry-run", "--builder", "buildah", "--json"], &[("GITHUB_TOKEN", "")]).ok();
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let planned: Vec<&serde_json::Value> = plan["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !LOCAL.contains(&s["step"].as_str().unwrap()))
        .collect();
    let done = world.xtask(&["release", "--builder", "buildah", "--json"], &[]).ok();
    let done: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let executed: Vec<&serde_json::Value> = done["steps"].as_array().unwrap().iter().collect();
    assert_eq!(executed, planned, "the executed steps are the plan's remote steps");
    let mut hello = tags(&world, "hello");
    hello.sort();
    assert_eq!(hello, ["0", "0.2", "0.2.0", "latest"]);
    assert_eq!(tags(&world, "world").len(), 4);
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let reference = format!("docker://{}/acme/world:latest", world.registry.host());
    run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &reference], Path::new("/"), &[]);
}
