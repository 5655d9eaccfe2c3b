//! The consumer CLI, `lamina-infra`, against what a user would script instead, both served on
//! loopback: `pull` (bundles of a release from the GitHub fake) against `curl` and `sha256sum -c`,
//! and `mirror` (the images of a release from a CNCF distribution registry into OCI layouts)
//! against `skopeo copy --all` once per image. Each run starts from empty folders (and an empty
//! download cache), so every run downloads everything. The releases here carry no signature (the
//! peers check none either), so `lamina-infra` runs with `--allow-unsigned`.

use crate::github::{GithubFake, Options, SeedRelease};
use crate::registry::LocalRegistry;
use anyhow::{Context, bail};
use lamina_release_format::manifest::{Component, ComponentKind, Image, ReleaseManifest, SCHEMA_VERSION};
use lamina_release_format::{MANIFEST, SUMS, sums};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use xtask::shell::{Shell, cmd};

/// The release every benchmark here reads.
const VERSION: &str = "1.0.0";
/// The bundles `pull` fetches: `(name, MiB of incompressible content)`.
const BUNDLES: [(&str, usize); 3] = [("lamina-k8s", 4), ("lamina-compose", 4), ("lamina-terraform", 4)];
/// The images `mirror` copies; each has these platforms, each platform these layers (MiB).
const IMAGES: [&str; 3] = ["api", "worker", "gateway"];
const PLATFORMS: [&str; 2] = ["amd64", "arm64"];
const LAYERS_MIB: [usize; 3] = [1, 2, 4];

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Runs of each side: these take a fraction of a second, so more of them than elsewhere.
pub const RUNS: usize = 9;

/// `target/release/lamina-infra`, beside this binary.
fn consumer() -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("lamina-infra");
    if !path.exists() {
        bail!(
            "`{}` is missing; build it with `cargo build --release --package lamina-infra`, or run `cargo xtask bench` from a debug build, which builds it",
            path.display()
        );
    }
    Ok(path)
}

/// Ours: `lamina-infra pull` of three bundles (downloaded, verified against `SHA256SUMS`, the
/// manifest and GitHub's digest, extracted). Peer: one `curl` per file, as a user's script runs
/// it, then `sha256sum -c --ignore-missing SHA256SUMS` (no extraction).
pub fn pull(sh: &Shell) -> anyhow::Result<(String, Duration, Duration)> {
    let lamina_infra = consumer()?;
    let tmp = tempfile::tempdir()?;
    let mut assets = Vec::new();
    let mut components = Vec::new();
    for (seed, (name, mib)) in (1..).zip(BUNDLES) {
        let top = format!("{name}-{VERSION}");
        let files = [
            (format!("{top}/README.md"), format!("# {name} {VERSION}\n").into_bytes()),
            (format!("{top}/payload.bin"), random(seed, mib << 20)),
        ];
        let file = format!("{name}-{VERSION}.tar.gz");
        let bytes = targz(&files)?;
        components.push(component(name, ComponentKind::Manifests, &file, &bytes));
        assets.push((file, bytes));
    }
    let fake = release(assets.clone(), components, Vec::new())?;
    let names: &[&str] = &BUNDLES.map(|(n, _)| n);
    let api = fake.api_url();

    let base = format!("{api}/acme/infra-demo/releases/download/v{VERSION}");
    let mut files: Vec<String> = assets.iter().map(|(f, _)| f.clone()).collect();
    files.push(SUMS.to_owned());
    let ours = || {
        let run = tempfile::tempdir_in(tmp.path())?;
        let (cache, to) = (run.path().join("cache"), run.path().join("pulled"));
        let start = Instant::now();
        cmd!(
            sh,
            "{lamina_infra} --repo acme/infra-demo --allow-unsigned pull {names...} --version {VERSION} --to {to}"
        )
        .env("GITHUB_API_URL", &api)
        .env("LAMINA_INFRA_CACHE", &cache)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .quiet()
        .ignore_stderr()
        .run()
        .context("lamina-infra pull")?;
        let elapsed = start.elapsed();
        for (name, _) in BUNDLES {
            let payload = to.join(format!("{name}-{VERSION}/payload.bin"));
            if !payload.is_file() {
                bail!("lamina-infra pull left no `{}`", payload.display());
            }
        }
        Ok(elapsed)
    };
    let peer = || {
        let run = tempfile::tempdir_in(tmp.path())?;
        let _dir = sh.push_dir(run.path());
        let start = Instant::now();
        for file in &files {
            let url = format!("{base}/{file}");
            cmd!(sh, "curl -fsS -o {file} {url}").quiet().run().context("curl")?;
        }
        cmd!(sh, "sha256sum -c --ignore-missing --quiet {SUMS}").quiet().run().context("sha256sum -c")?;
        Ok(start.elapsed())
    };
    let (ours, peer) = in_turns(ours, peer)?;
    let mib: usize = BUNDLES.iter().map(|(_, m)| m).sum();
    let name = format!(
        "pull: {} bundles, {mib} MiB, verified + extracted (peer: curl ×{}, sha256sum -c; no extraction)",
        BUNDLES.len(),
        files.len()
    );
    Ok((name, ours, peer))
}

