//! Where releases are read from: GitHub's Releases API, or a mirror folder (`--mirror DIR`) read
//! with no network at all. Both give the same [`Release`] records, so every check made on a
//! download (`SHA256SUMS`, the manifest, GitHub's `digest`) is made the same way on either.
//!
//! A mirror folder holds `mirror.json` (`{"repository": "OWNER/NAME", "releases": [...]}`, each
//! release as the API listed it, newest first) and each release's assets under `<tag>/`.

use crate::github::{Asset, GitHub, Release};
use anyhow::{Context, bail};
use lamina_release_format::mirror::{MIRROR_JSON, MirrorFile};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The releases of one repository, from GitHub or from a mirror.
pub enum Source {
    GitHub(GitHub),
    Mirror(Mirror),
}

impl Source {
    /// A mirror when `--mirror` (or `LAMINA_INFRA_MIRROR`) names one, else GitHub.
    pub fn new(args: &crate::cli::Source) -> anyhow::Result<Source> {
        match args.mirror.as_deref().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => Ok(Source::Mirror(Mirror::open_as(dir, args.trust(), args.sums_sha256.clone())?)),
            None => {
                let mut github = GitHub::new(&args.repo, &args.api_url)?;
                github.pinned = args.sums_sha256.clone();
                github.trust = args.trust();
                Ok(Source::GitHub(github))
            }
        }
    }

    /// The SHA-256 `--sums-sha256` pins the release's `SHA256SUMS` to.
    pub fn pinned(&self) -> Option<&str> {
        match self {
            Source::GitHub(g) => g.pinned.as_deref(),
            Source::Mirror(m) => m.pinned.as_deref(),
        }
    }

    /// What a release's signature is checked against.
    pub fn trust(&self) -> &crate::trust::Trust {
        match self {
            Source::GitHub(g) => &g.trust,
            Source::Mirror(m) => &m.trust,
        }
    }

    /// The repository (`OWNER/NAME`) whose releases these are.
    pub fn repository(&self) -> &str {
        match self {
            Source::GitHub(g) => g.repo(),
            Source::Mirror(m) => &m.file.repository,
        }
    }

    /// Every published release, newest first.
    pub fn releases(&self) -> anyhow::Result<Vec<Release>> {
        match self {
            Source::GitHub(g) => g.releases(),
            Source::Mirror(m) => Ok(m.file.releases.iter().filter(|r| !r.draft).cloned().collect()),
        }
    }

    /// The release of `version`, with the nearest versions when it is missing; `None` or
    /// `latest`: the latest (from GitHub: as GitHub marks it; from a mirror: its newest non-prerelease).
    pub fn release(&self, version: Option<&str>) -> anyhow::Result<Release> {
        // `latest` names the latest wherever a version is asked for.
        let version = version.filter(|v| !v.trim().eq_ignore_ascii_case("latest"));
        match (self, version) {
            (Source::GitHub(g), None) => g.latest(),
            (Source::GitHub(g), Some(version)) => {
                pick(&g.releases()?, version, &format!("`{}` has no published release", g.repo()))
            }
            (Source::Mirror(m), _) => m.release(version),
        }
    }

    /// A reader of an asset's bytes.
    pub fn open(&self, release: &Release, asset: &Asset) -> anyhow::Result<Box<dyn Read + '_>> {
        match self {
            Source::GitHub(g) => g.open(asset),
            Source::Mirror(m) => m.open_asset(release, asset),
        }
    }

    /// An asset's bytes.
    pub fn download(&self, release: &Release, asset: &Asset) -> anyhow::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open(release, asset)?
            .read_to_end(&mut bytes)
            .with_context(|| format!("download `{}` of release {}", asset.name, release.tag_name))?;
        Ok(bytes)
    }
}

/// A mirror folder, as `lamina-infra mirror` writes it.
pub struct Mirror {
    pub dir: PathBuf,
    pub file: MirrorFile,
    /// `--sums-sha256`.
    pub pinned: Option<String>,
    /// What a release's signature is checked against.
    pub trust: crate::trust::Trust,
}

