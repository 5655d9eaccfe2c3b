//! The Pages channel's read-back: each chart of the manifest has its entry in `index.yaml` on the
//! Pages branch, with the released archive's digest and its release asset URL.

use super::Pages;
use crate::channel::{Channels, Check, bad, ok};
use crate::manifest::ReleaseManifest;
use anyhow::format_err;
use lamina_release_format::helm_index::Index;

/// Each chart's entry in the index.
pub fn entries(ch: &Channels<'_>, manifest: &ReleaseManifest) -> anyhow::Result<Vec<Check>> {
    let pages = Pages::new(ch.sh, ch.pages, 0);
    let text = pages.read()?.unwrap_or_default();
    let index: Index = match text.trim() {
        "" => Index::default(),
        text => serde_norway::from_str(text).map_err(|e| format_err!("index.yaml on the Pages branch: {e}"))?,
    };
    let checks = manifest.charts.iter().map(|chart| {
        let what = format!("index entry {} {}", chart.name, chart.version);
        match index.problems(chart).as_slice() {
            [] => ok(what, chart.url.clone()),
            problems => bad(what, problems.join("; ")),
        }
    });
    Ok(checks.collect())
}
