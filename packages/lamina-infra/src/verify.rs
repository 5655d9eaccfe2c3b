//! `verify DIR|VERSION`: checks a mirror folder, a folder of pulled components, or a published
//! release file by file, reports every problem at once (one line per thing checked, or JSON),
//! and fails when any check does.

mod layout;
mod mirror;
mod published;
mod pulled;

use crate::source::{Mirror, Source};
use anyhow::bail;
use lamina_release_format::mirror::MIRROR_JSON;
use serde::Serialize;
use std::path::Path;

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The file, folder, image tag or layout checked, e.g. `v0.2.0/SHA256SUMS`.
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// The checks made so far.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ok(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.checks.push(Check { what: what.into(), ok: true, detail: detail.into() });
    }

    pub fn fail(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.checks.push(Check { what: what.into(), ok: false, detail: detail.into() });
    }

    /// One check of `what`: ok with `detail` when `problems` is empty, else failed with them all.
    pub fn either(&mut self, what: impl Into<String>, problems: &[String], detail: impl Into<String>) {
        match problems {
            [] => self.ok(what, detail),
            _ => self.fail(what, problems.join("; ")),
        }
    }

    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok).count()
    }
}

/// What was verified, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Mirror,
    PulledFolder,
    Release,
}

/// Runs `verify` and prints its report.
pub fn verify(source: &Source, target: &str, version: Option<&str>, json: bool) -> anyhow::Result<()> {
    let path = Path::new(target);
    let is_version = semver::Version::parse(target.trim_start_matches('v')).is_ok();
    let pulled_folder = path.is_dir() && !path.join(MIRROR_JSON).exists();
    if version.is_some() && !pulled_folder {
        bail!("`--version` is for a pulled folder; `{target}` is not one, so give it alone");
    }
    let mut report = Report::default();
    let (kind, fix) = if path.is_dir() && path.join(MIRROR_JSON).exists() {
        mirror::check(&Mirror::open(path)?, None, &mut report);
        (Kind::Mirror, format!("run `lamina-infra mirror VERSION --to {target}` again to repair it"))
    } else if pulled_folder {
        pulled::check(source, path, version, &mut report)?;
        (Kind::PulledFolder, format!("`lamina-infra pull COMPONENT --to {target}` puts back what was published"))
    } else if let (true, Source::Mirror(m)) = (is_version, source) {
        // From a mirror, its OCI layouts stand in for the registry: nothing is read from the network.
        let release = source.release(Some(target))?;
        mirror::check(m, Some(&release), &mut report);
        let dir = m.dir.display();
        (Kind::Mirror, format!("run `lamina-infra mirror {} --to {dir}` again to repair it", release.version()))
    } else if is_version {
        published::check(source, target, &mut report)?;
        (Kind::Release, "do not use this release".to_owned())
    } else {
        bail!(
            "`{target}` is neither a folder nor a release version; give a mirror folder, a folder `lamina-infra pull` wrote into, or a version such as 0.2.0"
        );
    };
    let failed = report.failed();
    if json {
        let out = serde_json::json!({ "target": target, "kind": kind, "failed": failed, "checks": report.checks });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", render(&report.checks));
        println!("{} checks, {} ok, {failed} failed", report.checks.len(), report.checks.len() - failed);
    }
    if failed > 0 {
        bail!("{failed} of {} checks failed for `{target}`; {fix}", report.checks.len());
    }
    Ok(())
}

/// The checks as people read them, one line each.
pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!("{} {}  {}\n", if c.ok { "ok  " } else { "FAIL" }, c.what, c.detail));
    }
    out
}

/// The names in a folder, sorted; none when it cannot be read.
pub fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}