impl Mirror {
    /// Opens `dir` as a mirror of the repository `trust` names (`--repo`), refusing another's:
    /// whose releases they are is the user's to say, never the folder's, and their signatures are
    /// checked against that repository's release workflow.
    pub fn open_as(dir: &Path, trust: crate::trust::Trust, pinned: Option<String>) -> anyhow::Result<Mirror> {
        let mirror = Mirror::open(dir)?;
        let (asked, held) = (trust.repository.as_str(), mirror.file.repository.as_str());
        if !asked.eq_ignore_ascii_case(held) {
            bail!(
                "the mirror `{}` holds releases of `{held}`, not of `{asked}`; give the mirror of `{asked}`, or pass `--repo {held}` if you mean that repository",
                dir.display()
            );
        }
        Ok(Mirror { pinned, trust, ..mirror })
    }

    /// Reads `DIR/mirror.json`.
    pub fn open(dir: &Path) -> anyhow::Result<Mirror> {
        let path = dir.join(MIRROR_JSON);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "`{}` is missing, so `{}` is not a mirror; make one with `lamina-infra mirror VERSION --to {}`",
                path.display(),
                dir.display(),
                dir.display()
            ),
            Err(e) => bail!("read `{}`: {e}", path.display()),
        };
        let file: MirrorFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "`{}` is not a mirror index this version reads; make the mirror again with `lamina-infra mirror VERSION --to {}`",
                path.display(),
                dir.display()
            )
        })?;
        for r in &file.releases {
            plain_name(&r.tag_name, "release tag").with_context(|| format!("`{}` names a release", path.display()))?;
        }
        Ok(Mirror { dir: dir.to_owned(), file, pinned: None, trust: Default::default() })
    }

    fn release(&self, version: Option<&str>) -> anyhow::Result<Release> {
        let releases: Vec<Release> = self.file.releases.iter().filter(|r| !r.draft).cloned().collect();
        let Some(version) = version else {
            let newest = releases
                .iter()
                .filter(|r| !r.prerelease)
                .filter_map(|r| semver::Version::parse(r.version()).ok().map(|v| (v, r)))
                .max_by(|a, b| a.0.cmp(&b.0));
            return newest.map(|(_, r)| r.clone()).with_context(|| {
                format!(
                    "the mirror `{}` holds no release that is not a pre-release; name one, or add one with `lamina-infra mirror VERSION --to {}`",
                    self.dir.display(),
                    self.dir.display()
                )
            });
        };
        pick(&releases, version, &format!("the mirror `{}` holds no release", self.dir.display()))
    }

    /// `DIR/<tag>/<asset>`; a missing file says how to complete the mirror.
    fn open_asset(&self, release: &Release, asset: &Asset) -> anyhow::Result<Box<dyn Read>> {
        plain_name(&asset.name, "asset name")?;
        let path = self.dir.join(&release.tag_name).join(&asset.name);
        match std::fs::File::open(&path) {
            Ok(file) => Ok(Box::new(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "`{}` is missing from the mirror; run `lamina-infra mirror {} --to {}` to complete it",
                path.display(),
                release.version(),
                self.dir.display()
            ),
            Err(e) => bail!("read `{}`: {e}", path.display()),
        }
    }
}

/// The release of `version` (a leading `v` is accepted) in `releases`; when it is missing,
/// `missing` followed by the version and the nearest ones.
fn pick(releases: &[Release], version: &str, missing: &str) -> anyhow::Result<Release> {
    let version = version.trim_start_matches('v');
    if let Some(found) = releases.iter().find(|r| r.version() == version) {
        return Ok(found.clone());
    }
    let mut near: Vec<&str> = releases.iter().map(Release::version).collect();
    near.sort_by_key(|v| strsim::levenshtein(v, version));
    near.truncate(3);
    let known = if near.is_empty() { "it has none".to_owned() } else { format!("nearest: {}", near.join(", ")) };
    bail!("{missing} {version} ({known}); `lamina-infra releases` lists them all")
}

/// `name` when it is one plain file name: not empty, no separator, no leading dot (so not `.`,
/// `..` or a hidden file); else an error naming it as the `what` it is.
pub fn plain_name<'a>(name: &'a str, what: &str) -> anyhow::Result<&'a str> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        bail!("the {what} `{name}` is not a plain file name (no separator, no leading dot); refusing it");
    }
    Ok(name)
}
