//! Registry credentials, each kept to its own host: Docker's `config.json` as `docker login`
//! leaves it (`credHelpers`, then `auths`, then `credsStore`), and `LAMINA_REGISTRY_USERNAME` /
//! `LAMINA_REGISTRY_PASSWORD` for the one host `mirror push` writes to. A host with none is read
//! anonymously. Nothing here is ever printed.

use anyhow::{Context, bail};
use base64::Engine;
use lamina_remote::registry::Credentials;
use serde_json::Value;
use std::path::PathBuf;

/// The credentials of each of `hosts` that has some; `push` is the host `mirror push` writes to.
#[allow(clippy::disallowed_methods)] // the credentials' variables and Docker's config folder
pub fn for_hosts(hosts: &[&str], push: Option<&str>) -> anyhow::Result<Vec<(String, Credentials)>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let given = match (var("LAMINA_REGISTRY_USERNAME"), var("LAMINA_REGISTRY_PASSWORD")) {
        (Some(username), Some(password)) => Some(Credentials { username, password }),
        (None, None) => None,
        _ => bail!("set both LAMINA_REGISTRY_USERNAME and LAMINA_REGISTRY_PASSWORD, or neither"),
    };
    let folder = var("DOCKER_CONFIG").map(PathBuf::from).or_else(|| dirs::home_dir().map(|h| h.join(".docker")));
    let path = folder.map(|f| f.join("config.json"));
    let config: Option<Value> = match path.as_ref().map(std::fs::read) {
        Some(Ok(bytes)) => Some(serde_json::from_slice(&bytes).with_context(|| {
            format!("`{}` is not JSON; fix it or run `docker login` again", path.as_ref().unwrap().display())
        })?),
        _ => None,
    };
    let mut out = Vec::new();
    for host in hosts {
        let found = match (&given, push) {
            (Some(given), Some(push)) if push == *host => Some(given.clone()),
            _ => match &config {
                Some(config) => from_config(config, host)?,
                None => None,
            },
        };
        out.extend(found.map(|c| (host.to_string(), c)));
    }
    Ok(out)
}

/// `host`'s credentials in a Docker `config.json`: its credential helper, else its `auths`
/// entry (keys may carry a scheme and a path, as `docker login` writes them), else the store.
fn from_config(config: &Value, host: &str) -> anyhow::Result<Option<Credentials>> {
    if let Some(helper) = config["credHelpers"][host].as_str() {
        return helper_get(helper, host);
    }
    let auths = config["auths"].as_object().into_iter().flatten();
    let entry = auths.filter(|(key, _)| key_host(key) == host).map(|(_, entry)| entry).next();
    if let Some(entry) = entry {
        if let Some(encoded) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok();
            let text = decoded.and_then(|d| String::from_utf8(d).ok()).unwrap_or_default();
            let Some((username, password)) = text.split_once(':') else {
                bail!(
                    "the Docker credentials for {host} are not `user:password` in base64; run `docker login {host}` again"
                );
            };
            return Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }));
        }
        if let (Some(username), Some(password)) = (entry["username"].as_str(), entry["password"].as_str()) {
            return Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }));
        }
    }
    match config["credsStore"].as_str() {
        Some(store) => helper_get(store, host),
        None => Ok(None),
    }
}

/// `https://ghcr.io/v1/` → `ghcr.io`.
fn key_host(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// `docker-credential-NAME get`, given the host: none when it holds nothing for the host.
fn helper_get(name: &str, host: &str) -> anyhow::Result<Option<Credentials>> {
    let program = format!("docker-credential-{name}");
    let out = match crate::tools::run_with_input(&[&program, "get"], host.as_bytes()) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("warning: {e:#}; reading {host} without credentials");
            return Ok(None);
        }
    };
    if !out.status.success() {
        return Ok(None);
    }
    let answer: Value =
        serde_json::from_slice(&out.stdout).with_context(|| format!("`{program} get` answered no JSON"))?;
    match (answer["Username"].as_str(), answer["Secret"].as_str()) {
        // `<token>` is an identity token, which only a Docker daemon can trade.
        (Some(user), Some(secret)) if user != "<token>" && !secret.is_empty() => {
            Ok(Some(Credentials { username: user.to_owned(), password: secret.to_owned() }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_gets_its_own_entry_and_no_other() {
        let config = serde_json::json!({"auths": {
            "https://registry.example/v1/": {"auth": base64::engine::general_purpose::STANDARD.encode("a:pw-a")},
            "127.0.0.1:5000": {"username": "b", "password": "pw-b"},
        }});
        let a = from_config(&config, "registry.example").unwrap().unwrap();
        assert_eq!((a.username.as_str(), a.password.as_str()), ("a", "pw-a"));
        assert_eq!(from_config(&config, "127.0.0.1:5000").unwrap().unwrap().password, "pw-b");
        assert!(from_config(&config, "ghcr.io").unwrap().is_none());
        assert!(from_config(&config, "registry.example:443").unwrap().is_none());
        let broken = serde_json::json!({"auths": {"ghcr.io": {"auth": "not base64"}}});
        assert!(from_config(&broken, "ghcr.io").unwrap_err().to_string().contains("docker login ghcr.io"));
    }
}
