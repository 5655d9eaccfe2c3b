//! `verify DIR|VERSION`: checks a mirror folder, a folder of pulled components, or a published
//! release file by file, reports every problem at once (one line per thing checked, or JSON),
//! and fails when any check does.

mod layout;
mod mirror;
mod published;
mod pulled;

use crate::github::Release;
use crate::source::{Mirror, Source};
use anyhow::bail;
use lamina_release_format::SUMS;
use lamina_release_format::checks::{Check, Checks, render};
use lamina_release_format::mirror::MIRROR_JSON;
use lamina_release_format::provenance;
use lamina_release_format::verify::{self as format, Input, Outcome, Problem};
use lamina_remote::digest::short;
use std::collections::BTreeMap;
use std::path::Path;

/// A line for each signed SBOM among the release's assets (`bytes` reads one): an SPDX or
/// CycloneDX statement by the release's signer about the image digest or binary archive its name
/// says, as the manifest records them. An SBOM of anything else fails.
fn sboms(
    report: &mut Checks,
    signer: &crate::trusted::Signer,
    release: &Release,
    manifest: &lamina_release_format::manifest::ReleaseManifest,
    bytes: impl Fn(&str) -> anyhow::Result<Option<Vec<u8>>>,
) -> anyhow::Result<()> {
    let tag = &release.tag_name;
    let signed = provenance::signed_assets(manifest);
    let (root, identity) = (signer.root()?, signer.identity(tag));
    for name in release.assets.iter().map(|a| a.name.as_str()).filter(|n| is_sbom(n)) {
        let verdict = match (signed.get(name), bytes(name)) {
            (Some(Some(digest)), Ok(Some(bundle))) => sbom_signed(&bundle, digest, &identity, &root)
                .map(|kind| format!("{kind} about {}, signed by {identity} (verified)", short(digest))),
            // The provenance (never named like an SBOM), or an SBOM the folder does not hold.
            (Some(None), _) | (Some(_), Ok(None)) => continue,
            (Some(_), Err(e)) => Err(format!("{e:#}")),
            (None, _) => Err("names no image platform or binary archive of the release".to_owned()),
        };
        report.push(Check::of(format!("{tag}/{name}"), verdict));
    }
    Ok(())
}

/// `bundle` verified as an SBOM (SPDX or CycloneDX) by `identity` about the SHA-256 `digest`.
pub fn sbom_signed(
    bundle: &[u8],
    digest: &str,
    identity: &str,
    root: &sigstore_verify::trust_root::TrustedRoot,
) -> Result<String, String> {
    let kinds = [provenance::SPDX, provenance::CYCLONEDX];
    lamina_release_format::signature::verify_about(bundle, digest, &kinds, identity, root)
}

/// Whether a release asset is a signed SBOM: an image's SPDX or a binary's CycloneDX.
pub fn is_sbom(name: &str) -> bool {
    [".spdx", ".cdx"].iter().any(|kind| name.ends_with(&format!("{kind}{}", provenance::SIGNED)))
}

