//! A static web server on loopback standing in for GitHub Pages: it serves one folder's files by
//! path with a `Content-Type` by extension as Pages does, a folder's `index.html` at its path with
//! a trailing slash (301 to it without one), 404 for anything else, and stops when dropped.

use anyhow::Context;
use axum::http::{StatusCode, Uri, header};
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
                    async move { answer(&dir, &uri) }
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

/// What Pages answers for `uri` from `dir`: the file at its path; for a folder, its `index.html`
/// when the path ends in `/`, else a 301 to the path with `/` (query kept) when it has one; 404
/// for anything else, a missing file or a path leaving `dir`.
fn answer(dir: &Path, uri: &Uri) -> Response {
    let path = uri.path();
    let relative = PathBuf::from(path.trim_start_matches('/'));
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let target = dir.join(&relative);
    let index = target.join("index.html");
    let (file, name) = if target.is_dir() {
        if !index.is_file() {
            return StatusCode::NOT_FOUND.into_response();
        }
        if !path.ends_with('/') {
            let location = match uri.query() {
                Some(query) => format!("{path}/?{query}"),
                None => format!("{path}/"),
            };
            return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response();
        }
        (index, "index.html")
    } else if path.ends_with('/') {
        return StatusCode::NOT_FOUND.into_response();
    } else {
        (target, path.rsplit('/').next().unwrap_or_default())
    };
    match std::fs::read(&file) {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(name))], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The `Content-Type` Pages sends for a file named `name`; `application/octet-stream` for an
/// unknown extension or none.
fn content_type(name: &str) -> &'static str {
    let name = name.to_ascii_lowercase();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        return "application/gzip";
    }
    let Some((_, extension)) = name.rsplit_once('.') else { return "application/octet-stream" };
    match extension {
        "html" => "text/html; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A site with an index page, a `charts/` folder with its own index, a folder without one and
    /// files of several kinds.
    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("index.html", "<!doctype html><title>home</title>"),
            ("index.yaml", "apiVersion: v1\n"),
            ("charts/index.html", "<!doctype html><title>charts</title>"),
            ("charts/demo-0.2.0.tgz", "gz"),
            ("charts/demo-0.2.0.tar.gz", "gz"),
            ("data/values.json", "{}"),
            ("data/LICENSE", "text"),
            ("style.css", ""),
            ("app.js", ""),
        ];
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn get(dir: &Path, uri: &str) -> Response {
        answer(dir, &uri.parse().unwrap())
    }

    fn header_of(response: &Response, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn files_carry_the_content_type_pages_sends() {
        let dir = site();
        let cases = [
            ("/index.html", "text/html; charset=utf-8"),
            ("/index.yaml", "text/yaml; charset=utf-8"),
            ("/charts/demo-0.2.0.tgz", "application/gzip"),
            ("/charts/demo-0.2.0.tar.gz", "application/gzip"),
            ("/data/values.json", "application/json; charset=utf-8"),
            ("/data/LICENSE", "application/octet-stream"),
            ("/style.css", "text/css; charset=utf-8"),
            ("/app.js", "text/javascript; charset=utf-8"),
        ];
        for (uri, expected) in cases {
            let response = get(dir.path(), uri);
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(header_of(&response, header::CONTENT_TYPE), Some(expected), "{uri}");
        }
        assert_eq!(content_type("logo.SVG"), "image/svg+xml");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("archive.zip"), "application/octet-stream");
    }

    #[test]
    fn a_folder_serves_its_index_at_a_trailing_slash_and_redirects_there_without_one() {
        let dir = site();
        for uri in ["/", "/charts/", "/charts/?tab=all"] {
            let response = get(dir.path(), uri);
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(header_of(&response, header::CONTENT_TYPE), Some("text/html; charset=utf-8"), "{uri}");
        }
        let redirect = get(dir.path(), "/charts");
        assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(header_of(&redirect, header::LOCATION), Some("/charts/"));
        let with_query = get(dir.path(), "/charts?tab=all&q=a%20b");
        assert_eq!(with_query.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(header_of(&with_query, header::LOCATION), Some("/charts/?tab=all&q=a%20b"));
    }

    #[test]
    fn anything_else_is_not_found() {
        let dir = site();
        for uri in ["/missing.html", "/data", "/data/", "/index.html/", "/../secret", "/charts/../index.html"] {
            assert_eq!(get(dir.path(), uri).status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }

    /// Over the wire: the server answers the redirect and a file with its type.
    #[test]
    fn the_server_answers_the_redirect_and_content_types_over_http() {
        let dir = site();
        let site = StaticSite::serve(dir.path()).unwrap();
        let address = site.url().trim_start_matches("http://").to_owned();
        let request = |path: &str| {
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            text.to_ascii_lowercase()
        };
        let redirect = request("/charts?x=1");
        assert!(redirect.starts_with("http/1.1 301"), "{redirect}");
        assert!(redirect.contains("\r\nlocation: /charts/?x=1\r\n"), "{redirect}");
        let yaml = request("/index.yaml");
        assert!(yaml.starts_with("http/1.1 200"), "{yaml}");
        assert!(yaml.contains("\r\ncontent-type: text/yaml; charset=utf-8\r\n"), "{yaml}");
        drop(site); // joins the server's thread: stopped
    }
}
