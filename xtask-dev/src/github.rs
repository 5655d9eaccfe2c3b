//! A stateful fake of GitHub's Releases REST API for tests and benchmarks: an API host (which also
//! serves browser downloads) and a separate upload host on loopback ports, one repository,
//! token auth, immutable releases, and injectable faults. Stopped on drop.
//!
//! A private repository behaves as on GitHub: anonymous reads and browser URLs answer 404, and
//! asset bytes come through `GET …/releases/assets/{id}` (`Accept: application/octet-stream`),
//! redirected to a storage host of another origin (the upload host's listener) that refuses any
//! request still carrying credentials.
//!
//! Its answers follow GitHub's OpenAPI description (checked through `prism proxy` in the tests).

mod assets;
mod json;
mod routes;
mod server;
mod state;

use anyhow::Context;
use state::State;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// How the fake behaves; `Default` is `acme/infra-demo`, token `test-token`, mutable, push access.
#[derive(Debug, Clone)]
pub struct Options {
    /// `owner/repo`: the only repository that exists; any other answers 404.
    pub repository: String,
    /// Requests must carry `Authorization: Bearer <token>` (or `token <token>`), else 401.
    pub token: String,
    /// Publishing locks a release: no asset may be added, changed or deleted afterwards.
    pub immutable: bool,
    /// `permissions.push` of the repository. Without it drafts are invisible and writes answer 403.
    pub can_push: bool,
    /// A public repository: reads without `Authorization` are answered (drafts stay invisible).
    pub public: bool,
    /// The API host's port, the upload host's the next one; 0: ports the system picks. A fixed
    /// port (below the ephemeral range) makes the URLs a release records the same in every run.
    pub port: u16,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            repository: "acme/infra-demo".to_owned(),
            token: "test-token".to_owned(),
            immutable: false,
            can_push: true,
            public: false,
            port: 0,
        }
    }
}

/// A release as the fake stores it.
#[derive(Debug, Clone)]
pub struct FakeRelease {
    pub id: u64,
    pub tag_name: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    /// The last `make_latest` a create or edit sent.
    pub make_latest: Option<String>,
    pub immutable: bool,
    pub assets: Vec<FakeAsset>,
}

/// An asset as the fake stores it.
#[derive(Debug, Clone)]
pub struct FakeAsset {
    pub id: u64,
    pub name: String,
    pub label: Option<String>,
    /// `uploaded`, or `starter` for an upload that failed half-way.
    pub state: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One request either host received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path_and_query: String,
    /// Received by the upload host rather than the API host.
    pub upload_host: bool,
    /// The status answered; 0 when the connection was cut without an answer.
    pub status: u16,
    /// When the request arrived (its head read, before its body).
    pub arrived: std::time::Instant,
    /// When the answer was made, just before it is sent (a cut: when the connection was closed);
    /// `None` for a request a `Hang` fault holds.
    pub answered: Option<std::time::Instant>,
}

/// A release put straight into the state, bypassing validation (duplicate tags are allowed); a tag
/// with a pre-release part (`v1.0.0-rc.1`) is seeded as a pre-release.
#[derive(Debug, Clone)]
pub struct SeedRelease {
    pub tag_name: String,
    pub draft: bool,
    /// `(name, bytes)` of uploaded assets.
    pub assets: Vec<(String, Vec<u8>)>,
    /// Names of empty assets left in state `starter`.
    pub starter_assets: Vec<String>,
}

/// A fault for the next requests matching `method` (or `*`) whose path and query contain
/// `path_contains`; faults are tried in the order they were injected, each for `times` requests
/// (0 counts as 1).
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: String,
    pub path_contains: String,
    pub kind: FaultKind,
    pub times: usize,
}

