//! GitHub's REST API, read side, for both binaries: JSON reads, every page of a list (following
//! `Link: rel="next"`, as GitHub documents paging), and bytes behind a URL, all under the one
//! retry policy and the one rate-limit gate ([`crate::retry`]). The token goes only to the API's
//! own origin, is dropped on a redirect to another host, and a redirect never downgrades to plain
//! HTTP.

use crate::retry::{self, Failure, Gate, Verdict};
use anyhow::format_err;
use std::time::Duration;

/// Longest a single read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Pages read of one list at most.
const MOST_PAGES: usize = 1000;

/// An answer from GitHub that is not a success: the status decides what a person should do.
#[derive(Debug, thiserror::Error)]
#[error("GitHub answered {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
pub struct Answered {
    pub status: u16,
    /// GitHub's own `message` (an SSO or IP allow-list refusal says why there).
    pub message: String,
}

/// What a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `application/vnd.github+json`, from the API.
    Json,
    /// An asset's bytes through the API (`application/octet-stream`): GitHub redirects to
    /// storage, which must not see the token.
    Bytes,
    /// A public page or download URL, anonymously.
    Public,
}

/// Reads from one GitHub API, anonymously or with a token that is never printed.
pub struct Reader {
    http: reqwest::Client,
    api: url::Url,
    token: Option<String>,
    gate: Gate,
}

impl Reader {
    /// A reader of the API at `api` (`https://api.github.com`, or plain HTTP on loopback).
    pub fn new(api: &str, token: Option<String>, user_agent: &'static str) -> anyhow::Result<Reader> {
        let api = crate::loopback::check_url(api.trim_end_matches('/'))?;
        let http = crate::tls::client_builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(20))
            .redirect(crate::loopback::redirects())
            .build()?;
        Ok(Reader { http, api, token: token.filter(|t| !t.trim().is_empty()), gate: Gate::default() })
    }

    /// The API base, without a trailing `/`.
    pub fn api(&self) -> &str {
        self.api.as_str().trim_end_matches('/')
    }

    /// The rate-limit gate every request passes, for a client that also writes.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// The token as an `Authorization` value, marked sensitive (never logged).
    pub fn authorization(&self) -> anyhow::Result<Option<reqwest::header::HeaderValue>> {
        let Some(token) = &self.token else { return Ok(None) };
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| format_err!("the GitHub token holds characters a header cannot carry"))?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// A GET of `url`, retried under the one policy: after a 5xx, a cut connection, or a rate
    /// limit's wait; a host that cannot be reached at all gets one quick retry. `what` names the
    /// read in messages.
    pub async fn get(&self, url: &str, what: &str, accept: Accept) -> anyhow::Result<reqwest::Response> {
        let parsed = crate::loopback::check_url(url)?;
        // The token goes to the API's own origin only.
        let own_origin = parsed.origin() == self.api.origin();
        let own = own_origin && accept != Accept::Public;
        let authorization = if own { self.authorization()? } else { None };
        retry::retry(what, |attempt| {
            let (parsed, authorization) = (parsed.clone(), authorization.clone());
            async move {
                self.gate.pass().await?;
                let mut request = self.http.get(parsed.clone()).timeout(READ_TIMEOUT);
                request = match accept {
                    Accept::Json => request.header(reqwest::header::ACCEPT, "application/vnd.github+json"),
                    Accept::Bytes => request.header(reqwest::header::ACCEPT, "application/octet-stream"),
                    Accept::Public => request,
                };
                if let Some(value) = authorization {
                    request = request.header(reqwest::header::AUTHORIZATION, value);
                }
                let response = request.send().await.map_err(|e| self.unreachable(&parsed, &e, attempt))?;
                let status = response.status();
                if status.is_success() {
                    return Ok(response);
                }
                let headers = response.headers().clone();
                let text = response.text().await.unwrap_or_default();
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                // Only the API's own limits hold back its reads; another host's 429 is its own.
                let verdict = match own_origin {
                    true => self.gate.classify(status.as_u16(), &headers, &message, attempt),
                    false => retry::verdict(status.as_u16(), &headers, &message, attempt, retry::now()),
                };
                let answered = Answered { status: status.as_u16(), message };
                let error = match &verdict {
                    Verdict::Limited(..) if header(&headers, "x-ratelimit-remaining") == Some(0) => {
                        let reset = header(&headers, "x-ratelimit-reset").map_or_else(|| "its reset".to_owned(), shown);
                        anyhow::Error::new(answered).context(format!("GitHub's rate limit is used up until {reset}"))
                    }
                    _ => anyhow::Error::new(answered),
                };
                Err(Failure { verdict, error })
            }
        })
        .await
    }

    /// A GET of JSON from the API.
    pub async fn json<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> anyhow::Result<T> {
        let response = self.get(url, what, Accept::Json).await?;
        response.json().await.map_err(|e| format_err!("{what}: GitHub's answer is not the JSON expected: {e}"))
    }

    /// Every item of a paginated list, from `url` on, following each page's `Link: rel="next"`.
    pub async fn pages<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut next = Some(url.to_owned());
        for _ in 0..MOST_PAGES {
            let Some(url) = next.take() else { return Ok(items) };
            let response = self.get(&url, what, Accept::Json).await?;
            next = response
                .headers()
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .map(|link| self.api.join(&link).map(String::from))
                .transpose()?;
            let page: Vec<T> = response
                .json()
                .await
                .map_err(|e| format_err!("{what}: GitHub's answer is not the JSON expected: {e}"))?;
            items.extend(page);
        }
        Err(format_err!("{what}: more than {MOST_PAGES} pages; refusing to read on"))
    }

    /// A transport failure: a cut connection is retried under the policy; a host that cannot be
    /// reached at all (refused, unresolved) gets one quick retry, then the error; a refused
    /// redirect is not retried.
    fn unreachable(&self, url: &url::Url, e: &reqwest::Error, attempt: u32) -> Failure {
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let cause = crate::hint::cause(e);
        // A redirect refused by the policy (plain http, too many) is the answer; asking again
        // gets the same.
        if e.is_redirect() {
            let error = crate::hint::classify(
                format_err!("{host} answered with a redirect: {cause}"),
                crate::hint::Kind::Remote,
            );
            return Failure { verdict: Verdict::Fatal, error };
        }
        let error = crate::hint::classify(format_err!("cannot reach {host}: {cause}"), crate::hint::Kind::Remote);
        let verdict = if e.is_connect() && attempt > 1 { Verdict::Fatal } else { Verdict::Transient(cause) };
        Failure { verdict, error }
    }
}

