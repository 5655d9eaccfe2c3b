//! The Python index channel's read-back: each released wheel and its project's sdist, listed on
//! the index and downloaded, against `SHA256SUMS`.

use crate::channel::{Check, bad, equal};
use crate::manifest::{ComponentKind, ReleaseManifest};
use lamina_remote::digest::sha256_hex;

/// Each wheel of the manifest, and its project's sdist, read back from the Python index: the
/// digest its page lists and the downloaded bytes, both against `SHA256SUMS`. Only releases made
/// with the Python channel carry the sdist as an asset; a wheel without one (an older release)
/// was never uploaded and is not looked for.
pub async fn files(
    index: &crate::settings::PythonIndex,
    manifest: &ReleaseManifest,
    sums: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Vec<Check>> {
    let client = crate::channel::python_index::PyIndex::new(index)?;
    let mut checks = Vec::new();
    let wheels: Vec<&crate::manifest::Component> =
        manifest.components.iter().filter(|c| c.kind == ComponentKind::Wheel).collect();
    let mut projects: Vec<&str> = Vec::new();
    for wheel in &wheels {
        if !projects.contains(&wheel.name.as_str()) {
            projects.push(&wheel.name);
        }
    }
    for project in projects {
        // The manifest's sdist component; before format version 2, the one `{dist}-*.tar.gz`
        // asset that is no component (named as maturin names it: a pre-release's version in
        // Python's spelling).
        let prefix = format!("{}-", lamina_release_format::names::dist_name(project));
        let recorded = manifest.components.iter().find(|c| c.kind == ComponentKind::Sdist && c.name == project);
        let sdist = recorded.map(|c| &c.file).or_else(|| {
            sums.keys().find(|k| {
                k.starts_with(&prefix) && k.ends_with(".tar.gz") && !manifest.components.iter().any(|c| c.file == **k)
            })
        });
        let Some(sdist) = sdist else { continue };
        let listed = client.listed(project).await?;
        let mut files: Vec<(&str, &str)> =
            wheels.iter().filter(|w| w.name == project).map(|w| (w.file.as_str(), w.sha256.as_str())).collect();
        files.push((sdist.as_str(), sums[sdist].as_str()));
        for (file, recorded) in files {
            let what = format!("python file {file}");
            let expected = sums.get(file).map_or(recorded, String::as_str);
            let Some(found) = listed.iter().find(|l| l.filename == file) else {
                checks.push(bad(what, format!("not on {}", client.page(project))));
                continue;
            };
            checks.push(match client.download(&found.url).await {
                Ok(bytes) => {
                    let got = sha256_hex(&bytes);
                    match &found.sha256 {
                        Some(listed) if *listed != got => {
                            bad(what, format!("the page lists {listed}, the download is {got}"))
                        }
                        _ => equal(&what, Some(&expected.to_owned()), &got),
                    }
                }
                Err(e) => bad(what, lamina_remote::hint::render(&e)),
            });
        }
    }
    Ok(checks)
}
