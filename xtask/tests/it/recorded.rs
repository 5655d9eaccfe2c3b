//! A release compared with the one recorded in a snapshot, byte for byte, on every channel: each
//! GitHub asset, each registry repository, tag and manifest digest, each file of the Pages branch,
//! each file on the Python index. A change to how releases are made that must leave them as they
//! were is held to it. The servers listen on fixed loopback ports below the ephemeral range, so
//! the hosts and URLs a release records (the manifest, the pinned Compose file, the Helm index)
//! are the same in every run.

use crate::packages::{add_package, path_with_maturin};
use crate::pyindex::{PASSWORD, USER, add_python_index, credentials, refs};
use crate::release::World;
use crate::support::{git_in, peers};
use sha2::{Digest, Sha256};
use xtask_dev::github::Options;
use xtask_dev::pypi::PypiServer;

/// The GitHub fake's API port; its upload host, the registry and the Python index take the next
/// three.
const PORT: u16 = 21870;

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_release_is_the_recorded_one_byte_for_byte_on_every_channel() {
    let peers = peers("pypiserver, maturin, buildah, the registry and Helm");
    let world = World::at(Options { port: PORT, ..Options::default() }, PORT + 2);
    add_package(&world.repo, "0.2.0");
    let server = PypiServer::start_on(&peers.join("venv"), &[(USER, PASSWORD)], PORT + 3).unwrap();
    add_python_index(&world, &server);
    let path = path_with_maturin();
    let env = credentials(&world, &path);
    world.xtask(&["release", "--builder", "buildah"], &refs(&env)).ok();

    let mut out = String::from("github:\n");
    for release in world.github.releases() {
        let body = sha256(release.body.unwrap_or_default().as_bytes());
        out.push_str(&format!(
            "  {} draft={} prerelease={} body={body}\n",
            release.tag_name, release.draft, release.prerelease
        ));
        let mut assets = release.assets;
        assets.sort_by(|a, b| a.name.cmp(&b.name));
        for a in assets {
            out.push_str(&format!("    {} {} {} {}\n", a.name, a.content_type, a.bytes.len(), sha256(&a.bytes)));
        }
    }
    out.push_str("registry:\n");
    let registry = format!("http://{}/v2", world.registry.host());
    let catalog = get(&format!("{registry}/_catalog"), "application/json");
    let catalog: serde_json::Value = serde_json::from_slice(&catalog).unwrap();
    for repository in catalog["repositories"].as_array().unwrap() {
        let repository = repository.as_str().unwrap();
        let tags = get(&format!("{registry}/{repository}/tags/list"), "application/json");
        let tags: serde_json::Value = serde_json::from_slice(&tags).unwrap();
        let mut tags: Vec<&str> = tags["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        tags.sort();
        for tag in tags {
            let accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
            let manifest = get(&format!("{registry}/{repository}/manifests/{tag}"), accept);
            out.push_str(&format!("  {repository}:{tag} sha256:{}\n", sha256(&manifest)));
        }
    }
    out.push_str("pages:\n");
    for line in git_in(&world.pages, &["ls-tree", "-r", "gh-pages"]).lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str("python index:\n");
    for file in server.files() {
        let bytes = std::fs::read(server.packages.join(&file)).unwrap();
        out.push_str(&format!("  {file} {} {}\n", bytes.len(), sha256(&bytes)));
    }
    crate::support::snapshot_settings(None).bind(|| insta::assert_snapshot!("release_byte_for_byte", out));
}

/// The body of a GET that must succeed.
fn get(url: &str, accept: &str) -> Vec<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new().get(url).header("accept", accept).send().await.unwrap();
        assert!(response.status().is_success(), "GET {url}: {}", response.status());
        response.bytes().await.unwrap().to_vec()
    })
}
