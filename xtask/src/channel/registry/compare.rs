//! The registry channel's comparison: each image tag and OCI chart of the build against its tag in
//! the registry: create, keep, move (a floating tag) or refuse (a published version with other
//! content).

use super::Registry;
use crate::build::Built;
use crate::channel::{Action, Comparison};
use crate::helm::archive;
use crate::plan::Plan;
use crate::settings::Settings;

/// Each image tag and OCI chart of the plan against the registry.
pub async fn tags(plan: &Plan, built: &Built, settings: &Settings) -> anyhow::Result<Vec<Comparison>> {
    let client = Registry::from_env(&settings.registry)?;
    let mut out = Vec::new();
    let compare = |what: String, theirs: Option<String>, ours: &str, floating: bool| {
        let (action, detail) = match theirs {
            None => (Action::Create, ours.to_owned()),
            Some(d) if d == ours => (Action::Keep, "same digest".to_owned()),
            Some(d) if floating => (Action::Move, format!("from {d}")),
            Some(d) => (Action::Refuse, format!("holds {d}, this build is {ours}")),
        };
        Comparison { what, action, detail }
    };
    for image in &plan.images {
        let digest = built.image_digest(&image.name).map(str::to_owned);
        for kept in plan.floating.iter().filter(|f| f.action == crate::plan::TagAction::Keep) {
            let what = format!("image tag {}:{}", image.repository, kept.tag);
            out.push(Comparison { what, action: Action::Keep, detail: format!("not moved: {}", kept.reason) });
        }
        for (i, tag) in plan.pushed_tags(image).iter().enumerate() {
            let what = format!("image tag {}:{tag}", image.repository);
            let Some(ours) = &digest else {
                out.push(Comparison { what, action: Action::Unknown, detail: "not built here".to_owned() });
                continue;
            };
            let reference = client.image_reference(&image.name, tag);
            out.push(compare(what, client.tag_digest(&reference).await?, ours, i > 0));
        }
    }
    for chart in plan.charts.iter().filter(|c| c.oci.is_some()) {
        let (_, artifact) = archive::oci_artifact(&built.out_dir.join(&chart.file))?;
        let reference = client.chart_reference(&chart.name, &lamina_release_format::names::oci_tag(&chart.version));
        let what = format!("chart oci://{}", chart.oci.as_deref().unwrap_or_default());
        out.push(compare(what, client.tag_digest(&reference).await?, &artifact.manifest_digest, false));
    }
    Ok(out)
}
