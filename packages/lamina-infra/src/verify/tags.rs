//! What an image tag points at in its registry: a distribution-spec `HEAD
//! /v2/<name>/manifests/<tag>` read for `Docker-Content-Digest`, anonymously, with the Bearer token
//! exchange registries ask for on 401. Plain HTTP is used for loopback registries only.

use anyhow::{Context, bail, format_err};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use std::time::Duration;

/// Looks up the digest a tag points at.
pub trait TagDigest {
    /// The `sha256:…` digest `reference` (`host/name:tag`) resolves to.
    fn tag_digest(&self, reference: &str) -> anyhow::Result<String>;
}

/// Manifest media types asked for: an index first, so a multi-platform tag is not resolved to
/// one platform.
const ACCEPTED: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Registries reached over HTTP(S).
pub struct Registry {
    http: Client,
}

impl Registry {
    pub fn new() -> anyhow::Result<Registry> {
        let http = Client::builder()
            .user_agent(concat!("lamina-infra/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Registry { http })
    }

    fn send(&self, request: RequestBuilder, token: Option<&str>, host: &str) -> anyhow::Result<Response> {
        let request = request.header(ACCEPT, ACCEPTED);
        let request = match token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| format_err!("the token of `{host}` holds characters a header cannot carry"))?;
                value.set_sensitive(true);
                request.header(AUTHORIZATION, value)
            }
            None => request,
        };
        request.send().map_err(|e| format_err!("cannot reach the registry `{host}`: {}", innermost(&e)))
    }

    /// An anonymous token for `scope`, as the 401's `WWW-Authenticate: Bearer …` says to get it.
    fn token(&self, challenge: &str, name: &str, host: &str) -> anyhow::Result<String> {
        let params = bearer_params(challenge).with_context(|| {
            format!("the registry `{host}` asks for `{challenge}`, which is not a Bearer challenge")
        })?;
        let get = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
        let realm = get("realm").with_context(|| format!("the registry `{host}` names no token realm"))?;
        let realm_host = realm.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default();
        let plain_loopback = realm.starts_with("http://") && loopback(realm_host);
        if !realm.starts_with("https://") && !plain_loopback {
            bail!("the token realm `{realm}` of `{host}` is not https; plain http is accepted for loopback hosts only");
        }
        let scope = get("scope").unwrap_or_else(|| format!("repository:{name}:pull"));
        let mut query = vec![("scope", scope)];
        query.extend(get("service").map(|s| ("service", s)));
        let url = reqwest::Url::parse_with_params(&realm, &query)
            .map_err(|e| format_err!("the token realm `{realm}` of `{host}` is not a URL: {e}"))?;
        let response = self
            .http
            .get(url)
            .send()
            .map_err(|e| format_err!("cannot reach the token service of `{host}`: {}", innermost(&e)))?;
        if !response.status().is_success() {
            bail!("the token service of `{host}` answered {} for anonymous pull access", response.status());
        }
        let body: serde_json::Value =
            response.json().with_context(|| format!("the token service of `{host}` did not answer JSON"))?;
        ["token", "access_token"]
            .iter()
            .find_map(|k| body.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
            .with_context(|| format!("the token service of `{host}` gave no token"))
    }
}

impl TagDigest for Registry {
    fn tag_digest(&self, reference: &str) -> anyhow::Result<String> {
        let (host, name, tag) = split(reference)?;
        let scheme = if loopback(&host) { "http" } else { "https" };
        let url = format!("{scheme}://{host}/v2/{name}/manifests/{tag}");
        let mut response = self.send(self.http.head(&url), None, &host)?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let challenge =
                response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let token = self.token(&challenge, &name, &host)?;
            response = self.send(self.http.head(&url), Some(&token), &host)?;
            if response.status() == StatusCode::UNAUTHORIZED {
                bail!("`{reference}` cannot be read anonymously (401); is the image public?");
            }
            if let Some(digest) = digest_of(&response)? {
                return Ok(digest);
            }
            return body_digest(self.send(self.http.get(&url), Some(&token), &host)?, reference);
        }
        match digest_of(&response)? {
            Some(digest) => Ok(digest),
            None => body_digest(self.send(self.http.get(&url), None, &host)?, reference),
        }
    }
}

