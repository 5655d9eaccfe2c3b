//! The GitHub channel's read-back: a published release's assets, downloaded through the API as
//! users with a token get them, checked against `SHA256SUMS` and the manifest.

use crate::channel::{Channels, Check, bad, ok};
use crate::manifest::ReleaseManifest;
use crate::plan::{MANIFEST, SUMS};
use anyhow::{Context, bail};
use lamina_release_format::verify::{self, Problem};
use lamina_remote::digest::sha256_hex;
use lamina_remote::hint::WithHint;
use std::collections::BTreeMap;

/// What the assets' check found, and what the other channels are checked against.
pub struct Assets {
    pub checks: Vec<Check>,
    pub manifest: ReleaseManifest,
    /// `SHA256SUMS`: file name to hex SHA-256.
    pub sums: BTreeMap<String, String>,
    /// The chart archives as downloaded, by file name, for their OCI artifacts' check.
    pub archives: BTreeMap<String, Vec<u8>>,
}

/// Reads release `tag`'s assets back through the API, as a user with a token gets them (a
/// private repository's too), and checks them with the release format's verifier:
/// `SHA256SUMS`, the manifest, and every file `SHA256SUMS` lists.
pub async fn assets(ch: &Channels<'_>, tag: &str) -> anyhow::Result<Assets> {
    let release = ch.github.find(tag).await?.filter(|r| !r.draft);
    let release = release
        .with_context(|| format!("release `{tag}` is not published"))
        .hint(format!("is the release `{tag}` published? `cargo xtask release` publishes it"))?;
    let download = |file: &str| {
        let url = release.assets.iter().find(|a| a.name == file).map(|a| a.url.clone());
        let file = file.to_owned();
        async move {
            let url = url.with_context(|| format!("release `{tag}` has no asset `{file}`"))?;
            ch.github.download_asset(&url).await.with_context(|| format!("read `{file}` of release `{tag}`"))
        }
    };
    // One after another: after a rate-limited answer no request may go out before the wait, so
    // none may be in flight when it comes.
    let sums_bytes = download(SUMS).await?;
    let manifest_bytes = download(MANIFEST).await?;
    let sums = verify::read_sums(tag, &sums_bytes)?;
    // Every other file `SHA256SUMS` lists, read back; the chart archives kept for their OCI check.
    let (mut read, mut unread, mut archives) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for file in sums.keys().filter(|f| *f != MANIFEST) {
        match download(file).await {
            Ok(bytes) => {
                read.insert(file.as_str(), sha256_hex(&bytes));
                if file.ends_with(".tgz") {
                    archives.insert(file.as_str(), bytes);
                }
            }
            Err(e) => drop(unread.insert(file.as_str(), lamina_remote::hint::render(&e))),
        }
    }
    let outcome = verify::verify(&verify::Input {
        tag,
        repository: &ch.settings.repository,
        sums: &sums_bytes,
        manifest: Some(&manifest_bytes),
        read: read.iter().map(|(name, sha)| (*name, sha.as_str())).collect(),
        ..verify::Input::default()
    });
    let Some(manifest) = outcome.manifest.clone() else {
        let why = outcome.problems.iter().find(|p| matches!(p, Problem::Manifest { .. } | Problem::NoManifest { .. }));
        bail!("{}", why.map(ToString::to_string).unwrap_or_default());
    };
    let manifest_sum = sha256_hex(&manifest_bytes);
    // The manifest first, then every other file in `SHA256SUMS`, then anything else found wrong.
    let others = sums.keys().map(String::as_str).filter(|f| *f != MANIFEST);
    let order: Vec<&str> = [MANIFEST].into_iter().chain(others).collect();
    let mut checks = Vec::new();
    for (file, problems) in outcome.lines(&order) {
        let what = format!("asset {file}");
        let sum = if file == MANIFEST { Some(&manifest_sum) } else { read.get(file) };
        checks.push(match (unread.get(file), sum) {
            (Some(error), _) => bad(what, error.clone()),
            (None, Some(sum)) if problems.is_empty() => ok(what, sum.clone()),
            _ => bad(what, problems.iter().map(|p| p.detail()).collect::<Vec<_>>().join("; ")),
        });
    }
    let archives = archives.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Ok(Assets { checks, manifest, sums, archives })
}
