//! The one registry client of both binaries (OCI distribution-spec "Pull" and "Push"), over
//! oci-client: manifests by digest with their exact bytes, blobs checked against their digests
//! as they stream, a missing blob mounted from another repository of the same registry or
//! uploaded from its file, tags read and moved. Credentials are per host and never sent to
//! another; plain HTTP only for loopback hosts; blobs go up in chunks where the registry caps a
//! request (ghcr.io). Reads and manifest puts are asked again after a transient failure, under
//! the one retry policy; other writes never are.

mod explain;
mod manifest;
mod parts;
mod read;
mod realm;
mod session;
mod tree;

pub use explain::{explain, is_absent, is_server_error, names_unknown_blob, status};
pub use manifest::{DOCKER_LIST, DOCKER_MANIFEST, MANIFEST_TYPES, Manifest, OCI_INDEX, OCI_MANIFEST, is_index};
pub use oci_client::{Reference, RegistryOperation};
pub use parts::{Descriptor, Parts, REF_NAME, parts, references, wanted};
pub use session::{AT_ONCE, Session};
pub use tree::Tree;

use anyhow::{Context, bail, format_err};
use oci_client::Client;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A user and password (or token) for one registry host; the password is never printed.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

/// How a [`Registry`] client is made.
#[derive(Debug, Default)]
pub struct Options {
    /// `HOST[:PORT]`s spoken to in plain HTTP; a host that is not loopback is refused.
    pub plain_http: Vec<String>,
    /// Credentials by `HOST[:PORT]`; every other host is read anonymously (with the token
    /// exchange a registry may ask for).
    pub credentials: Vec<(String, Credentials)>,
    /// PEM files of CA certificates trusted besides the built-in roots (a private CA).
    pub roots: Vec<PathBuf>,
    /// `User-Agent` of every request.
    pub user_agent: &'static str,
    /// What to set when a registry refuses the credentials given (or none), for the hint.
    pub credentials_hint: String,
}

/// Where a blob's bytes are.
#[derive(Debug, Clone, Copy)]
pub enum Blob<'a> {
    /// A file, streamed in 1 MiB chunks (never held in memory whole).
    File(&'a Path),
    Bytes(&'a [u8]),
}

/// How one blob got into a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// It was there already.
    Present,
    /// Mounted from another repository of the same registry.
    Mounted,
    Uploaded,
}

/// A client for the registries of a set of hosts.
pub struct Registry {
    /// oci-client's client, for sign-ins and writes; this and `open` are made on first use
    /// ([`oci`](Self::oci)): each reads the system's CA certificates, and reads need neither.
    client: OnceLock<Client>,
    /// A client that never asks for a token, for blobs of registries that want no credentials:
    /// `client` would ask again before every request, since there is no token to remember.
    open: OnceLock<Client>,
    config: Config,
    auths: HashMap<String, RegistryAuth>,
    credentials_hint: String,
    /// Hosts spoken to in plain HTTP (loopback only).
    plain: Vec<String>,
    /// A plain client that asks a registry where it would send credentials, following no
    /// redirect.
    probe: reqwest::Client,
    /// The client blobs are downloaded with: registries redirect them to storage, and oci-client
    /// follows any redirect, plain HTTP included; this one follows [`crate::loopback::redirects`].
    fetch: reqwest::Client,
    /// Each repository's pull token (`HOST/NAME` → token, `None` for a registry without), for
    /// the reads this crate makes itself.
    tokens: Mutex<HashMap<String, Option<String>>>,
    /// Each host's answer to `GET /v2/`: the token service its challenge names, or none.
    challenges: Mutex<HashMap<String, read::Challenge>>,
    /// Hosts whose token service was checked.
    vetted: Mutex<std::collections::HashSet<String>>,
    /// Blobs known to be in some repository of a registry (`HOST` → digest → repository), so
    /// another repository can mount them instead of uploading them again.
    known: Mutex<HashMap<(String, String), String>>,
}