/// `Docker-Content-Digest` of a successful answer; an error for a failed one.
fn digest_of(response: &Response) -> anyhow::Result<Option<String>> {
    match response.status() {
        s if s.is_success() => {}
        StatusCode::NOT_FOUND => bail!("the tag does not exist in the registry (404); push the image again"),
        s => bail!("the registry answered {s}"),
    }
    let header = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
    Ok(header.filter(|d| d.starts_with("sha256:")).map(str::to_owned))
}

/// The digest of the manifest itself, for registries that do not send the header.
fn body_digest(response: Response, reference: &str) -> anyhow::Result<String> {
    digest_of(&response)?;
    let bytes = response.bytes().with_context(|| format!("read the manifest of `{reference}`"))?;
    Ok(format!("sha256:{}", super::sha256_of(bytes.as_ref())?.0))
}

/// `host/name:tag` → `(host, name, tag)`; a reference without a host is on Docker Hub.
fn split(reference: &str) -> anyhow::Result<(String, String, String)> {
    let (repository, tag) = reference
        .rsplit_once(':')
        .filter(|(r, t)| !t.is_empty() && !t.contains('/') && !r.is_empty())
        .with_context(|| format!("`{reference}` is not a `REGISTRY/NAME:TAG` reference"))?;
    let (first, rest) = repository.split_once('/').unwrap_or(("", repository));
    if first.contains(['.', ':']) || first == "localhost" {
        let host = if first == "docker.io" { "registry-1.docker.io" } else { first };
        return Ok((host.to_owned(), rest.to_owned(), tag.to_owned()));
    }
    let name = if repository.contains('/') { repository.to_owned() } else { format!("library/{repository}") };
    Ok(("registry-1.docker.io".to_owned(), name, tag.to_owned()))
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
fn loopback(host: &str) -> bool {
    let bare = if host.starts_with('[') {
        host.split(']').next().map(|h| h.trim_start_matches('[')).unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    matches!(bare, "127.0.0.1" | "localhost" | "::1")
}

/// The `key="value"` pairs of a `Bearer …` challenge (values may hold commas inside quotes).
fn bearer_params(challenge: &str) -> Option<Vec<(String, String)>> {
    let rest = challenge.trim().strip_prefix("Bearer ").or_else(|| challenge.trim().strip_prefix("bearer "))?;
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    // Each round reads one pair; bounded by the challenge's length.
    for _ in 0..=rest.len() {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let value: String = if chars.peek() == Some(&'"') {
            chars.next();
            chars.by_ref().take_while(|c| *c != '"').collect()
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect()
        };
        params.push((key.trim().to_owned(), value));
    }
    Some(params)
}

fn innermost(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::{bearer_params, loopback, split};

    #[test]
    fn references_split_into_host_name_and_tag() {
        let s = |r: &str| split(r).unwrap();
        assert_eq!(
            s("127.0.0.1:5000/acme/hello:0.2.0"),
            ("127.0.0.1:5000".into(), "acme/hello".into(), "0.2.0".into())
        );
        assert_eq!(s("ghcr.io/acme/hello:1"), ("ghcr.io".into(), "acme/hello".into(), "1".into()));
        assert_eq!(s("alpine:3"), ("registry-1.docker.io".into(), "library/alpine".into(), "3".into()));
        assert!(split("127.0.0.1:5000/acme/hello").is_err(), "no tag");
    }

    #[test]
    fn bearer_challenges_keep_commas_inside_quotes() {
        let params = bearer_params(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/hello:pull,push""#,
        )
        .unwrap();
        assert_eq!(params[0], ("realm".into(), "https://ghcr.io/token".into()));
        assert_eq!(params[2], ("scope".into(), "repository:acme/hello:pull,push".into()));
        assert!(bearer_params(r#"Basic realm="x""#).is_none());
    }

    #[test]
    fn only_loopback_hosts_are_plain_http() {
        assert!(loopback("127.0.0.1:5000") && loopback("localhost") && loopback("[::1]:80"));
        assert!(!loopback("ghcr.io") && !loopback("127.0.0.1.example.com"));
    }
}
