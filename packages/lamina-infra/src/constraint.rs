//! Version constraints as a release records them, checked against a version found on the user's
//! machine the way the tool that owns them checks them:
//!
//! - [`Dialect::Helm`], a chart's `kubeVersion` (Masterminds semver, as Helm reads it):
//!   `>=1.27.0-0`, `^1.28`, `~1.29.0`, `1.30.x`, `>= 1.27, < 1.32`, `a || b`. A partial version
//!   stands for its whole range (`>1.30` is 1.31 and later, `<=1.31` takes in 1.31.9), and a found
//!   version with a pre-release part (`v1.30.2-gke.1100`) meets only comparators that have one
//!   too, which is why charts write `-0`.
//! - [`Dialect::Terraform`], a module's `required_version`: `>= 1.6.0`, `~> 1.6`, `!= 1.7.0`,
//!   `1.11` (exactly 1.11.0); missing parts are zeros.
//!
//! Build metadata is ignored.

use anyhow::{Context, bail};

/// `major.minor.patch`.
type Triple = (u64, u64, u64);

/// Whose rules a constraint follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Helm,
    Terraform,
}

/// Whether `version` (e.g. `v1.30.2-gke.1`, `1.11.4`) meets `constraint`; an error when either
/// cannot be read.
pub fn satisfies(dialect: Dialect, constraint: &str, version: &str) -> anyhow::Result<bool> {
    let found = parse_version(version).with_context(|| format!("`{version}` is not a version"))?;
    let pre_release = |v: &str| v.split('+').next().unwrap_or(v).contains('-');
    let mut any = false;
    for alternative in constraint.split("||") {
        let comparators =
            comparators(alternative).with_context(|| format!("`{constraint}` is not a version constraint"))?;
        let mut all = true;
        for (op, v) in comparators {
            // Helm: a pre-release is met only by comparators that name one.
            let excluded = dialect == Dialect::Helm && pre_release(version) && !pre_release(&v);
            all &= !excluded && matches(dialect, &op, &v, found)?;
        }
        any |= all;
    }
    Ok(any)
}

/// The numeric core of a version: `v1.30` is 1.30.0, `1.30.2-rc.1+b` is 1.30.2.
pub fn parse_version(text: &str) -> Option<Triple> {
    let core = text.trim().trim_start_matches(['v', 'V']);
    let core = core.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// `(operator, version)` pairs, split on commas and on spaces between comparators.
fn comparators(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut op = String::new();
    for token in text.split([',', ' ']).filter(|t| !t.is_empty()) {
        let split = token.find(|c: char| c.is_ascii_alphanumeric() || c == '*').unwrap_or(token.len());
        let (this_op, version) = token.split_at(split);
        op.push_str(this_op);
        if version.is_empty() {
            continue;
        }
        out.push((std::mem::take(&mut op), version.to_owned()));
    }
    if !op.is_empty() || out.is_empty() {
        bail!("an operator without a version");
    }
    Ok(out)
}

/// One comparator against `found`.
fn matches(dialect: Dialect, op: &str, version: &str, found: Triple) -> anyhow::Result<bool> {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let parts: Vec<&str> = core.split('.').collect();
    let wild = |p: &&str| matches!(*p, "x" | "X" | "*");
    let given = parts.iter().take_while(|p| !wild(p)).count();
    let number = |i: usize| -> anyhow::Result<u64> {
        match parts.get(i) {
            Some(p) if i < given => p.parse().with_context(|| format!("`{version}` is not a version")),
            _ => Ok(0),
        }
    };
    let v = (number(0)?, number(1)?, number(2)?);
    if given == 0 {
        return Ok(true);
    }
    // The first version past the range `v` stands for with `given` parts, bumped at `at`.
    let bump = |at: usize| match at {
        0 => (v.0 + 1, 0, 0),
        1 => (v.0, v.1 + 1, 0),
        _ => (v.0, v.1, v.2 + 1),
    };
    let within = |upper: Triple| found >= v && found < upper;
    // Helm reads a partial version as the range it names; Terraform pads it with zeros.
    let range = dialect == Dialect::Helm && given < 3;
    Ok(match op {
        "" | "=" | "==" if range => within(bump(given - 1)),
        "" | "=" | "==" => found == v,
        "!=" if range => !within(bump(given - 1)),
        "!=" => found != v,
        ">" if range => found >= bump(given - 1),
        ">" => found > v,
        ">=" => found >= v,
        "<" => found < v,
        "<=" if range => found < bump(given - 1),
        "<=" => found <= v,
        // Terraform: only the rightmost given part may grow.
        "~>" => within(bump(given.saturating_sub(2))),
        // Helm: patch-level changes when a minor is given, else minor-level.
        "~" => within(bump(if given >= 2 { 1 } else { 0 })),
        "^" => within(bump(match v {
            (0, 0, _) if given >= 3 => 2,
            (0, _, _) if given >= 2 => 1,
            _ => 0,
        })),
        other => bail!("`{other}` is not a version operator"),
    })
}

#[cfg(test)]
mod tests {
    use super::Dialect::{Helm, Terraform};
    use super::satisfies;

    #[test]
    fn helm_and_terraform_constraints() {
        let cases = [
            (Helm, ">=1.27.0-0", "v1.30.2-gke.1100", true),
            (Helm, ">=1.27.0", "v1.30.2-eks-1", false),
            (Helm, ">=1.27.0", "v1.30.2", true),
            (Helm, ">=1.27.0-0", "1.26.9", false),
            (Helm, ">= 1.27, < 1.32", "1.31.0", true),
            (Helm, ">= 1.27, < 1.32", "1.32.0", false),
            (Helm, ">=1.27 <1.29 || >=1.30", "1.29.1", false),
            (Helm, ">=1.27 <1.29 || >=1.30", "1.30.0", true),
            (Helm, "<=1.31", "1.31.4", true),
            (Helm, ">1.30", "1.30.5", false),
            (Helm, ">1.30", "1.31.0", true),
            (Helm, "^1.28", "1.40.0", true),
            (Helm, "^1.28", "2.0.0", false),
            (Helm, "^0.2.3", "0.3.0", false),
            (Helm, "~1.29.0", "1.29.7", true),
            (Helm, "~1.29.0", "1.30.0", false),
            (Helm, "1.30.x", "1.30.9", true),
            (Helm, "1.30.x", "1.31.0", false),
            (Helm, "*", "0.0.1", true),
            (Terraform, "~> 1.6", "1.11.4", true),
            (Terraform, "~> 1.6", "2.0.0", false),
            (Terraform, "~> 1.6.0", "1.7.0", false),
            (Terraform, "~> 1.6.0", "1.6.5", true),
            (Terraform, ">= 1.6.0", "1.11.4", true),
            (Terraform, "!= 1.11.4", "1.11.4", false),
            (Terraform, "= 1.11.4", "1.11.4", true),
            (Terraform, "1.11", "1.11.4", false),
            (Terraform, "1.11", "1.11.0", true),
            (Terraform, "> 1.11", "1.11.4", true),
        ];
        for (dialect, constraint, version, expected) in cases {
            let got = satisfies(dialect, constraint, version).unwrap();
            assert_eq!(got, expected, "{dialect:?}: {constraint} against {version}");
        }
    }

    #[test]
    fn nonsense_is_an_error() {
        assert!(satisfies(Helm, ">=", "1.0.0").is_err());
        assert!(satisfies(Helm, "=> 1.0", "1.0.0").is_err());
        assert!(satisfies(Terraform, ">= 1.0", "latest").is_err());
    }
}
