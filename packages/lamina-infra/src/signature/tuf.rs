//! Sigstore's public-good trusted root kept current: refreshed over TUF from Sigstore's repository
//! (or the one `LAMINA_SIGSTORE_TUF_URL` and `LAMINA_SIGSTORE_TUF_ROOT` name), starting from the
//! TUF root embedded in this build, and cached under lamina-infra's cache folder. A cache
//! refreshed less than [`FRESH`] ago is used with no request; a repository that cannot be read
//! within [`TIMEOUT`], or whose metadata does not verify, leaves the cached root in use, else the
//! embedded one, with a `note:` saying why. Reading a mirror folder makes no request at all.

use anyhow::Context;
use sigstore_tuf::{FileStore, HttpRepository, MetadataStore, StoreRepository, Updater};
use sigstore_verify::trust_root::TrustedRoot;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

/// Sigstore's public-good TUF repository.
pub const PUBLIC_GOOD_URL: &str = "https://tuf-repo-cdn.sigstore.dev";
/// How long a refreshed cache is used without asking the repository again.
pub const FRESH: Duration = Duration::from_secs(24 * 60 * 60);
/// The most a refresh may take, every request included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The file of the cache whose modification time is the last refresh.
pub const REFRESHED: &str = "refreshed";
/// The TUF target that holds the trusted root.
const TARGET: &str = sigstore_trust_root::TRUSTED_ROOT_TARGET;

/// The public-good trusted root of this run, loaded once: refreshed over TUF when `online`, else
/// (reading a mirror folder) the cached one with no request, else the embedded one.
pub fn public_good(online: bool) -> anyhow::Result<TrustedRoot> {
    static LOADED: [OnceLock<TrustedRoot>; 2] = [const { OnceLock::new() }; 2];
    let cell = &LOADED[usize::from(online)];
    if let Some(root) = cell.get() {
        return Ok(root.clone());
    }
    let root = load(online)?;
    Ok(cell.get_or_init(|| root).clone())
}

/// A TUF repository and the root.json trust in it starts from.
struct Repository {
    url: String,
    root: Vec<u8>,
}

impl Repository {
    /// Sigstore's public-good repository, or the one `LAMINA_SIGSTORE_TUF_URL` names (https, or
    /// plain http on loopback) from the root.json `LAMINA_SIGSTORE_TUF_ROOT` names.
    #[allow(clippy::disallowed_methods)] // the TUF repository's two overrides, read nowhere else
    fn from_env() -> anyhow::Result<Repository> {
        let url = std::env::var("LAMINA_SIGSTORE_TUF_URL").ok().filter(|v| !v.trim().is_empty());
        let root = std::env::var_os("LAMINA_SIGSTORE_TUF_ROOT").filter(|v| !v.is_empty()).map(PathBuf::from);
        let url = match &url {
            Some(url) => lamina_remote::loopback::check_url(url.trim().trim_end_matches('/'))
                .context("LAMINA_SIGSTORE_TUF_URL")?
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            None if root.is_some() => anyhow::bail!(
                "LAMINA_SIGSTORE_TUF_ROOT is set without LAMINA_SIGSTORE_TUF_URL; set both (the repository and its root.json), or neither"
            ),
            None => PUBLIC_GOOD_URL.to_owned(),
        };
        let Some(path) = root else {
            let root = sigstore_trust_root::SigstoreInstance::PublicGood.tuf_root().to_vec();
            return Ok(Repository { url, root });
        };
        let shown = path.display();
        let root = std::fs::read(&path).map_err(|e| {
            anyhow::format_err!("read LAMINA_SIGSTORE_TUF_ROOT `{shown}`: {e}; give the TUF root.json of {url}")
        })?;
        if let Err(e) = sigstore_tuf::TrustedMetadataSet::from_root(&root) {
            anyhow::bail!(
                "LAMINA_SIGSTORE_TUF_ROOT `{shown}` is not a TUF root.json signed by its own keys ({}); give the root.json of {url}",
                chain(&e)
            );
        }
        Ok(Repository { url, root })
    }

    /// The repository's own folder of the cache: `<cache>/tuf/<URL, percent-encoded>`.
    fn cache(&self) -> Option<PathBuf> {
        let name: String = self
            .url
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        crate::cache::dir().map(|dir| dir.join("tuf").join(name))
    }
}

/// The trusted root as [`public_good`] decides, printing a note when a refresh failed.
fn load(online: bool) -> anyhow::Result<TrustedRoot> {
    let repo = Repository::from_env()?;
    let cache = repo.cache();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let cached = || {
        let dir = cache.as_deref()?;
        let bytes = runtime.block_on(from_cache(&repo, dir)).ok()?;
        Some((parsed(&bytes).ok()?, dir))
    };
    if !online || cache.as_deref().is_some_and(fresh) {
        match (cached(), online) {
            (Some((root, _)), _) => return Ok(root),
            (None, false) => return crate::signature::public_good(),
            (None, true) => {}
        }
    }
    let why = match runtime.block_on(async { tokio::time::timeout(TIMEOUT, refresh(&repo, cache.as_deref())).await }) {
        Ok(Ok(root)) => return Ok(root),
        Ok(Err(why)) => why,
        Err(_) => format!("could not be read (no answer within {} s)", TIMEOUT.as_secs()),
    };
    let (root, instead) = match cached() {
        Some((root, dir)) => (root, format!("the copy cached in `{}`{}", dir.display(), refreshed_at(dir))),
        None => (crate::signature::public_good()?, "the one embedded in this build".to_owned()),
    };
    eprintln!(
        "note: Sigstore's trusted root was not refreshed: the TUF repository {} {why}; using {instead}",
        repo.url
    );
    Ok(root)
}

