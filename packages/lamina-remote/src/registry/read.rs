//! Registry reads made with this crate's own HTTP client, under the one redirect rule
//! ([`crate::loopback::redirects`]; oci-client would follow a redirect to plain HTTP): manifests
//! by tag or digest, and blobs, which registries redirect to their storage. Each repository's
//! pull token is asked of the registry's token service once, and again when the registry answers
//! 401; a registry without tokens gets the host's Basic credentials, or none. A read is the same
//! whatever the registry holds, so one answered 500, 502, 503 or 504, or cut, is asked again under
//! the one retry policy ([`crate::retry`]); a 4xx is the answer (404: absent; 401, 403: refused;
//! a 429 too, so no rate limit is ever waited out here and the client needs no `Gate`).

use super::{Reference, Registry};
use crate::retry::{Failure, Verdict};
use anyhow::format_err;
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use std::sync::PoisonError;
use std::time::Duration;

/// The largest manifest read: the distribution specification lets a registry refuse more.
pub(super) const MOST_MANIFEST: usize = 4 << 20;
/// The largest token service answer read.
const MOST_TOKEN: usize = 64 << 10;
/// How much of a refusal's body is read, and how much of it is shown.
const MOST_ERROR: usize = 8 << 10;
const SHOWN_ERROR: usize = 300;
/// The longest a manifest or token read may take, whole; a blob has only the read timeout.
const WHOLE_READ: Duration = Duration::from_secs(120);

/// A read's HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Head,
}

