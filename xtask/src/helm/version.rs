//! Versions as Helm reads and orders them (Masterminds semver): a leading `v`, missing minor or
//! patch parts, and build metadata ignored when comparing. Rust's `semver` is stricter and orders
//! build metadata, so index sorting uses this instead (Helm, "Charts": the Chart.yaml file).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmVersion {
    numbers: [u64; 3],
    pre: Vec<String>,
}

impl HelmVersion {
    /// `None` for text Helm would not read as a version.
    pub fn parse(text: &str) -> Option<HelmVersion> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let core_end = text.find(['-', '+']).unwrap_or(text.len());
        let (core, rest) = text.split_at(core_end);
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut numbers = [0u64; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        let pre_text = rest.strip_prefix('-').map(|r| r.split('+').next().unwrap_or_default());
        let pre: Vec<String> = match pre_text {
            Some(p) => p.split('.').map(str::to_owned).collect(),
            None => Vec::new(),
        };
        let ident = |s: &String| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !pre.iter().all(ident) {
            return None;
        }
        Some(HelmVersion { numbers, pre })
    }
}

impl Ord for HelmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_pre(&self.pre, &other.pre),
        })
    }
}

impl PartialOrd for HelmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// SemVer's pre-release order: numeric identifiers numerically and below alphanumeric ones,
/// a shorter list first when all shared identifiers are equal.
fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::HelmVersion;

    #[test]
    fn helm_order() {
        let mut versions =
            ["1.0.0-rc.1", "v1.0.0", "1.0", "0.9.10", "0.9.9", "1.0.0-beta.11", "1.0.0-beta.2", "2", "1.0.0-alpha"];
        versions.sort_by(|a, b| HelmVersion::parse(b).unwrap().cmp(&HelmVersion::parse(a).unwrap()));
        assert_eq!(
            versions,
            ["2", "v1.0.0", "1.0", "1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2", "1.0.0-alpha", "0.9.10", "0.9.9"]
        );
    }

    #[test]
    fn build_metadata_is_ignored_and_junk_refused() {
        assert_eq!(HelmVersion::parse("1.0.0+a"), HelmVersion::parse("1.0.0+b"));
        for junk in ["", "x", "1.2.3.4", "1..2", "1.0.0-", "1.0.0-a..b"] {
            assert_eq!(HelmVersion::parse(junk), None, "{junk}");
        }
    }
}
