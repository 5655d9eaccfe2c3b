//! The one verifier of a release's own files: `SHA256SUMS` read strictly, the manifest's bytes
//! against it, every component the manifest records against it, and every asset read against it
//! and GitHub's digest. Pure: the caller reads (from GitHub, a download URL or a folder) and
//! reports; this decides, and each [`Problem`] names the asset and what to do.

#[cfg(test)]
mod tests;

use crate::manifest::ReleaseManifest;
use crate::sums::{self, SumsError};
use crate::{MANIFEST, SUMS};
use std::collections::{BTreeMap, BTreeSet};

/// What was read of one release.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    /// The release's tag, `v{version}`.
    pub tag: &'a str,
    /// The repository (`OWNER/NAME`) the release was read from; the manifest must name it
    /// (letter case aside). Empty: not checked.
    pub repository: &'a str,
    /// The bytes of `SHA256SUMS`.
    pub sums: &'a [u8],
    /// The bytes of `release-manifest.json`; `None` when the release has none.
    pub manifest: Option<&'a [u8]>,
    /// GitHub's SHA-256 of each asset (bare lowercase hex), by name, where it reports one.
    pub digests: BTreeMap<&'a str, &'a str>,
    /// The lowercase hex SHA-256 of each further asset read, by name. `SHA256SUMS` and the
    /// manifest are hashed here, from their bytes.
    pub read: BTreeMap<&'a str, &'a str>,
    /// Every asset the release has, by name, when known: an asset that `SHA256SUMS` lists or the
    /// manifest records and that is not among them is missing.
    pub assets: Option<BTreeSet<&'a str>>,
}

/// The release's own files, once nothing is wrong with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub manifest: ReleaseManifest,
    /// `SHA256SUMS`: file name → lowercase hex SHA-256.
    pub sums: BTreeMap<String, String>,
}

/// What verifying found: the files as far as they could be read, and every problem.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `SHA256SUMS` by file name; `None` when it cannot be read (a problem says why).
    pub sums: Option<BTreeMap<String, String>>,
    /// `None` when the release has no manifest, or one this version cannot read.
    pub manifest: Option<ReleaseManifest>,
    /// In the order the checks ran: `SHA256SUMS`, the manifest, the components, the assets read,
    /// what is missing.
    pub problems: Vec<Problem>,
}

/// Who names an asset the release lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lister {
    Sums,
    Manifest,
}

/// One thing wrong with a release's files. `Display` is a sentence naming the release and the
/// asset and saying what to do; [`Problem::detail`] is the short form for a line that already
/// names the asset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("release {tag}: SHA256SUMS is not text; do not use this release")]
    SumsNotText { tag: String },
    #[error("release {tag}: {error}; do not use this release")]
    Sums { tag: String, error: SumsError },
    #[error(
        "`{asset}` of release {tag} does not match GitHub's digest ({github}, downloaded {read}); do not use this release"
    )]
    GitHubDigest { tag: String, asset: String, github: String, read: String },
    #[error(
        "`{asset}` of release {tag} does not match SHA256SUMS ({listed}, downloaded {read}); do not use this release"
    )]
    Changed { tag: String, asset: String, listed: String, read: String },
    #[error(
        "`{asset}` of release {tag} is not listed in SHA256SUMS, so nothing vouches for it; do not use this release"
    )]
    NotListed { tag: String, asset: String },
    #[error("release {tag} has no `{MANIFEST}`: it was not made by this pipeline, or is incomplete")]
    NoManifest { tag: String },
    #[error(
        "`{MANIFEST}` of release {tag} is not a manifest this version reads ({error}); a newer version may read it, else do not use this release"
    )]
    Manifest { tag: String, error: String },
    #[error("`{MANIFEST}` of release {tag} records release {recorded}; do not use this release")]
    OtherRelease { tag: String, recorded: String },
    #[error(
        "`{MANIFEST}` of release {tag} records the repository {recorded}, but it was read from {read}: a release copied from another repository; do not use this release"
    )]
    OtherRepository { tag: String, recorded: String, read: String },
    #[error("release {tag}: `{asset}` is recorded as {recorded} in the manifest but {}; do not use this release", listed_as(.listed))]
    Recorded { tag: String, asset: String, recorded: String, listed: Option<String> },
    #[error("`{asset}` of release {tag} is missing: {}; do not use this release", missing(.by))]
    Missing { tag: String, asset: String, by: Lister },
}

