//! Charts as OCI artifacts on the real registry: Helm's media types, Helm pulls them (anonymous
//! and with htpasswd), a rerun is a no-op, a different artifact at a published tag is refused.

use crate::support::{RegistryServer, TestRepo, peers, python, run, tool};
use lamina_remote::registry::Credentials;
use std::path::Path;
use xtask::channel::registry::{Pushed, Registry};
use xtask::config::parse_registry_base;
use xtask::helm::{archive, oci};

fn chart(repo: &TestRepo) -> (serde_json::Value, Vec<u8>, String) {
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let path = repo.out("0.2.0").join("demo-0.2.0.tgz");
    let chart = archive::read(&path).unwrap();
    (chart.metadata, std::fs::read(&path).unwrap(), xtask::plan::rfc3339(chart.mtime))
}

fn push(registry: &Registry, tag: &str, artifact: &oci::ChartArtifact, bytes: &[u8]) -> anyhow::Result<Pushed> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let reference = registry.chart_reference("demo", tag);
    runtime.block_on(async {
        let pushed = registry.push_chart(&reference, artifact, bytes).await?;
        registry.tag_chart(&reference, artifact).await?;
        Ok(pushed)
    })
}

#[test]
fn chart_artifact_is_reproducible_and_shaped_like_helms() {
    let repo = TestRepo::fixture("minimal");
    let (meta, bytes, created) = chart(&repo);
    let a = oci::chart_artifact(&meta, &bytes, &created);
    assert_eq!(a, oci::chart_artifact(&meta, &bytes, &created));
    let manifest: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
    assert!(manifest.get("mediaType").is_none(), "Helm's chart manifest has no mediaType");
    assert_eq!(
        manifest["layers"][0]["digest"],
        format!("sha256:{}", xtask::build::sha256_file(&repo.out("0.2.0").join("demo-0.2.0.tgz")).unwrap().0)
    );
    insta::assert_snapshot!("oci_chart_manifest", serde_json::to_string_pretty(&manifest).unwrap());
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn helm_pulls_the_pushed_chart_and_a_rerun_changes_nothing() {
    let peers = peers("registry and Helm v4");
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let server = RegistryServer::start(&[]).unwrap();
    let repo = TestRepo::fixture("minimal");
    let (meta, bytes, created) = chart(&repo);
    let artifact = oci::chart_artifact(&meta, &bytes, &created);
    let base = parse_registry_base(&format!("http://{}/acme", server.host())).unwrap();
    let registry = Registry::new(&base, None);
    let first = push(&registry, "0.2.0", &artifact, &bytes).unwrap();
    assert!(matches!(first, Pushed::Created { .. }), "{first:?}");

    let reference = format!("oci://{}/acme/charts/demo:0.2.0", server.host());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_oci.py");
    let out = run(&python(&peers), &[script.to_str().unwrap(), &reference], Path::new("/"), &[]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["resolved"]["digest"], artifact.manifest_digest.as_str(), "Helm resolves the digest we computed");
    assert_eq!(
        report["sha256"],
        xtask::build::sha256_file(&repo.out("0.2.0").join("demo-0.2.0.tgz")).unwrap().0.as_str()
    );

    let raw = run(
        &skopeo,
        &["inspect", "--raw", "--tls-verify=false", &format!("docker://{}/acme/charts/demo:0.2.0", server.host())],
        Path::new("/"),
        &[],
    );
    let manifest: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json");
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    assert_eq!(raw.as_bytes(), artifact.manifest.as_slice(), "the registry holds our exact bytes");

    let uploads = server.requests("PUT", "/v2/acme/charts/demo/blobs/uploads/");
    assert_eq!(uploads, 2, "config and chart layer uploaded once each:\n{}", server.log());
    let again = push(&registry, "0.2.0", &artifact, &bytes).unwrap();
    assert!(matches!(again, Pushed::Unchanged { .. }), "{again:?}");
    assert_eq!(server.requests("PUT", "/v2/acme/charts/demo/blobs/uploads/"), uploads, "a rerun uploads nothing");
    let manifests = server.requests("PUT", "/v2/acme/charts/demo/manifests/");
    assert_eq!(manifests, 2, "the manifest by digest, then the tag, each once: a rerun pushes neither again");

    // Another artifact at the published tag is refused, and the tag keeps its digest.
    let other = oci::chart_artifact(&meta, &bytes, "2030-01-01T00:00:00Z");
    let err = lamina_remote::hint::render(&push(&registry, "0.2.0", &other, &bytes).unwrap_err());
    assert!(err.contains("already holds") && err.contains("immutable"), "{err}");
    let out = run(&python(&peers), &[script.to_str().unwrap(), &reference], Path::new("/"), &[]);
    assert!(out.contains(&artifact.manifest_digest));
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn htpasswd_registry_needs_the_right_password() {
    let peers = peers("registry and Helm v4");
    let server = RegistryServer::start(&[("pusher", "s3cret-pass")]).unwrap();
    let repo = TestRepo::fixture("minimal");
    let (meta, bytes, created) = chart(&repo);
    let artifact = oci::chart_artifact(&meta, &bytes, &created);
    let base = parse_registry_base(&format!("http://{}/acme", server.host())).unwrap();

    let wrong =
        Registry::new(&base, Some(Credentials { username: "pusher".into(), password: "wrong-canary-pw".into() }));
    let err = format!("{:#}", push(&wrong, "0.2.0", &artifact, &bytes).unwrap_err());
    assert!(err.contains("refused the credentials") || err.contains("unauthorized") || err.contains("401"), "{err}");
    assert!(!err.contains("wrong-canary-pw"), "the password never appears in messages: {err}");

    let right = Registry::new(&base, Some(Credentials { username: "pusher".into(), password: "s3cret-pass".into() }));
    assert!(matches!(push(&right, "0.2.0", &artifact, &bytes).unwrap(), Pushed::Created { .. }));
    let reference = format!("oci://{}/acme/charts/demo:0.2.0", server.host());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_oci.py");
    let out =
        run(&python(&peers), &[script.to_str().unwrap(), &reference, "pusher", "s3cret-pass"], Path::new("/"), &[]);
    assert!(out.contains(&artifact.manifest_digest), "{out}");
}

#[test]
fn plain_http_is_refused_for_hosts_that_are_not_loopback() {
    let err = parse_registry_base("http://registry.example.com/acme").unwrap_err();
    assert!(err.contains("not loopback"), "{err}");
}
