//! `lamina-infra mirror` and `mirror push` against real peers: the GitHub fake serves the
//! release, a CNCF distribution registry (Debian `docker-registry`) holds its images, put there
//! by skopeo from a small two-platform OCI layout, and skopeo reads back what was mirrored and
//! pushed to prove the digests never change.

use crate::common::{Run, run_lamina_infra};
use lamina_release_format::manifest::Image;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask_dev::github::{GithubFake, Options, SeedRelease};
use xtask_dev::registry::{LocalRegistry, TokenRegistry};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// `created` of the chart index: the manifest's `source_date_epoch` (1 700 000 000).
const CREATED: &str = "2023-11-14T22:13:20Z";

/// `lamina-infra ARGS` against the fake, with `env` set.
fn lamina_infra(fake: &GithubFake, args: &[&str], env: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, OsStr::new(*v))).collect();
    run_lamina_infra(&fake.api_url(), args, &env)
}

/// skopeo with `args`; its stdout, or a panic with its stderr.
fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo").args(args).output().expect("skopeo is on PATH (run `cargo xtask test`)");
    assert!(out.status.success(), "skopeo {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

use crate::common::sha;

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha(bytes))
}

use crate::common::tar;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An OCI image layout being written by a test.
struct Layout(PathBuf);

impl Layout {
    /// Stores a blob; its descriptor.
    fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let dir = self.0.join("blobs/sha256");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(sha(bytes)), bytes).unwrap();
        json!({ "mediaType": media_type, "digest": digest(bytes), "size": bytes.len() })
    }

    fn finish(&self, root: &Value, tag: &str) {
        let mut root = root.clone();
        root["annotations"] = json!({ REF_NAME: tag });
        std::fs::write(self.0.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        std::fs::write(self.0.join("index.json"), json!({ "schemaVersion": 2, "manifests": [root] }).to_string())
            .unwrap();
    }
}

/// What the source registry holds.
struct Published {
    image: String,
    /// `(platform, manifest digest, layer digest)`.
    children: Vec<(String, String, String)>,
    chart_manifest: String,
    chart: Vec<u8>,
}

/// A chart archive as `helm package` lays it out.
fn chart_archive() -> Vec<u8> {
    let chart_yaml = "apiVersion: v2\nname: demo\nversion: 0.2.0\ndescription: A demo chart\nappVersion: \"1.0\"\n";
    gzip(&tar(&[("demo/Chart.yaml", chart_yaml), ("demo/values.yaml", "replicas: 1\n")]))
}

/// Writes a two-platform image and an OCI chart as layouts and copies them into `registry`
/// with skopeo, as `acme/hello:0.2.0` and `acme/charts/demo:0.2.0`.
fn publish(registry: &LocalRegistry) -> Published {
    publish_as(registry, None)
}

