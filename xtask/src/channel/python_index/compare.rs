//! The Python index channel's comparison: each wheel and sdist against its project's page.

use crate::build::Built;
use crate::channel::{Action, Comparison};
use crate::plan::Plan;
use crate::settings::Settings;

/// Each wheel and sdist against the Python index's project page: create, keep (same SHA-256) or
/// refuse (another file under that name: an index never replaces a file).
pub async fn files(plan: &Plan, built: &Built, settings: &Settings) -> anyhow::Result<Vec<Comparison>> {
    use crate::channel::python_index::rules::Decision;
    let files = crate::channel::python_index::files(plan, built);
    let Some(index) = settings.python_index.as_ref().filter(|_| !files.is_empty()) else {
        return Ok(Vec::new());
    };
    let client = crate::channel::python_index::PyIndex::new(index)?;
    let mut out = Vec::new();
    for project in crate::channel::python_index::projects(&files) {
        let ours: Vec<_> = files.iter().filter(|f| f.project == project).cloned().collect();
        let listed = client.listed(&project).await?;
        for (file, decision) in crate::channel::python_index::rules::decide(&ours, &listed) {
            let what = format!("python file {}", file.name);
            out.push(match decision {
                Decision::Create => {
                    Comparison { what, action: Action::Create, detail: format!("upload to {}", index.upload_url) }
                }
                Decision::Keep => {
                    Comparison { what, action: Action::Keep, detail: "same sha256 on the index".to_owned() }
                }
                Decision::Refuse { why } => Comparison { what, action: Action::Refuse, detail: why },
            });
        }
    }
    Ok(out)
}
