//! The GitHub fake (`xtask_dev::github`) answers like GitHub's Releases API: driven here by
//! octocrab and plain HTTP, and through `prism proxy` with GitHub's own OpenAPI description.

use octocrab::Octocrab;
use octocrab::repos::releases::MakeLatest;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use xtask_dev::github::{Fault, FaultKind, GithubFake, Options, SeedRelease};

/// The same answers through `prism proxy`, validated against GitHub's OpenAPI description.
pub mod prism;

pub const OWNER: &str = "acme";
pub const REPO: &str = "infra-demo";

pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn octocrab(fake: &GithubFake, token: &str) -> Octocrab {
    Octocrab::builder()
        .personal_token(token.to_owned())
        .base_uri(fake.api_url())
        .unwrap()
        .upload_uri(fake.upload_url())
        .unwrap()
        .build()
        .unwrap()
}

/// The GitHub error inside an octocrab error: `(status, first errors[].code)`.
fn github_error(error: &octocrab::Error) -> (u16, Option<String>) {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            let code = source.errors.as_ref().and_then(|e| e.first()).and_then(|e| e["code"].as_str());
            (source.status_code.as_u16(), code.map(str::to_owned))
        }
        other => panic!("expected a GitHub error, got {other:?}"),
    }
}

fn fault(method: &str, path_contains: &str, kind: FaultKind) -> Fault {
    Fault { method: method.to_owned(), path_contains: path_contains.to_owned(), kind, times: 1 }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A raw request: `(status, headers, body)`; redirects are not followed.
pub async fn send(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> reqwest::Result<(u16, reqwest::header::HeaderMap, Vec<u8>)> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut request = client.request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await?;
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    Ok((status, headers, response.bytes().await?.to_vec()))
}

/// The default token of the fake.
pub const AUTH: (&str, &str) = ("authorization", "Bearer test-token");

#[test]
fn draft_release_lifecycle_through_octocrab() {
    let fake = GithubFake::start(Options::default()).unwrap();
    block_on(async {
        let gh = octocrab(&fake, "test-token");
        let repo = gh.repos(OWNER, REPO);
        let releases = repo.releases();
        let draft = releases.create("v1.2.3").name("v1.2.3").body("notes").draft(true).send().await.unwrap();
        assert!(draft.draft && draft.published_at.is_none() && draft.immutable == Some(false));
        let upload_prefix = format!("{}/repos/{OWNER}/{REPO}/releases/{}/assets", fake.upload_url(), draft.id.0);
        assert_eq!(draft.upload_url, format!("{upload_prefix}{{?name,label}}"));

        // A draft is invisible to get-by-tag: it is found by listing.
        assert_eq!(github_error(&releases.get_by_tag("v1.2.3").await.unwrap_err()), (404, None));
        let page = releases.list().per_page(100).send().await.unwrap();
        let found: Vec<_> = page.items.iter().filter(|r| r.tag_name == "v1.2.3").collect();
        assert_eq!((found.len(), found[0].id, found[0].draft), (1, draft.id, true));
        let again = releases.create("v1.2.3").draft(true).send().await.unwrap_err();
        assert_eq!(github_error(&again), (422, Some("already_exists".to_owned())));

        // Uploads go to the upload host; a second upload with the name is refused.
        let chart = b"chart bytes".to_vec();
        let asset = releases.upload_asset(draft.id.0, "chart.tgz", chart.clone().into()).label("Chart");
        let asset = asset.send().await.unwrap();
        assert_eq!((asset.state.as_str(), asset.size, asset.label.as_deref()), ("uploaded", 11, Some("Chart")));
        assert_eq!(asset.digest, Some(sha256(&chart)));
        assert!(asset.browser_download_url.as_str().contains("/releases/download/untagged-"), "{asset:?}");
        let uploads: Vec<_> = fake.requests().into_iter().filter(|r| r.upload_host).collect();
        assert_eq!(uploads.len(), 1);
        assert!(uploads[0].path_and_query.ends_with("/assets?name=chart.tgz&label=Chart"), "{uploads:?}");
        let duplicate = releases.upload_asset(draft.id.0, "chart.tgz", chart.clone().into()).send().await;
        assert_eq!(github_error(&duplicate.unwrap_err()), (422, Some("already_exists".to_owned())));

        // A 502 that leaves an empty `starter` asset behind.
        fake.inject(fault("POST", "name=values.yaml", FaultKind::Starter502));
        let values = b"replicas: 2\n".to_vec();
        let failed = releases.upload_asset(draft.id.0, "values.yaml", values.clone().into()).send().await;
        assert_eq!(github_error(&failed.unwrap_err()).0, 502);
        let assets = releases.assets(draft.id.0).send().await.unwrap().items;
        let starter = assets.iter().find(|a| a.name == "values.yaml").unwrap();
        assert_eq!((starter.state.as_str(), starter.size, starter.digest.as_deref()), ("starter", 0, None));
        repo.release_assets().delete(starter.id.0).await.unwrap();

        // A 502 after the upload landed.
        fake.inject(fault("POST", "name=values.yaml", FaultKind::LandThen502));
        let landed = releases.upload_asset(draft.id.0, "values.yaml", values.clone().into()).send().await;
        assert_eq!(github_error(&landed.unwrap_err()).0, 502);
        let assets = releases.assets(draft.id.0).send().await.unwrap().items;
        let stored = assets.iter().find(|a| a.name == "values.yaml").unwrap();
        assert_eq!((stored.state.as_str(), stored.digest.clone()), ("uploaded", Some(sha256(&values))));
        repo.release_assets().delete(stored.id.0).await.unwrap();
        assert_eq!(releases.assets(draft.id.0).send().await.unwrap().items.len(), 1);

        // Publishing: get-by-tag and latest find it, downloads move to the tag.
        let published = releases.update(draft.id.0).draft(false).make_latest(MakeLatest::True).send().await.unwrap();
        assert!(!published.draft && published.published_at.is_some());
        assert_eq!(releases.get_by_tag("v1.2.3").await.unwrap().id, draft.id);
        assert_eq!(releases.get_latest().await.unwrap().id, draft.id);
        let url = published.assets[0].browser_download_url.to_string();
        assert_eq!(url, format!("{}/{OWNER}/{REPO}/releases/download/v1.2.3/chart.tgz", fake.api_url()));
        // A private repository's browser URL answers 404, with a token too, as GitHub does.
        assert_eq!(send(&url, "GET", &[], None).await.unwrap().0, 404);
        assert_eq!(send(&url, "GET", &[AUTH], None).await.unwrap().0, 404);

        // The asset endpoint redirects to a storage host of another origin when asked for the
        // bytes; the storage host refuses a request that still carries the token.
        let asset_url = published.assets[0].url.to_string();
        let octet = [AUTH, ("accept", "application/octet-stream")];
        let (status, headers, _) = send(&asset_url, "GET", &octet, None).await.unwrap();
        let location = headers["location"].to_str().unwrap().to_owned();
        assert!(status == 302 && location.starts_with(&fake.upload_url()), "{status} {location}");
        let (status, _, bytes) = send(&location, "GET", &[], None).await.unwrap();
        assert_eq!((status, bytes), (200, chart.clone()));
        assert_eq!(send(&location, "GET", &[AUTH], None).await.unwrap().0, 400);
    });
    let state = fake.releases();
    assert_eq!(state.len(), 1);
    let release = &state[0];
    assert_eq!((release.draft, release.make_latest.as_deref(), release.immutable), (false, Some("true"), false));
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["chart.tgz"]);
    // 2 creates, 4 uploads, 2 deletes, 1 publish.
    assert_eq!(fake.writes(), 9);
}

