//! A throwaway Python package index: pypiserver (`pypi-server run` from the peers' venv) on a
//! loopback port, uploads protected by an htpasswd file made with passlib, no fallback to
//! pypi.org, stopped on drop. [`TokenExchange`] stands in for the trusted-publishing side only:
//! an index's `/_/oidc/audience` and `/_/oidc/mint-token` and GitHub Actions' OIDC token
//! endpoint, recording every request it was sent.

use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use xshell::{Shell, cmd};

pub struct PypiServer {
    child: Child,
    pub port: u16,
    /// The folder pypiserver serves and stores uploads in.
    pub packages: PathBuf,
    dir: tempfile::TempDir,
}

impl PypiServer {
    /// Starts pypiserver from `venv` with `users` (`(name, password)`) allowed to upload.
    pub fn start(venv: &Path, users: &[(&str, &str)]) -> anyhow::Result<PypiServer> {
        Self::start_on(venv, users, 0)
    }

    /// [`start`](Self::start) on `port`; 0: one the system picks.
    pub fn start_on(venv: &Path, users: &[(&str, &str)], port: u16) -> anyhow::Result<PypiServer> {
        let dir = tempfile::tempdir()?;
        let packages = dir.path().join("packages");
        std::fs::create_dir_all(&packages)?;
        let htpasswd = dir.path().join("htpasswd");
        let sh = Shell::new()?;
        let python = venv.join("bin/python");
        let script = "import sys\nfrom passlib.apache import HtpasswdFile\nh = HtpasswdFile(sys.argv[1], new=True)\nfor pair in sys.argv[2:]:\n    user, password = pair.split(':', 1)\n    h.set_password(user, password)\nh.save()\n";
        let pairs: Vec<String> = users.iter().map(|(u, p)| format!("{u}:{p}")).collect();
        cmd!(sh, "{python} -c {script} {htpasswd} {pairs...}")
            .quiet()
            .run()
            .context("passlib makes the htpasswd file")?;
        // A port the system picks, released for pypiserver to bind.
        let port = match port {
            0 => std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
            port => port,
        };
        let program = venv.join("bin/pypi-server");
        let log = std::fs::File::create(dir.path().join("log"))?;
        let port_text = port.to_string();
        let mut command: std::process::Command =
            cmd!(sh, "{program} run -p {port_text} -i 127.0.0.1 -P {htpasswd} -a update --disable-fallback {packages}")
                .into();
        let child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("start pypi-server (pypiserver in the peers' venv: run `cargo xtask test`)")?;
        let mut server = PypiServer { child, port, packages, dir };
        // Bounded polling of `/health`: 300 tries, 100 ms apart.
        for _ in 0..300 {
            if server.get("/health").is_ok_and(|(status, _)| status == 200) {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("pypi-server exited ({status}): {}", server.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("pypi-server did not answer /health within 30 s: {}", server.log())
    }

    /// `http://127.0.0.1:PORT`, the upload URL (uploads go to the server root).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The simple repository API root, with a trailing `/`.
    pub fn simple_url(&self) -> String {
        format!("{}/simple/", self.url())
    }

    /// The files stored, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(&self.packages)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Each stored file with its modification time: unchanged when nothing was uploaded.
    pub fn stamps(&self) -> Vec<(String, std::time::SystemTime)> {
        self.files()
            .into_iter()
            .filter_map(|f| Some((f.clone(), std::fs::metadata(self.packages.join(&f)).ok()?.modified().ok()?)))
            .collect()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// A plain `GET path`: status and body.
    pub fn get(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status")?;
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Ok((status, body))
    }
}

impl Drop for PypiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// What the stand-in answers with.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `/_/oidc/audience` answers `{"audience": …}`.
    pub audience: String,
    /// The bearer GitHub's token endpoint accepts.
    pub request_token: String,
    /// The JWT GitHub's endpoint hands out (for the right audience).
    pub jwt: String,
    /// The upload token `/_/oidc/mint-token` mints for that JWT.
    pub minted: String,
    /// `false`: the JWT matches no trusted publisher (422 `invalid-publisher`).
    pub publisher_matches: bool,
}

/// The trusted-publishing endpoints of an index and GitHub Actions' OIDC token endpoint, on one
/// loopback port; stopped on drop.
pub struct TokenExchange {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Option<(tokio::sync::watch::Sender<bool>, std::thread::JoinHandle<()>)>,
}

impl TokenExchange {
    pub fn start(exchange: Exchange) -> anyhow::Result<TokenExchange> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind a loopback port")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (signal, mut stopped) = tokio::sync::watch::channel(false);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
                    let (log, exchange) = (log.clone(), exchange.clone());
                    async move { answer(request, &log, &exchange).await }
                });
                let stop = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                let _ = axum::serve(listener, app).with_graceful_shutdown(stop).await;
            });
        });
        Ok(TokenExchange { url, requests, stop: Some((signal, thread)) })
    }

    /// The index base (`{url}/_/oidc/…`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL` as GitHub sets it: it already carries a query.
    pub fn request_url(&self) -> String {
        format!("{}/actions/token?api-version=2.0", self.url)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("not poisoned").clone()
    }
}

impl Drop for TokenExchange {
    fn drop(&mut self) {
        if let Some((signal, thread)) = self.stop.take() {
            let _ = signal.send(true);
            let _ = thread.join();
        }
    }
}

async fn answer(
    request: axum::extract::Request,
    log: &Mutex<Vec<Recorded>>,
    exchange: &Exchange,
) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let (method, uri) = (request.method().to_string(), request.uri().clone());
    let (authorization, content_type) = {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        (header("authorization"), header("content-type"))
    };
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let path_and_query = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
    log.lock().expect("not poisoned").push(Recorded {
        method: method.clone(),
        path_and_query: path_and_query.clone(),
        authorization: authorization.clone(),
        content_type,
        body: body.clone(),
    });
    let json = |v: serde_json::Value| v.to_string();
    match (method.as_str(), uri.path()) {
        ("GET", "/_/oidc/audience") => (StatusCode::OK, json(serde_json::json!({ "audience": exchange.audience }))),
        ("GET", "/actions/token") => {
            let wanted = format!("api-version=2.0&audience={}", exchange.audience);
            if authorization.as_deref() != Some(&format!("bearer {}", exchange.request_token)) {
                return (StatusCode::UNAUTHORIZED, "bad bearer".to_owned());
            }
            if uri.query() != Some(wanted.as_str()) {
                return (StatusCode::BAD_REQUEST, format!("expected the query {wanted}"));
            }
            (StatusCode::OK, json(serde_json::json!({ "count": 1, "value": exchange.jwt })))
        }
        ("POST", "/_/oidc/mint-token") => match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(v) if exchange.publisher_matches && v == serde_json::json!({ "token": exchange.jwt }) => (
                StatusCode::OK,
                json(serde_json::json!({ "success": true, "token": exchange.minted, "expires": 2_000_000_000 })),
            ),
            _ => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json(serde_json::json!({
                    "message": "Token request failed",
                    "errors": [{ "code": "invalid-publisher", "description": "valid token, but no corresponding publisher" }]
                })),
            ),
        },
        _ => (StatusCode::NOT_FOUND, String::new()),
    }
}
