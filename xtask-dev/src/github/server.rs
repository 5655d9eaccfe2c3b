//! The fake's HTTP side: the background thread with its runtime, connections that a `Cut` fault
//! can close without an answer, the request log, faults, and the headers every answer carries.

use super::routes::{self, Answer, Incoming};
use super::state::{self, State};
use super::{FaultKind, Request};
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Uploads larger than this are refused (the body is held in memory).
const MAX_BODY: usize = 1 << 30;

/// Stops the servers and joins their thread.
pub struct Stop {
    signal: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

impl Stop {
    pub fn stop(self) {
        let _ = self.signal.send(true);
        let _ = self.thread.join();
    }
}

#[derive(Clone)]
struct Host {
    shared: Arc<Mutex<State>>,
    logged: Arc<Condvar>,
    stopped: tokio::sync::watch::Receiver<bool>,
    upload: bool,
}

pub fn spawn(
    shared: Arc<Mutex<State>>,
    logged: Arc<Condvar>,
    api: std::net::TcpListener,
    upload: std::net::TcpListener,
) -> anyhow::Result<Stop> {
    api.set_nonblocking(true)?;
    upload.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (signal, stopped) = tokio::sync::watch::channel(false);
    let thread = std::thread::Builder::new().name("github-fake".to_owned()).spawn(move || {
        runtime.block_on(async move {
            let serve = |listener: std::net::TcpListener, upload: bool| {
                let host = Host { shared: shared.clone(), logged: logged.clone(), stopped: stopped.clone(), upload };
                let mut stopped = stopped.clone();
                async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                    let app = axum::Router::new()
                        .fallback(handle)
                        .with_state(host)
                        .into_make_service_with_connect_info::<Conn>();
                    let _ = axum::serve(CutListener(listener), app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.wait_for(|s| *s).await;
                        })
                        .await;
                }
            };
            let servers = async { tokio::join!(serve(api, false), serve(upload, true)) };
            let mut stopped = stopped.clone();
            tokio::pin!(servers);
            tokio::select! {
                _ = &mut servers => {}
                _ = stopped.wait_for(|s| *s) => {
                    // Connections get a moment to finish; then the runtime drops whatever is left.
                    let _ = tokio::time::timeout(Duration::from_secs(5), servers).await;
                }
            }
        });
    })?;
    Ok(Stop { signal, thread })
}

async fn handle(
    axum::extract::State(host): axum::extract::State<Host>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    request: axum::extract::Request,
) -> Response {
    let arrived = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path_and_query = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.to_string());
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let uri = match unprefixed(&host, &parts.uri) {
        Some(uri) => uri,
        None => return routes::not_found().into_response(),
    };
    let incoming = Incoming { method: &method, uri: &uri, headers: &parts.headers, body: &body };
    let logged = Logged { method: method.clone(), path_and_query, upload_host: host.upload, arrived };
    match respond(&host, &conn, logged, &incoming) {
        Some(response) => response,
        None => {
            // A `Hang` fault: no answer until the fake stops.
            let mut stopped = host.stopped.clone();
            let _ = stopped.wait_for(|s| *s).await;
            conn.0.store(true, Ordering::SeqCst);
            Response::new(axum::body::Body::empty())
        }
    }
}

/// The request's URI without the host's path prefix (see `GithubFake::serve_under`); `None` when
/// a prefix is set and an API or upload path lacks it. Downloads are served without one.
fn unprefixed(host: &Host, uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let state = host.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let prefix = if host.upload { &state.prefixes.1 } else { &state.prefixes.0 };
    let path = uri.path();
    let download = path.starts_with("/_storage/") || (!host.upload && path.contains("/releases/download/"));
    if prefix.is_empty() || download {
        return Some(uri.clone());
    }
    let rest = path.strip_prefix(prefix.as_str()).filter(|r| r.starts_with('/'))?;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!("{rest}{query}").parse().ok()
}

/// What the log says of a request before it is answered.
struct Logged {
    method: String,
    path_and_query: String,
    upload_host: bool,
    arrived: std::time::Instant,
}

