//! `cargo xtask validate`: `release.toml` and every component it names, all problems at once.
//!
//! Each check reads files and returns diagnostics; none stops the others. `dry-run` and `release`
//! run the same checks first, so nothing is built or published from invalid input.

mod bundle;
mod chart;
mod package;
mod references;

pub use bundle::is_compose_file;
pub use references::check as image_references;

use crate::changelog;
use crate::config::{FILE as CONFIG, ImageSource};
use crate::plan::{Plan, select};
use crate::workspace::Workspace;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};

/// Every problem in the workspace's files.
pub fn check(ws: &Workspace) -> Diagnostics {
    let mut diags = Diagnostics::default();
    diags.extend(notes(ws));
    diags.extend(chart::check_all(ws));
    for image in &ws.config.images {
        diags.extend(image_source(ws, image));
    }
    for b in &ws.config.bundles {
        diags.extend(bundle::check(ws, b));
    }
    for p in &ws.config.packages {
        diags.extend(package::check(ws, p));
    }
    diags
}

/// A Dockerfile image has its context and Dockerfile tracked; a prebuilt one its input.
fn image_source(ws: &Workspace, image: &crate::config::ImageConfig) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut problem =
        |message: String, help: &str| diags.push(Diagnostic::new(CONFIG, Some(image.line), message).help(help));
    match &image.source {
        ImageSource::Dockerfile { context, dockerfile, .. } => {
            if !ws.repo.has_dir(context) {
                problem(
                    format!("image `{}`: context `{context}` holds no tracked file", image.name),
                    "point `context` at the folder the image is built from",
                );
            }
            if !ws.repo.is_tracked(dockerfile) {
                problem(
                    format!("image `{}`: Dockerfile `{dockerfile}` is missing", image.name),
                    "add the Dockerfile, or set `dockerfile` to where it is",
                );
            }
        }
        ImageSource::Prebuilt { input } => {
            if !ws.root.join(input).exists() {
                problem(
                    format!("image `{}`: input `{input}` does not exist", image.name),
                    "build the image first (an OCI layout folder or tar, or a `docker save` archive), or fix `input`",
                );
            }
        }
    }
    diags
}

/// Reads every file the plan packages and refuses private keys and kubeconfigs by content.
pub fn check_contents(ws: &Workspace, plan: &Plan) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let lines = ws
        .config
        .charts
        .iter()
        .map(|c| (c.line, c.allow.as_slice()))
        .chain(ws.config.bundles.iter().map(|b| (b.line, b.allow.as_slice())));
    let entries = plan.charts.iter().map(|c| &c.entries).chain(plan.bundles.iter().map(|b| &b.entries));
    for (entries, (line, allow)) in entries.zip(lines) {
        for entry in entries {
            let select::EntryKind::File { source } = &entry.kind else {
                continue;
            };
            if allow.contains(source) {
                continue;
            }
            match std::fs::read(ws.root.join(source)) {
                Ok(bytes) => {
                    if let Some(reason) = select::refused_content(&bytes) {
                        diags.push(select::refusal(source, reason, line));
                    }
                }
                Err(e) => diags.push(
                    Diagnostic::new(source.as_str(), None, format!("tracked file cannot be read: {e}"))
                        .help("restore it (`git checkout -- FILE`) or commit its removal"),
                ),
            }
        }
    }
    diags
}

/// The release notes file exists and has a section for this version.
fn notes(ws: &Workspace) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let c = &ws.config;
    let version = c.version.to_string();
    match ws.read(&c.notes) {
        Err(_) => diags.push(
            Diagnostic::new(CONFIG, Some(c.lines.notes), format!("release notes file `{}` does not exist", c.notes))
                .help("create it with a `## [VERSION]` section, or point `release.notes` at your changelog"),
        ),
        Ok(text) if changelog::section(&text, &version).is_none() => {
            diags.push(Diagnostic::new(c.notes.as_str(), None, format!("no section for {version}")).help(format!(
                "add a `## [{version}]` heading with the release notes, or run `cargo xtask bump {version}`"
            )))
        }
        Ok(_) => {}
    }
    diags
}
