//! The GitHub channel's comparison: per asset of the build, whether a release would upload, keep,
//! replace (drafts only) or refuse it.

use super::GitHub;
use super::assets::{self, Action as AssetAction, Stage};
use crate::build::Built;
use crate::channel::{Action, Comparison};
use crate::plan::Plan;

/// The GitHub release for the plan's tag: per asset, whether a release would upload, keep,
/// replace (drafts only) or refuse it.
pub async fn assets(github: &GitHub, plan: &Plan, built: &Built) -> anyhow::Result<Vec<Comparison>> {
    let Some(release) = github.find(&plan.tag).await? else {
        let what = |a: &crate::build::Asset| format!("asset {}", a.name);
        let detail = format!("a new draft release {}", plan.tag);
        return Ok(built
            .assets
            .iter()
            .map(|a| Comparison { what: what(a), action: Action::Create, detail: detail.clone() })
            .collect());
    };
    let release = github.fill_digests(release).await?;
    let stage = Stage { draft: release.draft, immutable: release.immutable };
    let state = if release.draft { "draft" } else { "published" };
    Ok(assets::decide(&built.assets, &release.assets, stage, &plan.tag)
        .into_iter()
        .map(|d| {
            let what = format!("asset {}", d.name);
            let (action, detail) = match d.action {
                AssetAction::Keep => (Action::Keep, format!("same digest on the {state} release")),
                AssetAction::Upload => (Action::Create, format!("missing on the {state} release")),
                AssetAction::Replace { why, .. } => (Action::Replace, why),
                AssetAction::Remove { .. } => (Action::Replace, "not planned: deleted from the draft".to_owned()),
                AssetAction::Refuse(refusal) => (Action::Refuse, refusal.why),
            };
            Comparison { what, action, detail }
        })
        .collect())
}
