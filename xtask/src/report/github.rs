//! GitHub Actions: a markdown summary for `$GITHUB_STEP_SUMMARY` and step outputs for
//! `$GITHUB_OUTPUT`, written when the variables are set.

use crate::build::Built;
use crate::env;
use crate::plan::Plan;
use anyhow::Context;
use std::io::Write;

/// The step summary of a build: assets with sizes and digests, images, chart index entries.
pub fn summary(plan: &Plan, built: &Built, heading: &str, release_url: Option<&str>) -> String {
    let mut out = format!("### {heading}: {} {}\n\n", plan.repository, plan.tag);
    if let Some(url) = release_url {
        out.push_str(&format!("[GitHub release]({url}) · [Helm repository]({})\n\n", plan.index.target.pages_url));
    }
    out.push_str("| asset | size | sha256 |\n|---|---:|---|\n");
    for a in &built.assets {
        out.push_str(&format!("| `{}` | {} | `{}` |\n", a.name, a.size, a.sha256));
    }
    if !plan.images.is_empty() {
        out.push_str("\n| image | tags | digest |\n|---|---|---|\n");
        for image in &plan.images {
            let digest = match built.image_digest(&image.name) {
                Some(d) => format!("`{d}`"),
                None => "not built here".to_owned(),
            };
            out.push_str(&format!("| `{}` | {} | {digest} |\n", image.repository, plan.pushed_tags(image).join(", ")));
        }
    }
    if !plan.index.entries.is_empty() {
        out.push_str("\n| chart | version | index URL |\n|---|---|---|\n");
        for e in &plan.index.entries {
            out.push_str(&format!("| {} | {} | {} |\n", e.chart, e.version, e.url));
        }
    }
    for note in &built.notes {
        out.push_str(&format!("\n> {note}\n"));
    }
    out
}

/// `name=value` step outputs: version, tag, and each built image's digest.
pub fn outputs(plan: &Plan, built: &Built, release_url: Option<&str>) -> Vec<(String, String)> {
    let mut out = vec![("version".to_owned(), plan.version.clone()), ("tag".to_owned(), plan.tag.clone())];
    if let Some(url) = release_url {
        out.push(("release-url".to_owned(), url.to_owned()));
    }
    for image in &built.images {
        if let Some(d) = &image.digest {
            out.push((format!("digest-{}", image.name), d.clone()));
        }
    }
    out
}

/// Appends the summary and outputs to the files GitHub Actions names, when it names them;
/// `release_url` once a release is published.
pub fn write(plan: &Plan, built: &Built, heading: &str, release_url: Option<&str>) -> anyhow::Result<()> {
    if let Some(path) = env::var(env::GITHUB_STEP_SUMMARY) {
        append(&path, &summary(plan, built, heading, release_url)).context("write the step summary")?;
    }
    if let Some(path) = env::var(env::GITHUB_OUTPUT) {
        let lines: String = outputs(plan, built, release_url).iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        append(&path, &lines).context("write the step outputs")?;
    }
    Ok(())
}

fn append(path: &str, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