#[test]
fn listing_paginates_newest_first_with_link_headers() {
    let fake = GithubFake::start(Options::default()).unwrap();
    let seed = |i: usize| SeedRelease {
        tag_name: format!("v0.{i}.0"),
        draft: i.is_multiple_of(10),
        assets: vec![(format!("a-{i}.tgz"), vec![1, 2, 3])],
        starter_assets: vec![],
    };
    let ids: Vec<u64> = (0..150).map(|i| fake.seed(seed(i))).collect();
    block_on(async {
        let base = format!("{}/repos/{OWNER}/{REPO}/releases", fake.api_url());
        let (status, headers, body) = send(&format!("{base}?per_page=100"), "GET", &[AUTH], None).await.unwrap();
        let first: Vec<Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, first.len(), first[0]["id"].as_u64()), (200, 100, ids.last().copied()));
        let link = headers["link"].to_str().unwrap();
        assert!(link.contains(&format!("<{base}?per_page=100&page=2>; rel=\"next\"")), "{link}");
        assert!(link.contains("rel=\"last\""), "{link}");
        let (_, headers, body) = send(&format!("{base}?per_page=100&page=2"), "GET", &[AUTH], None).await.unwrap();
        assert_eq!(serde_json::from_slice::<Vec<Value>>(&body).unwrap().len(), 50);
        assert!(!headers["link"].to_str().unwrap().contains("rel=\"next\""));
        let (_, _, body) = send(&base, "GET", &[AUTH], None).await.unwrap();
        assert_eq!(serde_json::from_slice::<Vec<Value>>(&body).unwrap().len(), 30, "default per_page");

        // octocrab follows the links; drafts are listed too.
        let gh = octocrab(&fake, "test-token");
        let page = gh.repos(OWNER, REPO).releases().list().per_page(100).send().await.unwrap();
        let all = gh.all_pages(page).await.unwrap();
        let listed: Vec<u64> = all.iter().map(|r| r.id.0).collect();
        assert_eq!(listed, ids.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(all.iter().filter(|r| r.draft).count(), 15);
        let assets = gh.repos(OWNER, REPO).releases().assets(ids[1]).per_page(1).send().await.unwrap();
        assert_eq!((assets.items[0].name.as_str(), assets.next), ("a-1.tgz", None));
    });
}

