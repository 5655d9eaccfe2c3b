//! A release's own files, trusted only once checked: `SHA256SUMS` and the manifest are downloaded
//! and checked by the release format's one verifier (against GitHub's digest, against each other,
//! every component against `SHA256SUMS`) before `show`, `pull`, `verify`, `mirror`, `compat`,
//! `validate` or `deploy` uses anything of the release.

use crate::github::Release;
use crate::source::Source;
use anyhow::Context;
use lamina_release_format::manifest::ReleaseManifest;
use lamina_release_format::provenance;
use lamina_release_format::signature::Signed;
use lamina_release_format::verify::{Input, verify};
use lamina_release_format::{MANIFEST, SUMS};
use std::collections::BTreeMap;

/// A release's own files, checked.
pub struct Verified {
    pub manifest: ReleaseManifest,
    /// `SHA256SUMS`: file name → SHA-256.
    pub sums: BTreeMap<String, String>,
    /// The bytes of `SHA256SUMS`, of the manifest and of the provenance bundle (when the release
    /// has one), by name.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// The SHA-256 of `SHA256SUMS`: what `--sums-sha256` pins.
    pub sums_sha256: String,
    /// What anchors `SHA256SUMS` beyond the release itself: GitHub's digest, `--sums-sha256`,
    /// or nothing (an older asset GitHub reports no digest for).
    pub anchor: Option<&'static str>,
    /// Who signed it, verified: the release workflow's identity; `None`: the release is unsigned.
    pub signed_by: Option<String>,
}

/// What the user is told when nothing anchors `SHA256SUMS`.
pub const UNANCHORED: &str =
    "not anchored to GitHub's digest: GitHub reports none for its SHA256SUMS; pin it with --sums-sha256";

/// The release's manifest and `SHA256SUMS`, once `SHA256SUMS` matches GitHub's digest (when it
/// reports one), the manifest matches `SHA256SUMS`, every component the manifest records is
/// listed in `SHA256SUMS` with the same SHA-256, and its signature verifies; an unsigned release
/// only with `--allow-unsigned`.
pub fn verified(source: &Source, release: &Release) -> anyhow::Result<Verified> {
    let verified = checked(source, release)?;
    if verified.signed_by.is_none() {
        source.trust().unsigned(&release.tag_name)?;
    }
    Ok(verified)
}

/// [`verified`], letting an unsigned release through (`signed_by` says so): what `show` reports.
pub fn checked(source: &Source, release: &Release) -> anyhow::Result<Verified> {
    if let Some(problem) = release.assets.iter().find_map(|a| a.digest_problem()) {
        anyhow::bail!("release {}: {problem}; do not use this release", release.tag_name);
    }
    let sums = download(source, release, SUMS)?;
    let sums_sha256 = lamina_remote::digest::sha256_hex(&sums);
    pinned(source, &release.tag_name, &sums_sha256)?;
    let manifest = download(source, release, MANIFEST)?;
    let input = Input {
        tag: &release.tag_name,
        repository: source.repository(),
        sums: &sums,
        manifest: Some(&manifest),
        digests: digests(release),
        ..Input::default()
    };
    let verified = verify(&input).into_result()?;
    let anchor = match (source.pinned(), release.asset(SUMS).and_then(|a| a.sha256())) {
        (Some(_), _) => Some("--sums-sha256"),
        (None, Some(_)) => Some("GitHub's digest"),
        (None, None) => None,
    };
    let bundle = release.asset(provenance::ASSET).map(|_| download(source, release, provenance::ASSET)).transpose()?;
    let signer = Signer::of(source);
    let signed_by =
        bundle.as_ref().map(|b| signed_by(&signer, &release.tag_name, &sums, b)).transpose()?.map(|s| s.identity);
    let mut files = vec![(SUMS, sums), (MANIFEST, manifest)];
    files.extend(bundle.map(|b| (provenance::ASSET, b)));
    Ok(Verified { manifest: verified.manifest, sums: verified.sums, files, sums_sha256, anchor, signed_by })
}

/// Whose signature a release must carry, from the user's side: the workflow `--signer-workflow`
/// names (the release workflow by default) of `repository` on `server`, checked against the
/// trusted root `--trust-config` names (else Sigstore's public-good one).
pub struct Signer<'a> {
    pub server: String,
    pub repository: &'a str,
    pub trust: &'a crate::trust::Trust,
    /// Whether Sigstore's trusted root may be refreshed over the network: not for a mirror folder.
    pub online: bool,
}

