//! A static web server on loopback standing in for GitHub Pages: it serves one folder's files by
//! path, answers 404 for anything else, and stops when dropped.

use anyhow::Context;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

/// The server; its files are read at each request, so a test may change them between requests.
pub struct StaticSite {
    url: String,
    stop: Option<(tokio::sync::watch::Sender<bool>, std::thread::JoinHandle<()>)>,
}

impl StaticSite {
    /// Serves `dir` at `http://127.0.0.1:PORT/`.
    pub fn serve(dir: &Path) -> anyhow::Result<StaticSite> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind a loopback port")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let dir = dir.to_path_buf();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (signal, mut stopped) = tokio::sync::watch::channel(false);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let app = axum::Router::new().fallback(move |uri: Uri| {
                    let dir = dir.clone();
                    async move { file(&dir, uri.path()) }
                });
                let stop = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                let _ = axum::serve(listener, app).with_graceful_shutdown(stop).await;
            });
        });
        Ok(StaticSite { url, stop: Some((signal, thread)) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        if let Some((signal, thread)) = self.stop.take() {
            let _ = signal.send(true);
            let _ = thread.join();
        }
    }
}

/// The file at `path` under `dir`; 404 for a missing file or a path leaving `dir`.
fn file(dir: &Path, path: &str) -> Response {
    let relative = PathBuf::from(path.trim_start_matches('/'));
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(dir.join(relative)) {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