/// Seconds since the epoch as an RFC 3339 time; a time past year 9999 as the bare number.
fn shown(seconds: u64) -> String {
    const YEAR_10000: u64 = 253_402_300_800;
    match std::time::UNIX_EPOCH.checked_add(Duration::from_secs(seconds)).filter(|_| seconds < YEAR_10000) {
        Some(time) => humantime::format_rfc3339_seconds(time).to_string(),
        None => format!("{seconds} s after 1970"),
    }
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// The `rel="next"` target of a `Link` header (RFC 8288), as GitHub writes it.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_the_link_marked_next() {
        let header = r#"<https://api.github.com/repositories/1/releases?page=2>; rel="next", <https://api.github.com/repositories/1/releases?page=5>; rel="last""#;
        assert_eq!(next_link(header).as_deref(), Some("https://api.github.com/repositories/1/releases?page=2"));
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }

    #[test]
    fn a_hostile_reset_time_is_shown_not_a_panic() {
        assert_eq!(shown(0), "1970-01-01T00:00:00Z");
        assert_eq!(shown(u64::MAX), format!("{} s after 1970", u64::MAX));
        assert_eq!(shown(300_000_000_000), "300000000000 s after 1970");
    }

    #[test]
    fn the_api_must_be_https_or_loopback() {
        assert!(Reader::new("http://api.example.com", None, "t").is_err());
        assert!(Reader::new("http://127.0.0.1:9/", None, "t").is_ok());
        let reader = Reader::new("https://api.github.com", Some("  ".into()), "t").unwrap();
        assert!(reader.authorization().unwrap().is_none(), "a blank token is no token");
    }

    /// An API on loopback whose asset redirects to plain HTTP elsewhere: refused before any
    /// connection there, and the redirect is the one request made.
    #[test]
    fn a_redirect_to_plain_http_is_refused() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        let served = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = vec![0; 4096];
            let _ = conn.read(&mut request).unwrap();
            let to = "location: http://storage.example/asset";
            let answer = format!("HTTP/1.1 302 Found\r\n{to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            conn.write_all(answer.as_bytes()).unwrap();
        });
        let reader = Reader::new(&api, Some("ghp_canary".into()), "test").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let url = format!("{api}/repos/acme/x/releases/assets/1");
        let refused = runtime.block_on(reader.get(&url, "download the asset", Accept::Bytes)).unwrap_err();
        served.join().unwrap();
        let shown = format!("{refused:#}");
        assert!(shown.contains("a redirect to plain http `http://storage.example/asset` was refused"), "{shown}");
    }
}