/// What a fault does to the request it matches.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// This status with a GitHub-style error body; the request is not applied.
    Status(u16),
    /// 403 or 429 with `retry-after` and the secondary-rate-limit message; not applied.
    RetryAfter { status: u16, seconds: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` = now + `seconds`; not applied.
    RateLimitReset { seconds: u64 },
    /// The connection is closed without any answer; not applied.
    Cut,
    /// The request is applied, then 502 is answered.
    LandThen502,
    /// Uploads only: an empty asset in state `starter` is stored, then 502 is answered.
    Starter502,
    /// 200 with these bytes instead of the stored ones: something on the way (a proxy, a
    /// mirror) altered a download.
    Altered(Vec<u8>),
    /// No answer until the fake stops (the client is expected to be killed meanwhile); logged
    /// with status 0 as it arrives, so [`GithubFake::wait_for`] sees it.
    Hang,
}

/// The running fake: two HTTP servers on one background thread.
pub struct GithubFake {
    shared: Arc<Mutex<State>>,
    /// Notified whenever a request is logged.
    logged: Arc<Condvar>,
    api_url: String,
    upload_url: String,
    stop: Option<server::Stop>,
}

impl GithubFake {
    /// Binds 127.0.0.1 twice (API and upload host) and serves on a thread of its own.
    pub fn start(options: Options) -> anyhow::Result<GithubFake> {
        let (owner, repo) = options
            .repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("repository {:?} is not owner/repo", options.repository))?;
        let (owner, repo) = (owner.to_owned(), repo.to_owned());
        let (api_port, upload_port) = if options.port == 0 { (0, 0) } else { (options.port, options.port + 1) };
        let api = std::net::TcpListener::bind(("127.0.0.1", api_port)).context("bind the fake github api host")?;
        let upload =
            std::net::TcpListener::bind(("127.0.0.1", upload_port)).context("bind the fake github upload host")?;
        let api_url = format!("http://{}", api.local_addr()?);
        let upload_url = format!("http://{}", upload.local_addr()?);
        let shared = Arc::new(Mutex::new(State::new(options, owner, repo, api_url.clone(), upload_url.clone())));
        let logged = Arc::new(Condvar::new());
        let stop = server::spawn(shared.clone(), logged.clone(), api, upload)?;
        Ok(GithubFake { shared, logged, api_url, upload_url, stop: Some(stop) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash; also serves browser downloads.
    pub fn api_url(&self) -> String {
        self.api_url.clone()
    }

    /// `http://127.0.0.1:PORT` of the upload host.
    pub fn upload_url(&self) -> String {
        self.upload_url.clone()
    }

    /// Makes release JSON name `url` as the upload host (e.g. a validating proxy in front of
    /// [`upload_url`](Self::upload_url)).
    pub fn advertise_uploads_at(&self, url: &str) {
        self.state().upload_url = url.trim_end_matches('/').to_owned();
    }

    /// Serves the API under `api` and uploads under `uploads`, as GitHub Enterprise Server does
    /// (`/api/v3`, `/api/uploads`): other API and upload paths answer 404, downloads stay where
    /// they are, and release JSON names the prefixed upload URL.
    pub fn serve_under(&self, api: &str, uploads: &str) {
        let mut state = self.state();
        state.prefixes = (api.to_owned(), uploads.to_owned());
        state.upload_url = format!("{}{uploads}", self.upload_url);
    }

    /// The releases, ordered by id.
    pub fn releases(&self) -> Vec<FakeRelease> {
        self.state().snapshot()
    }

    /// How many POST, PATCH, PUT and DELETE requests arrived on either host, failed ones included.
    pub fn writes(&self) -> usize {
        self.state().writes
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state().log.clone()
    }

    /// `(arrived, answered)` of every answered request so far, in order, from the `from`th on
    /// (`requests().len()` taken earlier): what `cargo xtask bench rerun` counts round trips from.
    pub fn intervals(&self, from: usize) -> Vec<(std::time::Instant, std::time::Instant)> {
        let state = self.state();
        state.log.iter().skip(from).filter_map(|r| Some((r.arrived, r.answered?))).collect()
    }

    /// Blocks until a logged request satisfies `wanted`, at most `timeout`; false on timeout.
    pub fn wait_for(&self, wanted: impl Fn(&Request) -> bool, timeout: std::time::Duration) -> bool {
        let (state, _) = self
            .logged
            .wait_timeout_while(self.state(), timeout, |s| !s.log.iter().any(&wanted))
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.log.iter().any(&wanted)
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    /// Puts a release straight into the state; returns its id.
    pub fn seed(&self, release: SeedRelease) -> u64 {
        self.state().seed(release)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for GithubFake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.stop();
        }
    }
}
