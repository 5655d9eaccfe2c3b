//! The fake behind `prism proxy --errors` with GitHub's own OpenAPI description (trimmed to the
//! release endpoints by `cargo xtask test`): every answer must satisfy the description.

use super::{AUTH, OWNER, REPO, block_on, send};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use xtask_dev::github::{GithubFake, Options, SeedRelease};

/// `prism proxy --errors` with GitHub's description (trimmed to the release endpoints) in front of
/// each host of the fake: every answer must satisfy the description, or prism turns it into a 500
/// with an `sl-violations` header. One proxy per host, since prism forwards to a single upstream.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn answers_satisfy_githubs_openapi_description_through_prism() {
    let peers = crate::support::peers("prism with GitHub's OpenAPI description");
    let fake = GithubFake::start(Options::default()).unwrap();
    let started = Instant::now();
    let mut api_proxy = Prism::start(&peers, &fake.api_url());
    let mut upload_proxy = Prism::start(&peers, &fake.upload_url());
    let (api, uploads) = (api_proxy.url.clone(), upload_proxy.url.clone());
    block_on(async {
        api_proxy.wait_ready().await;
        upload_proxy.wait_ready().await;
        eprintln!("both prism proxies ready after {:.1?}", started.elapsed());
        let log_before = fake.requests().len();
        let repo = format!("/repos/{OWNER}/{REPO}");
        let json = |v: Value| Some((serde_json::to_vec(&v).unwrap(), "application/json"));

        let (_, body) = check(&api, "GET", &repo, None, 200).await;
        assert_eq!(body["full_name"], "acme/infra-demo");
        let create = json!({"tag_name": "v1.0.0", "target_commitish": "main", "name": "v1.0.0", "body": "notes",
            "draft": true, "prerelease": false, "make_latest": "false"});
        let (headers, release) = check(&api, "POST", &format!("{repo}/releases"), json(create.clone()), 201).await;
        assert!(headers.contains_key("location"));
        let id = release["id"].as_u64().unwrap();
        check(&api, "POST", &format!("{repo}/releases"), json(create), 422).await;
        check(&api, "POST", &format!("{repo}/releases"), json(json!({"tag_name": "v0.9.0"})), 201).await;
        let (headers, listed) = check(&api, "GET", &format!("{repo}/releases?per_page=1"), None, 200).await;
        assert_eq!((listed[0]["id"].as_u64(), headers.contains_key("link")), (Some(id + 1), true));
        check(&api, "GET", &format!("{repo}/releases/{id}"), None, 200).await;
        let wrong = [("authorization", "Bearer wrong"), ("accept", "application/json")];
        let (status, headers, _) = send(&format!("{api}{repo}/releases/{id}"), "GET", &wrong, None).await.unwrap();
        assert!(status == 401 && !headers.contains_key("sl-violations"), "{status} {headers:?}");
        check(&api, "GET", &format!("{repo}/releases/tags/v1.0.0"), None, 404).await;

        let upload = format!("{repo}/releases/{id}/assets?name=chart.tgz&label=Chart");
        let chart = || Some((b"chart".to_vec(), "application/octet-stream"));
        let (_, asset) = check(&uploads, "POST", &upload, chart(), 201).await;
        check(&uploads, "POST", &upload, chart(), 422).await;
        let asset_id = asset["id"].as_u64().unwrap();
        check(&api, "GET", &format!("{repo}/releases/{id}/assets"), None, 200).await;
        check(&api, "GET", &format!("{repo}/releases/assets/{asset_id}"), None, 200).await;
        let rename = json(json!({"name": "chart-1.0.0.tgz", "label": "Chart"}));
        check(&api, "PATCH", &format!("{repo}/releases/assets/{asset_id}"), rename, 200).await;
        let publish = json(json!({"draft": false, "make_latest": "true"}));
        check(&api, "PATCH", &format!("{repo}/releases/{id}"), publish, 200).await;
        check(&api, "GET", &format!("{repo}/releases/tags/v1.0.0"), None, 200).await;
        check(&api, "GET", &format!("{repo}/releases/latest"), None, 200).await;
        let notes = json(json!({"tag_name": "v1.1.0"}));
        check(&api, "POST", &format!("{repo}/releases/generate-notes"), notes, 200).await;
        check(&api, "DELETE", &format!("{repo}/releases/assets/{asset_id}"), None, 204).await;
        check(&api, "DELETE", &format!("{repo}/releases/{id}"), None, 204).await;
        check(&api, "GET", &format!("{repo}/releases/tags/v1.0.0"), None, 404).await;

        // Every request reached the fake: prism forwarded rather than mocked.
        let forwarded = fake.requests().split_off(log_before);
        assert_eq!(forwarded.len(), 20, "{forwarded:?}");
        assert_eq!(forwarded.iter().filter(|r| r.upload_host).count(), 2);

        // The control: GitHub answers `starter` for a failed upload, which its description's enum
        // (`uploaded`, `open`) does not allow; prism must catch it.
        let starter = vec!["x".to_owned()];
        let seeded =
            fake.seed(SeedRelease { tag_name: "v0.1.0".into(), draft: true, assets: vec![], starter_assets: starter });
        let url = format!("{api}{repo}/releases/{seeded}/assets");
        let (status, headers, _) = send(&url, "GET", &[AUTH, ("accept", "application/json")], None).await.unwrap();
        let violations = headers.get("sl-violations").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(status == 500 && violations.contains("state"), "{status} {violations}");
    });
}

/// One request through prism (`body`: bytes and content type): the expected status, and no
/// `sl-violations`.
async fn check(
    base: &str,
    method: &str,
    path: &str,
    body: Option<(Vec<u8>, &str)>,
    expected: u16,
) -> (reqwest::header::HeaderMap, Value) {
    let mut headers = vec![AUTH, ("accept", "application/json")];
    headers.extend(body.as_ref().map(|(_, content_type)| ("content-type", *content_type)));
    let (status, headers, bytes) = send(&format!("{base}{path}"), method, &headers, body.map(|b| b.0)).await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(status, expected, "{method} {path}: {text}\n{headers:?}");
    assert!(!headers.contains_key("sl-violations"), "{method} {path}: {:?}", headers["sl-violations"]);
    (headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A `prism proxy` process on a free loopback port, killed on drop; its output goes to a file.
pub struct Prism {
    pub url: String,
    child: crate::support::KillOnDrop,
    log: tempfile::NamedTempFile,
}

impl Prism {
    pub fn start(peers: &std::path::Path, upstream: &str) -> Prism {
        let prism = peers.join("npm/node_modules/.bin/prism");
        let spec = peers.join("npm").join(xtask_dev::peers::GITHUB_RELEASES_SPEC);
        for path in [&prism, &spec] {
            assert!(path.exists(), "{} is missing: run `cargo xtask test`", path.display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = std::process::Command::new(&prism)
            .args(["proxy", "-h", "127.0.0.1", "-p", &port.to_string(), "--errors"])
            .arg(&spec)
            .arg(upstream)
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        Prism { url: format!("http://127.0.0.1:{port}"), child: crate::support::KillOnDrop(child), log }
    }

    /// Polls until prism answers (any status), for at most 60 s.
    pub async fn wait_ready(&mut self) {
        let (deadline, probe) =
            (Instant::now() + Duration::from_secs(60), format!("{}/repos/o/r/releases/0", self.url));
        while send(&probe, "GET", &[AUTH, ("accept", "application/json")], None).await.is_err() {
            let exited = self.child.0.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
                panic!("prism at {} did not start ({exited:?}):\n{log}", self.url);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
