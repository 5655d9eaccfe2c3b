//! The Pages channel's comparison: each chart's entry in the published Helm index: create, keep
//! (same digest) or refuse (a published version with another digest).

use super::Pages;
use crate::build::Built;
use crate::channel::{Action, Comparison};
use crate::helm::index::Index;
use crate::plan::Plan;
use crate::shell::Shell;

/// Each chart of the plan against the index on the Pages branch.
pub fn index(sh: &Shell, plan: &Plan, built: &Built) -> anyhow::Result<Vec<Comparison>> {
    if plan.index.entries.is_empty() {
        return Ok(Vec::new());
    }
    let pages = Pages::new(sh, &plan.index.target, 0);
    let published = match pages.read()? {
        Some(text) => {
            Some(Index::parse(&text).map_err(|e| lamina_remote::hint::fail(format!("{e}"), e.help().to_string()))?)
        }
        None => None,
    };
    let versions = published.map(|i| i.versions()).unwrap_or_default();
    let mut out = Vec::new();
    for (entry, chart) in plan.index.entries.iter().zip(&plan.charts) {
        let what = format!("index entry {} {}", entry.chart, entry.version);
        let ours = built.assets.iter().find(|a| a.name == chart.file).map(|a| a.sha256.clone()).unwrap_or_default();
        let theirs = versions
            .iter()
            .find(|(n, v, _)| *n == entry.chart && *v == entry.version)
            .map(|(_, _, d)| d.clone().unwrap_or_default());
        out.push(match theirs {
            None => Comparison { what, action: Action::Create, detail: entry.url.clone() },
            Some(d) if d == ours => Comparison { what, action: Action::Keep, detail: "same digest".to_owned() },
            Some(d) => Comparison {
                what,
                action: Action::Refuse,
                detail: format!("published with digest {d}, this build is {ours}"),
            },
        });
    }
    Ok(out)
}