fn listed_as(listed: &Option<String>) -> String {
    match listed {
        Some(listed) => format!("SHA256SUMS says {listed}"),
        None => "SHA256SUMS does not list it".to_owned(),
    }
}

fn missing(by: &Lister) -> &'static str {
    match by {
        Lister::Sums => "SHA256SUMS lists it, the release has no such asset",
        Lister::Manifest => "the manifest records it, the release has no such asset",
    }
}

impl Problem {
    /// The asset the problem is about.
    pub fn asset(&self) -> &str {
        match self {
            Problem::SumsNotText { .. } | Problem::Sums { .. } => SUMS,
            Problem::NoManifest { .. }
            | Problem::Manifest { .. }
            | Problem::OtherRelease { .. }
            | Problem::OtherRepository { .. } => MANIFEST,
            Problem::GitHubDigest { asset, .. }
            | Problem::Changed { asset, .. }
            | Problem::NotListed { asset, .. }
            | Problem::Recorded { asset, .. }
            | Problem::Missing { asset, .. } => asset,
        }
    }

    /// The problem in a few words, for a line that names the asset already.
    pub fn detail(&self) -> String {
        match self {
            Problem::SumsNotText { .. } => "is not text".to_owned(),
            Problem::Sums { error, .. } => error.to_string(),
            Problem::GitHubDigest { github, read, .. } => {
                format!("changed: GitHub's digest is {github}, downloaded {read}")
            }
            Problem::Changed { listed, read, .. } => format!("changed: SHA256SUMS says {listed}, downloaded {read}"),
            Problem::NotListed { .. } => "not listed in SHA256SUMS".to_owned(),
            Problem::NoManifest { .. } => "missing: the release has no manifest".to_owned(),
            Problem::Manifest { error, .. } => format!("not a manifest this version reads: {error}"),
            Problem::OtherRelease { tag, recorded } => format!("records release {recorded}, not {tag}"),
            Problem::OtherRepository { recorded, read, .. } => format!("records the repository {recorded}, not {read}"),
            Problem::Recorded { recorded, listed: Some(listed), .. } => {
                format!("changed: the manifest records {recorded}, SHA256SUMS says {listed}")
            }
            Problem::Recorded { listed: None, .. } => "in the manifest but not in SHA256SUMS".to_owned(),
            Problem::Missing { by, .. } => format!("missing: {}", missing(by)),
        }
    }
}

/// `SHA256SUMS` of release `tag`, read strictly.
pub fn read_sums(tag: &str, bytes: &[u8]) -> Result<BTreeMap<String, String>, Problem> {
    let text = std::str::from_utf8(bytes).map_err(|_| Problem::SumsNotText { tag: tag.to_owned() })?;
    sums::parse(text).map_err(|error| Problem::Sums { tag: tag.to_owned(), error })
}

