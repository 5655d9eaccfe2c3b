//! `index.yaml`, Helm's repository index: read strictly and losslessly, merged without ever
//! changing a published entry, and written the way Helm writes it (Helm, "The Chart Repository Guide").
//!
//! Helm parses the index strictly: one unknown key anywhere breaks the repository for every
//! user, so reading refuses unknown keys (naming where they are) and writing only emits keys
//! Helm knows. Foreign entries (other charts, older versions, chart-releaser's) are carried over
//! as they are.

#[cfg(test)]
mod tests;

use super::version::HelmVersion;
use lamina_release_format::helm_index::{self, METADATA_FIELDS};
use serde_json::{Map, Value};
use std::fmt;

/// Keys Helm's `IndexFile` accepts at the top level.
const TOP_KEYS: &[&str] = &["apiVersion", "entries", "generated", "publicKeys", "annotations", "serverInfo"];
/// Keys of one chart version besides Chart.yaml's metadata: the index's own, and legacy ones
/// Helm still reads.
const INDEX_KEYS: &[&str] = &["created", "digest", "removed", "urls", "checksum", "engine", "tillerVersion", "url"];

/// A parsed index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    root: Map<String, Value>,
}

/// A chart version to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// Chart.yaml as JSON.
    pub metadata: Value,
    /// Bare lowercase hex SHA-256 of the archive.
    pub digest: String,
    pub url: String,
    /// RFC 3339 time the entry is added at.
    pub created: String,
}

/// What a merge did with one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    Added {
        name: String,
        version: String,
    },
    /// Already present with the same digest; left as it was.
    Kept {
        name: String,
        version: String,
    },
}

/// Why an index cannot be used or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("index.yaml is not valid YAML: {0}")]
    Yaml(String),
    #[error("index.yaml: {at}: {problem}")]
    Shape { at: String, problem: String },
    #[error("index.yaml already has {name} {version} with digest {published}, but this build is {built}")]
    Conflict { name: String, version: String, published: String, built: String },
}

impl IndexError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            IndexError::Yaml(_) | IndexError::Shape { .. } => {
                "Helm refuses a whole repository over one bad entry: fix index.yaml on the Pages branch (extra data belongs in `annotations`), or rebuild it with `cargo xtask index rebuild`"
            }
            IndexError::Conflict { .. } => {
                "a published chart version is immutable: release a new version (`cargo xtask bump`); if the index entry itself is wrong, repair it with `cargo xtask index rebuild`"
            }
        }
    }
}

fn shape(at: impl Into<String>, problem: impl Into<String>) -> IndexError {
    IndexError::Shape { at: at.into(), problem: problem.into() }
}

impl Index {
    /// An index with no entries.
    pub fn empty() -> Index {
        let mut root = Map::new();
        root.insert("apiVersion".into(), "v1".into());
        root.insert("entries".into(), Value::Object(Map::new()));
        Index { root }
    }

