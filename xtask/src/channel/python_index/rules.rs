//! The Python package channel's pure parts: names (PEP 503 projects, PEP 625 and wheel file
//! names), the core metadata inside a built wheel or sdist ([`dist`]), the simple repository page
//! (PEP 503 HTML, PEP 691 JSON, [`simple`]), the legacy upload form ([`form`]), and the
//! create / keep / refuse table. Files on an index can never be replaced, so a file listed with
//! another digest is refused, never uploaded over.

pub mod dist;
pub mod form;
pub mod simple;
#[cfg(test)]
mod tests;

use serde::Serialize;

/// One built file the index should hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistFile {
    /// The `[[package]]` it belongs to (its project on the index).
    pub project: String,
    pub name: String,
    pub sha256: String,
}

/// What a release does with one built file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Decision {
    /// Not on the index: uploaded.
    Create,
    /// On the index with the same SHA-256: left alone.
    Keep,
    /// On the index with other bytes (or no digest to compare): the release stops.
    Refuse { why: String },
}

/// Decides each built file against the files the index lists for its project.
pub fn decide(ours: &[DistFile], listed: &[simple::Listed]) -> Vec<(DistFile, Decision)> {
    ours.iter()
        .map(|file| {
            let decision = match listed.iter().find(|l| l.filename == file.name) {
                None => Decision::Create,
                Some(l) => match &l.sha256 {
                    Some(d) if d.eq_ignore_ascii_case(&file.sha256) => Decision::Keep,
                    Some(d) => Decision::Refuse {
                        why: format!(
                            "`{}` is on the index with sha256 {d}, this build is sha256 {}; files on a Python index can never be replaced",
                            file.name, file.sha256
                        ),
                    },
                    None => Decision::Refuse {
                        why: format!("`{}` is on the index without a sha256 digest to compare", file.name),
                    },
                },
            };
            (file.clone(), decision)
        })
        .collect()
}
