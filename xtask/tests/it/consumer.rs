//! The consumer end to end: a release that ships `lamina-infra` itself, its wheel and sdist
//! uploaded to a Python index (pypiserver) that pip installs it from by version, its wheel
//! installed by pip from the release's asset URL, and that program listing, showing and pulling the release,
//! mirroring it (images read back by skopeo with the original digests), pushing the mirror into
//! a second registry, checking compatibility and the user's configuration against the release's
//! records, comparing with a second release, then working from the mirror with every server
//! stopped.

use crate::packages::path_with_maturin;
use crate::release::World;
use crate::support::{RegistryServer, TestRepo, fresh_venv, git_in, run, workspace_root};
use lamina_release_format::provenance;
use std::path::Path;
use xtask_dev::github::Options;
use xtask_dev::pypi::{Exchange, PypiServer, TokenExchange};
use xtask_dev::sigstore::{GITHUB_ISSUER, Sigstore, github_token};

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
        &format!(
            "{config}\n[[package]]\nname = \"lamina-infra\"\npath = \"packages/lamina-infra\"\ncompletions = true\nman = true\n"
        ),
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
    // The report (stdout), then the error (stderr).
    String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned()
}

/// Release 0.3.0 of the fixture: a new chart version, a rebuilt image, the module's
/// `app_version` retyped and a required `region` added, and a required Compose variable.
fn upgrade(world: &World, env: &[(&str, &str)]) {
    let repo = &world.repo;
    // The consumer is already installed: this release does not build it again.
    let config = repo.read("release.toml");
    // (and it is signed as 0.2.0 is).
    repo.write(
        "release.toml",
        &(config.split("\n[[package]]").next().unwrap().to_owned() + "\n[signing]\nrequired = true\n"),
    );
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
    world.xtask(&["release", "--builder", "buildah"], env).ok();
}

/// The bytes of the release asset `name`.
fn asset(release: &xtask_dev::github::FakeRelease, name: &str) -> Vec<u8> {
    release.assets.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no asset `{name}`")).bytes.clone()
}

/// GitHub Actions' OIDC token endpoint for a job of the fixture's release workflow at `tag`.
fn job_tokens(world: &World, tag: &str) -> TokenExchange {
    job_tokens_of(world, provenance::WORKFLOW, tag)
}

/// [`job_tokens`] for a job of `workflow`.
fn job_tokens_of(world: &World, workflow: &str, tag: &str) -> TokenExchange {
    let commit = world.repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let git_ref = format!("refs/tags/{tag}");
    TokenExchange::start(Exchange {
        audience: "sigstore".into(),
        request_token: "actions-request-canary".into(),
        jwt: github_token("acme/infra-demo", workflow, &git_ref, &commit),
        minted: String::new(),
        publisher_matches: true,
    })
    .unwrap()
}

