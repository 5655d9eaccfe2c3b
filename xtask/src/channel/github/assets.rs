//! What to do with each release asset, decided from the local build and the asset list GitHub
//! returned (GitHub REST API, "Release assets"). Pure, so every case is a unit test.

use super::RemoteAsset;
use crate::build::Asset;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Present, uploaded, same digest.
    Keep,
    /// Missing: upload it.
    Upload,
    /// A draft's asset that is half-uploaded or differs: delete `id`, then upload.
    Replace { id: u64, why: String },
    /// A draft's asset the plan does not name (half-uploaded, or from an earlier plan): delete
    /// it, so the release carries exactly what `SHA256SUMS` lists.
    Remove { id: u64 },
    /// A published release that differs: stop, say what and how to fix it.
    Refuse(Refusal),
}

/// Why an asset stops the release, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub why: String,
    pub hint: &'static str,
}

impl Refusal {
    /// The refusal as an error people read.
    pub fn error(&self) -> anyhow::Error {
        lamina_remote::hint::fail(&self.why, self.hint)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub name: String,
    pub action: Action,
}

/// Where the release stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub draft: bool,
    pub immutable: bool,
}

/// One decision per planned asset (in plan order), then removals of a draft's other assets.
/// Remote assets without a digest must have had theirs filled in by downloading them first.
pub fn decide(local: &[Asset], remote: &[RemoteAsset], stage: Stage, tag: &str) -> Vec<Decision> {
    let mut out = Vec::new();
    for asset in local {
        let found = remote.iter().find(|r| r.name == asset.name);
        let action = match found {
            None if stage.draft => Action::Upload,
            None if stage.immutable => Action::Refuse(Refusal {
                why: format!("the published release `{tag}` is immutable and lacks `{}`", asset.name),
                hint: "GitHub refuses new assets on an immutable release: release a new version (`cargo xtask bump`)",
            }),
            None => Action::Upload,
            Some(r) if r.state != super::AssetState::Uploaded => {
                if stage.draft {
                    Action::Replace { id: r.id, why: format!("half-uploaded (state `{}`)", r.state) }
                } else {
                    Action::Refuse(Refusal {
                        why: format!(
                            "the published release `{tag}` holds a half-uploaded `{}` (state `{}`)",
                            r.name, r.state
                        ),
                        hint: "delete that asset on GitHub, then run the command again",
                    })
                }
            }
            Some(r) if r.sha256.as_deref() == Some(asset.sha256.as_str()) && r.size == asset.size => Action::Keep,
            Some(r) => {
                let theirs = r.sha256.as_deref().unwrap_or("unknown");
                if stage.draft {
                    Action::Replace { id: r.id, why: format!("differs (sha256 {theirs}, this build {})", asset.sha256) }
                } else {
                    Action::Refuse(Refusal {
                        why: format!(
                            "the published release `{tag}` holds a different `{}` (sha256 {theirs}, this build {})",
                            r.name, asset.sha256
                        ),
                        hint: "a published release is never replaced: build from the tagged commit, or release a new version (`cargo xtask bump`)",
                    })
                }
            }
        };
        out.push(Decision { name: asset.name.clone(), action });
    }
    if stage.draft {
        for r in remote.iter().filter(|r| !local.iter().any(|a| a.name == r.name)) {
            out.push(Decision { name: r.name.clone(), action: Action::Remove { id: r.id } });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(name: &str, sha: &str) -> Asset {
        Asset { name: name.into(), size: 3, sha256: sha.into() }
    }

    fn remote(id: u64, name: &str, state: &str, sha: Option<&str>) -> RemoteAsset {
        RemoteAsset {
            id,
            name: name.into(),
            state: super::super::AssetState::of(state),
            size: 3,
            sha256: sha.map(Into::into),
            url: String::new(),
            browser_download_url: String::new(),
        }
    }

    const DRAFT: Stage = Stage { draft: true, immutable: false };
    const PUBLISHED: Stage = Stage { draft: false, immutable: false };
    const LOCKED: Stage = Stage { draft: false, immutable: true };

    fn actions(local: &[Asset], remote: &[RemoteAsset], stage: Stage) -> Vec<Action> {
        decide(local, remote, stage, "v1.0.0").into_iter().map(|d| d.action).collect()
    }

    #[test]
    fn draft_keeps_uploads_and_replaces() {
        let l = [local("a", "1"), local("b", "2"), local("c", "3"), local("d", "4")];
        let r = [
            remote(10, "a", "uploaded", Some("1")),
            remote(11, "b", "starter", None),
            remote(12, "c", "uploaded", Some("9")),
        ];
        let got = actions(&l, &r, DRAFT);
        assert_eq!(got[0], Action::Keep);
        assert!(matches!(got[1], Action::Replace { id: 11, .. }));
        assert!(matches!(got[2], Action::Replace { id: 12, .. }));
        assert_eq!(got[3], Action::Upload);
    }

    #[test]
    fn draft_removes_assets_the_plan_does_not_name() {
        let l = [local("a", "1")];
        let r = [
            remote(10, "a", "uploaded", Some("1")),
            remote(11, "old", "starter", None),
            remote(12, "notes.txt", "uploaded", Some("7")),
        ];
        let removed = vec![Action::Keep, Action::Remove { id: 11 }, Action::Remove { id: 12 }];
        assert_eq!(actions(&l, &r, DRAFT), removed);
        assert_eq!(actions(&l, &r[..1], PUBLISHED), vec![Action::Keep], "a published release keeps others' assets");
    }

    #[test]
    fn published_never_replaces() {
        let l = [local("a", "1"), local("b", "2"), local("c", "3")];
        let r = [remote(10, "a", "uploaded", Some("1")), remote(11, "b", "uploaded", Some("9"))];
        let got = actions(&l, &r, PUBLISHED);
        assert_eq!(got[0], Action::Keep);
        assert!(matches!(&got[1], Action::Refuse(m) if m.why.contains("different `b`") && m.hint.contains("bump")));
        assert_eq!(got[2], Action::Upload, "a missing asset is added where GitHub allows it");
        let got = actions(&l, &r, LOCKED);
        assert!(matches!(&got[2], Action::Refuse(m) if m.why.contains("immutable")));
    }
}
