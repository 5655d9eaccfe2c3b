//! Cross-artifact guarantees: a chart's values and a pinned Compose bundle may name this
//! project's images only under tags this release pushes, so nothing published points at an
//! image that is not there.

use crate::plan::Plan;
use crate::reference::foreign_tags;
use crate::workspace::Workspace;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};
use serde_json::Value;

pub fn check(ws: &Workspace, plan: &Plan) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let images: Vec<(String, Vec<String>)> = plan
        .images
        .iter()
        .flat_map(|i| std::iter::once(&i.repository).chain(&i.aliases).map(|r| (r.clone(), i.tags.clone())))
        .collect();
    let tags_of = |repository: &str| images.iter().find(|(r, _)| r == repository).map(|(_, t)| t);
    let mut report = |file: &str, line: Option<usize>, reference: String| {
        let tags = reference.rsplit_once(':').and_then(|(r, _)| tags_of(r)).map(|t| t.join(", ")).unwrap_or_default();
        diags.push(
            Diagnostic::new(file, line, format!("names `{reference}`, a tag this release does not push"))
                .help(format!("use one of the tags this release pushes ({tags}), or leave the tag empty so the chart's appVersion is used")),
        );
    };
    for chart in &plan.charts {
        let file = format!("{}/values.yaml", chart.path);
        let Ok(text) = ws.read(&file) else { continue };
        for (line, reference) in foreign_tags(&text, &images) {
            report(&file, Some(line), reference);
        }
        let Ok(values) = serde_norway::from_str::<Value>(&text) else {
            continue;
        };
        let mut pairs = Vec::new();
        repository_tag_pairs(&values, &mut pairs);
        for (repository, tag) in pairs {
            let Some(tags) = tags_of(&repository) else {
                continue;
            };
            if !tag.is_empty() && !tags.contains(&tag) {
                let line =
                    text.lines().position(|l| l.trim_start().starts_with("tag:") && l.contains(&tag)).map(|i| i + 1);
                report(&file, line, format!("{repository}:{tag}"));
            }
        }
    }
    for bundle in plan.bundles.iter().filter(|b| b.pin_images) {
        for file in ws.repo.files_under(&bundle.path).filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
        {
            let Ok(text) = ws.read(&file.path) else {
                continue;
            };
            for (line, reference) in foreign_tags(&text, &images) {
                report(&file.path, Some(line), reference);
            }
        }
    }
    diags
}

/// Every `{repository: …, tag: …}` mapping in a values tree (an empty or missing tag means the
/// chart's appVersion).
fn repository_tag_pairs(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(repository)) = map.get("repository") {
                let tag = match map.get("tag") {
                    Some(Value::String(t)) => t.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                out.push((repository.clone(), tag));
            }
            map.values().for_each(|v| repository_tag_pairs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| repository_tag_pairs(v, out)),
        _ => {}
    }
}
