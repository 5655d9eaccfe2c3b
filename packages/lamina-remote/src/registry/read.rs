//! Registry reads made with this crate's own HTTP client, under the one redirect rule
//! ([`crate::loopback::redirects`]; oci-client would follow a redirect to plain HTTP): manifests
//! by tag or digest, and blobs, which registries redirect to their storage. Each repository's
//! pull token is asked of the registry's token service once, and again when the registry answers
//! 401; a registry without tokens gets the host's Basic credentials, or none.

use super::{Reference, Registry};
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
        let response = self.answer(reference, path, accept, method).await?;
        self.success(response, what, reference).await
    }

    /// The answer to `method` of `path`, whatever its status (a 401 is asked again once, with a
    /// new token).
    pub(super) async fn answer(
        &self,
        reference: &Reference,
        path: &str,
        accept: Option<&str>,
        method: Method,
    ) -> anyhow::Result<reqwest::Response> {
        self.vet_realm(reference).await?;
        let url = format!("{}/{}/{path}", self.v2(reference.registry()), reference.repository());
        let bounded = !path.starts_with("blobs/");
        let response = self.send(reference, &url, accept, method, false, bounded).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.send(reference, &url, accept, method, true, bounded).await
    }

    /// `response` when it is a success, else its status explained for `what`.
    pub(super) async fn success(
        &self,
        response: reqwest::Response,
        what: &str,
        reference: &Reference,
    ) -> anyhow::Result<reqwest::Response> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let url = response.url().to_string();
        let body = capped(response, MOST_ERROR).await.unwrap_or_default();
        let message = shown(&String::from_utf8_lossy(&body));
        Err(self.explain(OciDistributionError::ServerError { code: status.as_u16(), url, message }, what, reference))
    }

    /// One request with the repository's credentials; `fresh` asks for a new token first.
    async fn send(
        &self,
        reference: &Reference,
        url: &str,
        accept: Option<&str>,
        method: Method,
        fresh: bool,
        bounded: bool,
    ) -> anyhow::Result<reqwest::Response> {
        let token = self.token(reference, fresh).await?;
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
        request.send().await.map_err(|e| unreachable(reference.registry(), &e))
    }

    /// The pull token of `reference`'s repository (`None`: the registry uses none), asked for
    /// once, and again when `fresh`.
    pub(super) async fn token(&self, reference: &Reference, fresh: bool) -> anyhow::Result<Option<String>> {
        let key = format!("{}/{}", reference.registry(), reference.repository());
        let known = self.tokens.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        if let Some(token) = known.filter(|_| !fresh) {
            return Ok(token);
        }
        let token = self.exchange(reference).await?;
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(key, token.clone());
        Ok(token)
    }

    /// A pull token for `reference`'s repository from the token service the registry's `Bearer`
    /// challenge names (distribution's "Token Authentication Specification"), with the host's
    /// Basic credentials when it has some; `None` for a registry that asks for no token.
    async fn exchange(&self, reference: &Reference) -> anyhow::Result<Option<String>> {
        let host = reference.registry();
        let challenged = self.fetch.get(format!("{}/", self.v2(host))).send().await;
        let challenged = challenged.map_err(|e| unreachable(host, &e))?;
        let challenge = challenged.headers().get(reqwest::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
        let Some(realm) = challenge.and_then(|c| super::realm::bearer_param(c, "realm")) else { return Ok(None) };
        let service = challenge.and_then(|c| super::realm::bearer_param(c, "service"));
        let realm = super::realm::token_service(host, &realm)?;
        let mut query = vec![("scope", format!("repository:{}:pull", reference.repository()))];
        query.extend(service.map(|s| ("service", s)));
        let mut request = self.fetch.get(realm).query(&query).timeout(WHOLE_READ);
        if let RegistryAuth::Basic(user, password) = self.auth(reference) {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| unreachable(host, &e))?;
        let response = self.success(response, "sign in to", reference).await?;
        #[derive(serde::Deserialize)]
        struct Granted {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = capped(response, MOST_TOKEN).await.map_err(|e| format_err!("the token service of {host}: {e}"))?;
        let granted: Granted = serde_json::from_slice(&body)
            .map_err(|e| format_err!("the token service of {host} answered no token: {e}"))?;
        let token = granted.token.or(granted.access_token).filter(|t| !t.is_empty());
        token.map(Some).ok_or_else(|| format_err!("the token service of {host} answered no token"))
    }
}

/// A request to `host` that got no answer: a refused redirect, or a host out of reach.
fn unreachable(host: &str, e: &reqwest::Error) -> anyhow::Error {
    let cause = crate::hint::cause(e);
    let what = if e.is_redirect() { "the registry redirected a read" } else { "cannot reach the registry" };
    crate::hint::classify(format_err!("{what} {host}: {cause}"), crate::hint::Kind::Remote)
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
mod tests {
    #[test]
    fn a_remote_s_words_are_shown_without_escapes_and_cut() {
        assert_eq!(super::shown("denied\u{1b}[31m\nhint: fake"), "denied[31mhint: fake");
        let long = "x".repeat(1000);
        assert_eq!(super::shown(&long).chars().count(), super::SHOWN_ERROR + 1);
    }
}
