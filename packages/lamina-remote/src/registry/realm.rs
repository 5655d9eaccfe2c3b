//! Where a registry sends credentials: the token service its `WWW-Authenticate: Bearer` challenge
//! names (distribution's "Token Authentication Specification"). oci-client sends the Basic
//! credentials there, so before any are sent, the realm must be https, or plain HTTP on
//! loopback; a host is asked once.

use super::{Reference, Registry};
use anyhow::Context;
use oci_client::secrets::RegistryAuth;
use std::sync::PoisonError;

impl Registry {
    /// Checks that credentials for `reference`'s host would go only to an https (or loopback)
    /// token service; nothing to check for a host read anonymously.
    pub(super) async fn vet_realm(&self, reference: &Reference) -> anyhow::Result<()> {
        let host = reference.registry();
        let vetted = || self.vetted.lock().unwrap_or_else(PoisonError::into_inner).contains(host);
        if matches!(self.auth(reference), RegistryAuth::Anonymous) || vetted() {
            return Ok(());
        }
        let response = self.probe.get(format!("{}/", self.v2(host))).send().await;
        let response = response.with_context(|| format!("cannot reach the registry {host}"))?;
        let challenge = response.headers().get(http::header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
        if let Some(realm) = challenge.and_then(bearer_realm) {
            token_service(host, &realm).map_err(|why| {
                let refused = crate::hint::fail(
                    format!("the registry {host} asks for its credentials at `{realm}`: {why:#}; they were not sent"),
                    "a token service must be https; check the registry's address",
                );
                crate::hint::classify(refused, crate::hint::Kind::Auth)
            })?;
        }
        self.vetted.lock().unwrap_or_else(PoisonError::into_inner).insert(host.to_owned());
        Ok(())
    }
}

/// The token service `realm` the registry `host` names, if credentials may go there: https, or
/// plain HTTP on loopback; and on this machine only for a registry on this machine (a remote
/// registry must not steer requests to a local service).
pub(super) fn token_service(host: &str, realm: &str) -> anyhow::Result<url::Url> {
    let url = crate::loopback::check_url(realm)?;
    if crate::loopback::is_loopback_url(&url) && !crate::loopback::is_loopback_host(host) {
        anyhow::bail!("`{realm}` is on this machine, and the registry {host} is not");
    }
    Ok(url)
}

/// The `realm` of a `Bearer` challenge.
fn bearer_realm(challenge: &str) -> Option<String> {
    bearer_param(challenge, "realm")
}

/// The parameter `name` (`realm`, `service`) of a `Bearer` challenge; `None` for another scheme.
pub(super) fn bearer_param(challenge: &str, name: &str) -> Option<String> {
    let (scheme, params) = challenge.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let key = format!("{name}=");
    let at =
        params.match_indices(&key).map(|(i, _)| i).find(|&i| i == 0 || params[..i].ends_with([',', ' ']))? + key.len();
    let rest = &params[at..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().map(str::to_owned),
        None => rest.split(',').next().map(|r| r.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Credentials, Options, parse};
    use std::io::{Read, Write};

    #[test]
    fn the_realm_is_read_from_a_bearer_challenge() {
        let challenge = r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull""#;
        assert_eq!(bearer_realm(challenge).as_deref(), Some("https://ghcr.io/token"));
        assert_eq!(
            bearer_realm("bearer realm=http://127.0.0.1:1/t,service=x").as_deref(),
            Some("http://127.0.0.1:1/t")
        );
        assert_eq!(bearer_realm(r#"Basic realm="registry""#), None);
        assert!(token_service("ghcr.io", "https://ghcr.io/token").is_ok());
        assert!(token_service("127.0.0.1:5000", "http://127.0.0.1:5001/token").is_ok());
        assert!(token_service("ghcr.io", "http://ghcr.io/token").is_err(), "plain http off loopback");
        let local = token_service("ghcr.io", "https://127.0.0.1:8443/token").unwrap_err();
        assert!(local.to_string().contains("is on this machine, and the registry ghcr.io is not"), "{local}");
        assert_eq!(bearer_param(challenge, "service").as_deref(), Some("ghcr.io"));
        assert_eq!(bearer_param(r#"Bearer xrealm="a",realm="b""#, "realm").as_deref(), Some("b"));
    }

    /// A registry on loopback whose challenge names a plain-http token service elsewhere: the
    /// credentials are refused there, and the registry itself never sees them either.
    #[test]
    fn credentials_are_not_sent_to_a_plain_http_realm() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = vec![0; 4096];
            let n = conn.read(&mut request).unwrap();
            let challenge = "WWW-Authenticate: Bearer realm=\"http://token.example/token\",service=\"r\"";
            let answer =
                format!("HTTP/1.1 401 Unauthorized\r\n{challenge}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            conn.write_all(answer.as_bytes()).unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let credentials = Credentials { username: "u".into(), password: "canary-pw".into() };
        let options = Options {
            plain_http: vec![host.clone()],
            credentials: vec![(host.clone(), credentials)],
            user_agent: "test",
            ..Options::default()
        };
        let registry = Registry::new([host.as_str()], options).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let refused = runtime.block_on(registry.digest(&parse(&format!("{host}/acme/x:1")).unwrap())).unwrap_err();
        let shown = crate::hint::render(&refused);
        assert!(shown.contains("asks for its credentials at `http://token.example/token`"), "{shown}");
        assert!(shown.contains("they were not sent"), "{shown}");
        let request = seen.join().unwrap();
        assert!(!request.to_ascii_lowercase().contains("authorization"), "{request}");
    }
}