/// What every client of a [`Registry`] is built from.
struct Config {
    plain: Vec<String>,
    chunked: bool,
    certificates: Vec<Certificate>,
    user_agent: &'static str,
}

impl Config {
    fn client(&self) -> anyhow::Result<Client> {
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(self.plain.clone()),
            use_monolithic_push: !self.chunked,
            tls_certs_only: crate::tls::oci_roots(),
            extra_root_certificates: self.certificates.clone(),
            connect_timeout: Some(Duration::from_secs(20)),
            read_timeout: Some(Duration::from_secs(120)),
            user_agent: self.user_agent,
            ..Default::default()
        };
        // `Client::new` would fall back to a default client (no timeouts, no private CA).
        Client::try_from(config).map_err(|e| anyhow::format_err!("make the registry client: {e}"))
    }
}

impl Registry {
    /// A client for `hosts` (`HOST[:PORT]`, the hosts it will speak to).
    pub fn new<'a>(hosts: impl IntoIterator<Item = &'a str>, options: Options) -> anyhow::Result<Registry> {
        if let Some(host) = options.plain_http.iter().find(|h| !crate::loopback::is_loopback_host(h)) {
            bail!("plain http to `{host}` refused: plain http is for loopback hosts only");
        }
        // One request per blob where the registry takes it; ghcr.io caps a request near 4 MiB,
        // so there blobs go in chunks.
        let chunked = hosts.into_iter().any(|h| h == "ghcr.io" || h.ends_with(".ghcr.io"))
            || options.credentials.iter().any(|(h, _)| h == "ghcr.io" || h.ends_with(".ghcr.io"));
        let mut certificates = Vec::new();
        for path in &options.roots {
            let data =
                std::fs::read(path).with_context(|| format!("read the CA certificates in `{}`", path.display()))?;
            if !String::from_utf8_lossy(&data).contains("-----BEGIN CERTIFICATE-----") {
                return Err(crate::hint::fail(
                    format!("`{}` holds no PEM certificate", path.display()),
                    "point SSL_CERT_FILE at the registry's CA certificate",
                ));
            }
            certificates.push(Certificate { encoding: CertificateEncoding::Pem, data });
        }
        let mut probe = crate::tls::client_builder()
            .user_agent(options.user_agent)
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        let mut fetch = crate::tls::client_builder()
            .user_agent(options.user_agent)
            .connect_timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_secs(120))
            .redirect(crate::loopback::redirects());
        for certificate in &certificates {
            probe = probe.add_root_certificate(reqwest::Certificate::from_pem(&certificate.data)?);
            fetch = fetch.add_root_certificate(reqwest::Certificate::from_pem(&certificate.data)?);
        }
        let plain = options.plain_http.clone();
        let config = Config { plain: options.plain_http, chunked, certificates, user_agent: options.user_agent };
        let auths = options
            .credentials
            .into_iter()
            .map(|(host, c)| (host, RegistryAuth::Basic(c.username, c.password)))
            .collect();
        Ok(Registry {
            client: OnceLock::new(),
            open: OnceLock::new(),
            config,
            auths,
            credentials_hint: options.credentials_hint,
            plain,
            probe: probe.build()?,
            fetch: fetch.build()?,
            tokens: Mutex::default(),
            challenges: Mutex::default(),
            vetted: Mutex::default(),
            known: Mutex::default(),
        })
    }

    /// `SCHEME://HOST/v2`, the distribution API of `host`: plain HTTP for the loopback hosts
    /// named so, else https.
    fn v2(&self, host: &str) -> String {
        let scheme = if self.plain.iter().any(|h| h == host) { "http" } else { "https" };
        format!("{scheme}://{host}/v2")
    }

    /// oci-client's client (`open`: the one that never asks for a token), made on first use.
    fn oci(&self, open: bool) -> anyhow::Result<&Client> {
        let made = if open { &self.open } else { &self.client };
        if let Some(client) = made.get() {
            return Ok(client);
        }
        let client = self.config.client()?;
        Ok(made.get_or_init(|| client))
    }

    /// The credentials for `reference`'s host: its own, or none.
    fn auth(&self, reference: &Reference) -> &RegistryAuth {
        self.auths.get(reference.registry()).unwrap_or(&RegistryAuth::Anonymous)
    }

    /// `e`, explained for `what` on `reference`.
    pub fn explain(&self, e: OciDistributionError, what: &str, reference: &Reference) -> anyhow::Error {
        explain(e, what, &reference.whole(), &self.credentials_hint)
    }

    /// Signs in to `reference`'s repository for `operation` (for a token registry such as
    /// ghcr.io: a token with that scope is granted).
    pub async fn sign_in(&self, reference: &Reference, operation: RegistryOperation) -> anyhow::Result<()> {
        let what = match operation {
            RegistryOperation::Push => "sign in to push to",
            RegistryOperation::Pull => "sign in to",
        };
        self.vet_realm(reference).await?;
        self.oci(false)?
            .auth(reference, self.auth(reference), operation)
            .await
            .map_err(|e| self.explain(e, what, reference))?;
        Ok(())
    }

    /// The digest a tag points at (the registry's `Docker-Content-Digest`, else the manifest's
    /// own), or `None` when there is no such tag (a 404, taken at once). A read is asked again
    /// under the one retry policy when the registry failed (500, 502, 503, 504) or the request was
    /// cut, as a registry may while another client moves its tags (`read.rs`).
    pub async fn digest(&self, reference: &Reference) -> anyhow::Result<Option<String>> {
        let path = format!("manifests/{}", reference.digest().or(reference.tag()).unwrap_or("latest"));
        let accept = MANIFEST_TYPES.join(", ");
        let what = "read the digest of";
        let response = self.answer(reference, &path, Some(&accept), read::Method::Head, what).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = self.success(response, what, reference).await?;
        let header = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
        match header {
            Some(digest) => Ok(Some(digest.trim().to_owned())),
            None => Ok(Some(self.manifest(reference).await?.digest)),
        }
    }

    /// The manifest `reference` names, its bytes checked against its digest (and against the
    /// reference's digest when it has one); read as [`digest`](Self::digest) reads, a transient
    /// failure asked again.
    pub async fn manifest(&self, reference: &Reference) -> anyhow::Result<Manifest> {
        let path = format!("manifests/{}", reference.digest().or(reference.tag()).unwrap_or("latest"));
        let accept = MANIFEST_TYPES.join(", ");
        let response = self.read(reference, &path, Some(&accept), read::Method::Get, "read the manifest").await?;
        let shown = reference.whole();
        let bytes = read::capped(response, read::MOST_MANIFEST).await.with_context(|| format!("`{shown}`"))?;
        let digest = crate::digest::sha256(&bytes);
        let manifest = Manifest::new(bytes, &digest).with_context(|| format!("`{shown}`"))?;
        if let Some(wanted) = reference.digest()
            && wanted != manifest.digest
        {
            bail!("`{shown}` served the manifest {}; refusing it", manifest.digest);
        }
        Ok(manifest)
    }

    /// Puts `manifest`'s exact bytes at `reference` (a tag, or its own digest). A put is the same
    /// whatever is there, so it is tried again under the one retry policy when the registry failed
    /// (5xx) or does not see yet a blob the manifest names (a concurrent push of the same blob,
    /// or a registry whose storage is eventually consistent).
    pub async fn put_manifest(&self, reference: &Reference, manifest: &Manifest) -> anyhow::Result<()> {
        use backon::Retryable;
        let content_type: http::HeaderValue = manifest.media_type.parse().context("the media type as a header")?;
        let client = self.oci(false)?;
        let put = || client.push_manifest_raw(reference, manifest.bytes.clone(), content_type.clone());
        put.retry(crate::retry::backoff())
            .sleep(tokio::time::sleep)
            .when(|e| is_server_error(e) || names_unknown_blob(e))
            .await
            .map_err(|e| self.explain(e, "push the manifest to", reference))?;
        Ok(())
    }

    /// Signs in to `repository`'s repository once for `operation`, for the blob transfers that
    /// follow (a download asks the token service itself, in `read.rs`). A registry that grants an
    /// anonymous reader no token gets a client that never asks for one (the shared client would
    /// ask again before every request).
    pub async fn session(&self, repository: &Reference, operation: RegistryOperation) -> anyhow::Result<Session<'_>> {
        self.vet_realm(repository).await?;
        let auth = self.auth(repository);
        let token = match operation {
            RegistryOperation::Pull => self.token(repository, false).await?,
            RegistryOperation::Push => (self.oci(false)?.auth(repository, auth, operation).await)
                .map_err(|e| self.explain(e, "sign in to push to", repository))?,
        };
        let open = token.is_none() && matches!(auth, RegistryAuth::Anonymous);
        let (host, name) = (repository.registry().to_owned(), repository.repository().to_owned());
        Ok(Session { registry: self, open, host, repository: name })
    }
}

