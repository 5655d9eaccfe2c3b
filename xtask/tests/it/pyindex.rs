//! The Python package channel: a release uploads each wheel and sdist to a real pypiserver (with
//! htpasswd auth), pip installs the program from that index, a rerun uploads nothing, `verify`
//! reads the files back, a conflicting file stops the release in preflight with nothing written
//! anywhere, and `dry-run` lists create / keep / refuse per file. The trusted-publishing token
//! exchange runs against a local stand-in of its endpoints only (no real index or GitHub).

use crate::packages::{add_package, path_with_maturin};
use crate::release::World;
use crate::support::{fresh_venv, peers, run};
use xtask_dev::github::Options;
use xtask_dev::pypi::{Exchange, PypiServer, TokenExchange};

pub(crate) const USER: &str = "lamina";
pub(crate) const PASSWORD: &str = "pypi-canary-secret-0000";

/// `[python-index]` pointing at `server`, appended to the fixture's `release.toml`, committed.
pub(crate) fn add_python_index(world: &World, server: &PypiServer) {
    let config = world.repo.read("release.toml");
    world.repo.write(
        "release.toml",
        &format!(
            "{config}\n[python-index]\nupload-url = \"{}/\"\nsimple-url = \"{}\"\n",
            server.url(),
            server.simple_url()
        ),
    );
    world.repo.commit("publish to a Python index");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
}

/// Each test builds `hello-tool` in a folder of its own: maturin stages the program by renaming
/// it, so two builds of one package in one folder at once would race.
fn own_target(world: &World) -> String {
    world.repo.root.parent().unwrap().join("own-target").to_str().unwrap().to_owned()
}

pub(crate) fn credentials(world: &World, path: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PATH", path.to_owned()),
        ("CARGO_TARGET_DIR", own_target(world)),
        ("LAMINA_PYTHON_INDEX_USERNAME", USER.to_owned()),
        ("LAMINA_PYTHON_INDEX_TOKEN", PASSWORD.to_owned()),
    ]
}

