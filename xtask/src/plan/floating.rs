//! Floating tags (`{major}.{minor}`, `{major}`, `latest`) and GitHub's "latest release", decided
//! from what is already published, so a backport (`v0.1.1` after `v0.2.0`) never moves a
//! floating tag or "latest" backwards. Pure: the published versions are an input.

use semver::Version;
use serde::Serialize;

/// What a release does with one floating tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FloatingTag {
    pub tag: String,
    pub action: TagAction,
    /// Why, for people: the published version that decided it, or that none was read.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagAction {
    /// The tag is moved to this release.
    Move,
    /// The tag stays where it is: a higher version of its scope is published.
    Keep,
}

/// The scope of a floating tag: the versions among which it names the highest.
fn in_scope(tag: &str, candidate: &Version) -> bool {
    match tag {
        "latest" => true,
        _ => {
            let mut parts = tag.split('.').map(|p| p.parse::<u64>().ok());
            match (parts.next().flatten(), parts.next().flatten()) {
                (Some(major), None) => candidate.major == major,
                (Some(major), Some(minor)) => candidate.major == major && candidate.minor == minor,
                _ => false,
            }
        }
    }
}

/// The highest published release (pre-releases never count) within `tag`'s scope.
fn highest_in_scope<'a>(tag: &str, published: &'a [Version]) -> Option<&'a Version> {
    published.iter().filter(|v| v.pre.is_empty() && in_scope(tag, v)).max()
}

/// Decides each floating tag of `version`: it moves only when no published release of its scope
/// is higher. `published = None` (nothing was read) moves every tag and says so.
pub fn decide(version: &Version, floating: &[String], published: Option<&[Version]>) -> Vec<FloatingTag> {
    floating
        .iter()
        .map(|tag| {
            let (action, reason) = match published.map(|p| highest_in_scope(tag, p)) {
                None => (TagAction::Move, "the published releases were not read".to_owned()),
                Some(None) => (TagAction::Move, "no release of its scope is published yet".to_owned()),
                Some(Some(high)) if *high > *version => {
                    (TagAction::Keep, format!("{high} is published and higher than {version}"))
                }
                Some(Some(high)) => (TagAction::Move, format!("{version} is the highest (published: {high})")),
            };
            FloatingTag { tag: tag.clone(), action, reason }
        })
        .collect()
}

/// Whether GitHub should show `version` as the latest release: no published release is higher.
pub fn is_latest(version: &Version, published: &[Version]) -> bool {
    highest_in_scope("latest", published).is_none_or(|high| high <= version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn actions(version: &str, published: &[&str]) -> Vec<(String, TagAction)> {
        let published: Vec<Version> = published.iter().map(|p| v(p)).collect();
        let tags = crate::plan::image_tags(&v(version), true)[1..].to_vec();
        decide(&v(version), &tags, Some(&published)).into_iter().map(|f| (f.tag, f.action)).collect()
    }

    #[test]
    fn a_backport_moves_only_its_minor_tag() {
        use TagAction::{Keep, Move};
        assert_eq!(
            actions("0.1.1", &["0.1.0", "0.2.0"]),
            [("0.1".into(), Move), ("0".into(), Keep), ("latest".into(), Keep)]
        );
        assert!(!is_latest(&v("0.1.1"), &[v("0.1.0"), v("0.2.0")]));
    }

    #[test]
    fn a_new_highest_version_moves_everything() {
        use TagAction::Move;
        let all = [("0.2".into(), Move), ("0".into(), Move), ("latest".into(), Move)];
        assert_eq!(actions("0.2.1", &["0.2.0", "0.1.1"]), all);
        assert_eq!(actions("0.2.0", &[]), all);
        // A rerun of the highest release finds itself published: still the highest.
        assert_eq!(actions("0.2.0", &["0.2.0", "0.1.0"]), all);
        assert!(is_latest(&v("0.2.0"), &[v("0.2.0")]));
    }

    #[test]
    fn prereleases_and_other_majors_do_not_count_where_out_of_scope() {
        use TagAction::{Keep, Move};
        assert_eq!(
            actions("1.4.2", &["2.0.0-rc.1", "1.5.0", "2.1.0"]),
            [("1.4".into(), Move), ("1".into(), Keep), ("latest".into(), Keep)]
        );
        assert!(is_latest(&v("1.0.0"), &[v("2.0.0-rc.1")]));
    }

    #[test]
    fn nothing_read_moves_every_tag_and_says_so() {
        let out = decide(&v("0.1.1"), &["latest".into()], None);
        assert_eq!(out[0].action, TagAction::Move);
        assert!(out[0].reason.contains("not read"));
    }
}
