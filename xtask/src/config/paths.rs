//! Lexical rules for what `release.toml` names: repository paths, registry bases, image names.

use std::fmt;

/// Normalises a repository-relative path: `/` separators, no `.` parts, no trailing `/`.
/// Absolute paths and paths that climb out of the repository are refused.
pub fn normalize_path(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("is empty".to_owned());
    }
    if text.starts_with('/') || text.starts_with('\\') || text.get(1..2) == Some(":") {
        return Err(format!("`{text}` is absolute"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{text}` leaves the repository"));
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(".".to_owned());
    }
    Ok(parts.join("/"))
}

/// `base/rest`, treating the repository root `.` as empty.
pub fn join(base: &str, rest: &str) -> String {
    if base == "." { rest.to_owned() } else { format!("{base}/{rest}") }
}

/// A registry base such as `ghcr.io/lamina-os` or `http://127.0.0.1:5000/ns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryBase {
    /// `host[:port]`.
    pub host: String,
    /// Repository namespace below the host, possibly empty.
    pub namespace: String,
    /// Plain HTTP, allowed only for loopback hosts.
    pub plain_http: bool,
}

impl RegistryBase {
    /// The repository path of `name` under this base, without the host: `{namespace}/{name}`.
    /// The one place a registry repository is named.
    pub fn repository(&self, name: &str) -> String {
        if self.namespace.is_empty() { name.to_owned() } else { format!("{}/{name}", self.namespace) }
    }

    /// `{host}/{namespace}/{name}`, as people and image references write it.
    pub fn image(&self, name: &str) -> String {
        format!("{}/{}", self.host, self.repository(name))
    }
}

impl fmt::Display for RegistryBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.namespace.is_empty() {
            true => write!(f, "{}", self.host),
            false => write!(f, "{}/{}", self.host, self.namespace),
        }
    }
}

/// Parses a registry base; plain `http://` is accepted for loopback hosts only.
pub fn parse_registry_base(text: &str) -> Result<RegistryBase, String> {
    let (plain_http, rest) = if let Some(rest) = text.strip_prefix("http://") {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix("https://") {
        (false, rest)
    } else if text.contains("://") {
        return Err(format!("`{text}` has a scheme other than http or https"));
    } else {
        (false, text)
    };
    let rest = rest.trim_end_matches('/');
    let (host, namespace) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err(format!("`{text}` names no host"));
    }
    if plain_http && !lamina_remote::loopback::is_loopback_host(host) {
        return Err(format!(
            "`{text}` uses plain http to a host that is not loopback; only 127.0.0.1, localhost and [::1] may use http"
        ));
    }
    if !namespace.is_empty() {
        check_repository_name(namespace).map_err(|e| format!("namespace `{namespace}` {e}"))?;
    }
    Ok(RegistryBase { host: host.to_owned(), namespace: namespace.to_owned(), plain_http })
}

/// The OCI distribution rule for repository names: lowercase components separated by `/`.
pub fn check_repository_name(name: &str) -> Result<(), String> {
    if name.len() > 200 {
        return Err("is longer than 200 characters".to_owned());
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Err("has an empty path component".to_owned());
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("has uppercase letters; registry names are lowercase".to_owned());
        }
        let valid = component.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        let edges = component.starts_with(|c: char| c.is_ascii_alphanumeric())
            && component.ends_with(|c: char| c.is_ascii_alphanumeric());
        let separators = !component.contains("..")
            && !component.contains("._")
            && !component.contains("_.")
            && !component.contains("___");
        if !(valid && edges && separators) {
            return Err(format!("is not a valid registry name (component `{component}`)"));
        }
    }
    Ok(())
}

/// A name that becomes part of a release asset file name.
pub fn check_asset_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if valid { Ok(()) } else { Err("is not a valid asset name".to_owned()) }
}

/// `os/arch` or `os/arch/variant`, lowercase.
pub fn is_platform(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
}

/// Why `url` may not be used: not http(s), or plain http to a host that is not loopback (a token
/// or a published link would cross the network in clear).
pub fn web_url_problem(url: &str) -> Option<String> {
    if url.strip_prefix("https://").is_some_and(|rest| !rest.is_empty()) {
        return None;
    }
    match url.strip_prefix("http://") {
        Some(rest) if lamina_remote::loopback::is_loopback_host(rest.split('/').next().unwrap_or_default()) => None,
        Some(_) => Some(format!(
            "`{url}` uses plain http to a host that is not loopback; only 127.0.0.1, localhost and [::1] may use http"
        )),
        None => Some(format!("`{url}` is not an https:// URL")),
    }
}

/// Whether `url` is a site's host root: a scheme and a host, with no path, query, fragment or
/// user (`https://infra.example.org`, a trailing `/` dropped).
pub fn is_host_root(url: &str) -> bool {
    url.trim_end_matches('/')
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.contains(['/', '?', '#', '@']))
}