/// Ours: `lamina-infra mirror` of a release listing three two-platform images (and only three
/// tiny assets: a bundle, the manifest, `SHA256SUMS`). Peer: `skopeo copy --all` of each image by
/// digest into an OCI layout, one after the other.
pub fn mirror(sh: &Shell) -> anyhow::Result<(String, Duration, Duration)> {
    let lamina_infra = consumer()?;
    let tmp = tempfile::tempdir()?;
    let registry = LocalRegistry::start(&[])?;
    let host = registry.host();
    let mut images = Vec::new();
    for (i, name) in (0u64..).zip(IMAGES) {
        let layout = tmp.path().join("layouts").join(name);
        let digest = image_layout(&layout, 100 * (i + 1))?;
        let (from, to) =
            (format!("oci:{}:{VERSION}", layout.display()), format!("docker://{host}/acme/{name}:{VERSION}"));
        cmd!(sh, "skopeo copy --all --quiet --dest-tls-verify=false {from} {to}")
            .quiet()
            .run()
            .context("seed the registry")?;
        images.push(Image {
            name: name.to_owned(),
            repository: format!("{host}/acme/{name}"),
            tags: vec![VERSION.to_owned()],
            platforms: PLATFORMS.iter().map(|a| format!("linux/{a}")).collect(),
            digest: Some(digest),
        });
    }
    let notes = ("notes-1.0.0.tar.gz".to_owned(), targz(&[("notes-1.0.0/README.md".to_owned(), b"notes\n".to_vec())])?);
    let components = vec![component("notes", ComponentKind::Manifests, &notes.0, &notes.1)];
    let fake = release(vec![notes], components, images.clone())?;
    let api = fake.api_url();

    let ours = || {
        let run = tempfile::tempdir_in(tmp.path())?;
        let to = run.path().join("mirror");
        let start = Instant::now();
        cmd!(sh, "{lamina_infra} --repo acme/infra-demo --allow-unsigned mirror {VERSION} --to {to}")
            .env("GITHUB_API_URL", &api)
            .env("LAMINA_INFRA_CACHE", run.path().join("cache"))
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("LAMINA_REGISTRY_USER")
            .env_remove("LAMINA_REGISTRY_PASSWORD")
            .quiet()
            .ignore_stderr()
            .run()
            .context("lamina-infra mirror")?;
        let elapsed = start.elapsed();
        for image in &images {
            let digest = image.digest.as_deref().unwrap_or_default();
            let index = to.join(format!("v{VERSION}/oci/images/{}/index.json", image.name));
            let text = std::fs::read_to_string(&index)
                .with_context(|| format!("lamina-infra mirror left no `{}`", index.display()))?;
            if !text.contains(digest) {
                bail!("`{}` does not point at {digest}", index.display());
            }
        }
        Ok(elapsed)
    };
    let peer = || {
        let run = tempfile::tempdir_in(tmp.path())?;
        let start = Instant::now();
        for image in &images {
            let digest = image.digest.as_deref().unwrap_or_default();
            let from = format!("docker://{}@{digest}", image.repository);
            let to = format!("oci:{}:{VERSION}", run.path().join(&image.name).display());
            cmd!(sh, "skopeo copy --all --quiet --src-tls-verify=false {from} {to}")
                .quiet()
                .run()
                .context("skopeo copy")?;
        }
        Ok(start.elapsed())
    };
    let (ours, peer) = in_turns(ours, peer)?;
    let mib = IMAGES.len() * PLATFORMS.len() * LAYERS_MIB.iter().sum::<usize>();
    let name = format!(
        "mirror: {} images × {} platforms × {} layers, {mib} MiB (+3 tiny assets; peer: skopeo copy --all ×{})",
        IMAGES.len(),
        PLATFORMS.len(),
        LAYERS_MIB.len(),
        IMAGES.len()
    );
    Ok((name, ours, peer))
}

