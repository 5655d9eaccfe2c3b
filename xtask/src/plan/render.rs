//! The plan as people read it: a numbered table of steps, one line each.

use super::{Plan, Step};
use crate::config::ImageSource;
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
                (ImageSource::Dockerfile { dockerfile, .. }, Some(b)) => {
                    format!("from {dockerfile} with {}", b.as_str())
                }
                (ImageSource::Dockerfile { dockerfile, .. }, None) => {
                    format!("from {dockerfile}, not built here: no image builder (docker buildx or buildah)")
                }
            };
            ("build image", i.name.clone(), format!("{} {how}", i.platforms.join(", ")))
        }
        Step::WriteManifest => {
            ("write", super::MANIFEST.to_owned(), "every component, image and chart with its digest".to_owned())
        }
        Step::WriteSums => {
            ("write", super::SUMS.to_owned(), format!("over {}", plural(plan.release.assets.len() - 1, "asset")))
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
            ("push chart", format!("oci://{}", c.oci.as_deref().unwrap_or_default()), c.file.clone())
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
            ("merge index", format!("{remote} {}:index.yaml", plan.index.target.branch), entries.join(", "))
        }
        Step::Verify => {
            ("verify", "every channel".to_owned(), "assets, image and chart tags, index entries".to_owned())
        }
    }
}

/// `seconds` since the epoch as RFC 3339 in UTC, e.g. `2026-11-25T19:49:32Z`.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Seconds since the epoch of an RFC 3339 time in UTC (`YYYY-MM-DDTHH:MM:SS[.frac]Z`).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || !text.ends_with('Z')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    // Howard Hinnant's days-from-civil algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?)
}
