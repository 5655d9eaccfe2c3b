//! The Pages channel's read-back: each chart of the manifest has its entry in `index.yaml` on the
//! Pages branch, with the released archive's digest and its release asset URL.

use super::Pages;
use crate::channel::{Channels, Check, bad, ok};
use crate::helm::index::Index;
use crate::manifest::ReleaseManifest;
use anyhow::format_err;

/// Each chart's entry in the index.
pub fn entries(ch: &Channels<'_>, manifest: &ReleaseManifest) -> anyhow::Result<Vec<Check>> {
    let pages = Pages::new(ch.sh, ch.pages, 0);
    let text = pages.read()?.unwrap_or_default();
    let index = if text.is_empty() { Index::empty() } else { Index::parse(&text).map_err(|e| format_err!("{e}"))? };
    let mut checks = Vec::new();
    for chart in &manifest.charts {
        let what = format!("index entry {} {}", chart.name, chart.version);
        let field = |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        checks.push(match index.entry(&chart.name, &chart.version) {
            None => bad(what, format!("not in index.yaml on `{}`", ch.pages.branch)),
            Some(e) if field(e, "digest").as_deref() != Some(chart.digest.as_str()) => {
                bad(what, format!("digest {:?}, the manifest says {}", field(e, "digest"), chart.digest))
            }
            Some(e) => {
                let urls = e.get("urls").and_then(|u| u.as_array()).cloned().unwrap_or_default();
                if urls.iter().any(|u| u.as_str() == Some(chart.url.as_str())) {
                    ok(what, chart.url.clone())
                } else {
                    bad(what, format!("urls {urls:?} do not include {}", chart.url))
                }
            }
        });
    }
    Ok(checks)
}
