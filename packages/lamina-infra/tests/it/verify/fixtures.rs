//! Fixtures of the `verify` tests: release assets as the pipeline makes them, tiny OCI layouts,
//! and a mirror folder laid out as `lamina-infra mirror` writes it.

use lamina_release_format::manifest::Image;
use serde_json::{Value, json};
use std::path::Path;
use xtask_dev::github::{GithubFake, Options, SeedRelease};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

pub use crate::common::sha;

pub use crate::common::tar;

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a blob into an OCI layout; returns its descriptor.
pub fn blob(layout: &Path, media_type: &str, bytes: &[u8]) -> Value {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(layout.join("blobs/sha256").join(sha(bytes)), bytes).unwrap();
    json!({ "mediaType": media_type, "digest": format!("sha256:{}", sha(bytes)), "size": bytes.len() })
}

/// A one-layer OCI layout in `dir` whose index.json names the manifest as `tag`; returns the
/// manifest's digest.
pub fn layout(dir: &Path, tag: &str, config: (&str, &[u8]), layer: (&str, &[u8])) -> String {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": blob(dir, config.0, config.1),
        "layers": [blob(dir, layer.0, layer.1)],
    });
    let mut descriptor = blob(dir, OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap());
    descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(dir.join("index.json"), json!({ "schemaVersion": 2, "manifests": [descriptor] }).to_string())
        .unwrap();
    descriptor["digest"].as_str().unwrap().to_owned()
}

/// A tiny image holding `hello.txt` with `text`; returns its digest.
pub fn image_layout(dir: &Path, tag: &str, text: &str) -> String {
    let layer = tar(&[("hello.txt", text)]);
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{}", sha(&layer))] },
    });
    let config = serde_json::to_vec(&config).unwrap();
    let config = ("application/vnd.oci.image.config.v1+json", config.as_slice());
    layout(dir, tag, config, ("application/vnd.oci.image.layer.v1.tar+gzip", &gzip(&layer)))
}

pub fn chart_archive(version: &str) -> Vec<u8> {
    gzip(&tar(&[("demo/Chart.yaml", &format!("apiVersion: v2\nname: demo\nversion: {version}\n"))]))
}

pub fn bundle_archive(version: &str) -> Vec<u8> {
    let (namespace, deploy) = (format!("name: demo-{version}\n"), "kind: Deployment\n");
    let top = format!("demo-k8s-{version}");
    gzip(&tar(&[(&format!("{top}/namespace.yaml"), &namespace), (&format!("{top}/apps/deploy.yaml"), deploy)]))
}

/// A release's assets as the pipeline makes them, with `images` in the manifest and `bundle` as
/// the bundle's archive.
pub fn assets(version: &str, images: Vec<Image>, bundle: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let oci = Some(format!("ghcr.io/acme/charts/demo:{version}"));
    crate::common::release_assets(version, chart_archive(version), bundle, images, oci, None)
}

/// [`assets`] of a release whose chart is in the Helm repository served at `pages`.
pub fn assets_on_pages(version: &str, pages: &str) -> Vec<(String, Vec<u8>)> {
    let oci = Some(format!("ghcr.io/acme/charts/demo:{version}"));
    crate::common::release_assets(
        version,
        chart_archive(version),
        bundle_archive(version),
        Vec::new(),
        oci,
        Some(pages),
    )
}

pub fn hello(repository: &str, digest: &str) -> Image {
    Image {
        name: "hello".into(),
        repository: repository.into(),
        tags: vec!["0.2.0".into()],
        platforms: vec!["linux/amd64".into()],
        digest: Some(digest.into()),
    }
}

pub fn start_fake() -> GithubFake {
    GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap()
}

pub fn seed(fake: &GithubFake, version: &str, assets: Vec<(String, Vec<u8>)>) {
    fake.seed(SeedRelease { tag_name: format!("v{version}"), draft: false, assets, starter_assets: Vec::new() });
}

pub const VERSIONS: [&str; 3] = ["0.1.0", "0.2.0", "0.3.0-rc.1"];

/// A mirror of releases 0.1.0, 0.2.0 and the pre-release 0.3.0-rc.1, built by hand as
/// `lamina-infra mirror` lays it out, from the fake's own release JSON. Returns the fake (still
/// serving) and the mirror folder.
pub fn mirror() -> (GithubFake, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let digest = image_layout(scratch.path(), "0.2.0", "hello\n");
    let fake = start_fake();
    let mut files = Vec::new();
    for version in VERSIONS {
        let assets = assets(version, vec![hello("ghcr.io/acme/hello", &digest)], bundle_archive(version));
        seed(&fake, version, assets.clone());
        files.push((version, assets));
    }
    let url = format!("{}/repos/acme/infra-demo/releases", fake.api_url());
    let listed: Value = reqwest::blocking::get(url).unwrap().error_for_status().unwrap().json().unwrap();
    let mirror = json!({ "repository": "acme/infra-demo", "releases": listed });
    for (version, assets) in files {
        let release = dir.path().join(format!("v{version}"));
        std::fs::create_dir_all(&release).unwrap();
        for (name, bytes) in &assets {
            std::fs::write(release.join(name), bytes).unwrap();
        }
        let chart = chart_archive(version);
        let index = format!(
            "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: {version}\n    digest: {}\n    urls:\n    - demo-{version}.tgz\n",
            sha(&chart)
        );
        std::fs::write(release.join("index.yaml"), index).unwrap();
        copy(scratch.path(), &release.join("oci/images/hello"));
        let config = ("application/vnd.cncf.helm.config.v1+json", br#"{"name":"demo"}"#.as_slice());
        let layer = ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", chart.as_slice());
        let charts = release.join("oci/charts/demo");
        std::fs::create_dir_all(&charts).unwrap();
        layout(&charts, version, config, layer);
    }
    std::fs::write(dir.path().join("mirror.json"), serde_json::to_vec_pretty(&mirror).unwrap()).unwrap();
    (fake, dir)
}

pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}