#[test]
fn immutable_releases_lock_their_assets_once_published() {
    let fake = GithubFake::start(Options { immutable: true, ..Options::default() }).unwrap();
    block_on(async {
        let gh = octocrab(&fake, "test-token");
        let repo = gh.repos(OWNER, REPO);
        let releases = repo.releases();
        let draft = releases.create("v2.0.0").draft(true).send().await.unwrap();
        assert_eq!(draft.immutable, Some(false), "drafts stay mutable");
        let asset = releases.upload_asset(draft.id.0, "a.txt", b"a".to_vec().into()).send().await.unwrap();
        let published = releases.update(draft.id.0).draft(false).send().await.unwrap();
        assert_eq!(published.immutable, Some(true));

        let refused = releases.upload_asset(draft.id.0, "b.txt", b"b".to_vec().into()).send().await.unwrap_err();
        match &refused {
            octocrab::Error::GitHub { source, .. } => {
                assert_eq!(source.status_code.as_u16(), 422);
                assert_eq!(source.message, "Cannot upload assets to an immutable release");
            }
            other => panic!("{other:?}"),
        }
        let asset_url = format!("{}/repos/{OWNER}/{REPO}/releases/assets/{}", fake.api_url(), asset.id.0);
        assert_eq!(send(&asset_url, "DELETE", &[AUTH], None).await.unwrap().0, 422);
        let rename = Some(br#"{"name":"c.txt"}"#.to_vec());
        assert_eq!(send(&asset_url, "PATCH", &[AUTH], rename).await.unwrap().0, 422);
        // The body stays editable; the tag does not.
        assert!(releases.update(draft.id.0).body("edited").send().await.is_ok());
        let retag = releases.update(draft.id.0).tag_name("v2.0.1").send().await.unwrap_err();
        assert_eq!(github_error(&retag).0, 422);
        // A deleted immutable release's tag can never be used again.
        let url = format!("{}/repos/{OWNER}/{REPO}/releases/{}", fake.api_url(), draft.id.0);
        assert_eq!(send(&url, "DELETE", &[AUTH], None).await.unwrap().0, 204);
        let reuse = releases.create("v2.0.0").draft(true).send().await.unwrap_err();
        assert_eq!(github_error(&reuse), (422, Some("already_exists".to_owned())));
    });
    assert!(fake.releases().is_empty());
}

#[test]
fn auth_validation_and_faults() {
    let fake = GithubFake::start(Options::default()).unwrap();
    let draft = fake.seed(SeedRelease { tag_name: "v1".into(), draft: true, assets: vec![], starter_assets: vec![] });
    block_on(async {
        let api = format!("{}/repos/{OWNER}/{REPO}", fake.api_url());
        let (status, headers, body) = send(&api, "GET", &[("authorization", "token wrong")], None).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, body["message"].as_str()), (401, Some("Bad credentials")));
        assert!(body["documentation_url"].is_string());
        for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"] {
            assert!(headers.contains_key(name), "{name} missing: {headers:?}");
        }
        assert_eq!(headers["x-github-media-type"], "github.v3; format=json");
        let (status, _, body) = send(&api, "GET", &[("authorization", "token test-token")], None).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, &body["permissions"]["push"]), (200, &json!(true)));
        let other = format!("{}/repos/acme/other/releases", fake.api_url());
        assert_eq!(send(&other, "GET", &[AUTH], None).await.unwrap().0, 404);
        let upload_host_api = format!("{}/repos/{OWNER}/{REPO}/releases", fake.upload_url());
        assert_eq!(send(&upload_host_api, "GET", &[AUTH], None).await.unwrap().0, 404);

        // Create: tag_name required, make_latest only "true" | "false" | "legacy".
        let create = |body: Value| send_json(&api, "POST", "/releases", body);
        assert_eq!(create(json!({"name": "x"})).await.0, 422);
        assert_eq!(create(json!({"tag_name": "v2", "make_latest": true})).await.0, 422);
        assert_eq!(create(json!({"tag_name": "v2", "make_latest": "sometimes"})).await.0, 422);
        let (status, body) = create(json!({"tag_name": "v1"})).await;
        assert_eq!((status, &body["errors"][0]["code"]), (422, &json!("already_exists")), "drafts hold their tag");

        // Faults: answered without being applied.
        fake.inject(Fault { times: 2, ..fault("GET", "/releases", FaultKind::Status(500)) });
        let list = format!("{api}/releases");
        assert_eq!(send(&list, "GET", &[AUTH], None).await.unwrap().0, 500);
        assert_eq!(send(&list, "GET", &[AUTH], None).await.unwrap().0, 500);
        assert_eq!(send(&list, "GET", &[AUTH], None).await.unwrap().0, 200);
        fake.inject(fault("*", "/releases", FaultKind::RetryAfter { status: 429, seconds: 7 }));
        let (status, headers, body) =
            send(&list, "POST", &[AUTH], Some(b"{\"tag_name\":\"v3\"}".to_vec())).await.unwrap();
        assert_eq!((status, headers["retry-after"].to_str().unwrap()), (429, "7"));
        let message = serde_json::from_slice::<Value>(&body).unwrap()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("secondary rate limit"), "{message}");
        fake.inject(fault("GET", "", FaultKind::RateLimitReset { seconds: 60 }));
        let (status, headers, _) = send(&list, "GET", &[AUTH], None).await.unwrap();
        let reset: u64 = headers["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!((status, headers["x-ratelimit-remaining"].to_str().unwrap()), (403, "0"));
        assert!((now + 50..=now + 70).contains(&reset), "{reset} vs {now}");

        // A cut connection is a transport error; the fake keeps serving.
        fake.inject(fault("PATCH", &format!("/releases/{draft}"), FaultKind::Cut));
        let url = format!("{api}/releases/{draft}");
        let cut = send(&url, "PATCH", &[AUTH], Some(b"{\"draft\":false}".to_vec())).await.unwrap_err();
        assert!(cut.status().is_none(), "{cut:?}");
        assert_eq!(send(&url, "GET", &[AUTH], None).await.unwrap().0, 200);
    });
    assert!(fake.releases()[0].draft, "faulted requests are not applied");
    assert_eq!(fake.releases().len(), 1);
    let log = fake.requests();
    assert_eq!(log.iter().filter(|r| r.status == 0).count(), 1);
    let writes = log.iter().filter(|r| ["POST", "PATCH", "PUT", "DELETE"].contains(&r.method.as_str())).count();
    assert_eq!((fake.writes(), writes), (6, 6));
    let (api, uploads) = (fake.api_url(), fake.upload_url());
    drop(fake);
    for url in [api, uploads] {
        let address = url.trim_start_matches("http://");
        assert!(std::net::TcpStream::connect(address).is_err(), "{url} still serves after drop");
    }
}