/// [`publish`], pushing as `USER:PASSWORD` when given.
fn publish_as(registry: &LocalRegistry, credentials: Option<&str>) -> Published {
    let tmp = tempfile::tempdir().unwrap();
    let image = Layout(tmp.path().join("hello"));
    let mut manifests = Vec::new();
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let layer_tar = tar(&[("hello.txt", &format!("hello from {arch}\n"))]);
        let layer = image.blob("application/vnd.oci.image.layer.v1.tar+gzip", &gzip(&layer_tar));
        let config = json!({
            "architecture": arch, "os": "linux", "config": {},
            "rootfs": { "type": "layers", "diff_ids": [digest(&layer_tar)] },
        });
        let config = image.blob("application/vnd.oci.image.config.v1+json", config.to_string().as_bytes());
        let manifest = json!({ "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer] });
        let mut descriptor = image.blob(OCI_MANIFEST, manifest.to_string().as_bytes());
        children.push((
            format!("linux/{arch}"),
            descriptor["digest"].as_str().unwrap().to_owned(),
            layer["digest"].as_str().unwrap().to_owned(),
        ));
        descriptor["platform"] = json!({ "architecture": arch, "os": "linux" });
        manifests.push(descriptor);
    }
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    let root = image.blob(OCI_INDEX, index.to_string().as_bytes());
    image.finish(&root, "0.2.0");

    let chart = chart_archive();
    let layout = Layout(tmp.path().join("chart"));
    let layer = layout.blob("application/vnd.cncf.helm.chart.content.v1.tar+gzip", &chart);
    let config = json!({ "apiVersion": "v2", "name": "demo", "version": "0.2.0" }).to_string();
    let config = layout.blob("application/vnd.cncf.helm.config.v1+json", config.as_bytes());
    let manifest = json!({ "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer] });
    let chart_root = layout.blob(OCI_MANIFEST, manifest.to_string().as_bytes());
    layout.finish(&chart_root, "0.2.0");

    let host = registry.host();
    for (from, to) in [(&image.0, "acme/hello"), (&layout.0, "acme/charts/demo")] {
        let from = format!("oci:{}:0.2.0", from.display());
        let to = format!("docker://{host}/{to}:0.2.0");
        let creds = credentials.map(|c| format!("--dest-creds={c}"));
        let mut args = vec!["copy", "--all", "--quiet", "--dest-tls-verify=false"];
        args.extend(creds.as_deref());
        skopeo(&[&args[..], &[from.as_str(), to.as_str()]].concat());
    }
    Published {
        image: root["digest"].as_str().unwrap().to_owned(),
        children,
        chart_manifest: chart_root["digest"].as_str().unwrap().to_owned(),
        chart,
    }
}

/// A release's assets: the chart archive, a bundle, the manifest naming the image (at
/// `image_digest`) and the OCI chart in the registry at `host`, and the sums.
fn assets(version: &str, host: &str, image_digest: &str) -> Assets {
    let bundle = gzip(&tar(&[("demo-k8s/ns.yaml", "kind: Namespace\n")]));
    let image = Image {
        name: "hello".into(),
        repository: format!("{host}/acme/hello"),
        tags: vec![version.into(), "latest".into()],
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        digest: Some(image_digest.into()),
    };
    crate::common::release_assets(
        version,
        chart_archive(),
        bundle,
        vec![image],
        Some(format!("{host}/acme/charts/demo:0.2.0")),
        Some("https://acme.github.io/infra-demo"),
    )
}

/// `(name, bytes)` of a release's files.
type Assets = Vec<(String, Vec<u8>)>;

fn github(releases: &[(&str, Assets)]) -> GithubFake {
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    for (version, assets) in releases {
        let seed = SeedRelease {
            tag_name: format!("v{version}"),
            draft: false,
            assets: assets.clone(),
            starter_assets: Vec::new(),
        };
        fake.seed(seed);
    }
    fake
}

use crate::common::listing;

/// Every blob of a layout hashes to its name; the names.
fn blobs_intact(layout: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(sha(&std::fs::read(entry.path()).unwrap()), name, "{}", entry.path().display());
        names.push(format!("sha256:{name}"));
    }
    names
}

fn layout_root(layout: &Path) -> Value {
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0].clone()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn mirror_writes_verified_assets_a_helm_index_and_layouts_skopeo_reads() {
    let registry = LocalRegistry::start(&[]).unwrap();
    let published = publish(&registry);
    let release = assets("0.2.0", &registry.host(), &published.image);
    let fake = github(&[("0.1.0", assets("0.1.0", &registry.host(), &published.image)), ("0.2.0", release.clone())]);
    // The registry seam resolves a tag to the digest the release records (what `verify` checks).
    let host = registry.host();
    let seam = lamina_infra::registry::Registry::new([host.as_str()], None).unwrap();
    assert_eq!(seam.digest(&format!("{host}/acme/hello:0.2.0")).unwrap(), Some(published.image.clone()));
    assert_eq!(seam.digest(&format!("{host}/acme/hello:9.9.9")).unwrap(), None, "no such tag");
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("mirror");
    let run = lamina_infra(&fake, &["mirror", "0.2.0", "--to", to.to_str().unwrap(), "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    // Blobs are not each preceded by a sign-in round trip to a registry that wants none.
    let (blob_gets, sign_ins) = (registry.requests("GET", "/blobs/"), registry.requests("GET", "uri=\"/v2/\""));
    assert_eq!(blob_gets, 6, "two configs, two layers, the chart's config and archive");
    assert!(sign_ins < blob_gets, "{sign_ins} sign-ins for {blob_gets} blobs");
    assert_eq!(report["images"][0]["digest"], published.image.as_str());
    let folder = to.join("v0.2.0");
    for (name, bytes) in &release {
        assert_eq!(&std::fs::read(folder.join(name)).unwrap(), bytes, "{name} byte for byte");
    }

    let index: serde_norway::Value =
        serde_norway::from_slice(&std::fs::read(folder.join("index.yaml")).unwrap()).unwrap();
    assert_eq!(index["apiVersion"], "v1");
    let entry = &index["entries"]["demo"][0];
    assert_eq!(entry["urls"][0], "demo-0.2.0.tgz", "relative URLs");
    assert_eq!(entry["version"], "0.2.0");
    assert_eq!(entry["description"], "A demo chart");
    assert_eq!(entry["digest"], sha(&published.chart).as_str());
    assert_eq!(entry["created"], CREATED);

    let image = folder.join("oci/images/hello");
    let root = layout_root(&image);
    assert_eq!(root["digest"], published.image.as_str());
    assert_eq!(root["annotations"][REF_NAME], "0.2.0");
    let blobs = blobs_intact(&image);
    assert_eq!(blobs.len(), 7, "the index, two manifests, two configs, two layers: {blobs:?}");
    let chart = folder.join("oci/charts/demo");
    assert_eq!(layout_root(&chart)["digest"], published.chart_manifest.as_str());
    assert!(blobs_intact(&chart).contains(&digest(&published.chart)));

    // skopeo reads every layout, whole, with the original digests.
    let copy = dir.path().join("copy");
    for (layout, tag, wanted) in [(&image, "latest", &published.image), (&chart, "0.2.0", &published.chart_manifest)] {
        let raw = skopeo(&["inspect", "--raw", &format!("oci:{}:{tag}", layout.display())]);
        assert_eq!(&digest(&raw), wanted, "{}", layout.display());
        let from = format!("oci:{}:{tag}", layout.display());
        skopeo(&["copy", "--all", "--quiet", &from, &format!("oci:{}:{tag}", copy.display())]);
    }
    for (_, child, _) in &published.children {
        assert!(blobs.contains(child));
    }

    let held: Value = serde_json::from_slice(&std::fs::read(to.join("mirror.json")).unwrap()).unwrap();
    assert_eq!(held["repository"], "acme/infra-demo");
    assert_eq!(held["releases"][0]["tag_name"], "v0.2.0");
    assert_eq!(held["releases"][0]["assets"].as_array().unwrap().len(), release.len());

    // Again: nothing new is downloaded from the registry, nothing changes.
    let before = (registry.requests("GET", "/blobs/"), listing(&to));
    let again = lamina_infra(&fake, &["mirror", "0.2.0", "--to", to.to_str().unwrap()], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!((registry.requests("GET", "/blobs/"), listing(&to)), before);

    // A layer changed in place, its size kept, is downloaded again: its size never vouches for it.
    let images = to.join("v0.2.0/oci/images");
    let image = std::fs::read_dir(&images).unwrap().next().unwrap().unwrap().path();
    let layer = std::fs::read_dir(image.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read(p).unwrap().starts_with(&[0x1f, 0x8b]))
        .expect("a gzip layer");
    let original = std::fs::read(&layer).unwrap();
    std::fs::write(&layer, vec![b'x'; original.len()]).unwrap();
    let repaired = lamina_infra(&fake, &["mirror", "0.2.0", "--to", to.to_str().unwrap()], &[]);
    assert_eq!(repaired.code, 0, "{}", repaired.stderr);
    assert_eq!(registry.requests("GET", "/blobs/"), before.0 + 1, "exactly the changed layer is read again");
    assert_eq!(std::fs::read(&layer).unwrap(), original);

    // Another release joins the folder; mirror.json lists both, newest first.
    let second = lamina_infra(&fake, &["mirror", "0.1.0", "--to", to.to_str().unwrap()], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let held: Value = serde_json::from_slice(&std::fs::read(to.join("mirror.json")).unwrap()).unwrap();
    let tags: Vec<&str> =
        held["releases"].as_array().unwrap().iter().map(|r| r["tag_name"].as_str().unwrap()).collect();
    assert_eq!(tags.len(), 2);
    assert!(tags.contains(&"v0.1.0") && tags.contains(&"v0.2.0"), "{tags:?}");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn mirror_push_loads_every_layout_into_another_registry_with_the_same_digests() {
    let source = LocalRegistry::start(&[]).unwrap();
    let published = publish(&source);
    let fake = github(&[("0.2.0", assets("0.2.0", &source.host(), &published.image))]);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap();
    let run = lamina_infra(&fake, &["mirror", "--to", to], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Off a terminal, progress is one plain line per transfer.
    assert!(run.stderr.contains("downloading demo-0.2.0.tgz ("), "{}", run.stderr);
    let host = source.host();
    let blobs = format!(" blobs of {host}/acme/hello, {host}/acme/charts/demo (");
    assert!(run.stderr.contains(&blobs), "one line for the downloads of every image and chart: {}", run.stderr);
    drop(source);

    let password = "s3cret-canary";
    let target = LocalRegistry::start(&[("lamina", password)]).unwrap();
    let base = format!("{}/lamina", target.host());
    let refused = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base], &[]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(&format!("the registry {} refused access (401)", target.host())),
        "{}",
        refused.stderr
    );

    let credentials = [("LAMINA_REGISTRY_USERNAME", "lamina"), ("LAMINA_REGISTRY_PASSWORD", password)];
    // A layout the manifest does not list, then a blob changed in place: the folder is checked
    // first, and nothing at all is pushed from it.
    let stray = dir.path().join("v0.2.0/oci/images/stray");
    std::fs::create_dir_all(&stray).unwrap();
    let before = target.requests("PUT", "/");
    let refused = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base], &credentials);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("v0.2.0/oci/images/stray: extra"), "{}", refused.stderr);
    assert!(refused.stderr.contains("nothing was pushed"), "{}", refused.stderr);
    std::fs::remove_dir(&stray).unwrap();
    let hello = dir.path().join("v0.2.0/oci/images/hello/blobs/sha256");
    let blobs = std::fs::read_dir(&hello).unwrap().map(|e| e.unwrap().path());
    let blob = blobs.max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap();
    let original = std::fs::read(&blob).unwrap();
    let mut changed = original.clone();
    changed[0] ^= 1;
    std::fs::write(&blob, &changed).unwrap();
    let damaged = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base], &credentials);
    assert_eq!(damaged.code, 1, "{damaged}");
    assert!(damaged.stderr.contains("changed: hashes to"), "{}", damaged.stderr);
    assert_eq!(target.requests("PUT", "/"), before, "nothing was pushed");
    std::fs::write(&blob, &original).unwrap();

    let pushed = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base, "--version", "0.2.0"], &credentials);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert!(!pushed.stderr.contains(password) && !refused.stderr.contains(password));
    let creds = format!("--creds=lamina:{password}");
    let raw = |reference: &str| digest(&skopeo(&["inspect", "--raw", "--tls-verify=false", &creds, reference]));
    assert_eq!(raw(&format!("docker://{base}/hello:0.2.0")), published.image);
    assert_eq!(raw(&format!("docker://{base}/hello:latest")), published.image);
    for (_, child, _) in &published.children {
        assert_eq!(&raw(&format!("docker://{base}/hello@{child}")), child);
    }
    assert_eq!(raw(&format!("docker://{base}/charts/demo:0.2.0")), published.chart_manifest);
    // Every blob is there: skopeo copies the whole image out again.
    let copy = dir.path().join("copy");
    let from = format!("docker://{base}/hello:0.2.0");
    let src_creds = format!("--src-creds=lamina:{password}");
    skopeo(&[
        "copy",
        "--all",
        "--quiet",
        "--src-tls-verify=false",
        &src_creds,
        &from,
        &format!("oci:{}:x", copy.display()),
    ]);

    let again = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base, "--json"], &credentials);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("(0 blobs uploaded"), "{}", again.stderr);
    let report: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(report["registry"], base.as_str());
    assert_eq!(report["failed"], serde_json::json!([]));
    let pushed: Vec<(&str, &str, u64)> = report["pushed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["target"].as_str().unwrap(), p["digest"].as_str().unwrap(), p["uploaded"].as_u64().unwrap()))
        .collect();
    let (hello, chart) = (format!("{base}/hello"), format!("{base}/charts/demo"));
    assert_eq!(
        pushed,
        [(hello.as_str(), published.image.as_str(), 0), (chart.as_str(), published.chart_manifest.as_str(), 0)]
    );
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_blob_two_images_share_is_downloaded_once_and_copied() {
    let registry = LocalRegistry::start(&[]).unwrap();
    let published = publish(&registry);
    let host = registry.host();
    let (from, to) = (format!("docker://{host}/acme/hello:0.2.0"), format!("docker://{host}/acme/twin:0.2.0"));
    skopeo(&["copy", "--all", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", &from, &to]);
    let image = |name: &str| Image {
        name: name.into(),
        repository: format!("{host}/acme/{name}"),
        tags: vec!["0.2.0".into()],
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        digest: Some(published.image.clone()),
    };
    let release = crate::common::release_assets(
        "0.2.0",
        chart_archive(),
        gzip(&tar(&[("demo-k8s/ns.yaml", "kind: Namespace\n")])),
        vec![image("hello"), image("twin")],
        Some(format!("{host}/acme/charts/demo:0.2.0")),
        None,
    );
    let fake = github(&[("0.2.0", release)]);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap();
    let before = registry.requests("GET", "/blobs/");
    let run = lamina_infra(&fake, &["mirror", "--to", to, "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(registry.requests("GET", "/blobs/") - before, 6, "two configs and two layers once, the chart's two");
    let (hello, twin) = (dir.path().join("v0.2.0/oci/images/hello"), dir.path().join("v0.2.0/oci/images/twin"));
    let sorted = |layout: &Path| {
        let mut blobs = blobs_intact(layout);
        blobs.sort();
        blobs
    };
    let held = (sorted(&hello), sorted(&twin));
    assert_eq!(held.0.len(), 7, "{held:?}");
    assert_eq!(held.0, held.1, "each layout holds every blob of its own");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    for image in report["images"].as_array().unwrap() {
        assert_eq!((&image["blobs"], &image["downloaded"]), (&json!(4), &json!(4)), "{image}");
    }

    // A blob one layout lacks and another holds intact is copied from there, not downloaded.
    let layer = &published.children[0].2;
    std::fs::remove_file(twin.join("blobs/sha256").join(layer.trim_start_matches("sha256:"))).unwrap();
    let before = registry.requests("GET", "/blobs/");
    let again = lamina_infra(&fake, &["mirror", "--to", to, "--json"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(registry.requests("GET", "/blobs/"), before, "nothing downloaded");
    assert_eq!(blobs_intact(&twin).len(), 7);
    let report: Value = serde_json::from_str(&again.stdout).unwrap();
    let downloaded: Vec<&Value> = report["images"].as_array().unwrap().iter().map(|i| &i["downloaded"]).collect();
    assert_eq!(downloaded, [&json!(0), &json!(1)]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_platform_subset_is_mirrored_with_the_index_as_published() {
    let source = LocalRegistry::start(&[]).unwrap();
    let published = publish(&source);
    let fake = github(&[("0.2.0", assets("0.2.0", &source.host(), &published.image))]);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap();
    let run = lamina_infra(&fake, &["mirror", "--to", to, "--platform", "linux/amd64"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let image = dir.path().join("v0.2.0/oci/images/hello");
    assert_eq!(layout_root(&image)["digest"], published.image.as_str());
    let blobs = blobs_intact(&image);
    let (amd64, arm64) = (&published.children[0], &published.children[1]);
    assert!(blobs.contains(&amd64.1) && blobs.contains(&amd64.2), "{blobs:?}");
    assert!(!blobs.contains(&arm64.1) && !blobs.contains(&arm64.2), "{blobs:?}");

    let target = LocalRegistry::start(&[]).unwrap();
    let base = format!("{}/lamina", target.host());
    // The folder checks out: the platforms left out are named, not found wrong.
    let verified = lamina_infra(&fake, &["verify", to], &[]);
    assert_eq!(verified.code, 0, "{verified}");
    assert!(verified.stdout.contains("platforms not mirrored (--platform): linux/arm64"), "{verified}");
    let pushed = lamina_infra(&fake, &["mirror", "push", to, "--registry", &base, "--json"], &[]);
    let report: serde_json::Value = serde_json::from_str(&pushed.stdout).unwrap();
    assert_eq!(report["failed"][0]["target"], format!("{base}/hello"), "{report}");
    assert_eq!(report["pushed"][0]["target"], format!("{base}/charts/demo"), "{report}");
    let amd64_pushed = format!("docker://{base}/hello@{}", amd64.1);
    assert_eq!(digest(&skopeo(&["inspect", "--raw", "--tls-verify=false", &amd64_pushed])), amd64.1);
    // distribution 2.8 refuses an index whose children it lacks: the image is reported, not pushed.
    assert_eq!(pushed.code, 1);
    assert!(pushed.stderr.contains("because the mirror lacks its platforms linux/arm64"), "{}", pushed.stderr);
    assert!(pushed.stderr.contains(&format!("pushed by digest ({})", amd64.1)), "{}", pushed.stderr);
    assert_eq!(
        digest(&skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{base}/charts/demo:0.2.0")])),
        published.chart_manifest
    );
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_tampered_blob_a_wrong_digest_or_no_registry_is_refused_with_nothing_left() {
    let storage = tempfile::tempdir().unwrap();
    let data = storage.path().join("data/docker/registry/v2/blobs/sha256");
    let registry = LocalRegistry::start_with(storage, xtask_dev::registry::Options::default()).unwrap();
    let published = publish(&registry);
    let wrong = format!("sha256:{}", "b".repeat(64));
    let fake = github(&[
        ("0.2.0", assets("0.2.0", &registry.host(), &published.image)),
        ("0.3.0", assets("0.3.0", &registry.host(), &wrong)),
        ("0.4.0", assets("0.4.0", "127.0.0.1:1", &published.image)),
    ]);

    let dir = tempfile::tempdir().unwrap();
    let missing = lamina_infra(&fake, &["mirror", "0.3.0", "--to", dir.path().to_str().unwrap()], &[]);
    assert_eq!(missing.code, 3, "the registry could not give it");
    let reference = format!("{}/acme/hello@{wrong}", registry.host());
    assert!(missing.stderr.contains(&reference) && missing.stderr.contains("(404)"), "{}", missing.stderr);
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "nothing written");

    let closed = lamina_infra(&fake, &["mirror", "0.4.0", "--to", dir.path().to_str().unwrap()], &[]);
    assert_eq!(closed.code, 3, "a registry out of reach");
    assert!(closed.stderr.contains("cannot reach the registry 127.0.0.1:1"), "{}", closed.stderr);
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "nothing written");

    let layer = published.children[1].2.trim_start_matches("sha256:").to_owned();
    let stored = data.join(&layer[..2]).join(&layer).join("data");
    let mut bytes = std::fs::read(&stored).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&stored, bytes).unwrap();
    let tampered = lamina_infra(&fake, &["mirror", "0.2.0", "--to", dir.path().to_str().unwrap()], &[]);
    assert_eq!(tampered.code, 1);
    assert!(
        tampered.stderr.contains(&layer) && tampered.stderr.contains("does not match its digest"),
        "{}",
        tampered.stderr
    );
    assert!(tampered.stderr.contains("release v0.2.0 was not mirrored into"), "{}", tampered.stderr);
    assert!(tampered.stderr.contains("nothing of it was left behind"), "{}", tampered.stderr);
    assert_eq!(listing(dir.path()), Vec::<String>::new(), "nothing written");
}

/// Kills the child process when dropped.
/// ghcr.io's flow for public packages: the registry answers 401 with a Bearer challenge and
/// anonymous clients trade it for a pull token at the realm (the pipeline's token server peer).
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn anonymous_pulls_trade_the_bearer_challenge_for_a_token_like_ghcr() {
    let peers = PathBuf::from(
        std::env::var_os("LAMINA_TEST_PEERS").expect("the token server needs the test peers: run `cargo xtask test`"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let registry = TokenRegistry::start(&peers.join("venv/bin/python"), "pusher:canary-pw-42").unwrap();
    let published = publish_as(&registry, Some("pusher:canary-pw-42"));
    let fake = github(&[("0.2.0", assets("0.2.0", &registry.host(), &published.image))]);
    let to = tmp.path().join("mirror");
    let run = lamina_infra(&fake, &["mirror", "--to", to.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(layout_root(&to.join("v0.2.0/oci/images/hello"))["digest"], published.image.as_str());
    assert_eq!(blobs_intact(&to.join("v0.2.0/oci/images/hello")).len(), 7);
    assert_eq!(registry.requests("GET", "/blobs/"), 6, "each blob once, with the token");
}

#[test]
fn mirror_needs_a_folder_and_push_a_registry() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_lamina-infra")).args(args).output().unwrap();
    let out = run(&["mirror", "0.2.0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to <DIR>"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["mirror", "push", "dir"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--registry <HOST/NAMESPACE>"));
    let out = run(&["mirror", "push", "/nonexistent", "--registry", "127.0.0.1:1/x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("mirror.json` is missing"));
    // A mirror is not mirrored again from itself: that would need the network `--mirror` forbids.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mirror.json"), r#"{"repository": "acme/infra-demo", "releases": []}"#).unwrap();
    let from = dir.path().to_str().unwrap();
    let out = run(&["--repo", "acme/infra-demo", "--mirror", from, "mirror", "0.2.0", "--to", from]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("copy that folder instead"), "{stderr}");
}
