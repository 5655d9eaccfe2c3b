//! CHANGELOG.md: the section of one version (the release body) and adding a new one (`bump`).
//!
//! A section starts at a level-2 heading naming the version, `## 0.3.0` or `## [0.3.0]`
//! (optionally followed by ` - date`), and ends at the next level-2 heading.

/// Body of the section for `version`, without its heading, trimmed.
pub fn section(text: &str, version: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| heading_version(l) == Some(version))?;
    let end = lines[start + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |i| start + 1 + i);
    Some(lines[start + 1..end].join("\n").trim().to_owned())
}

/// Line (1-based) of the section heading for `version`.
pub fn section_line(text: &str, version: &str) -> Option<usize> {
    text.lines().position(|l| heading_version(l) == Some(version)).map(|i| i + 1)
}

/// The version a `## ` heading names, if it names one.
fn heading_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("## ")?.trim();
    let word = rest.split_whitespace().next()?;
    let word = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')).unwrap_or(word);
    let word = word.strip_prefix('v').unwrap_or(word);
    semver::Version::parse(word).is_ok().then_some(word)
}

/// Adds an empty section for `version` above the newest one (after `## [Unreleased]` when that
/// exists, whose content moves into the new section). Returns `None` if the section exists.
pub fn add_section(text: &str, version: &str, date: &str) -> Option<String> {
    if section_line(text, version).is_some() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let unreleased = lines.iter().position(|l| {
        let t = l.trim().to_ascii_lowercase();
        t == "## [unreleased]" || t == "## unreleased"
    });
    let heading = format!("## [{version}] - {date}");
    let mut out: Vec<String> = Vec::new();
    match unreleased {
        // Keep a Changelog: the Unreleased notes become the new version's notes.
        Some(i) => {
            out.extend(lines[..=i].iter().map(|l| l.to_string()));
            out.push(String::new());
            out.push(heading);
            let body_end = lines[i + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |j| i + 1 + j);
            let body: Vec<&str> = lines[i + 1..body_end].to_vec();
            let body_text = body.join("\n");
            if body_text.trim().is_empty() {
                out.push(String::new());
            } else {
                out.push(String::new());
                out.push(body_text.trim().to_owned());
                out.push(String::new());
            }
            out.extend(lines[body_end..].iter().map(|l| l.to_string()));
        }
        None => {
            let first = lines.iter().position(|l| l.starts_with("## ")).unwrap_or(lines.len());
            out.extend(lines[..first].iter().map(|l| l.to_string()));
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            out.push(heading);
            out.push(String::new());
            out.push("- No notable changes.".to_owned());
            out.push(String::new());
            out.extend(lines[first..].iter().map(|l| l.to_string()));
        }
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    Some(joined)
}
