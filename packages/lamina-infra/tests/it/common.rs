//! What every test of `lamina-infra` starts from: a release's files as the pipeline makes them,
//! the requirement records taken from the pipeline itself.

use lamina_release_format::manifest::{Chart, Component, ComponentKind, Image, ReleaseManifest};
use lamina_release_format::{MANIFEST, SUMS, sums};
use sha2::{Digest, Sha256};

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The assets of release `version` of `acme/infra-demo`: the chart `demo` and the bundle
/// `demo-k8s` (their archives given), the manifest (naming `images`, and the chart's OCI
/// reference `oci`), and `SHA256SUMS` over them.
pub fn release_assets(
    version: &str,
    chart: Vec<u8>,
    bundle: Vec<u8>,
    images: Vec<Image>,
    oci: Option<String>,
    pages: Option<&str>,
) -> Vec<(String, Vec<u8>)> {
    let chart = (format!("demo-{version}.tgz"), chart);
    let bundle = (format!("demo-k8s-{version}.tar.gz"), bundle);
    let component = |name: &str, kind, (file, bytes): &(String, Vec<u8>)| Component {
        name: name.into(),
        kind,
        version: version.into(),
        file: file.clone(),
        size: bytes.len() as u64,
        sha256: sha(bytes),
        target: None,
        modules: Vec::new(),
        compose: None,
    };
    let manifest = ReleaseManifest {
        schema_version: lamina_release_format::manifest::SCHEMA_VERSION,
        repository: "acme/infra-demo".into(),
        version: version.into(),
        tag: format!("v{version}"),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        source_date_epoch: 1_700_000_000,
        components: vec![
            component("demo", ComponentKind::Chart, &chart),
            component("demo-k8s", ComponentKind::Manifests, &bundle),
        ],
        images,
        charts: vec![Chart {
            name: "demo".into(),
            version: version.into(),
            file: chart.0.clone(),
            digest: sha(&chart.1),
            url: format!("https://github.com/acme/infra-demo/releases/download/v{version}/{}", chart.0),
            oci,
            repository: pages.map(str::to_owned),
            kube_version: Some(">=1.27.0-0".into()),
            images: Vec::new(),
        }],
    };
    let manifest = (MANIFEST.to_owned(), serde_json::to_vec_pretty(&manifest).unwrap());
    let files = [chart, bundle, manifest];
    let listed: Vec<(String, String)> = files.iter().map(|(n, b)| (n.clone(), sha(b))).collect();
    let mut all = files.to_vec();
    all.push((SUMS.to_owned(), sums::render(&listed).into_bytes()));
    all
}

/// The component record the pipeline writes for bundle `name` of `kind` holding `files` (its
/// requirements: Terraform modules, the Compose project): a throwaway repository with that one
/// bundle goes through `cargo xtask dry-run`, and the record is read back from its manifest.
pub fn recorded_component(name: &str, kind: ComponentKind, files: &[(&str, &str)]) -> Component {
    let repo = tempfile::tempdir().unwrap();
    let config = format!(
        "[release]\nversion = \"0.2.0\"\nrepository = \"acme/infra-demo\"\n\n[registry]\nbase = \"ghcr.io/acme\"\n\n\
         [[bundle]]\nname = \"{name}\"\nkind = {}\npath = \"bundle\"\n",
        serde_json::to_string(&kind).unwrap()
    );
    let write = |path: &str, text: &str| {
        let path = repo.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("release.toml", &config);
    write("CHANGELOG.md", "# Changelog\n\n## [0.2.0]\n\n- The bundle.\n");
    for (path, text) in files {
        write(&format!("bundle/{path}"), text);
    }
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(repo.path())
            .envs([("GIT_CONFIG_GLOBAL", "/dev/null"), ("GIT_CONFIG_NOSYSTEM", "1")])
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "the bundle"]);
    // The pipeline's own binary, with none of the host's tokens or overrides: no network at all.
    let mut xtask = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    xtask.args(["run", "--quiet", "--locked", "--package", "xtask", "--bin", "xtask", "--", "dry-run", "-C"]);
    xtask.arg(repo.path()).current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for (key, _) in std::env::vars_os() {
        let pipeline = ["GITHUB_", "GH_", "LAMINA_", "ACTIONS_", "SOURCE_DATE_EPOCH"];
        if pipeline.iter().any(|p| key.to_string_lossy().starts_with(p)) {
            xtask.env_remove(key);
        }
    }
    let out = xtask.output().unwrap();
    assert!(out.status.success(), "cargo xtask dry-run: {}", String::from_utf8_lossy(&out.stderr));
    let manifest = std::fs::read(repo.path().join("target/release/v0.2.0").join(MANIFEST)).unwrap();
    let manifest: ReleaseManifest = serde_json::from_slice(&manifest).unwrap();
    manifest.components.into_iter().find(|c| c.name == name).unwrap()
}

