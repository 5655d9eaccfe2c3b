//! A report of what was checked of a release, one line each: `ok` or `FAIL`, what was checked,
//! and a detail. `cargo xtask verify` and `lamina-infra verify` report the same way.

use serde::Serialize;

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The file, folder, tag or entry checked, e.g. `v0.2.0/SHA256SUMS`.
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn ok(what: impl Into<String>, detail: impl Into<String>) -> Check {
        Check { what: what.into(), ok: true, detail: detail.into() }
    }

    pub fn bad(what: impl Into<String>, detail: impl Into<String>) -> Check {
        Check { what: what.into(), ok: false, detail: detail.into() }
    }

    /// Ok with the detail a verdict gives, or failed with the problem it names.
    pub fn of(what: impl Into<String>, verdict: Result<String, String>) -> Check {
        match verdict {
            Ok(detail) => Check::ok(what, detail),
            Err(problem) => Check::bad(what, problem),
        }
    }
}

/// An image tag the release pushed, read back (`found`: the digest it points at, if it exists).
/// A tag other than the version's own (`latest`, `0.2`) may have moved on to a later release, as
/// floating tags do; the version's own tag never moves.
pub fn image_tag(tag: &str, version: &str, recorded: &str, found: Option<&str>) -> Result<String, String> {
    match found {
        Some(d) if d == recorded => Ok(format!("points at {d}")),
        Some(d) if tag != version => Ok(format!("moved on to {d} (a later release)")),
        Some(d) => Err(format!("points at {d}, the manifest records {recorded}: the tag was moved")),
        None => Err("missing: the registry has no such tag".to_owned()),
    }
}

/// The checks made so far.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Checks(pub Vec<Check>);

impl Checks {
    pub fn ok(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Check::ok(what, detail));
    }

    pub fn fail(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Check::bad(what, detail));
    }

    /// One check of `what`: ok with `detail` when `problems` is empty, else failed with them all.
    pub fn either(&mut self, what: impl Into<String>, problems: &[String], detail: impl Into<String>) {
        match problems {
            [] => self.ok(what, detail),
            _ => self.fail(what, problems.join("; ")),
        }
    }

    pub fn push(&mut self, check: Check) {
        self.0.push(check);
    }

    pub fn failed(&self) -> usize {
        self.0.iter().filter(|c| !c.ok).count()
    }
}

/// The checks as people read them, one line each, after `indent`.
pub fn render(checks: &[Check], indent: &str) -> String {
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!("{indent}{} {}  {}\n", if c.ok { "ok  " } else { "FAIL" }, c.what, c.detail));
    }
    out
}