/// A status a later request may not get: the registry failed, or a proxy in front of it did.
/// Another 5xx (501, 505) says the request itself is wrong and would be answered the same.
fn is_transient(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

impl Registry {
    /// A successful answer to `method` of `path` (`manifests/REF`, `blobs/DIGEST`) under
    /// `reference`'s repository; any other status is an error explained for `what`.
    pub(super) async fn read(
        &self,
        reference: &Reference,
        path: &str,
        accept: Option<&str>,
        method: Method,
        what: &str,
    ) -> anyhow::Result<reqwest::Response> {
        let response = self.answer(reference, path, accept, method, what).await?;
        self.success(response, what, reference).await
    }

    /// The answer to `method` of `path`, whatever its status but a transient one: that, and a
    /// request cut or timed out, is asked again under the one retry policy (a host refusing
    /// connections once only); a 401 is asked again once, with a new token. `what` names the read
    /// in messages. Only the answer's head is waited for: a body cut later is its reader's error.
    pub(super) async fn answer(
        &self,
        reference: &Reference,
        path: &str,
        accept: Option<&str>,
        method: Method,
        what: &str,
    ) -> anyhow::Result<reqwest::Response> {
        self.vet_realm(reference).await?;
        let url = format!("{}/{}/{path}", self.v2(reference.registry()), reference.repository());
        let bounded = !path.starts_with("blobs/");
        let remote = format!("the registry {}", reference.registry());
        let what = format!("{what} `{}`", reference.whole());
        crate::retry::retry_on(&remote, &what, |attempt| {
            let url = &url;
            async move {
                let token = self.pull_token(reference, false, attempt).await?;
                let mut response = self.send(reference, url, accept, method, bounded, token).await;
                if response.as_ref().is_ok_and(|r| r.status() == reqwest::StatusCode::UNAUTHORIZED) {
                    let token = self.pull_token(reference, true, attempt).await?;
                    response = self.send(reference, url, accept, method, bounded, token).await;
                }
                let response = response.map_err(|e| unreachable(reference.registry(), &e, attempt))?;
                match is_transient(response.status()) {
                    true => Err(failed(response, &format!("the registry {}", reference.registry())).await),
                    false => Ok(response),
                }
            }
        })
        .await
    }

    /// `response` when it is a success, else its status explained for `what`.
    pub(super) async fn success(
        &self,
        response: reqwest::Response,
        what: &str,
        reference: &Reference,
    ) -> anyhow::Result<reqwest::Response> {
        if response.status().is_success() {
            return Ok(response);
        }
        let refused = refused(response).await;
        Err(self.explain(refused, what, reference))
    }

    /// One request with the repository's credentials: its pull `token`, else the host's Basic
    /// credentials, or none.
    async fn send(
        &self,
        reference: &Reference,
        url: &str,
        accept: Option<&str>,
        method: Method,
        bounded: bool,
        token: Option<String>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = match method {
            Method::Get => self.fetch.get(url),
            Method::Head => self.fetch.head(url),
        };
        if bounded {
            request = request.timeout(WHOLE_READ);
        }
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        request = match (token, self.auth(reference)) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        request.send().await
    }

    /// The pull token of `reference`'s repository (`None`: the registry uses none), asked for
    /// once, and again when `fresh`; a transient failure is asked again under the retry policy.
    pub(super) async fn token(&self, reference: &Reference, fresh: bool) -> anyhow::Result<Option<String>> {
        let remote = format!("the registry {}", reference.registry());
        let what = format!("read from `{}/{}`", reference.registry(), reference.repository());
        crate::retry::retry_on(&remote, &what, |attempt| self.pull_token(reference, fresh, attempt)).await
    }

    /// [`token`](Self::token), as attempt `attempt` (from 1) of a read asks for it.
    async fn pull_token(&self, reference: &Reference, fresh: bool, attempt: u32) -> Result<Option<String>, Failure> {
        let key = format!("{}/{}", reference.registry(), reference.repository());
        let known = self.tokens.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        if let Some(token) = known.filter(|_| !fresh) {
            return Ok(token);
        }
        let token = self.exchange(reference, attempt, fresh).await?;
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(key, token.clone());
        Ok(token)
    }

    /// A pull token for `reference`'s repository from the token service the registry's `Bearer`
    /// challenge names (distribution's "Token Authentication Specification"), with the host's
    /// Basic credentials when it has some; `None` for a registry that asks for no token. A cut
    /// request or a transient answer of the token service is worth another attempt.
    async fn exchange(&self, reference: &Reference, attempt: u32, fresh: bool) -> Result<Option<String>, Failure> {
        let host = reference.registry();
        let Some((realm, service)) = self.challenge(host, attempt, fresh).await? else { return Ok(None) };
        let realm = super::realm::token_service(host, &realm).map_err(Failure::fatal)?;
        let mut query = vec![("scope", format!("repository:{}:pull", reference.repository()))];
        query.extend(service.map(|s| ("service", s)));
        let mut request = self.fetch.get(realm).query(&query).timeout(WHOLE_READ);
        if let RegistryAuth::Basic(user, password) = self.auth(reference) {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| unreachable(host, &e, attempt))?;
        if is_transient(response.status()) {
            return Err(failed(response, &format!("the token service of {host}")).await);
        }
        let response = self.success(response, "sign in to", reference).await.map_err(Failure::fatal)?;
        #[derive(serde::Deserialize)]
        struct Granted {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = capped(response, MOST_TOKEN).await.map_err(|e| format_err!("the token service of {host}: {e}"));
        let granted: Granted = serde_json::from_slice(&body.map_err(Failure::fatal)?)
            .map_err(|e| Failure::fatal(format_err!("the token service of {host} answered no token: {e}")))?;
        let token = granted.token.or(granted.access_token).filter(|t| !t.is_empty());
        token.map(Some).ok_or_else(|| Failure::fatal(format_err!("the token service of {host} answered no token")))
    }
}

/// The token service a registry's `Bearer` challenge names: its realm and service; `None` for a
/// registry that asks for no token.
pub(super) type Challenge = Option<(String, Option<String>)>;

impl Registry {
    /// The token service (realm, service) `host`'s `Bearer` challenge to `GET /v2/` names,
    /// `None` when it asks for no token. A definite answer (200, or 401 with its challenge) is
    /// kept for the host, so each repository's token costs one request, not two; `fresh` asks
    /// again.
    async fn challenge(&self, host: &str, attempt: u32, fresh: bool) -> Result<Challenge, Failure> {
        let known = self.challenges.lock().unwrap_or_else(PoisonError::into_inner).get(host).cloned();
        if let Some(challenge) = known.filter(|_| !fresh) {
            return Ok(challenge);
        }
        let challenged = self.fetch.get(format!("{}/", self.v2(host))).send().await;
        let challenged = challenged.map_err(|e| unreachable(host, &e, attempt))?;
        let header = challenged.headers().get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
        let challenge = header.and_then(|c| {
            super::realm::bearer_param(c, "realm").map(|realm| (realm, super::realm::bearer_param(c, "service")))
        });
        let status = challenged.status();
        if status.is_success() || (status == reqwest::StatusCode::UNAUTHORIZED && challenge.is_some()) {
            self.challenges.lock().unwrap_or_else(PoisonError::into_inner).insert(host.to_owned(), challenge.clone());
        }
        Ok(challenge)
    }
}

/// A transient answer of `who` (`the registry HOST`), as the retry loop sees it; its error, the one
/// shown when the attempts run out, names neither the read nor the reference (the loop says both)
/// but the fix.
async fn failed(response: reqwest::Response, who: &str) -> Failure {
    let status = response.status().as_u16();
    let error = crate::hint::fail(
        format!("{who} answered {status}: {}", refused(response).await),
        "the registry failed every attempt; run the command again later, or look at the registry's logs",
    );
    Failure { verdict: Verdict::Transient(format!("HTTP {status}")), error: classify(error) }
}

/// A refusal's status, URL and words, as oci-client reports one.
async fn refused(response: reqwest::Response) -> OciDistributionError {
    let (code, url) = (response.status().as_u16(), response.url().to_string());
    let body = capped(response, MOST_ERROR).await.unwrap_or_default();
    OciDistributionError::ServerError { code, url, message: shown(&String::from_utf8_lossy(&body)) }
}

fn classify(error: anyhow::Error) -> anyhow::Error {
    crate::hint::classify(error, crate::hint::Kind::Remote)
}

/// A request to `host` that got no answer: a refused redirect (the answer, fatal), a host that
/// refuses connections or cannot be found (asked again once, as GitHub is), or a request cut or
/// timed out (asked again under the policy).
fn unreachable(host: &str, e: &reqwest::Error, attempt: u32) -> Failure {
    let cause = crate::hint::cause(e);
    let what = if e.is_redirect() { "the registry redirected a read" } else { "cannot reach the registry" };
    let error = classify(format_err!("{what} {host}: {cause}"));
    let verdict = match e.is_redirect() || (e.is_connect() && attempt > 1) {
        true => Verdict::Fatal,
        false => Verdict::Transient(cause),
    };
    Failure { verdict, error }
}

/// The body of `response`, refused past `most` bytes (a registry's manifest, token or refusal
/// is small; a hostile one could stream without end).
pub(super) async fn capped(mut response: reqwest::Response, most: usize) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format_err!("the answer was cut: {e}"))? {
        if body.len() + chunk.len() > most {
            anyhow::bail!("the answer is over {most} bytes; refusing it");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A remote's own words, fit to print: control characters (a terminal's escapes) dropped, and
/// cut at [`SHOWN_ERROR`] characters.
fn shown(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control() || *c == ' ').take(SHOWN_ERROR + 1).collect();
    match clean.chars().count() > SHOWN_ERROR {
        true => clean.chars().take(SHOWN_ERROR).collect::<String>() + "…",
        false => clean,
    }
}

#[cfg(test)]
mod tests;