/// A `.tar` of `(path, content)` files.
pub fn tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).unwrap();
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append(&header, content.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Every entry of a folder, recursively, relative to it, sorted.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            out.push(entry.path().strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// `assets` (a release as [`release_assets`] makes it) changed by `edit`, which may change the
/// manifest and the files; then every component's and chart's size and digest are recomputed and
/// the manifest and `SHA256SUMS` written again.
pub fn edit_release(
    assets: Vec<(String, Vec<u8>)>,
    edit: impl FnOnce(&mut ReleaseManifest, &mut Vec<(String, Vec<u8>)>),
) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = assets.into_iter().filter(|(n, _)| n != SUMS).collect();
    let at = files.iter().position(|(n, _)| n == MANIFEST).unwrap();
    let mut manifest: ReleaseManifest = serde_json::from_slice(&files[at].1).unwrap();
    edit(&mut manifest, &mut files);
    let bytes = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone());
    for c in &mut manifest.components {
        if let Some(b) = bytes(&c.file) {
            (c.size, c.sha256) = (b.len() as u64, sha(&b));
        }
    }
    for chart in &mut manifest.charts {
        if let Some(b) = bytes(&chart.file) {
            chart.digest = sha(&b);
        }
    }
    let at = files.iter().position(|(n, _)| n == MANIFEST).unwrap();
    files[at].1 = serde_json::to_vec_pretty(&manifest).unwrap();
    let listed: Vec<(String, String)> = files.iter().map(|(n, b)| (n.clone(), sha(b))).collect();
    files.push((SUMS.to_owned(), sums::render(&listed).into_bytes()));
    files
}

/// A `.tar.gz` of `(path, content)` files.
pub fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar(files)).unwrap();
    gz.finish().unwrap()
}

/// The outcome of one run of `lamina-infra`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `lamina-infra --repo acme/infra-demo ARGS` against `api` (a GitHub fake, or an address nothing
/// listens on), anonymously, with no mirror, no registry credentials and no Sigstore TUF
/// repository (a loopback port nothing listens on) unless `env` sets them, accepting unsigned
/// releases unless `env` sets `LAMINA_INFRA_ALLOW_UNSIGNED=false`.
pub fn run_lamina_infra(api: &str, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lamina-infra"))
        .args(["--repo", "acme/infra-demo"])
        .args(args)
        .env("GITHUB_API_URL", api)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("LAMINA_INFRA_MIRROR")
        .env_remove("LAMINA_REGISTRY_USERNAME")
        .env_remove("LAMINA_REGISTRY_PASSWORD")
        // No credentials of the machine's own `docker login`.
        .env("DOCKER_CONFIG", "/nonexistent/lamina-infra-tests")
        // Nor the machine's own kube context.
        .env("KUBECONFIG", "/nonexistent/lamina-infra-tests/kubeconfig")
        .env_remove("LAMINA_SIGSTORE_TRUST_CONFIG")
        // Sigstore's TUF repository: a loopback port nothing listens on, so no test reaches the
        // internet (a request fails at once); a test of TUF names its own.
        .env("LAMINA_SIGSTORE_TUF_URL", "http://127.0.0.1:9")
        .env_remove("LAMINA_SIGSTORE_TUF_ROOT")
        // The releases tests make are unsigned, but for the tests of signatures (which set it
        // to `false`).
        .env("LAMINA_INFRA_ALLOW_UNSIGNED", "true")
        .env_remove("HELM_KUBECONTEXT")
        .env_remove("HELM_KUBEAPISERVER")
        .env_remove("HELM_KUBETOKEN")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
