//! The plan as people read it: a numbered table of steps, one line each.

use super::{Plan, Step};
use crate::config::ImageSource;
use crate::timestamp::rfc3339;
use lamina_release_format::provenance;
use std::fmt::Write;

/// The human table printed by `dry-run` (and by `release` before it starts).
pub fn render_human(plan: &Plan) -> String {
    let mut out = String::new();
    let commit = plan.commit.get(..12).unwrap_or(&plan.commit);
    let _ = writeln!(
        out,
        "release {} of {} from commit {commit} (files dated {})",
        plan.tag,
        plan.repository,
        rfc3339(plan.source_date_epoch)
    );
    match &plan.signing.unsigned {
        None => {
            let _ = writeln!(out, "signed by {} with {}", plan.signing.identity, plan.signing.sigstore);
        }
        Some(why) => {
            let _ = writeln!(out, "unsigned: {why}");
        }
    }
    if !plan.changed.is_empty() {
        let _ = writeln!(
            out,
            "warning: {} tracked file(s) have uncommitted changes; `release` refuses to run until they are committed",
            plan.changed.len()
        );
    }
    let rows: Vec<[String; 4]> = plan.steps.iter().enumerate().map(|(i, step)| row(plan, i + 1, *step)).collect();
    let mut widths = [0usize; 4];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let line = format!(
            "{:>w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    out
}

fn row(plan: &Plan, n: usize, step: Step) -> [String; 4] {
    let (action, object, detail) = describe(plan, step);
    let place = if step.is_local() { "local" } else { "remote" };
    [n.to_string(), format!("{action} ({place})"), object, detail]
}

/// The assets `SHA256SUMS` lists: all but itself and the signed statements.
fn listed(plan: &Plan) -> usize {
    let signed = |a: &String| a == super::SUMS || a.ends_with(provenance::SIGNED);
    plan.release.assets.iter().filter(|a| !signed(a)).count()
}

fn describe(plan: &Plan, step: Step) -> (&'static str, String, String) {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match step {
        Step::PackageChart { chart } => {
            let c = &plan.charts[chart];
            ("package chart", c.file.clone(), format!("{}, {}", c.path, plural(c.entries.len(), "file")))
        }
        Step::WriteBundle { bundle } => {
            let b = &plan.bundles[bundle];
            let files = b.entries.iter().filter(|e| !matches!(e.kind, super::select::EntryKind::Dir)).count();
            ("bundle", b.file.clone(), format!("{} from {}, {}", b.kind.as_str(), b.path, plural(files, "file")))
        }
        Step::BuildImage { image } => {
            let i = &plan.images[image];
            let how = match (&i.source, i.builder) {
                (ImageSource::Prebuilt { input }, _) => format!("taken from {input}"),
                (ImageSource::Dockerfile { .. }, _) if plan.graph => "joined from the job graph's builds".to_owned(),
                (ImageSource::Dockerfile { dockerfile, .. }, Some(b)) => {
                    format!("from {dockerfile} with {}", b.as_str())
                }
                (ImageSource::Dockerfile { dockerfile, .. }, None) => {
                    format!("from {dockerfile}, not built here: no image builder (docker buildx or buildah)")
                }
            };
            ("build image", i.name.clone(), format!("{} {how}", i.platforms.join(", ")))
        }
        Step::BuildPackage { package } => {
            let p = &plan.packages[package];
            let wheel = if p.wheel { " and a Python wheel (maturin)" } else { "" };
            let from = if plan.graph { ", from the job graph's build" } else { "" };
            ("build package", p.file.clone(), format!("{} for {}{wheel}{from}", p.path, p.target))
        }
        Step::WriteManifest => {
            ("write", super::MANIFEST.to_owned(), "every component, image and chart with its digest".to_owned())
        }
        Step::WriteSums => ("write", super::SUMS.to_owned(), format!("over {}", plural(listed(plan), "asset"))),
        Step::Sign => {
            let images = plan.images.len() + plan.charts.iter().filter(|c| c.oci.is_some()).count();
            let sboms = plan.release.assets.iter().filter(|a| a.ends_with(provenance::SIGNED)).count() - 1;
            let detail = format!(
                "provenance over {} and {}, {}; needs the job's OIDC token (`id-token: write`)",
                plural(listed(plan) + 1, "asset"),
                plural(images, "image and chart digest"),
                plural(sboms, "SBOM"),
            );
            ("sign", provenance::ASSET.to_owned(), detail)
        }
        Step::AttachProvenance => {
            let images = plan.images.len() + plan.charts.iter().filter(|c| c.oci.is_some()).count();
            let detail = "an OCI referrer of each, and its `sha256-<digest>` tag".to_owned();
            ("attach provenance", plural(images, "image and chart"), detail)
        }
        Step::PushImage { image } => {
            let i = &plan.images[image];
            ("push image", i.repository.clone(), format!("by digest, {}", i.platforms.join(", ")))
        }
        Step::MoveTags { image } => {
            let i = &plan.images[image];
            let mut detail = plan.pushed_tags(i).join(", ");
            for kept in plan.floating.iter().filter(|f| f.action == super::TagAction::Keep) {
                let _ = write!(detail, "; keep {}: {}", kept.tag, kept.reason);
            }
            ("tag image", i.repository.clone(), detail)
        }
        Step::PushChart { chart } => {
            let c = &plan.charts[chart];
            ("push chart", format!("oci://{}", c.oci.as_deref().unwrap_or_default()), format!("by digest, {}", c.file))
        }
        Step::TagChart { chart } => {
            let c = &plan.charts[chart];
            let (repository, tag) = c.oci.as_deref().unwrap_or_default().rsplit_once(':').unwrap_or_default();
            ("tag chart", format!("oci://{repository}"), tag.to_owned())
        }
        Step::DraftRelease => {
            let mut flags = vec!["draft"];
            if plan.prerelease {
                flags.push("pre-release");
            }
            if plan.make_latest {
                flags.push("latest");
            }
            let not_latest = plan.not_latest.as_ref().map(|why| format!(", not latest: {why}")).unwrap_or_default();
            let detail = format!("{}, notes from {}{not_latest}", flags.join(", "), plan.release.notes);
            ("draft release", plan.tag.clone(), detail)
        }
        Step::UploadAssets => {
            ("upload assets", plural(plan.release.assets.len(), "asset"), plan.release.download_base.clone())
        }
        Step::ReadBack => {
            ("read back", plural(plan.release.assets.len(), "asset"), "every digest against the build".to_owned())
        }
        Step::PublishRelease => {
            ("publish release", plan.tag.clone(), "the draft, with every asset in place".to_owned())
        }
        Step::MergeIndex => {
            let remote = plan.index.target.remote();
            let entries: Vec<String> =
                plan.index.entries.iter().map(|e| format!("{} {}", e.chart, e.version)).collect();
            let mut detail = entries.join(", ");
            detail.push_str(if detail.is_empty() { "" } else { "; " });
            detail.push_str(&format!("catalog releases/{}/", plan.version));
            ("merge index", format!("{remote} {}:index.yaml", plan.index.target.branch), detail)
        }
        Step::UploadPython => {
            let python = plan.python_index.as_ref();
            let files = python.map(|p| p.files.join(", ")).unwrap_or_default();
            let auth = match python.is_some_and(|p| p.trusted_publishing) {
                true => "trusted publishing in GitHub Actions, else a token",
                false => "a token",
            };
            let url = python.map(|p| p.upload_url.clone()).unwrap_or_default();
            ("upload Python packages", url, format!("{files}; missing files only, with {auth}"))
        }
        Step::Verify => {
            let python = if plan.python_index.is_some() { ", Python package files" } else { "" };
            ("verify", "every channel".to_owned(), format!("assets, image and chart tags, index entries{python}"))
        }
    }
}
