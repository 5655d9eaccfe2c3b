//! The consumer end to end: a release that ships `lamina-infra` itself, its wheel and sdist
//! uploaded to a Python index (pypiserver) that pip installs it from by version, its wheel
//! installed by pip from the release's asset URL, and that program listing, showing and pulling the release,
//! mirroring it (images read back by skopeo with the original digests), pushing the mirror into
//! a second registry, checking compatibility and the user's configuration against the release's
//! records, comparing with a second release, then working from the mirror with every server
//! stopped.

use crate::packages::path_with_maturin;
use crate::release::World;
use crate::support::{RegistryServer, TestRepo, git_in, run, workspace_root};
use std::path::Path;
use xtask_dev::github::Options;
use xtask_dev::pypi::PypiServer;

/// Copies the consumer, the release format crate and the remote layer into `repo` as a workspace of their own
/// (at the fixture's version, without test-only dependencies), names it in `release.toml` and
/// commits.
fn add_consumer(repo: &TestRepo, version: &str) {
    let root = workspace_root();
    let crates = ["packages/lamina-infra", "packages/lamina-release-format", "packages/lamina-remote"];
    let listed = git_in(&root, &[&["ls-files"][..], &crates].concat());
    for rel in listed.lines().filter(|l| !l.contains("/tests/")) {
        if let Ok(text) = std::fs::read(root.join(rel)) {
            let to = repo.path(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, text).unwrap();
        }
    }
    let manifest = repo.read("packages/lamina-infra/Cargo.toml");
    let manifest = manifest.split("\n[dev-dependencies]").next().unwrap().to_owned() + "\n";
    let manifest = set_version(&manifest, version);
    repo.write("packages/lamina-infra/Cargo.toml", &manifest);
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let workspace = workspace.replace(
        &workspace.lines().find(|l| l.starts_with("members")).unwrap().to_owned(),
        &format!("members = {crates:?}"),
    );
    repo.write("Cargo.toml", &workspace);
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let lock = lock.replace(
        &format!("name = \"lamina-infra\"\nversion = \"{}\"", current_version(&root)),
        &format!("name = \"lamina-infra\"\nversion = \"{version}\""),
    );
    repo.write("Cargo.lock", &lock);
    // Drop the lock entries only the full workspace uses.
    let ok = std::process::Command::new("cargo")
        .args(["metadata", "--offline", "--format-version", "1"])
        .current_dir(&repo.root)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "cargo metadata on the copied workspace");
    let config = repo.read("release.toml");
    repo.write(
        "release.toml",
        &format!("{config}\n[[package]]\nname = \"lamina-infra\"\npath = \"packages/lamina-infra\"\n"),
    );
    repo.commit("ship lamina-infra");
}

fn current_version(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("packages/lamina-infra/Cargo.toml")).unwrap();
    let line = text.lines().find(|l| l.starts_with("version = ")).unwrap();
    line.trim_start_matches("version = ").trim_matches('"').to_owned()
}