    /// Parses and checks an index the way Helm's strict loader would.
    pub fn parse(text: &str) -> Result<Index, IndexError> {
        let value: Value = serde_norway::from_str(text).map_err(|e| IndexError::Yaml(e.to_string()))?;
        let Value::Object(root) = value else {
            return Err(shape("top level", "is not a mapping"));
        };
        if let Some(key) = root.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
            return Err(shape(key.as_str(), format!("unknown key `{key}` (Helm accepts {})", TOP_KEYS.join(", "))));
        }
        match root.get("apiVersion") {
            Some(Value::String(v)) if !v.is_empty() => {}
            _ => {
                return Err(shape("apiVersion", "is missing; Helm needs `apiVersion: v1`"));
            }
        }
        let empty = Map::new();
        let entries = match root.get("entries") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(e)) => e,
            Some(_) => {
                return Err(shape("entries", "is not a mapping of chart names to versions"));
            }
        };
        for (name, versions) in entries {
            let Value::Array(versions) = versions else {
                return Err(shape(format!("entries.{name}"), "is not a list of versions"));
            };
            for (i, entry) in versions.iter().enumerate() {
                let at = format!("entries.{name}[{i}]");
                let Value::Object(entry) = entry else {
                    return Err(shape(at, "is not a mapping"));
                };
                if let Some(key) =
                    entry.keys().find(|k| !METADATA_FIELDS.contains(&k.as_str()) && !INDEX_KEYS.contains(&k.as_str()))
                {
                    return Err(shape(at, format!("unknown key `{key}`")));
                }
                for key in ["name", "version"] {
                    if !entry.get(key).is_some_and(Value::is_string) {
                        return Err(shape(at.as_str(), format!("has no `{key}`")));
                    }
                }
            }
        }
        let mut root = root;
        if !matches!(root.get("entries"), Some(Value::Object(_))) {
            root.insert("entries".into(), Value::Object(Map::new()));
        }
        Ok(Index { root })
    }

    fn entries(&self) -> &Map<String, Value> {
        self.root["entries"].as_object().expect("checked in parse")
    }

    fn entries_mut(&mut self) -> &mut Map<String, Value> {
        self.root.get_mut("entries").and_then(Value::as_object_mut).expect("checked in parse")
    }

    /// The entry for exactly this name and version.
    pub fn entry(&self, name: &str, version: &str) -> Option<&Value> {
        self.entries().get(name)?.as_array()?.iter().find(|v| v.get("version").and_then(Value::as_str) == Some(version))
    }

    /// `(name, version, digest)` of every entry, in index order.
    pub fn versions(&self) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        for (name, versions) in self.entries() {
            for v in versions.as_array().into_iter().flatten() {
                let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                out.push((name.clone(), field("version").unwrap_or_default(), field("digest")));
            }
        }
        out
    }

    /// Adds each entry unless the same name and version is there with the same digest; a
    /// different digest is a conflict and nothing is changed. Presence is exact string equality
    /// of name and version (Helm's own lookup would match `1.0.0+a` for `1.0.0+b`).
    pub fn merge(&mut self, new: &[NewEntry], generated: &str) -> Result<Vec<Merged>, IndexError> {
        // Every conflict is found before anything changes, so a refused merge leaves the index
        // as it was.
        let mut outcome = Vec::new();
        let mut added = Vec::new();
        for entry in new {
            let version_entry = entry_from(entry);
            let name = version_entry["name"].as_str().unwrap_or_default().to_owned();
            let version = version_entry["version"].as_str().unwrap_or_default().to_owned();
            let listed = self.entries().get(&name).and_then(Value::as_array).into_iter().flatten();
            let pending = added.iter().filter(|(n, _)| *n == name).map(|(_, v)| v);
            match listed.chain(pending).find(|v| v.get("version").and_then(Value::as_str) == Some(version.as_str())) {
                Some(existing) => {
                    let published = existing.get("digest").and_then(Value::as_str).unwrap_or_default();
                    if published != entry.digest {
                        return Err(IndexError::Conflict {
                            name,
                            version,
                            published: published.to_owned(),
                            built: entry.digest.clone(),
                        });
                    }
                    outcome.push(Merged::Kept { name, version });
                }
                None => {
                    added.push((name.clone(), version_entry));
                    outcome.push(Merged::Added { name, version });
                }
            }
        }
        if added.is_empty() {
            return Ok(outcome);
        }
        for (name, version_entry) in added {
            let list = self.entries_mut().entry(name).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = list else { unreachable!("checked in parse") };
            list.push(version_entry);
            sort_versions(list);
        }
        self.root.insert("generated".into(), generated.into());
        Ok(outcome)
    }

    /// A fresh index of exactly these entries (what `index rebuild` publishes).
    pub fn of(entries: &[NewEntry], generated: &str) -> Result<Index, IndexError> {
        let mut index = Index::empty();
        index.merge(entries, generated)?;
        Ok(index)
    }

    /// Copies `created` from `old` into entries with the same name, version and digest, so a
    /// rebuild does not move the dates of what did not change.
    pub fn keep_created_from(&mut self, old: &Index) {
        for (name, versions) in self.entries_mut() {
            for v in versions.as_array_mut().into_iter().flatten() {
                let found = old.entries().get(name).and_then(Value::as_array).and_then(|list| {
                    list.iter().find(|o| o.get("version") == v.get("version") && o.get("digest") == v.get("digest"))
                });
                if let Some(created) = found.and_then(|o| o.get("created")) {
                    v["created"] = created.clone();
                }
            }
        }
    }

    /// Chart names and their versions, newest first, for the Pages front page.
    pub fn charts(&self) -> Vec<(String, Vec<String>)> {
        self.entries()
            .iter()
            .map(|(name, versions)| {
                let list = versions.as_array().into_iter().flatten();
                (
                    name.clone(),
                    list.filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_owned)).collect(),
                )
            })
            .collect()
    }
}

/// An index entry from Chart.yaml metadata, shaped as the release format defines it.
fn entry_from(new: &NewEntry) -> Value {
    Value::Object(helm_index::entry(&new.metadata, &new.digest, std::slice::from_ref(&new.url), &new.created))
}

/// Newest first by Helm's lenient SemVer; versions Helm cannot read go last; ties keep order.
fn sort_versions(list: &mut [Value]) {
    // Each version parsed once; the sort is stable.
    list.sort_by_cached_key(|v| {
        let version = v.get("version").and_then(Value::as_str).and_then(HelmVersion::parse);
        (version.is_none(), version.map(std::cmp::Reverse))
    });
}

impl fmt::Display for Index {
    /// The index as Helm writes it: keys sorted, list items at their key's indentation, strings
    /// quoted wherever YAML could read them as something else.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        super::yaml::write_map(&mut out, &self.root, 0);
        f.write_str(&out)
    }
}