impl Logged {
    /// The log entry: answered with `status` now, or not at all (`answered: false`).
    fn entry(self, status: u16, answered: bool) -> Request {
        let Logged { method, path_and_query, upload_host, arrived } = self;
        let answered = answered.then(std::time::Instant::now);
        Request { method, path_and_query, upload_host, status, arrived, answered }
    }
}

/// The answer to one request, with the log and faults applied; `None` for a `Hang` fault.
fn respond(host: &Host, conn: &Conn, logged: Logged, incoming: &Incoming) -> Option<Response> {
    let method = logged.method.as_str();
    let mut state = host.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    state.used += 1;
    if matches!(method, "POST" | "PATCH" | "PUT" | "DELETE") {
        state.writes += 1;
    }
    let is_upload = host.upload && method == "POST";
    let answer = match state.take_fault(method, &logged.path_and_query, is_upload) {
        None => routes::dispatch(&mut state, host.upload, incoming),
        Some(FaultKind::Status(status)) => Answer::error(status, routes::reason(status)),
        Some(FaultKind::RetryAfter { status, seconds }) => Answer::error(status, SECONDARY)
            .doc("https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits")
            .header("retry-after", seconds.to_string()),
        Some(FaultKind::RateLimitReset { seconds }) => Answer::error(403, PRIMARY)
            .doc("https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits")
            .header("x-ratelimit-remaining", "0".to_owned())
            .header("x-ratelimit-reset", (state::now() + seconds).to_string()),
        Some(FaultKind::Altered(bytes)) => Answer::bytes(bytes),
        Some(FaultKind::Cut) => {
            conn.0.store(true, Ordering::SeqCst);
            state.log.push(logged.entry(0, true));
            host.logged.notify_all();
            return Some(Response::new(axum::body::Body::empty()));
        }
        Some(FaultKind::Hang) => {
            state.log.push(logged.entry(0, false));
            host.logged.notify_all();
            return None;
        }
        Some(FaultKind::LandThen502) => {
            routes::dispatch(&mut state, host.upload, incoming);
            Answer::error(502, "Server Error")
        }
        Some(FaultKind::Starter502) => {
            super::assets::upload_starter(&mut state, incoming);
            Answer::error(502, "Server Error")
        }
    };
    state.log.push(logged.entry(answer.status, true));
    host.logged.notify_all();
    let limits = [
        ("x-ratelimit-limit", "5000".to_owned()),
        ("x-ratelimit-remaining", 5000usize.saturating_sub(state.used).to_string()),
        ("x-ratelimit-used", state.used.to_string()),
        ("x-ratelimit-reset", state.reset.to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
        ("x-github-media-type", "github.v3; format=json".to_owned()),
    ];
    drop(state);
    let mut response = answer.into_response();
    for (name, value) in limits {
        let name = HeaderName::from_static(name);
        if !response.headers().contains_key(&name)
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            response.headers_mut().insert(name, value);
        }
    }
    Some(response)
}

const SECONDARY: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.";
const PRIMARY: &str = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, \
please include the request ID 0000:0000:0000000:0000000:00000000.";

/// Per-connection flag: once set, the connection reads EOF and refuses every write, so hyper
/// closes it without sending the answer.
#[derive(Debug, Clone, Default)]
struct Conn(Arc<AtomicBool>);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, CutListener>> for Conn {
    fn connect_info(stream: axum::serve::IncomingStream<'_, CutListener>) -> Conn {
        stream.remote_addr().clone()
    }
}

struct CutListener(tokio::net::TcpListener);

impl axum::serve::Listener for CutListener {
    type Io = CutStream;
    type Addr = Conn;

    async fn accept(&mut self) -> (CutStream, Conn) {
        loop {
            match self.0.accept().await {
                Ok((stream, _)) => {
                    let conn = Conn::default();
                    return (CutStream { stream, cut: conn.0.clone() }, conn);
                }
                // Out of file descriptors and the like: wait, then try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Conn> {
        Ok(Conn::default())
    }
}

struct CutStream {
    stream: tokio::net::TcpStream,
    cut: Arc<AtomicBool>,
}

impl CutStream {
    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

impl AsyncRead for CutStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
