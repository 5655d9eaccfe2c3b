//! Version constraints as a release records them, checked against a version found on the user's
//! machine: a chart's `kubeVersion` (Helm's syntax: `>=1.27.0-0`, `^1.28`, `~1.29.0`, `1.30.x`,
//! `>= 1.27, < 1.32`, `a || b`) and a Terraform module's `required_version` (`>= 1.6.0`,
//! `~> 1.6`, `!= 1.7.0`). Pre-release and build parts are ignored on both sides, so a
//! distribution's `v1.30.2-gke.1100` counts as 1.30.2, which is what `-0` in a `kubeVersion` asks.

use anyhow::{Context, bail};

/// `major.minor.patch`.
type Triple = (u64, u64, u64);

/// Whether `version` (e.g. `v1.30.2-gke.1`, `1.11.4`) meets `constraint`.
pub fn satisfies(constraint: &str, version: &str) -> anyhow::Result<bool> {
    let found = parse_version(version).with_context(|| format!("`{version}` is not a version"))?;
    let mut any = false;
    for alternative in constraint.split("||") {
        let mut all = true;
        for (op, v) in
            comparators(alternative).with_context(|| format!("`{constraint}` is not a version constraint"))?
        {
            all &= matches(&op, &v, found)?;
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
fn matches(op: &str, version: &str, found: Triple) -> anyhow::Result<bool> {
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
    Ok(match op {
        "" | "=" | "==" if given < 3 => within(bump(given - 1)),
        "" | "=" | "==" => found == v,
        "!=" => found != v,
        ">" => found > v,
        ">=" => found >= v,
        "<" => found < v,
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
    use super::satisfies;

    #[test]
    fn helm_and_terraform_constraints() {
        let cases = [
            (">=1.27.0-0", "v1.30.2-gke.1100", true),
            (">=1.27.0-0", "1.26.9", false),
            (">= 1.27, < 1.32", "1.31.0", true),
            (">= 1.27, < 1.32", "1.32.0", false),
            (">=1.27 <1.29 || >=1.30", "1.29.1", false),
            (">=1.27 <1.29 || >=1.30", "1.30.0", true),
            ("^1.28", "1.40.0", true),
            ("^1.28", "2.0.0", false),
            ("^0.2.3", "0.3.0", false),
            ("~1.29.0", "1.29.7", true),
            ("~1.29.0", "1.30.0", false),
            ("1.30.x", "1.30.9", true),
            ("1.30.x", "1.31.0", false),
            ("~> 1.6", "1.11.4", true),
            ("~> 1.6", "2.0.0", false),
            ("~> 1.6.0", "1.7.0", false),
            ("~> 1.6.0", "1.6.5", true),
            (">= 1.6.0", "1.11.4", true),
            ("!= 1.11.4", "1.11.4", false),
            ("= 1.11.4", "1.11.4", true),
            ("1.11", "1.11.4", true),
            ("*", "0.0.1", true),
        ];
        for (constraint, version, expected) in cases {
            assert_eq!(satisfies(constraint, version).unwrap(), expected, "{constraint} against {version}");
        }
    }

    #[test]
    fn nonsense_is_an_error() {
        assert!(satisfies(">=", "1.0.0").is_err());
        assert!(satisfies("=> 1.0", "1.0.0").is_err());
        assert!(satisfies(">= 1.0", "latest").is_err());
    }
}
