//! Resolved settings for one run: command-line flags over environment variables over
//! `release.toml` over built-in defaults (docs/release-toml.md, "Overriding keys from the environment").

use crate::config::{RegistryBase, ReleaseConfig, parse_registry_base};
use crate::env;
use serde::Serialize;

/// The flags every pipeline command shares; each falls back to its environment variable.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Environment (flags override variables)")]
pub struct RemoteArgs {
    /// GitHub repository as `owner/repo` [default: release.repository]
    #[arg(long, env = env::GITHUB_REPOSITORY, hide_env_values = true, value_name = "OWNER/REPO")]
    pub repository: Option<String>,
    /// GitHub REST API base
    #[arg(long, env = env::GITHUB_API_URL, hide_env_values = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// GitHub web base, used for release asset URLs
    #[arg(long, env = env::GITHUB_SERVER_URL, hide_env_values = true, value_name = "URL")]
    pub server_url: Option<String>,
    /// Registry base for images and OCI charts [default: registry.base]
    #[arg(long, env = env::LAMINA_REGISTRY, hide_env_values = true, value_name = "HOST/NAMESPACE")]
    pub registry: Option<String>,
    /// Git URL or path of the repository holding the Pages branch [default: origin]
    #[arg(long, env = env::LAMINA_PAGES_REMOTE, hide_env_values = true, value_name = "REMOTE")]
    pub pages_remote: Option<String>,
    /// Public base URL of the Pages site [default: pages.url]
    #[arg(long, env = env::LAMINA_PAGES_URL, hide_env_values = true, value_name = "URL")]
    pub pages_url: Option<String>,
    /// Timestamp of every archive entry, seconds since the epoch [default: commit time of HEAD]
    #[arg(long, env = env::SOURCE_DATE_EPOCH, hide_env_values = true, value_name = "SECONDS")]
    pub source_date_epoch: Option<i64>,
}

/// Where a release goes, after every default is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub repository: String,
    pub api_url: String,
    pub server_url: String,
    #[serde(serialize_with = "display")]
    pub registry: RegistryBase,
    /// `None`: the checkout's `origin`.
    pub pages_remote: Option<String>,
    pub pages_url: String,
    pub source_date_epoch: Option<i64>,
}

fn display<S: serde::Serializer>(v: &RegistryBase, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Settings {
    pub fn resolve(args: &RemoteArgs, config: &ReleaseConfig) -> anyhow::Result<Settings> {
        let repository = args.repository.clone().unwrap_or_else(|| config.repository.clone());
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                crate::help::fail(
                    format!("repository `{repository}` is not `owner/repo`"),
                    format!("fix --repository or {}", env::GITHUB_REPOSITORY),
                )
            })?;
        let registry_text = args.registry.clone().unwrap_or_else(|| config.registry.clone());
        let registry = parse_registry_base(&registry_text).map_err(|e| {
            crate::help::fail(
                format!("registry {e}"),
                format!("fix --registry, {} or registry.base", env::LAMINA_REGISTRY),
            )
        })?;
        let pages_url = args
            .pages_url
            .clone()
            .or_else(|| config.pages_url.clone())
            .unwrap_or_else(|| format!("https://{owner}.github.io/{repo}"));
        let settings = Settings {
            api_url: trim(args.api_url.as_deref().unwrap_or("https://api.github.com")),
            server_url: trim(args.server_url.as_deref().unwrap_or("https://github.com")),
            repository,
            registry,
            pages_remote: args.pages_remote.clone(),
            pages_url: trim(&pages_url),
            source_date_epoch: args.source_date_epoch,
        };
        let urls = [
            (&settings.api_url, "--api-url or GITHUB_API_URL"),
            (&settings.server_url, "--server-url or GITHUB_SERVER_URL"),
            (&settings.pages_url, "--pages-url, LAMINA_PAGES_URL or pages.url"),
        ];
        for (url, fix) in urls {
            if let Some(problem) = web_url_problem(url) {
                return Err(crate::help::fail(problem.to_string(), format!("fix {fix}")));
            }
        }
        if let Some(epoch) = settings.source_date_epoch
            && !(0..=LAST_EPOCH).contains(&epoch)
        {
            return Err(crate::help::fail(
                format!("SOURCE_DATE_EPOCH {epoch} is not a time between 1970 and the year 9999"),
                "fix --source-date-epoch or SOURCE_DATE_EPOCH (seconds since 1970-01-01 UTC), or unset it to use the commit time",
            ));
        }
        Ok(settings)
    }
}

/// 9999-12-31T23:59:59Z: archive and image times must stay within four-digit years.
const LAST_EPOCH: i64 = 253_402_300_799;

/// Why `url` may not be used: not http(s), or plain http to a host that is not loopback (a token
/// or a published link would cross the network in clear).
fn web_url_problem(url: &str) -> Option<String> {
    if url.strip_prefix("https://").is_some_and(|rest| !rest.is_empty()) {
        return None;
    }
    match url.strip_prefix("http://") {
        Some(rest) if crate::config::is_loopback(rest.split('/').next().unwrap_or_default()) => None,
        Some(_) => Some(format!(
            "`{url}` uses plain http to a host that is not loopback; only 127.0.0.1, localhost and [::1] may use http"
        )),
        None => Some(format!("`{url}` is not an https:// URL")),
    }
}

fn trim(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}
