//! Registry reads made with this crate's own HTTP client, under the one redirect rule
//! ([`crate::loopback::redirects`]; oci-client would follow a redirect to plain HTTP): manifests
//! by tag or digest, and blobs, which registries redirect to their storage. Each repository's
//! token is asked of oci-client once (the token exchange) and again when the registry answers 401;
//! a registry without tokens gets the host's Basic credentials, or none.

use super::{Reference, Registry};
use anyhow::format_err;
use oci_client::RegistryOperation;
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use std::sync::PoisonError;

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
        let host = reference.registry();
        let scheme = if self.plain.iter().any(|h| h == host) { "http" } else { "https" };
        let url = format!("{scheme}://{host}/v2/{}/{path}", reference.repository());
        let response = self.send(reference, &url, accept, method, false).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        self.send(reference, &url, accept, method, true).await
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
        let message = response.text().await.unwrap_or_default();
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
    ) -> anyhow::Result<reqwest::Response> {
        let token = self.token(reference, fresh).await?;
        let mut request = match method {
            Method::Get => self.fetch.get(url),
            Method::Head => self.fetch.head(url),
        };
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        request = match (token, self.auth(reference)) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        request.send().await.map_err(|e| {
            let host = reference.registry();
            let cause = anyhow::Chain::new(&e).last().map(ToString::to_string).unwrap_or_default();
            let what = if e.is_redirect() { "the registry redirected a read" } else { "cannot reach the registry" };
            crate::hint::classify(format_err!("{what} {host}: {cause}"), crate::hint::Kind::Remote)
        })
    }

    /// The pull token of `reference`'s repository (`None`: the registry uses none), asked for
    /// once, and again when `fresh`.
    async fn token(&self, reference: &Reference, fresh: bool) -> anyhow::Result<Option<String>> {
        let key = format!("{}/{}", reference.registry(), reference.repository());
        let known = self.tokens.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        if let Some(token) = known.filter(|_| !fresh) {
            return Ok(token);
        }
        let asked = self.client.auth(reference, self.auth(reference), RegistryOperation::Pull).await;
        let token = asked.map_err(|e| self.explain(e, "sign in to", reference))?;
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(key, token.clone());
        Ok(token)
    }
}
