//! Images on the real registry: pushed by digest then tagged, read back by skopeo with the same
//! digests, a rerun uploads nothing, a published version tag is never moved, damaged layouts
//! are refused before anything is written.

use crate::support::{RegistryServer, TestRepo, peers, run, tool};
use lamina_remote::registry::Credentials;
use std::path::{Path, PathBuf};
use xtask::channel::registry::{ImagePushed, Registry};
use xtask::config::parse_registry_base;
use xtask::layout;
use xtask_dev::registry::Options;

/// The fixture's two-platform image, built by buildah.
fn built() -> (TestRepo, PathBuf) {
    peers("buildah and the registry");
    let repo = TestRepo::fixture("minimal");
    repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    let layout = repo.out("0.2.0").join("images/hello");
    (repo, layout)
}

fn push(registry: &Registry, image: &layout::Image, tags: &[&str]) -> anyhow::Result<ImagePushed> {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(registry.push_image("hello", image, &tags, &tags[0]))
}

fn registry(server: &RegistryServer) -> Registry {
    Registry::new(&parse_registry_base(&format!("http://{}/acme", server.host())).unwrap(), None)
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn pushed_by_digest_then_tagged_and_read_back_by_skopeo() {
    let (repo, dir) = built();
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let server = RegistryServer::start(&[]).unwrap();
    let image = layout::read(&dir).unwrap();
    assert_eq!(image.children.len(), 2, "one manifest per platform");
    for doc in std::iter::once(&image.root).chain(&image.children) {
        let json: serde_json::Value = serde_json::from_slice(&doc.bytes).unwrap();
        let a = &json["annotations"];
        assert_eq!(a["org.opencontainers.image.source"], "https://github.com/acme/infra-demo", "{json}");
        assert_eq!(a["org.opencontainers.image.version"], "0.2.0");
        assert_eq!(a["org.opencontainers.image.created"], "2026-01-15T12:00:00Z");
        assert_eq!(a["org.opencontainers.image.revision"].as_str().map(str::len), Some(40));
    }
    let pushed = push(&registry(&server), &image, &["0.2.0", "0.2", "0", "latest"]).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&repo.read("target/release/v0.2.0/release-manifest.json")).unwrap();
    assert_eq!(
        manifest["images"][0]["digest"],
        pushed.digest.as_str(),
        "the manifest records the digest that is pushed"
    );
    assert_eq!(pushed.uploaded, image.blobs.len());
    assert_eq!(pushed.tagged, ["0.2.0", "0.2", "0", "latest"]);

    // Manifests went in before tags: every manifest PUT by digest precedes the first tag PUT.
    let log = server.log();
    let puts: Vec<&str> =
        log.lines().filter(|l| l.contains("http.request.method=PUT ") && l.contains("/manifests/")).collect();
    let first_tag = puts.iter().position(|l| !l.contains("/manifests/sha256:")).unwrap();
    assert_eq!(first_tag, 3, "two platform manifests and the index by digest, then the tags:\n{}", puts.join("\n"));

    let host = server.host();
    for tag in ["0.2.0", "latest"] {
        let raw = run(
            &skopeo,
            &["inspect", "--raw", "--tls-verify=false", &format!("docker://{host}/acme/hello:{tag}")],
            Path::new("/"),
            &[],
        );
        assert_eq!(raw.as_bytes(), image.root.bytes.as_slice(), "the registry serves our exact index bytes at {tag}");
    }
    // An independent copy back into a layout keeps every digest.
    let back = tempfile::tempdir().unwrap();
    let dest = format!("oci:{}:copy", back.path().join("layout").display());
    run(
        &skopeo,
        &["copy", "--all", "--src-tls-verify=false", &format!("docker://{host}/acme/hello:0.2.0"), &dest],
        Path::new("/"),
        &[],
    );
    let copied = std::fs::read_to_string(back.path().join("layout/index.json")).unwrap();
    assert!(copied.contains(&image.root.digest), "skopeo's copy has our index digest: {copied}");
    for child in &image.children {
        assert!(back.path().join("layout/blobs/sha256").join(child.digest.trim_start_matches("sha256:")).exists());
    }
    let arm = run(
        &skopeo,
        &["inspect", "--override-arch", "arm64", "--tls-verify=false", &format!("docker://{host}/acme/hello:0.2.0")],
        Path::new("/"),
        &[],
    );
    assert!(arm.contains("\"Architecture\": \"arm64\""), "{arm}");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_rerun_uploads_no_blob_and_a_version_tag_never_moves() {
    let (repo, dir) = built();
    let server = RegistryServer::start(&[]).unwrap();
    let registry = registry(&server);
    let image = layout::read(&dir).unwrap();
    push(&registry, &image, &["0.2.0", "latest"]).unwrap();
    let uploads = server.requests("PUT", "/blobs/uploads/");
    assert_eq!(uploads, image.blobs.len());
    let again = push(&registry, &image, &["0.2.0", "latest"]).unwrap();
    assert_eq!((again.uploaded, again.tagged.len()), (0, 0));
    assert_eq!(server.requests("PUT", "/blobs/uploads/"), uploads, "no blob uploaded twice");

    // Another build of the same version: refused before any write; `latest` is untouched.
    repo.write("docker/hello/hello.txt", "a different image\n");
    repo.commit("change the image");
    repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    let other = layout::read(&dir).unwrap();
    assert_ne!(other.root.digest, image.root.digest);
    let before = server.requests("PUT", "/");
    let err = lamina_remote::hint::render(&push(&registry, &other, &["0.2.0", "latest"]).unwrap_err());
    assert!(err.contains("already holds") && err.contains("immutable"), "{err}");
    assert_eq!(server.requests("PUT", "/"), before, "nothing written");
    // A floating tag does move.
    let moved = push(&registry, &other, &["0.2.1", "latest"]).unwrap();
    assert_eq!(moved.tagged, ["0.2.1", "latest"]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_blob_that_does_not_match_its_digest_is_refused() {
    let (_repo, dir) = built();
    let image = layout::read(&dir).unwrap();
    let victim = image.blob_path(&image.blobs.last().unwrap().digest);
    std::fs::write(&victim, b"tampered").unwrap();
    let err = layout::read(&dir).unwrap_err().to_string();
    assert!(err.contains("does not match its content"), "{err}");
}

/// Uses `input` instead of a Dockerfile, dry-runs, and returns the imported layout's image.
fn import(repo: &TestRepo, input: &str) -> layout::Image {
    let text: String = repo
        .read("release.toml")
        .lines()
        .map(|l| {
            if l.starts_with("context = \"docker/hello\"") || l.starts_with("input = ") {
                format!("input = \"{input}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    repo.write("release.toml", &text);
    let run = repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert!(run.stdout.contains(&format!("taken from {input}")), "{}", run.stdout);
    let image = layout::read(&repo.out("0.2.0").join("images/hello")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&repo.read("target/release/v0.2.0/release-manifest.json")).unwrap();
    assert_eq!(manifest["images"][0]["digest"], image.root.digest.as_str());
    let root: serde_json::Value = serde_json::from_slice(&image.root.bytes).unwrap();
    assert_eq!(root["annotations"]["org.opencontainers.image.version"], "0.2.0", "imported images are annotated too");
    image
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn prebuilt_layouts_in_folders_and_tars_are_imported() {
    let (repo, dir) = built();
    let built = layout::read(&dir).unwrap();
    copy(&dir, &repo.path("prebuilt/layout"));
    let from_dir = import(&repo, "prebuilt/layout");
    assert_eq!(
        from_dir,
        layout::Image { dir: from_dir.dir.clone(), ..built.clone() },
        "already annotated: nothing changes"
    );

    let tar = std::process::Command::new("tar")
        .args(["-C", dir.to_str().unwrap(), "-cf"])
        .arg(repo.path("prebuilt/hello.oci.tar"))
        .arg(".")
        .status()
        .unwrap();
    assert!(tar.success());
    let from_tar = import(&repo, "prebuilt/hello.oci.tar");
    assert_eq!(from_tar.root.digest, built.root.digest);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn docker_save_archives_are_converted_and_read_by_skopeo() {
    peers("skopeo");
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let repo = TestRepo::fixture("minimal");
    let save = repo.path("prebuilt/save");
    std::fs::create_dir_all(save.join("layer")).unwrap();
    let mut layer = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    header.set_cksum();
    layer.append_data(&mut header, "hello.txt", &b"hello\n"[..]).unwrap();
    let layer = layer.into_inner().unwrap();
    std::fs::write(save.join("layer/layer.tar"), &layer).unwrap();
    let diff_id = format!("sha256:{}", xtask::build::sha256_file(&save.join("layer/layer.tar")).unwrap().0);
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello.txt"]}, "rootfs": {"type": "layers", "diff_ids": [diff_id]}});
    std::fs::write(save.join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
    std::fs::write(
        save.join("manifest.json"),
        r#"[{"Config":"config.json","RepoTags":["hello:latest"],"Layers":["layer/layer.tar"]}]"#,
    )
    .unwrap();
    let ok = std::process::Command::new("tar")
        .args(["-C", save.to_str().unwrap(), "-cf"])
        .arg(repo.path("prebuilt/hello.docker.tar"))
        .args(["manifest.json", "config.json", "layer"])
        .status()
        .unwrap();
    assert!(ok.success());

    let image = import(&repo, "prebuilt/hello.docker.tar");
    let out = run(&skopeo, &["inspect", &format!("oci:{}", image.dir.display())], Path::new("/"), &[]);
    let inspected: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(inspected["Digest"], image.root.digest.as_str());
    assert_eq!(inspected["Layers"], serde_json::json!([diff_id]), "the uncompressed layer is kept as it is");
}

fn copy(from: &Path, to: &Path) {
    crate::support::copy_dir(from, to);
}

/// A pinned Compose bundle names this build's image by digest; the repository's file is untouched.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn compose_bundles_pin_this_releases_digests() {
    let (repo, dir) = built();
    let image = layout::read(&dir).unwrap();
    let compose = crate::support::tar_text(&repo.out("0.2.0").join("demo-compose-0.2.0.tar.gz"), "compose.yaml");
    assert!(compose.contains(&format!("image: ghcr.io/acme/hello@{}", image.root.digest)), "{compose}");
    assert!(repo.read("docker/compose/compose.yaml").contains("image: ghcr.io/acme/hello:0.2.0"));
}

#[test]
fn without_images_a_pinned_bundle_is_left_unpinned_with_a_note() {
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert!(
        run.stdout.contains("note: bundle `demo-compose` is not pinned: image `hello` was not built here"),
        "{}",
        run.stdout
    );
}

/// A second repository gets the shared blobs by cross-repository mount, not by upload.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn shared_blobs_are_mounted_across_repositories() {
    let (_repo, dir) = built();
    let server = RegistryServer::start(&[]).unwrap();
    let registry = registry(&server);
    let image = layout::read(&dir).unwrap();
    let tags = vec!["0.2.0".to_owned()];
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(registry.push_image("hello", &image, &tags, "0.2.0")).unwrap();
    let second = runtime.block_on(registry.push_image("hello-copy", &image, &tags, "0.2.0")).unwrap();
    assert_eq!((second.uploaded, second.mounted), (0, image.blobs.len()));
    assert_eq!(server.requests("POST", "/v2/acme/hello-copy/blobs/uploads/?mount=sha256"), image.blobs.len());
    assert_eq!(
        server.requests("PUT", "/v2/acme/hello-copy/blobs/uploads/"),
        0,
        "nothing uploaded to the second repository"
    );
}

/// The registry dies in the middle of a push; after a restart the rerun finishes the job,
/// uploading only what is missing, and every digest is right.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_push_cut_short_by_a_dying_registry_converges_on_rerun() {
    let (_repo, dir) = built();
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let image = layout::read(&dir).unwrap();
    // The registry kills itself right after it stores its first blob.
    let server = RegistryServer::start_with(
        tempfile::tempdir().unwrap(),
        Options { die_on: Some("http.request.method=PUT"), ..Options::default() },
    )
    .unwrap();
    let err = push(&registry(&server), &image, &["0.2.0", "latest"]).unwrap_err();
    assert!(format!("{err:#}").contains("127.0.0.1"), "{err:#}");
    let server = server.restart().unwrap();
    let rerun = push(&registry(&server), &image, &["0.2.0", "latest"]).unwrap();
    assert!(rerun.uploaded < image.blobs.len(), "what landed before the crash is not uploaded again");
    let raw = run(
        &skopeo,
        &["inspect", "--raw", "--tls-verify=false", &format!("docker://{}/acme/hello:0.2.0", server.host())],
        Path::new("/"),
        &[],
    );
    assert_eq!(raw.as_bytes(), image.root.bytes.as_slice());
    for child in &image.children {
        let at = format!("docker://{}/acme/hello@{}", server.host(), child.digest);
        run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &at], Path::new("/"), &[]);
    }
}

/// GHCR's flow: the registry answers 401 with a Bearer challenge, the client trades Basic
/// credentials for a token at the realm, and pushes with it. Wrong or missing credentials are
/// clear errors that never show the password.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn bearer_token_exchange_like_ghcr() {
    let (_repo, dir) = built();
    let peers = crate::support::peers("token server");
    let server =
        xtask_dev::registry::TokenRegistry::start(&crate::support::python(&peers), "pusher:canary-Secret-42").unwrap();
    let base = parse_registry_base(&format!("http://{}/acme", server.host())).unwrap();
    let image = layout::read(&dir).unwrap();
    let with = |username: &str, password: Option<&str>| {
        let registry =
            Registry::new(&base, password.map(|p| Credentials { username: username.into(), password: p.into() }));
        push(&registry, &image, &["0.2.0"])
    };
    let anonymous = format!("{:#}", with("x-access-token", None).unwrap_err());
    assert!(anonymous.to_lowercase().contains("denied") || anonymous.contains("401"), "{anonymous}");
    let wrong = format!("{:#}", with("pusher", Some("wrong-canary-pw")).unwrap_err());
    assert!(!wrong.contains("wrong-canary-pw"), "the password never appears: {wrong}");
    let pushed = with("pusher", Some("canary-Secret-42")).unwrap();
    assert_eq!(pushed.digest, image.root.digest);
    assert!(!server.log().contains("canary-Secret-42"));
}

/// A registry behind TLS with a private CA: refused without the CA, pushed with it.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_private_ca_is_trusted_only_when_given() {
    let (repo, dir) = built();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(t).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(t.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.crt",
    ]);
    let (crt, key) = (t.join("server.crt"), t.join("server.key"));
    let server = RegistryServer::start_with(
        tempfile::tempdir().unwrap(),
        Options { tls: Some((&crt, &key)), ..Options::default() },
    )
    .unwrap();
    let base = parse_registry_base(&format!("{}/acme", server.host())).unwrap();
    assert!(!base.plain_http);
    let image = layout::read(&dir).unwrap();
    let untrusted = format!("{:#}", push(&Registry::new(&base, None), &image, &["0.2.0"]).unwrap_err());
    assert!(untrusted.to_lowercase().contains("certificate") || untrusted.contains("cannot reach"), "{untrusted}");
    let trusted = Registry::with_roots(&base, None, &[t.join("ca.crt")]).unwrap();
    assert_eq!(push(&trusted, &image, &["0.2.0"]).unwrap().digest, image.root.digest);
    let err = Registry::with_roots(&base, None, &[t.join("ext.cnf")]).err().unwrap().to_string();
    assert!(err.contains("holds no PEM certificate"), "{err}");

    // The commands take the CA from SSL_CERT_FILE: dry-run reads the registry's tags over TLS.
    let github = xtask_dev::github::GithubFake::start(Default::default()).unwrap();
    let (api, registry) = (github.api_url(), format!("{}/acme", server.host()));
    let pages = crate::support::bare_remote(t);
    let ca = t.join("ca.crt");
    let mut env = vec![
        ("GITHUB_TOKEN", "test-token"),
        ("GITHUB_API_URL", api.as_str()),
        ("GITHUB_SERVER_URL", api.as_str()),
        ("LAMINA_REGISTRY", registry.as_str()),
        ("LAMINA_PAGES_REMOTE", pages.to_str().unwrap()),
    ];
    let untrusted = repo.xtask_env(&["dry-run", "--builder", "buildah"], &env).ok();
    assert!(
        untrusted.stdout.contains("remote state not read") && untrusted.stdout.contains("certificate"),
        "{}",
        untrusted.stdout
    );
    env.push(("SSL_CERT_FILE", ca.to_str().unwrap()));
    let trusted = repo.xtask_env(&["dry-run", "--builder", "buildah"], &env).ok();
    // The tags were read over TLS (the version tag holds the image pushed above, built with
    // another GITHUB_SERVER_URL in its source annotation, so it would be refused).
    let line = trusted.stdout.lines().find(|l| l.contains("acme/hello:0.2.0 ")).unwrap_or_default();
    assert!(line.trim_start().starts_with("refuse"), "{}", trusted.stdout);
    let line = trusted.stdout.lines().find(|l| l.contains("acme/hello:latest")).unwrap_or_default();
    assert!(line.trim_start().starts_with("create"), "{}", trusted.stdout);
}

/// A BuildKit-style index with an attestation manifest (platform unknown/unknown, in-toto layer)
/// is read, annotated without touching the attestation, pushed whole and read back by skopeo.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn indexes_with_attestation_manifests_are_pushed_whole() {
    let (_repo, dir) = built();
    let skopeo = tool("skopeo", "apt-get install skopeo");
    use sha2::Digest;
    let write_blob = |bytes: &[u8]| {
        let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
        std::fs::write(dir.join("blobs/sha256").join(&digest[7..]), bytes).unwrap();
        digest
    };
    let image = layout::read(&dir).unwrap();
    let child = &image.children[0];
    let statement = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[]}"#;
    let empty = write_blob(b"{}");
    let statement_digest = write_blob(statement);
    let attestation = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": statement_digest, "size": statement.len(),
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}]
    }))
    .unwrap();
    let attestation_digest = write_blob(&attestation);
    let mut root: serde_json::Value = serde_json::from_slice(&image.root.bytes).unwrap();
    root["manifests"].as_array_mut().unwrap().push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": attestation_digest, "size": attestation.len(),
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {"vnd.docker.reference.digest": child.digest, "vnd.docker.reference.type": "attestation-manifest"}
    }));
    let root_bytes = serde_json::to_vec(&root).unwrap();
    let root_digest = write_blob(&root_bytes);
    // `index.json` without mediaType, as some builders write it.
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(
            &serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": root_digest, "size": root_bytes.len()}]}),
        )
        .unwrap(),
    )
    .unwrap();

    let annotated = xtask::layout::annotate(&dir, &[("org.example.note".to_owned(), "x".to_owned())].into()).unwrap();
    let with_attestation = layout::read(&dir).unwrap();
    assert_eq!(with_attestation.root.digest, annotated);
    assert_eq!(with_attestation.children.len(), 3);
    assert!(
        with_attestation.children.iter().any(|c| c.digest == attestation_digest),
        "the attestation keeps its bytes"
    );
    assert!(with_attestation.blobs.iter().any(|b| b.digest == statement_digest));

    let server = RegistryServer::start(&[]).unwrap();
    push(&registry(&server), &with_attestation, &["0.2.0"]).unwrap();
    let host = server.host();
    let raw = run(
        &skopeo,
        &["inspect", "--raw", "--tls-verify=false", &format!("docker://{host}/acme/hello:0.2.0")],
        Path::new("/"),
        &[],
    );
    assert_eq!(raw.as_bytes(), with_attestation.root.bytes.as_slice());
    let at = format!("docker://{host}/acme/hello@{attestation_digest}");
    let attested = run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &at], Path::new("/"), &[]);
    assert_eq!(attested.as_bytes(), attestation.as_slice());
}

