//! The Pages branch as an update found it: its tip, the index there, and the release manifests
//! the catalog keeps, read as hostile (anyone who can push to the branch wrote them): only
//! regular files of a bounded size, each with a version, tag and repository that agree.

use crate::manifest::{ReleaseManifest, SCHEMA_VERSION};
use crate::shell::{Shell, cmd};
use anyhow::bail;
use lamina_release_format::names;

/// The largest manifest read from the branch.
const LARGEST: u64 = 4 << 20;

pub struct Tip<'p> {
    sh: &'p Shell,
    commit: Option<String>,
    pub index: Option<String>,
}

impl<'p> Tip<'p> {
    pub(super) fn new(sh: &'p Shell, commit: Option<String>, index: Option<String>) -> Tip<'p> {
        Tip { sh, commit, index }
    }

    /// The release manifests of `repository` kept at `releases/{version}/release-manifest.json`.
    /// One that is not such a manifest is left out of the catalog with a note; one of a newer
    /// format than this program reads stops the update, since leaving it out would drop that
    /// release from the catalog.
    pub fn manifests(&self, repository: &str) -> anyhow::Result<Vec<ReleaseManifest>> {
        let Some(tip) = &self.commit else { return Ok(Vec::new()) };
        let sh = self.sh;
        let dir = format!("{}/", super::site::MANIFESTS);
        let listed = cmd!(sh, "git ls-tree -r -z -l --full-tree {tip} -- {dir}").quiet().output()?.stdout;
        let mut wanted = Vec::new();
        for record in listed.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            let Some((meta, path)) = record.split_once('\t') else { continue };
            let Some(version) = path.strip_prefix(&dir).and_then(|r| r.strip_suffix("/release-manifest.json")) else {
                continue;
            };
            let fields: Vec<&str> = meta.split_whitespace().collect();
            let size = fields.get(3).and_then(|s| s.parse::<u64>().ok());
            match (fields.as_slice(), size) {
                (["100644", "blob", oid, _], Some(size)) if size <= LARGEST && !version.contains('/') => {
                    wanted.push((oid.to_string(), version.to_owned(), path.to_owned()))
                }
                _ => eprintln!("note: `{path}` on the Pages branch is not a manifest file; the catalog leaves it out"),
            }
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let oids: String = wanted.iter().map(|(oid, _, _)| format!("{oid}\n")).collect();
        let batch = cmd!(sh, "git cat-file --batch").quiet().stdin(oids).output()?.stdout;
        let mut objects = super::batch_objects(&batch).into_iter();
        let mut out = Vec::new();
        for (oid, version, path) in wanted {
            let body = match objects.next().flatten() {
                Some((o, kind, body)) if o == oid && kind == "blob" => body,
                _ => bail!("git cat-file could not read `{path}` ({oid}) on the Pages branch"),
            };
            match read(&body, &version, repository) {
                Ok(manifest) => out.push(manifest),
                Err(Kept::Newer(format)) => bail!(lamina_remote::hint::fail(
                    format!(
                        "`{path}` on the Pages branch is a release manifest of format {format}, newer than this program reads ({SCHEMA_VERSION})"
                    ),
                    "release with the newer version of the pipeline, which keeps that release in the catalog",
                )),
                Err(Kept::Not(why)) => {
                    eprintln!("note: `{path}` on the Pages branch is left out of the catalog: {why}")
                }
            }
        }
        Ok(out)
    }
}

/// Why a file is not taken as a release's manifest.
enum Kept {
    Newer(u64),
    Not(String),
}

fn read(body: &[u8], version: &str, repository: &str) -> Result<ReleaseManifest, Kept> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| Kept::Not(e.to_string()))?;
    if let Some(format) = value.get("schemaVersion").and_then(serde_json::Value::as_u64)
        && format > u64::from(SCHEMA_VERSION)
    {
        return Err(Kept::Newer(format));
    }
    let manifest: ReleaseManifest = serde_json::from_value(value).map_err(|e| Kept::Not(e.to_string()))?;
    if manifest.version != version || semver::Version::parse(version).is_err() {
        return Err(Kept::Not(format!("it records version `{}` in the folder of `{version}`", manifest.version)));
    }
    if manifest.tag != names::tag(version) {
        return Err(Kept::Not(format!("its tag `{}` is not `{}`", manifest.tag, names::tag(version))));
    }
    if manifest.repository != repository {
        return Err(Kept::Not(format!("it is a release of `{}`, not of `{repository}`", manifest.repository)));
    }
    manifest.check_paths().map_err(Kept::Not)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::{Kept, read};

    fn manifest(version: &str, repository: &str, format: u32) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": format, "repository": repository, "version": version, "tag": format!("v{version}"),
            "commit": "0123456789abcdef0123456789abcdef01234567", "sourceDateEpoch": 0,
            "components": [], "images": [], "charts": []
        }))
        .unwrap()
    }

    #[test]
    fn a_kept_manifest_must_be_of_its_folder_s_version_and_this_repository() {
        assert!(read(&manifest("0.2.0", "acme/infra", 2), "0.2.0", "acme/infra").is_ok());
        let why = |bytes: Vec<u8>, folder: &str| match read(&bytes, folder, "acme/infra") {
            Err(Kept::Not(why)) => why,
            Err(Kept::Newer(f)) => format!("newer {f}"),
            Ok(_) => "taken".to_owned(),
        };
        assert_eq!(
            why(manifest("9.9.9", "acme/infra", 2), "0.2.0"),
            "it records version `9.9.9` in the folder of `0.2.0`"
        );
        assert_eq!(
            why(manifest("0.2.0", "evil/fork", 2), "0.2.0"),
            "it is a release of `evil/fork`, not of `acme/infra`"
        );
        assert_eq!(why(manifest("0.2.0", "acme/infra", 3), "0.2.0"), "newer 3");
        assert!(why(b"<html>".to_vec(), "0.2.0").starts_with("expected value"));
    }
}