/// Runs `verify` and prints its report.
pub fn verify(source: &Source, target: &str, version: Option<&str>, json: bool) -> anyhow::Result<()> {
    let path = Path::new(target);
    let is_version = semver::Version::parse(target.trim_start_matches('v')).is_ok();
    let pulled_folder = path.is_dir() && !path.join(MIRROR_JSON).exists();
    if version.is_some() && !pulled_folder {
        bail!("`--version` is for a pulled folder; `{target}` is not one, so give it alone");
    }
    let mut report = Checks::default();
    // What was verified (`kind` in JSON), and what to do about a failure.
    let (kind, fix): (&str, String) = if path.is_dir() && path.join(MIRROR_JSON).exists() {
        let pinned = source.pinned().map(str::to_owned);
        let trust = source.trust().clone();
        mirror::check(&Mirror::open_as(path, trust, pinned)?, None, &mut report);
        ("mirror", format!("run `lamina-infra mirror VERSION --to {target}` again to repair it"))
    } else if pulled_folder {
        pulled::check(source, path, version, &mut report)?;
        ("pulled-folder", format!("`lamina-infra pull COMPONENT --to {target}` puts back what was published"))
    } else if let (true, Source::Mirror(m)) = (is_version, source) {
        // From a mirror, its OCI layouts stand in for the registry: nothing is read from the network.
        let release = source.release(Some(target))?;
        mirror::check(m, Some(&release), &mut report);
        let dir = m.dir.display();
        ("mirror", format!("run `lamina-infra mirror {} --to {dir}` again to repair it", release.version()))
    } else if is_version {
        published::check(source, target, &mut report)?;
        ("release", "do not use this release".to_owned())
    } else {
        bail!(
            "`{target}` is neither a folder nor a release version; give a mirror folder, a folder `lamina-infra pull` wrote into, or a version such as 0.2.0"
        );
    };
    let failed = report.failed();
    // Every release checked carries a signature that verified: that is what vouches for it.
    let signatures: Vec<&Check> = report.0.iter().filter(|c| c.what.ends_with(provenance::ASSET)).collect();
    let signed = !signatures.is_empty() && signatures.iter().all(|c| c.ok && c.detail.starts_with("signed by"));
    let rests_on = match (kind, source.pinned()) {
        ("release" | "mirror", _) if signed => {
            "the release workflow's signature of SHA256SUMS, verified against the Sigstore trusted root"
        }
        ("release", _) => "GitHub's digest of each asset, and SHA256SUMS",
        ("pulled-folder", _) => "the published release, checked as `verify VERSION` checks it",
        (_, Some(_)) => {
            "--sums-sha256 for SHA256SUMS; otherwise the folder's SHA256SUMS and mirror.json, which vouch only for each other"
        }
        _ => {
            "the folder alone: its SHA256SUMS and mirror.json vouch only for each other; compare a release's SHA256SUMS digest with one you recorded (`show` prints it), or pass --sums-sha256"
        }
    };
    if json {
        let out = serde_json::json!({
            "target": target, "kind": kind, "failed": failed, "rests_on": rests_on, "checks": report,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", render(&report.0, ""));
        println!("{} checks, {} ok, {failed} failed", report.0.len(), report.0.len() - failed);
        println!("authenticity rests on {rests_on}");
    }
    if failed > 0 {
        bail!("{failed} of {} checks failed for `{target}`; {fix}", report.0.len());
    }
    Ok(())
}

/// The checks `verify DIR` makes of the releases `only` names in a mirror folder (all when
/// `None`), for `mirror push` to make first.
pub fn mirror_folder(mirror: &Mirror, only: &[&Release]) -> Checks {
    let mut report = Checks::default();
    match only {
        [] => mirror::check(mirror, None, &mut report),
        only => only.iter().for_each(|release| mirror::check(mirror, Some(release), &mut report)),
    }
    report
}

/// Verifies a release of `repository`, its assets each read as `(sha256, size)` by name, with the
/// release format's one verifier, and reports one line per asset read: its problems, and a size other than GitHub
/// lists. A problem about an asset of the release that could not be read (already reported) is
/// not reported again.
fn assets(
    report: &mut Checks,
    (repository, pinned): (&str, Option<&str>),
    release: &Release,
    sums: &[u8],
    manifest: Option<&[u8]>,
    read: &BTreeMap<&str, (String, u64)>,
) -> Outcome {
    let tag = &release.tag_name;
    let outcome = format::verify(&Input {
        tag,
        repository,
        sums,
        manifest,
        digests: crate::trusted::digests(release),
        read: read.iter().map(|(name, (sha, _))| (*name, sha.as_str())).collect(),
        assets: Some(release.assets.iter().map(|a| a.name.as_str()).collect()),
    });
    let unread = |p: &&Problem| !read.contains_key(p.asset()) && release.asset(p.asset()).is_some();
    let order: Vec<&str> = read.keys().copied().collect();
    for (name, problems) in outcome.lines(&order) {
        let mut details: Vec<String> = problems.iter().filter(|p| !unread(p)).map(|p| p.detail()).collect();
        if outcome.stopped().is_some() && name != SUMS && read.contains_key(name) {
            details.push("not checked: the release's SHA256SUMS cannot be read".to_owned());
        }
        let found = read.get(name);
        let asset = release.asset(name);
        if let (Some((_, size)), Some(asset)) = (found, asset)
            && *size != asset.size
        {
            details.push(format!("{size} bytes, GitHub lists {}", asset.size));
        }
        details.extend(asset.and_then(|a| a.digest_problem()));
        if let (SUMS, Some((sha, _)), Some(pinned)) = (name, found, pinned)
            && sha != pinned
        {
            details.push(format!("changed: --sums-sha256 says {pinned}, the file is {sha}"));
        }
        if details.is_empty() && found.is_none() {
            continue;
        }
        // The provenance bundle gets its own line: who signed the release (see `signature`).
        if name == provenance::ASSET && details.is_empty() {
            continue;
        }
        let sha = found.map_or("", |(sha, _)| sha.as_str());
        let unanchored =
            if asset.and_then(|a| a.sha256()).is_none() { ", not anchored to GitHub's digest" } else { "" };
        report.either(format!("{tag}/{name}"), &details, format!("sha256 {} matches{unanchored}", short(sha)));
    }
    outcome
}

/// The line of a release's provenance bundle: who signed its `SHA256SUMS` (`sums`), verified for
/// `signer`'s workflow at the release's tag; a release without one fails, unless
/// `--allow-unsigned`. Returns the signed statement, to check what else it names.
fn signature(
    report: &mut Checks,
    signer: &crate::trusted::Signer,
    release: &Release,
    sums: &[u8],
    bundle: Option<Vec<u8>>,
) -> Option<lamina_release_format::provenance::Statement> {
    let tag = &release.tag_name;
    let mut statement = None;
    let verdict = match bundle {
        Some(bundle) => crate::trusted::signed_by(signer, tag, sums, &bundle)
            .map(|signed| {
                statement = Some(signed.statement);
                format!("signed by {} (verified)", signed.identity)
            })
            .map_err(|e| format!("{e:#}")),
        None if signer.trust.allow_unsigned => {
            Ok("unsigned: who made the release is not checked (--allow-unsigned)".into())
        }
        None => Err(
            "missing: the release is unsigned, so who made it cannot be checked; pass --allow-unsigned to accept it"
                .into(),
        ),
    };
    report.push(lamina_release_format::checks::Check::of(format!("{tag}/{}", provenance::ASSET), verdict));
    statement
}