/// The environment of a release job with `id-token: write`, signing with the stand-in.
fn signing_env<'a>(request_url: &'a str, trust: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "actions-request-canary"),
        ("LAMINA_SIGSTORE_TRUST_CONFIG", trust),
    ]
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
    // Signed in "GitHub Actions": the job's OIDC token from a stand-in of its endpoint, Fulcio,
    // Rekor and the timestamp authority from the loopback Sigstore.
    let config = world.repo.read("release.toml");
    world.repo.write("release.toml", &format!("{config}\n[signing]\nrequired = true\n"));
    world.repo.commit("publish lamina-infra to a Python index, signed");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
    let peers = crate::support::peers("the Sigstore stand-in");
    let sigstore = Sigstore::start(&peers).unwrap();
    let trust = sigstore.trust_config.to_str().unwrap().to_owned();
    let tokens = job_tokens(&world, "v0.2.0");
    let request_url = tokens.request_url();
    let credentials = [("LAMINA_PYTHON_INDEX_USERNAME", "lamina"), ("LAMINA_PYTHON_INDEX_TOKEN", "index-secret")];
    let path = path_with_maturin();
    // The program is compiled unoptimised: nothing this test proves depends on the optimiser, and
    // a cold optimised build of it is most of the suite's time on a small machine. Release
    // profile builds are proven reproducible and portable by `packages` and `recorded`.
    // Its own build folder: the other tests' package builds never wait on this long one.
    let target = workspace_root().join("target/it-consumer");
    let mut env = vec![
        ("PATH", path.as_str()),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
        ("CARGO_TARGET_DIR", target.to_str().unwrap()),
    ];
    env.extend(credentials);
    // Without the job's OIDC token, a release that must be signed stops in preflight.
    let before = world.writes();
    let refused = world.xtask(&["release", "--builder", "buildah"], &env).fails();
    assert!(refused.stderr.contains("id-token: write") && refused.stderr.contains("--unsigned"), "{}", refused.stderr);
    assert_eq!(world.writes(), before, "nothing was written anywhere");
    // A job of another workflow cannot sign as the release workflow: the signing step stops the
    // run before anything is published.
    let other = job_tokens_of(&world, ".github/workflows/ci.yml", "v0.2.0");
    let other_url = other.request_url();
    let mut other_env = env.clone();
    other_env.extend(signing_env(&other_url, &trust));
    let refused = world.xtask(&["release", "--builder", "buildah"], &other_env).fails();
    assert!(
        refused.stderr.contains("this job runs `acme/infra-demo/.github/workflows/ci.yml@refs/tags/v0.2.0`"),
        "{}",
        refused.stderr
    );
    assert_eq!(world.writes(), before, "nothing was published");
    env.extend(signing_env(&request_url, &trust));
    let signed = world.xtask(&["release", "--builder", "buildah"], &env).ok();
    let release = crate::release::only_release(&world);
    let identity = "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0";
    assert!(signed.stderr.contains(&format!("signed the provenance of v0.2.0 as {identity}")), "{}", signed.stderr);
    assert!(!format!("{}{}", signed.stdout, signed.stderr).contains("actions-request-canary"), "a secret was printed");
    let bundle = asset(&release, provenance::ASSET);
    // The independent verifier (PyPI `sigstore`) accepts the bundle for SHA256SUMS, as the
    // release workflow at the tag, and refuses it for another repository.
    let work = tempfile::tempdir().unwrap();
    let (sums, bundle_file) = (work.path().join("SHA256SUMS"), work.path().join("provenance.sigstore.json"));
    std::fs::write(&sums, asset(&release, "SHA256SUMS")).unwrap();
    std::fs::write(&bundle_file, &bundle).unwrap();
    let python_verify = |identity: &str| {
        std::process::Command::new(peers.join("venv/bin/sigstore"))
            .args(["--trust-config", &trust, "verify", "identity", "--bundle", bundle_file.to_str().unwrap()])
            .args(["--cert-identity", identity, "--cert-oidc-issuer", GITHUB_ISSUER, sums.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let verified = python_verify(identity);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(!python_verify(&identity.replace("acme/", "evil/")).status.success(), "another repository's identity");
    // Each image and OCI chart lists the bundle under its referrers tag (the tag schema:
    // neither ghcr.io nor this registry serves the referrers API).
    let image = format!("{}/acme/hello", world.registry.host());
    let image_digest = skopeo_digest(&format!("docker://{image}:0.2.0"));
    let tags = run(
        Path::new("skopeo"),
        &["list-tags", "--tls-verify=false", &format!("docker://{image}")],
        Path::new("/"),
        &[],
    );
    let fallback = image_digest.replace(':', "-");
    assert!(tags.contains(&fallback), "{tags}");
    let referrers = run(
        Path::new("skopeo"),
        &["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}:{fallback}")],
        Path::new("/"),
        &[],
    );
    let referrers: serde_json::Value = serde_json::from_str(&referrers).unwrap();
    assert_eq!(referrers["manifests"][0]["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    let referrer = referrers["manifests"][0]["digest"].as_str().unwrap();
    let referrer = run(
        Path::new("skopeo"),
        &["inspect", "--raw", "--tls-verify=false", &format!("docker://{image}@{referrer}")],
        Path::new("/"),
        &[],
    );
    let referrer: serde_json::Value = serde_json::from_str(&referrer).unwrap();
    assert_eq!(referrer["subject"]["digest"], image_digest.as_str());
    assert_eq!(referrer["layers"][0]["digest"], format!("sha256:{}", xtask::build::sha256_hex(&bundle)));
    // Beside it, each platform's SPDX SBOM (syft), also an asset.
    let predicates: Vec<&str> = referrers["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["annotations"]["dev.sigstore.bundle.predicateType"].as_str().unwrap())
        .collect();
    let spdx_type = "https://spdx.dev/Document";
    assert_eq!(predicates, ["https://slsa.dev/provenance/v1", spdx_type, spdx_type], "{referrers}");
    let spdx = asset(&release, "hello-0.2.0-linux-arm64.spdx.sigstore.json");
    let statement = xtask::sign::signed_statement(&spdx).unwrap();
    assert_eq!(statement["predicate"]["spdxVersion"], "SPDX-2.3");
    assert_eq!(statement["subject"][0]["digest"]["sha256"], image_digest.trim_start_matches("sha256:"));
    // PyPI `sigstore` verifies it about the image's digest, as the release workflow.
    let spdx_file = work.path().join("spdx.sigstore.json");
    std::fs::write(&spdx_file, &spdx).unwrap();
    let about_image = std::process::Command::new(peers.join("venv/bin/sigstore"))
        .args(["--trust-config", &trust, "verify", "identity", "--bundle", spdx_file.to_str().unwrap()])
        .args(["--cert-identity", identity, "--cert-oidc-issuer", GITHUB_ISSUER, &image_digest])
        .output()
        .unwrap();
    assert!(about_image.status.success(), "{}", String::from_utf8_lossy(&about_image.stderr));
    // And the binary's CycloneDX SBOM, about its archive, which PyPI `sigstore` verifies.
    let is_archive = |name: &str| name.starts_with("lamina-infra-0.2.0-") && name.ends_with(".tar.gz");
    let archive = release.assets.iter().find(|a| is_archive(&a.name)).unwrap();
    let cdx = asset(&release, &archive.name.replace(".tar.gz", ".cdx.sigstore.json"));
    let statement = xtask::sign::signed_statement(&cdx).unwrap();
    assert_eq!(statement["predicateType"], "https://cyclonedx.org/bom");
    let linked: Vec<&str> =
        statement["predicate"]["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(linked.contains(&"serde") && linked.contains(&"lamina-release-format"), "{linked:?}");
    assert!(!linked.contains(&"insta"), "no dev-dependency: {linked:?}");
    std::fs::write(&sums, &archive.bytes).unwrap();
    std::fs::write(&bundle_file, &cdx).unwrap();
    let verified = python_verify(identity);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let wheel = release.assets.iter().find(|a| a.name.ends_with(".whl")).expect("a wheel asset").name.clone();
    assert_eq!(index.files(), [wheel.clone(), "lamina_infra-0.2.0.tar.gz".to_owned()]);
    let out = world.repo.out("0.2.0");
    linux_builds_run_everywhere(&out, &wheel);
    // Each Python file carries its PEP 740 publish attestation, which `pypi-attestations`
    // verifies for the release workflow's identity and refuses for another file.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/pep740_verify.py");
    let pep740 = |dist: &str, attestation: &str| {
        let (dist, attestation) = (out.join(dist), out.join(attestation));
        std::process::Command::new(peers.join("venv/bin/python"))
            .arg(&script)
            .args([trust.as_str(), identity])
            .args([dist.as_os_str(), attestation.as_os_str()])
            .output()
            .unwrap()
    };
    for dist in [wheel.as_str(), "lamina_infra-0.2.0.tar.gz"] {
        let checked = pep740(dist, &format!("{dist}.publish.attestation"));
        assert!(checked.status.success(), "{dist}: {}", String::from_utf8_lossy(&checked.stderr));
        assert_eq!(String::from_utf8_lossy(&checked.stdout).trim(), "https://docs.pypi.org/attestations/publish/v1");
    }
    let crossed = pep740("lamina_infra-0.2.0.tar.gz", &format!("{wheel}.publish.attestation"));
    assert!(!crossed.status.success(), "the wheel's attestation does not vouch for the sdist");

    // pip installs `lamina-infra==0.2.0` from the index into a fresh venv, and it runs.
    let from_index = tempfile::tempdir().unwrap();
    let (venv, pip_install) = fresh_venv(from_index.path());
    pip_install(&["lamina-infra==0.2.0", "--index-url", &index.simple_url()]);
    let version = run(&venv.join("bin/lamina-infra"), &["--version"], from_index.path(), &[]);
    assert_eq!(version.trim(), "lamina-infra 0.2.0");
    // A rerun uploads nothing to the index.
    let stamps = index.stamps();
    let rerun = world.xtask(&["release", "--builder", "buildah"], &env).ok();
    assert_eq!(index.stamps(), stamps);
    // It signs nothing again: the bundle signs exactly these subjects, so it is kept.
    let release = crate::release::only_release(&world);
    assert_eq!(asset(&release, provenance::ASSET), bundle, "{}", rerun.stdout);
    let kept = rerun.stdout.lines().any(|l| l.contains("signed provenance.sigstore.json") && l.contains("kept"));
    assert!(kept, "{}", rerun.stdout);

    // pip installs the wheel straight from the release's asset URL.
    let home = tempfile::tempdir().unwrap();
    let (venv, pip_install) = fresh_venv(home.path());
    pip_install(&[&format!("{}/acme/infra-demo/releases/download/v0.2.0/{wheel}", world.github.api_url())]);
    let program = venv.join("bin/lamina-infra");
    let api = world.github.api_url();
    let cache = home.path().join("cache");
    // The user trusts the stand-in's root as they would Sigstore's public-good one; a copy, so it
    // outlives the stand-in for the offline part.
    let user_trust = home.path().join("trust-config.json");
    std::fs::copy(&trust, &user_trust).unwrap();
    let user_trust = user_trust.to_str().unwrap();
    let env = [
        ("GITHUB_API_URL", api.as_str()),
        ("LAMINA_INFRA_CACHE", cache.to_str().unwrap()),
        ("LAMINA_SIGSTORE_TRUST_CONFIG", user_trust),
    ];

    let listed = consumer(&program, &["releases"], &env);
    assert!(listed.starts_with("0.2.0"), "{listed}");
    let shown = consumer(&program, &["show", "0.2.0"], &env);
    assert!(shown.contains("demo-k8s") && shown.contains("verified"), "{shown}");
    assert!(shown.contains(&format!("signed by {identity} (verified)")), "{shown}");
    // `verify VERSION` finds every image and OCI chart the registry serves among the signed
    // provenance's subjects.
    // (The Helm index on Pages is out of reach here: its line fails.)
    let verified = consumer_fails(&program, &["verify", "0.2.0"], &env);
    let subjects: Vec<&str> =
        verified.lines().filter(|l| l.contains("is a subject of the signed provenance")).collect();
    assert_eq!(subjects.len(), 2, "the image and the chart: {verified}");
    let sbom_lines: Vec<&str> =
        verified.lines().filter(|l| l.contains(".sigstore.json") && l.contains(" about ")).collect();
    assert_eq!(sbom_lines.len(), 3, "the image's two SBOMs and the binary's: {verified}");
    assert!(sbom_lines.iter().all(|l| l.starts_with("ok ")), "{verified}");
    assert!(shown.contains("hello-0.2.0-linux-amd64.spdx.sigstore.json"), "show lists the SBOMs: {shown}");

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
    // `deploy` accepts the signed release and goes on to the user's tools (none here).
    let no_tools = home.path().join("no-tools");
    std::fs::create_dir(&no_tools).unwrap();
    let deploy_env = [&env[..], &[("PATH", no_tools.to_str().unwrap())]].concat();
    let deploy = consumer_fails(&program, &["deploy", "demo", "--dry-run"], &deploy_env);
    assert!(deploy.contains("`helm` is not installed here"), "{deploy}");

    // The mirror holds every image with the registry's digests, as skopeo reads them.
    let mirror = home.path().join("mirror");
    let mirror_arg = mirror.to_str().unwrap();
    consumer(&program, &["mirror", "0.2.0", "--to", mirror_arg], &env);
    assert_eq!(
        std::fs::read(mirror.join("v0.2.0").join(provenance::ASSET)).unwrap(),
        bundle,
        "the mirror holds the bundle"
    );
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
    let tokens = job_tokens(&world, "v0.3.0");
    let (request_url, path) = (tokens.request_url(), path_with_maturin());
    let mut release_env = signing_env(&request_url, &trust);
    release_env.push(("PATH", &path));
    upgrade(&world, &release_env);
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
    drop(sigstore);
    let offline = [
        ("GITHUB_API_URL", "http://127.0.0.1:9"),
        ("LAMINA_INFRA_MIRROR", mirror_arg),
        ("LAMINA_SIGSTORE_TRUST_CONFIG", user_trust),
    ];
    assert!(consumer(&program, &["releases"], &offline).starts_with("0.2.0"));
    let again = home.path().join("offline");
    consumer(&program, &["pull", "demo-k8s", "--to", again.to_str().unwrap()], &offline);
    assert_eq!(files(&again.join("demo-k8s-0.2.0")), files(&pulled.join("demo-k8s-0.2.0")));
    let verified = consumer(&program, &["verify", mirror_arg], &offline);
    assert!(verified.contains(&format!("signed by {identity}")), "{verified}");
    assert!(verified.contains("authenticity rests on the release workflow's signature of SHA256SUMS"), "{verified}");
    // One byte of the bundle changed, the mirror no longer verifies, and says why.
    let copied = mirror.join("v0.2.0").join(provenance::ASSET);
    let mut altered = std::fs::read(&copied).unwrap();
    let at = altered.iter().rposition(|b| b.is_ascii_digit()).unwrap();
    altered[at] = if altered[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&copied, altered).unwrap();
    let refused = consumer_fails(&program, &["verify", mirror_arg], &offline);
    let refusal = |l: &&str| l.starts_with("FAIL") && l.contains(provenance::ASSET) && l.contains("does not verify");
    assert!(refused.lines().any(|l| refusal(&l)), "{refused}");
}

/// The Linux wheel claims `manylinux_2_17` and the claim holds: auditwheel finds it consistent,
/// and the archive's program (the same bytes) references no glibc symbol version above 2.17. The
/// archive also ships the completions and the man page.
fn linux_builds_run_everywhere(out: &Path, wheel: &str) {
    assert!(wheel.ends_with("manylinux2014_x86_64.manylinux_2_17_x86_64.whl"), "{wheel}");
    assert_eq!(crate::packages::auditwheel_tag(&out.join(wheel)), "\"manylinux_2_17_x86_64\"");
    let archive = out.join("lamina-infra-0.2.0-x86_64-unknown-linux-gnu.tar.gz");
    let folder = "lamina-infra-0.2.0-x86_64-unknown-linux-gnu";
    let names = crate::support::tar_names(&archive);
    for file in
        ["lamina-infra", "completions/lamina-infra.bash", "completions/_lamina-infra", "man/man1/lamina-infra.1"]
    {
        assert!(names.contains(&format!("{folder}/{file}")), "{file} not in {names:?}");
    }
    let unpacked = crate::packages::unpacked(&archive);
    let program = unpacked.path().join(folder).join("lamina-infra");
    let versions = run(Path::new("readelf"), &["-V", "--wide", program.to_str().unwrap()], unpacked.path(), &[]);
    let newest = versions
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max();
    assert!(newest.is_some_and(|v| v <= (2, 17)), "the program needs glibc {newest:?}:\n{versions}");
}