fn set_version(manifest: &str, version: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in manifest.lines() {
        if !done && line.starts_with("version = ") {
            out.push_str(&format!("version = \"{version}\"\n"));
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `lamina-infra ARGS` as a user runs it: the installed program, anonymously, against `api`.
fn consumer(program: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut full = vec!["--repo", "acme/infra-demo"];
    full.extend_from_slice(args);
    run(program, &full, Path::new("/"), env)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// `lamina-infra ARGS` expected to fail: its stderr.
fn consumer_fails(program: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(program)
        .args(["--repo", "acme/infra-demo"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Release 0.3.0 of the fixture: a new chart version, a rebuilt image, the module's
/// `app_version` retyped and a required `region` added, and a required Compose variable.
fn upgrade(world: &World) {
    let repo = &world.repo;
    // The consumer is already installed: this release does not build it again.
    let config = repo.read("release.toml");
    repo.write("release.toml", &(config.split("\n[[package]]").next().unwrap().to_owned() + "\n"));
    repo.write("docker/hello/hello.txt", "hello again\n");
    repo.write(
        "terraform/modules/values/variables.tf",
        "variable \"app_version\" {\n  type    = number\n  default = 3\n}\n\nvariable \"region\" {\n  type = string\n}\n",
    );
    repo.write(
        "docker/compose/compose.yaml",
        "services:\n  hello:\n    image: ghcr.io/acme/hello:0.3.0\n    environment:\n      TOKEN: ${DEMO_TOKEN:?set DEMO_TOKEN}\n",
    );
    repo.commit("changes for 0.3.0");
    world.xtask(&["bump", "0.3.0"], &[]).ok();
    repo.commit("release 0.3.0");
    repo.git(&["tag", "-f", "v0.3.0"]);
    world.release().ok();
}

/// `line` with every digest shortened to `sha256:…`.
fn digests(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("sha256:") {
        out.push_str(&rest[..at + 7]);
        out.push('…');
        rest = rest[at + 7..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out + rest
}

fn skopeo_digest(reference: &str) -> String {
    let raw = run(Path::new("skopeo"), &["inspect", "--raw", "--tls-verify=false", reference], Path::new("/"), &[]);
    format!("sha256:{}", xtask::build::sha256_hex(raw.as_bytes()))
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_user_installs_the_released_wheel_and_pulls_mirrors_and_verifies_the_release() {
    let world = World::new(Options { public: true, ..Options::default() });
    add_consumer(&world.repo, "0.2.0");
    // The wheel and sdist also go to a Python index (pypiserver, uploads with an htpasswd user).
    let index =
        PypiServer::start(&crate::support::peers("pypiserver").join("venv"), &[("lamina", "index-secret")]).unwrap();
    let config = world.repo.read("release.toml");
    world.repo.write(
        "release.toml",
        &format!(
            "{config}\n[python-index]\nupload-url = \"{}/\"\nsimple-url = \"{}\"\n",
            index.url(),
            index.simple_url()
        ),
    );
    world.repo.commit("publish lamina-infra to a Python index");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
    let credentials = [("LAMINA_PYTHON_INDEX_USERNAME", "lamina"), ("LAMINA_PYTHON_INDEX_TOKEN", "index-secret")];
    let path = path_with_maturin();
    let mut env = vec![("PATH", path.as_str())];
    env.extend(credentials);
    world.xtask(&["release", "--builder", "buildah"], &env).ok();
    let release = crate::release::only_release(&world);
    let wheel = release.assets.iter().find(|a| a.name.ends_with(".whl")).expect("a wheel asset").name.clone();
    assert_eq!(index.files(), [wheel.clone(), "lamina_infra-0.2.0.tar.gz".to_owned()]);

    // pip installs `lamina-infra==0.2.0` from the index into a fresh venv, and it runs.
    let from_index = tempfile::tempdir().unwrap();
    let venv = from_index.path().join("venv");
    run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()], from_index.path(), &[]);
    let simple = index.simple_url();
    run(
        &venv.join("bin/pip"),
        &["install", "-q", "lamina-infra==0.2.0", "--index-url", &simple],
        from_index.path(),
        &[],
    );
    let version = run(&venv.join("bin/lamina-infra"), &["--version"], from_index.path(), &[]);
    assert_eq!(version.trim(), "lamina-infra 0.2.0");
    // A rerun uploads nothing to the index.
    let stamps = index.stamps();
    world.xtask(&["release", "--builder", "buildah"], &env).ok();
    assert_eq!(index.stamps(), stamps);

    // pip installs the wheel straight from the release's asset URL.
    let home = tempfile::tempdir().unwrap();
    let venv = home.path().join("venv");
    run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()], home.path(), &[]);
    let url = format!("{}/acme/infra-demo/releases/download/v0.2.0/{wheel}", world.github.api_url());
    run(&venv.join("bin/pip"), &["install", "-q", &url], home.path(), &[]);
    let program = venv.join("bin/lamina-infra");
    let api = world.github.api_url();
    let cache = home.path().join("cache");
    let env = [("GITHUB_API_URL", api.as_str()), ("LAMINA_INFRA_CACHE", cache.to_str().unwrap())];

    let listed = consumer(&program, &["releases"], &env);
    assert!(listed.starts_with("0.2.0"), "{listed}");
    let shown = consumer(&program, &["show", "0.2.0"], &env);
    assert!(shown.contains("demo-k8s") && shown.contains("verified"), "{shown}");

    // Every bundle, pulled and extracted, holds the repository's tracked files.
    let pulled = home.path().join("pulled");
    let pulled_arg = pulled.to_str().unwrap();
    consumer(&program, &["pull", "demo-k8s", "demo-compose", "demo-terraform", "--to", pulled_arg], &env);
    for (bundle, path) in
        [("demo-k8s", "infra/k8s"), ("demo-terraform", "terraform/modules"), ("demo-compose", "docker/compose")]
    {
        let tracked: Vec<String> = git_in(&world.repo.root, &["ls-files", path])
            .lines()
            .map(|l| l.strip_prefix(&format!("{path}/")).unwrap().to_owned())
            .collect();
        let folder = pulled.join(format!("{bundle}-0.2.0"));
        assert_eq!(files(&folder), tracked, "{bundle}");
        for rel in &tracked {
            let got = std::fs::read_to_string(folder.join(rel)).unwrap();
            if bundle == "demo-compose" && got.contains("image:") {
                assert!(got.contains("@sha256:"), "the pulled Compose file is pinned: {got}");
            } else {
                assert_eq!(got, world.repo.read(&format!("{path}/{rel}")), "{bundle}/{rel}");
            }
        }
    }
    consumer(&program, &["verify", pulled_arg], &env);

    // The mirror holds every image with the registry's digests, as skopeo reads them.
    let mirror = home.path().join("mirror");
    let mirror_arg = mirror.to_str().unwrap();
    consumer(&program, &["mirror", "0.2.0", "--to", mirror_arg], &env);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mirror.join("v0.2.0/release-manifest.json")).unwrap()).unwrap();
    let digest = manifest["images"][0]["digest"].as_str().unwrap().to_owned();
    let layout = mirror.join("v0.2.0/oci/images/hello");
    assert_eq!(skopeo_digest(&format!("oci:{}:0.2.0", layout.display())), digest);
    // And every OCI chart with the bytes its registry serves.
    let charts = manifest["charts"].as_array().unwrap();
    assert!(!charts.is_empty());
    for chart in charts {
        let (name, oci) = (chart["name"].as_str().unwrap(), chart["oci"].as_str().unwrap());
        let tag = oci.rsplit_once(':').unwrap().1;
        let layout = mirror.join("v0.2.0/oci/charts").join(name);
        assert_eq!(
            skopeo_digest(&format!("oci:{}:{tag}", layout.display())),
            skopeo_digest(&format!("docker://{oci}"))
        );
    }
    consumer(&program, &["verify", mirror_arg], &env);

    // Pushed into a second registry, the image keeps its digest.
    let second = RegistryServer::start(&[]).unwrap();
    let target = format!("{}/copy", second.host());
    consumer(&program, &["mirror", "push", mirror_arg, "--registry", &target], &env);
    assert_eq!(skopeo_digest(&format!("docker://{target}/hello:0.2.0")), digest);

    // The release's own records check the user's environment and configuration.
    let compat = consumer(&program, &["compat", "0.2.0", "--kube-version", "1.30.0", "--json"], &env);
    let compat: serde_json::Value = serde_json::from_str(&compat).unwrap();
    assert_eq!(compat["failed"], 0, "{compat}");
    let rows = compat["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["component"] == "chart demo 0.2.0" && r["found"] == "1.30.0"), "{compat}");
    let vars = home.path().join("demo.tfvars");
    std::fs::write(&vars, "app_version = [\"0.2.1\"]\n").unwrap();
    let refused = consumer_fails(&program, &["validate", "demo-terraform/values", vars.to_str().unwrap()], &env);
    assert!(refused.contains("demo.tfvars:1: `app_version`: expected string, found a list"), "{refused}");
    std::fs::write(&vars, "app_version = \"0.2.1\"\n").unwrap();
    consumer(&program, &["validate", "demo-terraform", vars.to_str().unwrap()], &env);

    // A second release changes the chart, the image, the module's variables and a Compose
    // variable; `compat --from --to` names exactly those.
    upgrade(&world);
    let changes = consumer(&program, &["compat", "--from", "0.2.0", "--to", "0.3.0", "--json"], &env);
    let changes: serde_json::Value = serde_json::from_str(&changes).unwrap();
    let listed: Vec<String> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!("{} | {} | {}", c["component"].as_str().unwrap(), c["change"].as_str().unwrap(), c["breaking"])
        })
        .map(|line| digests(&line))
        .collect();
    assert_eq!(
        listed,
        [
            "chart demo | version 0.2.0 → 0.3.0 | false",
            "image hello | digest sha256:… → sha256:… | false",
            "demo-terraform values | variable app_version type string → number, default \"0.2.0\" → 3 | true",
            "demo-terraform values | variable region added, required: set it | true",
            "demo-compose | variable DEMO_TOKEN is now required: set it in the .env file | true",
        ]
    );

    // With every server stopped, the mirror alone serves the release.
    drop(second);
    drop(world);
    let offline = [("GITHUB_API_URL", "http://127.0.0.1:9"), ("LAMINA_INFRA_MIRROR", mirror_arg)];
    assert!(consumer(&program, &["releases"], &offline).starts_with("0.2.0"));
    let again = home.path().join("offline");
    consumer(&program, &["pull", "demo-k8s", "--to", again.to_str().unwrap()], &offline);
    assert_eq!(files(&again.join("demo-k8s-0.2.0")), files(&pulled.join("demo-k8s-0.2.0")));
    consumer(&program, &["verify", mirror_arg], &offline);
}