impl Signer<'_> {
    /// The signing workflow of the repository `source` reads.
    pub fn of(source: &Source) -> Signer<'_> {
        match source {
            Source::GitHub(g) => Signer { server: g.server(), repository: g.repo(), trust: &g.trust, online: true },
            Source::Mirror(m) => Signer::of_mirror(m),
        }
    }

    /// The identity a signature of release `tag` must carry: the workflow at the tag.
    pub fn identity(&self, tag: &str) -> String {
        let workflow = if self.trust.workflow.is_empty() { provenance::WORKFLOW } else { &self.trust.workflow };
        provenance::identity(&self.server, self.repository, workflow, &format!("refs/tags/{tag}"))
    }

    /// The trusted root `--trust-config` names, else Sigstore's public-good one: refreshed over
    /// TUF, but for a mirror folder, which is read with no request ([`crate::signature::tuf`]).
    pub fn root(&self) -> anyhow::Result<sigstore_verify::trust_root::TrustedRoot> {
        match &self.trust.config {
            Some(path) => crate::signature::trusted_root(path),
            None => crate::signature::tuf::public_good(self.online),
        }
    }

    /// The signing workflow, on github.com (a mirror records no other server), of the repository
    /// `--repo` names: never the one the folder's `mirror.json` names.
    pub fn of_mirror(mirror: &crate::source::Mirror) -> Signer<'_> {
        let repository = mirror.trust.repository.as_str();
        Signer { server: crate::github::SERVER.to_owned(), repository, trust: &mirror.trust, online: false }
    }
}

/// The identity that signed the `SHA256SUMS` (`sums`) of the release tagged `tag` in its
/// provenance `bundle`, checked to be `signer`'s workflow at that tag, against the trusted root
/// `--trust-config` names (else Sigstore's public-good one).
pub fn signed_by(signer: &Signer, tag: &str, sums: &[u8], bundle: &[u8]) -> anyhow::Result<Signed> {
    let (root, identity) = (signer.root()?, signer.identity(tag));
    let signed = crate::signature::verify(bundle, sums, &identity, &root)
        .map_err(|e| anyhow::format_err!("{e}"))
        .with_context(|| format!("`{}` of release {tag}", provenance::ASSET))
        .map_err(|e| lamina_remote::hint::hinted(e, "do not use this release; if you sign with your own Sigstore, give its trust config with --trust-config"))?;
    Ok(signed)
}

/// Refuses `SHA256SUMS` of release `tag`, hashing to `sha256`, unless it is what
/// `--sums-sha256` pins (when given).
pub fn pinned(source: &Source, tag: &str, sha256: &str) -> anyhow::Result<()> {
    match source.pinned() {
        Some(pinned) if pinned != sha256 => Err(lamina_remote::hint::fail(
            format!("`SHA256SUMS` of release {tag} hashes to {sha256}, not the {pinned} given with --sums-sha256"),
            "do not use this release; if you recorded the value from another release, give that release's",
        )),
        _ => Ok(()),
    }
}

/// The bytes of the release's asset `name`, which a release the pipeline made always has.
pub fn download(source: &Source, release: &Release, name: &str) -> anyhow::Result<Vec<u8>> {
    let asset = release.asset(name).with_context(|| {
        format!("release {} has no `{name}`: it was not made by this pipeline, or is incomplete", release.tag_name)
    })?;
    source.download(release, asset)
}

/// GitHub's SHA-256 of each asset of the release that has one, by name.
pub fn digests(release: &Release) -> BTreeMap<&str, &str> {
    release.assets.iter().filter_map(|a| Some((a.name.as_str(), a.sha256()?))).collect()
}

/// The bytes of `asset`, which `SHA256SUMS` (or the manifest) records as `expected` (hex): the
/// copy at `local` when it already hashes to that, else downloaded with progress and checked
/// against `expected` and GitHub's own digest of the asset.
pub fn asset(
    source: &Source,
    release: &Release,
    asset: &crate::github::Asset,
    expected: &str,
    local: Option<&std::path::Path>,
) -> anyhow::Result<Vec<u8>> {
    let sha256 = lamina_remote::digest::sha256_hex;
    if let Some(bytes) = local.and_then(|path| std::fs::read(path).ok())
        && sha256(&bytes) == expected
    {
        return Ok(bytes);
    }
    let reader = source.open(release, asset)?;
    let bytes = lamina_remote::progress::read_all(crate::progress_mode(), &asset.name, asset.size, reader)
        .with_context(|| format!("download `{}` of release {}", asset.name, release.tag_name))?;
    let got = sha256(&bytes);
    let (name, tag) = (&asset.name, &release.tag_name);
    let github = asset.sha256();
    if got == expected && github.is_none_or(|g| g == got) {
        return Ok(bytes);
    }
    match github {
        // GitHub holds what SHA256SUMS records, and other bytes arrived: the download is to blame.
        Some(github) if github == expected => anyhow::bail!(
            "the download of `{name}` of release {tag} is not what GitHub holds (GitHub's digest is {github}, downloaded {got}); nothing was written; run again, and if it persists, check what sits between you and GitHub (a proxy, a mirror)"
        ),
        Some(github) if github != got => anyhow::bail!(
            "`{name}` of release {tag}: SHA256SUMS and the manifest say {expected}, GitHub's digest is {github}, downloaded {got}; they must agree; nothing was written; do not use this release"
        ),
        _ => anyhow::bail!(
            "`{name}` of release {tag} does not match its recorded digest (SHA256SUMS and the manifest say {expected}, downloaded {got}); nothing was written; do not use this release"
        ),
    }
}
