//! Whether a layout is whole: its marker, an `index.json` with descriptors, every blob reachable
//! from them present and hashing to its digest and size, and nothing else in the folder. Each
//! finding names the path inside the layout it is about. An index's platform manifests may be
//! absent (a mirror of some platforms); they are listed, not found wrong.

use super::{Descriptor, Layout, MOST_BLOBS, Problem, Walk};
use crate::fs::names;
use std::collections::BTreeSet;

/// One thing wrong, at a path inside the layout (`index.json`, `blobs/sha256/<hex>`, …; empty
/// for the layout as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub at: String,
    pub detail: String,
}

/// What checking a layout found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The descriptors of `index.json`; none when it is missing or unreadable (a finding says so).
    pub index: Vec<Descriptor>,
    /// The walk from them.
    pub walk: Walk,
    pub findings: Vec<Finding>,
    /// The platforms of an index whose manifests the layout does not hold: a mirror made with
    /// `--platform` keeps the index whole and only some of its platforms. Not a finding.
    pub absent_platforms: Vec<String>,
}

impl Layout {
    /// Checks that the layout is whole; see the module.
    pub fn check(&self) -> Checked {
        let mut checked = Checked::default();
        let mut find = |at: &str, detail: String| checked.findings.push(Finding { at: at.to_owned(), detail });
        if !self.is_marked() {
            find("oci-layout", "missing, or not an OCI layout marker".to_owned());
        }
        if !self.root.join("index.json").is_file() {
            find("index.json", "missing".to_owned());
            return checked;
        }
        let index = match self.index() {
            Ok(index) if index.is_empty() => return self.found(checked, "index.json", "holds no descriptor"),
            Ok(index) => index,
            Err(e) => return self.found(checked, "index.json", &format!("is not an OCI index: {}", e.root_cause())),
        };
        let walk = self.walk(&index);
        let mut reached: BTreeSet<String> = walk.reached().map(|d| hex(d).to_owned()).collect();
        for problem in &walk.problems {
            if let Problem::Missing(d) = problem
                && let Some(platform) = d.platform.as_ref().filter(|_| is_manifest(&d.media_type))
            {
                checked.absent_platforms.push(platform.clone());
                continue;
            }
            let (at, detail) = match problem {
                Problem::Digest(d) => ("index.json".to_owned(), format!("`{}` is not a sha256 digest", d.digest)),
                Problem::Missing(d) => (blob(d), "missing: a descriptor refers to it".to_owned()),
                Problem::Changed { descriptor, sha256, size } => (
                    blob(descriptor),
                    format!(
                        "changed: hashes to {sha256} ({size} bytes), its descriptor says {} bytes",
                        descriptor.size
                    ),
                ),
                Problem::Unreadable { descriptor, why } => (blob(descriptor), format!("cannot be read: {why}")),
                Problem::TooDeep(d) => (blob(d), "nested more than four indexes deep; not followed".to_owned()),
                Problem::TooMany => {
                    (String::new(), format!("refers to more than {MOST_BLOBS} blobs; not followed further"))
                }
            };
            if let Problem::Missing(d)
            | Problem::Changed { descriptor: d, .. }
            | Problem::Unreadable { descriptor: d, .. } = problem
            {
                reached.insert(hex(&d.digest).to_owned());
            }
            checked.findings.push(Finding { at, detail });
        }
        for name in
            names(&self.root).into_iter().filter(|n| !["oci-layout", "index.json", "blobs"].contains(&n.as_str()))
        {
            checked.findings.push(Finding { at: name, detail: "extra: not part of an OCI layout".to_owned() });
        }
        for name in names(&self.root.join("blobs")).into_iter().filter(|n| n != "sha256") {
            let at = format!("blobs/{name}");
            checked.findings.push(Finding { at, detail: "extra: only sha256 blobs are written".to_owned() });
        }
        for name in names(&self.blobs()).into_iter().filter(|n| !reached.contains(n)) {
            let at = format!("blobs/sha256/{name}");
            checked.findings.push(Finding { at, detail: "extra: no descriptor of index.json reaches it".to_owned() });
        }
        Checked { index, walk, ..checked }
    }

    fn found(&self, mut checked: Checked, at: &str, detail: &str) -> Checked {
        checked.findings.push(Finding { at: at.to_owned(), detail: detail.to_owned() });
        checked
    }
}

/// Whether a descriptor names an image manifest (a platform's, when it has a platform).
fn is_manifest(media_type: &str) -> bool {
    [crate::registry::OCI_MANIFEST, crate::registry::DOCKER_MANIFEST].contains(&media_type)
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn blob(d: &Descriptor) -> String {
    format!("blobs/sha256/{}", hex(&d.digest))
}