/// The medians of `ours` and `peer` over [`RUNS`] runs each, taken in turns, so that both see
/// the same load when the machine is shared.
fn in_turns(
    mut ours: impl FnMut() -> anyhow::Result<Duration>,
    mut peer: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<(Duration, Duration)> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        a.push(ours()?);
        b.push(peer()?);
    }
    a.sort();
    b.sort();
    Ok((a[RUNS / 2], b[RUNS / 2]))
}

/// The GitHub fake, public, holding release `v1.0.0` with `assets`, the manifest listing
/// `components` and `images`, and `SHA256SUMS`.
fn release(
    mut assets: Vec<(String, Vec<u8>)>,
    components: Vec<Component>,
    images: Vec<Image>,
) -> anyhow::Result<GithubFake> {
    let manifest = ReleaseManifest {
        schema_version: SCHEMA_VERSION,
        repository: "acme/infra-demo".into(),
        version: VERSION.into(),
        tag: format!("v{VERSION}"),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        source_date_epoch: 1_700_000_000,
        components,
        images,
        charts: Vec::new(),
    };
    assets.push((MANIFEST.to_owned(), serde_json::to_vec_pretty(&manifest)?));
    let listed: Vec<(String, String)> = assets.iter().map(|(n, b)| (n.clone(), sha(b))).collect();
    assets.push((SUMS.to_owned(), sums::render(&listed).into_bytes()));
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() })?;
    fake.seed(SeedRelease { tag_name: format!("v{VERSION}"), draft: false, assets, starter_assets: Vec::new() });
    Ok(fake)
}

fn component(name: &str, kind: ComponentKind, file: &str, bytes: &[u8]) -> Component {
    Component {
        name: name.into(),
        kind,
        version: VERSION.into(),
        file: file.into(),
        size: bytes.len() as u64,
        sha256: sha(bytes),
        target: None,
        modules: Vec::new(),
        compose: None,
    }
}

/// Writes a two-platform image (each platform [`LAYERS_MIB`] layers of incompressible data, no
/// layer shared) as an OCI layout at `dir`, tagged [`VERSION`]; the digest of its index.
fn image_layout(dir: &Path, seed: u64) -> anyhow::Result<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let blob = |media_type: &str, bytes: &[u8]| -> anyhow::Result<Value> {
        let hex = sha(bytes);
        std::fs::write(blobs.join(&hex), bytes)?;
        Ok(json!({ "mediaType": media_type, "digest": format!("sha256:{hex}"), "size": bytes.len() }))
    };
    let mut manifests = Vec::new();
    for (p, arch) in (0u64..).zip(PLATFORMS) {
        let (mut layers, mut diff_ids) = (Vec::new(), Vec::new());
        for (l, mib) in (0u64..).zip(LAYERS_MIB) {
            let content = random(seed + 10 * p + l, mib << 20);
            let tar = tarball(&[(format!("layer{l}/data.bin"), content)])?;
            diff_ids.push(format!("sha256:{}", sha(&tar)));
            layers.push(blob(OCI_LAYER, &gzip(&tar)?)?);
        }
        let config = json!({
            "architecture": arch, "os": "linux", "config": {},
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        });
        let config = blob(OCI_CONFIG, config.to_string().as_bytes())?;
        let manifest = json!({ "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers });
        let mut descriptor = blob(OCI_MANIFEST, manifest.to_string().as_bytes())?;
        descriptor["platform"] = json!({ "architecture": arch, "os": "linux" });
        manifests.push(descriptor);
    }
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    let mut root = blob(OCI_INDEX, index.to_string().as_bytes())?;
    let digest = root["digest"].as_str().unwrap_or_default().to_owned();
    root["annotations"] = json!({ REF_NAME: VERSION });
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    std::fs::write(dir.join("index.json"), json!({ "schemaVersion": 2, "manifests": [root] }).to_string())?;
    Ok(digest)
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `len` bytes of xorshift output: the same for a seed, and incompressible, as payloads are.
fn random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A `.tar` of `(path, content)` files.
fn tarball(files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_path(path)?;
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append(&header, content.as_slice())?;
    }
    Ok(builder.into_inner()?)
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn targz(files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    gzip(&tarball(files)?)
}