async fn send_json(api: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = Some(serde_json::to_vec(&body).unwrap());
    let (status, _, body) = send(&format!("{api}{path}"), method, &[AUTH], body).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[test]
fn without_push_access_drafts_are_hidden_and_writes_refused() {
    let fake = GithubFake::start(Options { can_push: false, ..Options::default() }).unwrap();
    let seed = |tag: &str, draft| SeedRelease { tag_name: tag.into(), draft, assets: vec![], starter_assets: vec![] };
    let draft = fake.seed(seed("v1", true));
    fake.seed(seed("v0", false));
    block_on(async {
        let gh = octocrab(&fake, "test-token");
        let repo = gh.repos(OWNER, REPO).get().await.unwrap();
        let permissions = repo.permissions.unwrap();
        assert!(!permissions.push && permissions.pull && !permissions.admin);
        let listed = gh.repos(OWNER, REPO).releases().list().send().await.unwrap().items;
        assert_eq!(listed.iter().map(|r| r.tag_name.as_str()).collect::<Vec<_>>(), ["v0"]);
        assert_eq!(github_error(&gh.repos(OWNER, REPO).releases().get(draft).await.unwrap_err()).0, 404);
        let create = gh.repos(OWNER, REPO).releases().create("v2").send().await.unwrap_err();
        assert_eq!(github_error(&create).0, 403);
    });
}