pub(crate) fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_release_uploads_wheel_and_sdist_to_the_index_once_and_pip_installs_from_it() {
    let peers = peers("pypiserver, maturin, buildah, the registry and Helm");
    let world = World::new(Options::default());
    add_package(&world.repo, "0.2.0");
    let server = PypiServer::start(&peers.join("venv"), &[(USER, PASSWORD)]).unwrap();
    add_python_index(&world, &server);
    let path = path_with_maturin();
    let env = credentials(&world, &path);
    let env = refs(&env);

    // A file of that name with other bytes is already on the index: refused in preflight,
    // before any write to the registry, GitHub, Pages or the index.
    let sdist = "hello_tool-0.2.0.tar.gz";
    std::fs::write(server.packages.join(sdist), b"other bytes").unwrap();
    let before = world.writes();
    let refused = world.xtask(&["release", "--builder", "buildah"], &env).fails();
    assert!(refused.stderr.contains("preflight failed"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("python file {sdist} is already published with other content")),
        "{}",
        refused.stderr
    );
    let other = xtask::build::sha256_hex(b"other bytes");
    let ours = xtask::build::sha256_file(&world.repo.out("0.2.0").join(sdist)).unwrap().0;
    assert!(refused.stderr.contains(&other) && refused.stderr.contains(&ours), "{}", refused.stderr);
    assert!(refused.stderr.contains("cargo xtask bump"), "{}", refused.stderr);
    assert_eq!(world.writes(), before, "nothing was written anywhere");
    assert_eq!(server.files(), [sdist], "nothing was uploaded");

    // Without the conflicting file the release uploads both files, after the Helm index.
    std::fs::remove_file(server.packages.join(sdist)).unwrap();
    let first = world.xtask(&["release", "--builder", "buildah", "--json"], &env).ok();
    let outcome: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let steps: Vec<&str> = outcome["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps[steps.len() - 3..], ["merge-index", "upload-python", "verify"]);
    let uploaded: Vec<&str> = outcome["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["what"].as_str().unwrap().starts_with("python file ") && e["action"] == "uploaded")
        .map(|e| e["what"].as_str().unwrap())
        .collect();
    assert_eq!(uploaded.len(), 2, "{outcome:#}");
    let out = world.repo.out("0.2.0");
    let wheel = crate::packages::wheel_in(&out).file_name().unwrap().to_str().unwrap().to_owned();
    let mut expected = vec![sdist.to_owned(), wheel.clone()];
    expected.sort();
    assert_eq!(server.files(), expected);
    for file in &expected {
        assert_eq!(
            std::fs::read(server.packages.join(file)).unwrap(),
            std::fs::read(out.join(file)).unwrap(),
            "{file}"
        );
    }
    let verified = outcome["verified"].as_array().unwrap();
    for file in &expected {
        let what = format!("python file {file}");
        assert!(verified.iter().any(|c| c["what"] == what.as_str() && c["ok"] == true), "{verified:#?}");
    }
    // The sdist is a release asset too, listed in SHA256SUMS.
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert!(sums.contains(&format!("  {sdist}")), "{sums}");

    // pip installs the program by version from the index into a fresh venv.
    let home = tempfile::tempdir().unwrap();
    let (venv, pip_install) = fresh_venv(home.path());
    pip_install(&["hello-tool==0.2.0", "--index-url", &server.simple_url()]);
    assert_eq!(run(&venv.join("bin/hello-tool"), &[], home.path(), &[]).trim(), "hello from the tool");

    // A rerun uploads nothing and keeps both files; `verify` reads them back.
    let stamps = server.stamps();
    let before = world.writes();
    let rerun = world.xtask(&["release", "--builder", "buildah", "--json"], &env).ok();
    assert_eq!(world.writes(), before);
    assert_eq!(server.stamps(), stamps, "a rerun uploaded something");
    let outcome: serde_json::Value = serde_json::from_str(&rerun.stdout).unwrap();
    let kept = outcome["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["what"].as_str().unwrap().starts_with("python file ") && e["action"] == "kept");
    assert_eq!(kept.count(), 2, "{outcome:#}");
    let verify = world.xtask(&["verify"], &[]).ok();
    assert!(verify.stdout.contains(&format!("ok   python file {sdist}")), "{}", verify.stdout);

    // `dry-run` with credentials lists each file: kept, created when missing, refused when the
    // index holds other bytes under its name.
    let dry = world.xtask(&["dry-run", "--builder", "buildah"], &env).ok();
    assert_eq!(dry.stdout.matches("  keep    python file ").count(), 2, "{}", dry.stdout);
    std::fs::write(server.packages.join(sdist), b"tampered").unwrap();
    std::fs::remove_file(server.packages.join(&wheel)).unwrap();
    let dry = world.xtask(&["dry-run", "--builder", "buildah"], &env).ok();
    let lines: Vec<String> = dry
        .stdout
        .lines()
        .filter(|l| l.contains("python file"))
        .map(|l| l.replace(&wheel, "hello_tool-0.2.0-py3-none-[platform].whl"))
        .collect();
    let mut settings = crate::support::snapshot_settings(Some(&world.repo));
    settings.add_filter(r"[0-9a-f]{64}", "[sha256]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[host]");
    settings.bind(|| insta::assert_snapshot!("dry_run_python_files", lines.join("\n")));
    let failed = world.xtask(&["verify"], &[]).fails();
    assert!(failed.stdout.contains(&format!("FAIL python file {sdist}")), "{}", failed.stdout);

    // The upload credentials appear in no output and no file of the checkout.
    for run in [&first, &rerun, &dry, &failed] {
        assert!(!format!("{}{}", run.stdout, run.stderr).contains(PASSWORD));
    }
    assert!(crate::release::files_containing(&world.repo.root, PASSWORD).is_empty());
}

/// In GitHub Actions with `trusted-publishing = true`: without the job's OIDC token the release
/// stops in preflight, writing nothing; with it, the token is exchanged at the index (the local
/// stand-in) and the files are uploaded as `__token__` with the minted token.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn trusted_publishing_uploads_with_the_token_minted_for_the_job() {
    let peers = peers("pypiserver, maturin, buildah, the registry and Helm");
    let exchange = Exchange {
        audience: "pypi".into(),
        request_token: "actions-request-canary".into(),
        jwt: "jwt.canary.signature".into(),
        minted: "pypi-minted-canary".into(),
        publisher_matches: true,
    };
    let stand_in = TokenExchange::start(exchange.clone()).unwrap();
    let world = World::new(Options::default());
    add_package(&world.repo, "0.2.0");
    let server = PypiServer::start(&peers.join("venv"), &[("__token__", &exchange.minted)]).unwrap();
    let config = world.repo.read("release.toml");
    world.repo.write(
        "release.toml",
        &format!(
            "{config}\n[python-index]\nupload-url = \"{}/\"\nsimple-url = \"{}\"\ntrusted-publishing = true\ntoken-exchange-url = \"{}\"\n",
            server.url(),
            server.simple_url(),
            stand_in.url()
        ),
    );
    world.repo.commit("trusted publishing");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
    let path = path_with_maturin();
    let target = own_target(&world);
    let mut env = vec![("PATH", path.as_str()), ("GITHUB_ACTIONS", "true"), ("CARGO_TARGET_DIR", target.as_str())];

    let before = world.writes();
    let refused = world.xtask(&["release", "--builder", "buildah"], &env).fails();
    assert!(refused.stderr.contains("the job has no OIDC token"), "{}", refused.stderr);
    assert!(refused.stderr.contains("id-token: write"), "{}", refused.stderr);
    assert_eq!(world.writes(), before, "nothing was written anywhere");
    assert!(server.files().is_empty() && stand_in.requests().is_empty());

    // A token exchange that fails (here GitHub refuses the job's request token) is found in
    // preflight: nothing is written anywhere.
    let request_url = stand_in.request_url();
    let mut wrong = env.clone();
    wrong.extend([("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong")]);
    let refused = world.xtask(&["release", "--builder", "buildah"], &wrong).fails();
    assert!(refused.stderr.contains("preflight"), "{}", refused.stderr);
    assert_eq!(world.writes(), before, "nothing was written anywhere");
    assert!(server.files().is_empty());
    let refused_requests = stand_in.requests().len();

    env.extend([
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", exchange.request_token.as_str()),
    ]);
    // Signing is not what this test is about: the stand-in hands out tokens for the index only.
    let released = world.xtask(&["release", "--builder", "buildah", "--unsigned"], &env).ok();
    assert_eq!(server.files().len(), 2, "wheel and sdist: {:?}", server.files());
    let paths: Vec<String> = stand_in.requests().into_iter().skip(refused_requests).map(|r| r.path_and_query).collect();
    let exchange_paths = ["/_/oidc/audience", "/actions/token?api-version=2.0&audience=pypi", "/_/oidc/mint-token"];
    assert_eq!(
        paths,
        [exchange_paths, exchange_paths].concat(),
        "one exchange in preflight, before any write; one for both uploads"
    );
    let said = format!("{}{}", released.stdout, released.stderr);
    for secret in [&exchange.request_token, &exchange.jwt, &exchange.minted] {
        assert!(!said.contains(secret.as_str()), "{secret} was printed");
    }
}

/// Trusted publishing's exchange, against a stand-in of its three endpoints: the requests are
/// the ones PyPI's documentation describes (audience, the job's OIDC token for that audience
/// with GitHub's bearer, then `{"token": JWT}` traded for an upload token).
#[test]
fn the_trusted_publishing_exchange_sends_what_pypi_documents() {
    let exchange = Exchange {
        audience: "testpypi".into(),
        request_token: "actions-request-token".into(),
        jwt: "header.claims.signature".into(),
        minted: "pypi-minted-token".into(),
        publisher_matches: true,
    };
    let stand_in = TokenExchange::start(exchange.clone()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let http = reqwest::Client::new();
    let minted = runtime
        .block_on(xtask::channel::python_index::oidc::exchange(
            &http,
            stand_in.url(),
            &stand_in.request_url(),
            &exchange.request_token,
        ))
        .unwrap();
    assert_eq!(minted, "pypi-minted-token");
    let requests = stand_in.requests();
    let seen: Vec<(&str, &str)> = requests.iter().map(|r| (r.method.as_str(), r.path_and_query.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("GET", "/_/oidc/audience"),
            ("GET", "/actions/token?api-version=2.0&audience=testpypi"),
            ("POST", "/_/oidc/mint-token"),
        ]
    );
    assert_eq!(requests[0].authorization, None, "nothing secret goes to the audience endpoint");
    assert_eq!(requests[1].authorization.as_deref(), Some("bearer actions-request-token"));
    assert_eq!(requests[2].authorization, None);
    assert_eq!(requests[2].content_type.as_deref(), Some("application/json"));
    assert_eq!(requests[2].body, r#"{"token":"header.claims.signature"}"#);

    // A JWT the index matches to no publisher: its 422 is explained with the fix.
    let wrong = runtime
        .block_on(xtask::channel::python_index::oidc::exchange(&http, stand_in.url(), &stand_in.request_url(), "wrong"))
        .unwrap_err();
    let said = lamina_remote::hint::render(&wrong);
    assert!(said.contains("GitHub Actions answered 401"), "{said}");
    let wrong_base = format!("{}/nothing-here", stand_in.url());
    let missing = runtime
        .block_on(xtask::channel::python_index::oidc::exchange(
            &http,
            &wrong_base,
            &stand_in.request_url(),
            &exchange.request_token,
        ))
        .unwrap_err();
    let said = lamina_remote::hint::render(&missing);
    assert!(said.contains("does not offer trusted publishing (404") && said.contains("token-exchange-url"), "{said}");
}

/// The index matches the job to no publisher: its 422 error codes reach the user with the fix.
#[test]
fn a_refused_exchange_names_the_index_error_and_the_fix() {
    let exchange = Exchange {
        audience: "pypi".into(),
        request_token: "t".into(),
        jwt: "jwt".into(),
        minted: "pypi-minted".into(),
        publisher_matches: false,
    };
    let stand_in = TokenExchange::start(exchange).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let refused = runtime
        .block_on(xtask::channel::python_index::oidc::exchange(
            &reqwest::Client::new(),
            stand_in.url(),
            &stand_in.request_url(),
            "t",
        ))
        .unwrap_err();
    let said = lamina_remote::hint::render(&refused);
    assert!(said.contains("refused to mint an upload token (422"), "{said}");
    assert!(said.contains("invalid-publisher: valid token, but no corresponding publisher"), "{said}");
    assert!(said.contains("trusted publisher") && said.contains("release.yml"), "{said}");
}
