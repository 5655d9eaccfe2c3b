//! Resolved settings for one run: command-line flags over environment variables over
//! `release.toml` over built-in defaults (docs/release-toml.md, "Overriding keys from the environment").

use crate::config::{RegistryBase, ReleaseConfig, parse_registry_base, web_url_problem};
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
    /// `[python-index]` with its URLs overridden from the environment; `None` without the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python_index: Option<PythonIndex>,
    pub signing: Signing,
}

/// Whether the release is signed, and with which Sigstore instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signing {
    /// Why the release goes out unsigned; `None`: it is signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsigned: Option<String>,
    /// `[signing] required`.
    pub required: bool,
    /// `LAMINA_SIGSTORE_TRUST_CONFIG`; `None`: Sigstore's public-good instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_config: Option<String>,
}

impl Signing {
    /// Signed, with `[signing]`, when `required` says so (preflight then refuses a run that
    /// cannot get the job's OIDC token) or when this job can get one (GitHub Actions with
    /// `id-token: write`).
    fn resolve(config: &ReleaseConfig) -> Signing {
        let job_token = env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL).is_some();
        let unsigned = if !config.signing_enabled {
            Some("release.toml has no [signing] table".to_owned())
        } else if !config.signing_required && !job_token {
            Some("this job cannot get an OIDC token (GitHub Actions' `id-token: write`), and `[signing] required` is off".to_owned())
        } else {
            None
        };
        Signing {
            unsigned,
            required: config.signing_required,
            trust_config: env::var(env::LAMINA_SIGSTORE_TRUST_CONFIG),
        }
    }

    /// `--unsigned`: a maintainer's release made outside the release workflow.
    pub fn waive(&mut self) {
        self.unsigned = Some("--unsigned".to_owned());
    }
}

/// Where the Python packages go, resolved (no credentials: those are read when used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonIndex {
    pub upload_url: String,
    /// The simple repository API root, with a trailing `/`.
    pub simple_url: String,
    pub trusted_publishing: bool,
    /// Base of `/_/oidc/audience` and `/_/oidc/mint-token`, without a trailing `/`.
    pub token_exchange_url: String,
}

impl PythonIndex {
    fn resolve(config: &crate::config::PythonIndexConfig) -> anyhow::Result<PythonIndex> {
        let pick = |name: &str, value: &str| env::var(name).unwrap_or_else(|| value.to_owned());
        let upload_url = pick(env::LAMINA_PYTHON_INDEX_UPLOAD_URL, &config.upload_url);
        let simple_url = format!("{}/", trim(&pick(env::LAMINA_PYTHON_INDEX_SIMPLE_URL, &config.simple_url)));
        let exchange = env::var(env::LAMINA_PYTHON_INDEX_TOKEN_EXCHANGE_URL)
            .or_else(|| config.token_exchange_url.clone())
            .unwrap_or_else(|| token_exchange_base(&upload_url));
        let index = PythonIndex {
            upload_url,
            simple_url,
            trusted_publishing: config.trusted_publishing,
            token_exchange_url: trim(&exchange),
        };
        let urls = [
            (&index.upload_url, env::LAMINA_PYTHON_INDEX_UPLOAD_URL, "upload-url"),
            (&index.simple_url, env::LAMINA_PYTHON_INDEX_SIMPLE_URL, "simple-url"),
            (&index.token_exchange_url, env::LAMINA_PYTHON_INDEX_TOKEN_EXCHANGE_URL, "token-exchange-url"),
        ];
        for (url, var, key) in urls {
            if let Some(problem) = web_url_problem(url) {
                return Err(lamina_remote::hint::fail(problem, format!("fix {var} or python-index.{key}")));
            }
        }
        Ok(index)
    }
}

/// Where an index's trusted-publishing endpoints live: PyPI serves them on `pypi.org`, not on
/// its upload host (PyPI's Trusted Publishing documentation); elsewhere the upload URL's origin.
pub fn token_exchange_base(upload_url: &str) -> String {
    let (scheme, rest) = upload_url.split_once("://").unwrap_or(("https", upload_url));
    match rest.split('/').next().unwrap_or_default() {
        "upload.pypi.org" | "pypi.org" => "https://pypi.org".to_owned(),
        "test.pypi.org" => "https://test.pypi.org".to_owned(),
        host => format!("{scheme}://{host}"),
    }
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
                lamina_remote::hint::fail(
                    format!("repository `{repository}` is not `owner/repo`"),
                    format!("fix --repository or {}", env::GITHUB_REPOSITORY),
                )
            })?;
        let registry_text = args.registry.clone().unwrap_or_else(|| config.registry.clone());
        let registry = parse_registry_base(&registry_text).map_err(|e| {
            lamina_remote::hint::fail(
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
            python_index: config.python_index.as_ref().map(PythonIndex::resolve).transpose()?,
            signing: Signing::resolve(config),
        };
        let urls = [
            (&settings.api_url, "--api-url or GITHUB_API_URL"),
            (&settings.server_url, "--server-url or GITHUB_SERVER_URL"),
            (&settings.pages_url, "--pages-url, LAMINA_PAGES_URL or pages.url"),
        ];
        for (url, fix) in urls {
            if let Some(problem) = web_url_problem(url) {
                return Err(lamina_remote::hint::fail(problem.to_string(), format!("fix {fix}")));
            }
        }
        if config.terraform_registry.is_some() && !crate::config::is_host_root(&settings.pages_url) {
            return Err(lamina_remote::hint::fail(
                format!(
                    "pages.terraform-registry needs the site at a host root, and `{}` is not one (it has a path, query or user)",
                    settings.pages_url
                ),
                "serve Pages from an organisation site or a custom domain and set pages.url to it, or remove pages.terraform-registry (the module pages work at any URL)",
            ));
        }
        if let Some(epoch) = settings.source_date_epoch
            && !(0..=LAST_EPOCH).contains(&epoch)
        {
            return Err(lamina_remote::hint::fail(
                format!("SOURCE_DATE_EPOCH {epoch} is not a time between 1970 and the year 9999"),
                "fix --source-date-epoch or SOURCE_DATE_EPOCH (seconds since 1970-01-01 UTC), or unset it to use the commit time",
            ));
        }
        Ok(settings)
    }
}

/// 9999-12-31T23:59:59Z: archive and image times must stay within four-digit years.
const LAST_EPOCH: i64 = 253_402_300_799;

fn trim(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}