/// The trusted root the repository serves now, verified from its root.json on; written to the
/// cache (when there is one) only once all of it verified. The error says why it was not used.
async fn refresh(repo: &Repository, cache: Option<&Path>) -> Result<TrustedRoot, String> {
    let http = lamina_remote::tls::client_builder()
        .user_agent(concat!("lamina-infra/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .redirect(lamina_remote::loopback::redirects())
        .build()
        .map_err(|e| format!("could not be read ({e})"))?;
    let remote = HttpRepository::new(&repo.url).map_err(|e| refused(&e))?.with_http_client(http);
    let mut updater = Updater::new(remote, &repo.root).map_err(|e| refused(&e))?;
    let store = cache.map(|dir| Arc::new(Staged::new(dir)));
    if let Some(store) = &store {
        updater = updater.with_store(store.clone());
    }
    let now = jiff::Timestamp::now();
    updater.refresh(now).await.map_err(|e| refused(&e))?;
    let bytes = updater.get_target(TARGET, now).await.map_err(|e| refused(&e))?;
    let root = parsed(&bytes).map_err(|e| format!("was refused: its {TARGET} is not a Sigstore trusted root ({e})"))?;
    if let (Some(store), Some(dir)) = (store, cache) {
        // The cache is a convenience: a failure to fill it never fails a command.
        if store.commit().is_ok() {
            let _ = lamina_remote::fs::write_atomic(&dir.join(REFRESHED), b"");
        }
    }
    Ok(root)
}

/// The trusted root the cache holds, every file verified again from the repository's root.json
/// on (signatures, versions, expiry, the target's length and hashes), with no request.
async fn from_cache(repo: &Repository, dir: &Path) -> sigstore_tuf::Result<Vec<u8>> {
    let store = Arc::new(Staged::new(dir));
    let mut updater = Updater::new(StoreRepository::new(store.clone()), &repo.root)?.with_store(store);
    let now = jiff::Timestamp::now();
    updater.refresh(now).await?;
    updater.get_target(TARGET, now).await
}

/// The trusted root in a target's bytes.
fn parsed(bytes: &[u8]) -> Result<TrustedRoot, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    lamina_release_format::signature::trusted_root(text)
}

/// Why a refresh failed: the repository could not be read, or what it served does not verify.
fn refused(e: &sigstore_tuf::Error) -> String {
    match e {
        // What was asked, and the innermost cause (a refused connection, an unknown host).
        sigstore_tuf::Error::Transport { message, source: Some(_) } => {
            format!("could not be read ({message}: {})", lamina_remote::hint::cause(e))
        }
        sigstore_tuf::Error::Transport { message, source: None } => format!("could not be read ({message})"),
        _ => format!("was refused: what it serves does not verify ({})", chain(e)),
    }
}

/// An error followed by its causes.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    anyhow::Chain::new(e).map(|c| c.to_string()).collect::<Vec<_>>().join(": ")
}

/// Whether the cache at `dir` was refreshed less than [`FRESH`] ago.
fn fresh(dir: &Path) -> bool {
    let modified = std::fs::metadata(dir.join(REFRESHED)).and_then(|m| m.modified());
    modified.ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age < FRESH)
}

/// `, refreshed <time>`, when the cache at `dir` says when.
fn refreshed_at(dir: &Path) -> String {
    let modified = std::fs::metadata(dir.join(REFRESHED)).and_then(|m| m.modified());
    let at = |t: SystemTime| format!(", refreshed {}", humantime::format_rfc3339_seconds(t));
    modified.map(at).unwrap_or_default()
}

/// The cache as the TUF client sees it: read from the folder, written to memory, and into the
/// folder only by [`Staged::commit`] once a refresh verified; a failed or refused refresh, or a
/// read of the cache, leaves the folder as it was.
struct Staged {
    disk: FileStore,
    written: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Staged {
    fn new(dir: &Path) -> Staged {
        Staged { disk: FileStore::new(dir), written: Mutex::default() }
    }

    /// Writes what the refresh stored into the folder, each file whole.
    fn commit(&self) -> sigstore_tuf::Result<()> {
        let written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        written.iter().try_for_each(|(name, bytes)| self.disk.store(name, bytes))
    }
}

impl MetadataStore for Staged {
    fn load(&self, name: &str) -> sigstore_tuf::Result<Option<Vec<u8>>> {
        match self.written.lock().unwrap_or_else(PoisonError::into_inner).get(name) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.disk.load(name),
        }
    }

    fn store(&self, name: &str, bytes: &[u8]) -> sigstore_tuf::Result<()> {
        self.written.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }
}