/// Verifies a release's own files and every asset read. Never stops at the first problem, except
/// that nothing but GitHub's digest of `SHA256SUMS` is checked when `SHA256SUMS` cannot be read.
pub fn verify(input: &Input) -> Outcome {
    let tag = input.tag.to_owned();
    let sums_sha = sha256_hex(input.sums);
    let manifest_sha = input.manifest.map(sha256_hex);
    let mut problems = Vec::new();
    github_digest(input, SUMS, &sums_sha, &mut problems);
    let sums = match read_sums(input.tag, input.sums) {
        Ok(sums) => sums,
        Err(problem) => {
            problems.push(problem);
            return Outcome { sums: None, manifest: None, problems };
        }
    };
    let mut manifest = None;
    match (input.manifest, &manifest_sha) {
        (Some(bytes), Some(sha)) => {
            one_asset(input, &sums, &BTreeMap::new(), MANIFEST, sha, &mut problems);
            match serde_json::from_slice::<ReleaseManifest>(bytes).map_err(|e| e.to_string()) {
                Ok(m) => match m.check_paths() {
                    Err(error) => problems.push(Problem::Manifest { tag: tag.clone(), error }),
                    Ok(()) => {
                        if m.tag != input.tag {
                            problems.push(Problem::OtherRelease { tag: tag.clone(), recorded: m.tag.clone() });
                        }
                        if !input.repository.is_empty() && !m.repository.eq_ignore_ascii_case(input.repository) {
                            let (recorded, read) = (m.repository.clone(), input.repository.to_owned());
                            problems.push(Problem::OtherRepository { tag: tag.clone(), recorded, read });
                        }
                        manifest = Some(m);
                    }
                },
                Err(error) => problems.push(Problem::Manifest { tag: tag.clone(), error }),
            }
        }
        _ => problems.push(Problem::NoManifest { tag: tag.clone() }),
    }
    for c in manifest.iter().flat_map(|m| &m.components) {
        let listed = sums.get(&c.file);
        if listed != Some(&c.sha256) {
            let (asset, recorded, listed) = (c.file.clone(), c.sha256.clone(), listed.cloned());
            problems.push(Problem::Recorded { tag: tag.clone(), asset, recorded, listed });
        }
    }
    let signed = manifest.as_ref().map(crate::provenance::signed_assets).unwrap_or_default();
    for (name, sha) in input.read.iter().filter(|(n, _)| ![SUMS, MANIFEST].contains(n)) {
        one_asset(input, &sums, &signed, name, sha, &mut problems);
    }
    if let Some(assets) = &input.assets {
        let by_sums = sums.keys().map(|n| (n.as_str(), Lister::Sums));
        let by_manifest = manifest.iter().flat_map(|m| &m.components).map(|c| (c.file.as_str(), Lister::Manifest));
        for (asset, by) in by_sums.chain(by_manifest).filter(|(n, _)| !assets.contains(n)) {
            problems.push(Problem::Missing { tag: tag.clone(), asset: asset.to_owned(), by });
        }
    }
    Outcome { sums: Some(sums), manifest, problems }
}

/// One asset read: against GitHub's digest and, but for `SHA256SUMS` itself and the release's
/// signed statements (`signed`, vouched for by their signatures), `SHA256SUMS`.
fn one_asset(
    input: &Input,
    sums: &BTreeMap<String, String>,
    signed: &BTreeMap<String, Option<String>>,
    name: &str,
    sha: &str,
    problems: &mut Vec<Problem>,
) {
    github_digest(input, name, sha, problems);
    let (tag, asset) = (input.tag.to_owned(), name.to_owned());
    match sums.get(name) {
        Some(listed) if listed != sha => {
            problems.push(Problem::Changed { tag, asset, listed: listed.clone(), read: sha.to_owned() });
        }
        None if name != SUMS && name != crate::provenance::ASSET && !signed.contains_key(name) => {
            problems.push(Problem::NotListed { tag, asset })
        }
        _ => {}
    }
}

fn github_digest(input: &Input, name: &str, sha: &str, problems: &mut Vec<Problem>) {
    if let Some(github) = input.digests.get(name)
        && *github != sha
    {
        let (tag, asset) = (input.tag.to_owned(), name.to_owned());
        problems.push(Problem::GitHubDigest { tag, asset, github: (*github).to_owned(), read: sha.to_owned() });
    }
}

impl Outcome {
    /// The files, or the first problem (in the order the checks ran).
    pub fn into_result(self) -> Result<Verified, Problem> {
        match (self.problems.into_iter().next(), self.manifest, self.sums) {
            (None, Some(manifest), Some(sums)) => Ok(Verified { manifest, sums }),
            (Some(problem), _, _) => Err(problem),
            (None, _, _) => unreachable!("a missing manifest or SHA256SUMS is a problem"),
        }
    }

    /// The problem that stopped verifying early: `SHA256SUMS` could not be read.
    pub fn stopped(&self) -> Option<&Problem> {
        self.sums.is_none().then(|| self.problems.last()).flatten()
    }

    /// The problems about `asset`.
    pub fn of(&self, asset: &str) -> Vec<&Problem> {
        self.problems.iter().filter(|p| p.asset() == asset).collect()
    }

    /// One line per asset of `order` with its problems (none: it checked out), then one line per
    /// problem about any other asset (what is missing, or an asset never read).
    pub fn lines<'a>(&'a self, order: &[&'a str]) -> Vec<(&'a str, Vec<&'a Problem>)> {
        let mut out: Vec<(&str, Vec<&Problem>)> = order.iter().map(|name| (*name, self.of(name))).collect();
        let others = self.problems.iter().filter(|p| !order.contains(&p.asset()));
        out.extend(others.map(|p| (p.asset(), vec![p])));
        out
    }
}

/// Lowercase hex SHA-256 of bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}