/// The buildx path, through a `docker` front end that runs the real buildah behind the buildx
/// command line (no Docker engine runs on this machine): picked by `--builder auto` when docker
/// answers, given the flags reproducible builds need, and its OCI tar read back as a
/// two-platform annotated image whose digest repeats.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn the_buildx_path_builds_through_a_docker_front_end() {
    peers("buildah");
    let repo = TestRepo::fixture("minimal");
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/docker-shim");
    let log = repo.root.parent().unwrap().join("docker.log");
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH", path.as_str()), ("DOCKER_SHIM_LOG", log.to_str().unwrap())];
    let first = repo.xtask_env(&["dry-run"], &env).ok();
    let built = |stdout: &str| stdout.lines().find(|l| l.contains("image hello  sha256:")).map(str::to_owned);
    let digest = built(&first.stdout).unwrap_or_else(|| panic!("not built:\n{}\n{}", first.stdout, first.stderr));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("buildx build --platform linux/amd64,linux/arm64 --provenance=false --sbom=false -f "),
        "{calls}"
    );
    assert!(calls.contains(",rewrite-timestamp=true"), "{calls}");
    let image = layout::read(&repo.out("0.2.0").join("images/hello")).unwrap();
    assert_eq!(image.children.len(), 2);
    assert!(String::from_utf8_lossy(&image.root.bytes).contains("org.opencontainers.image.source"));
    let second = repo.xtask_env(&["dry-run", "--builder", "buildx"], &env).ok();
    assert_eq!(built(&second.stdout), Some(digest), "a rebuild gives the same digest");
}