/// `HOST/NAME:TAG` or `HOST/NAME@DIGEST`, split by hand: the general reference grammar costs a
/// large regular expression to compile, and every reference here names its host.
pub fn parse(reference: &str) -> anyhow::Result<Reference> {
    let wrong = || format_err!("`{reference}` is not a registry reference (HOST/NAME:TAG or HOST/NAME@sha256:…)");
    let (name, digest, tag) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(crate::digest::hex_of(digest).map_err(|_| wrong())?), None),
        None => match reference.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
            Some((name, tag)) => (name, None, Some(tag)),
            None => (reference, None, None),
        },
    };
    let (host, path) = name.split_once('/').ok_or_else(wrong)?;
    let path_ok = path.split('/').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    if host.is_empty() || !path_ok || !tag_ok || host.contains(['@', ' ']) {
        return Err(wrong());
    }
    let (host, path) = (host.to_owned(), path.to_owned());
    Ok(match (digest, tag) {
        (Some(hex), _) => Reference::with_digest(host, path, format!("sha256:{hex}")),
        (None, tag) => Reference::with_tag(host, path, tag.unwrap_or("latest").to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_host_and_a_tag_or_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("127.0.0.1:5000/acme/hello@{digest}")).unwrap();
        assert_eq!((r.registry(), r.repository(), r.digest()), ("127.0.0.1:5000", "acme/hello", Some(digest.as_str())));
        let r = parse("ghcr.io/acme/charts/demo:0.2.0").unwrap();
        assert_eq!((r.registry(), r.repository(), r.tag()), ("ghcr.io", "acme/charts/demo", Some("0.2.0")));
        assert_eq!(parse("127.0.0.1:5000/acme/hello").unwrap().tag(), Some("latest"));
        for bad in ["hello", "ghcr.io/Acme/x:1", "ghcr.io/acme/x@sha256:12", "ghcr.io//x:1", "ghcr.io/x:a b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_for_loopback_and_credentials_only_for_their_host() {
        let options = |plain: &str| Options { plain_http: vec![plain.to_owned()], ..Options::default() };
        assert!(Registry::new(["ghcr.io"], options("ghcr.io")).is_err());
        let with = Options {
            credentials: vec![("127.0.0.1:5000".into(), Credentials { username: "u".into(), password: "p".into() })],
            ..options("127.0.0.1:5000")
        };
        let registry = Registry::new(["127.0.0.1:5000"], with).unwrap();
        let at = |host: &str| parse(&format!("{host}/acme/x:1")).unwrap();
        assert!(matches!(registry.auth(&at("127.0.0.1:5000")), RegistryAuth::Basic(..)));
        assert!(matches!(registry.auth(&at("127.0.0.1:5001")), RegistryAuth::Anonymous));
        assert!(matches!(registry.auth(&at("ghcr.io")), RegistryAuth::Anonymous));
        let shown = format!("{:?}", Credentials { username: "u".into(), password: "secret".into() });
        assert!(!shown.contains("secret"), "{shown}");
    }
}
