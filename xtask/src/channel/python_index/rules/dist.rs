//! A built distribution's core metadata: `*.dist-info/METADATA` from a wheel (a zip archive,
//! zip64 included, read with the `zip` crate) or `PKG-INFO` from an sdist (a tar.gz), parsed as
//! the core metadata specification's email-header format; and what its file name says (the
//! upload form's `filetype` and `pyversion`).

use anyhow::{Context, bail};
use std::io::{Cursor, Read};

/// The header fields in order (repeated fields repeat) and the body (the long description).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub fields: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Metadata {
    /// The first value of `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// `bdist_wheel` or `sdist`, and the Python tag: the wheel name's third part, `source` for an sdist.
pub fn kind(filename: &str) -> anyhow::Result<(&'static str, String)> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        // name-version(-build)?-python-abi-platform
        if parts.len() < 5 {
            bail!("`{filename}` is not a wheel file name (name-version-python-abi-platform.whl)");
        }
        return Ok(("bdist_wheel", parts[parts.len() - 3].to_owned()));
    }
    if filename.ends_with(".tar.gz") {
        return Ok(("sdist", "source".to_owned()));
    }
    bail!("`{filename}` is neither a wheel nor a .tar.gz sdist")
}

/// The core metadata of the wheel or sdist `bytes`, named `filename`.
pub fn read(filename: &str, bytes: &[u8]) -> anyhow::Result<Metadata> {
    let text = if filename.ends_with(".whl") {
        zip_entry(bytes, |name| name.ends_with(".dist-info/METADATA") && name.matches('/').count() == 1)
            .with_context(|| format!("read METADATA from `{filename}`"))?
    } else {
        let top = filename.trim_end_matches(".tar.gz");
        sdist_entry(bytes, top, "PKG-INFO").with_context(|| format!("read PKG-INFO from `{filename}`"))?
    };
    parse(&String::from_utf8(text).with_context(|| format!("the metadata of `{filename}` is not UTF-8"))?)
}

/// Parses core metadata: `Key: value` lines, continuation lines starting with whitespace, then
/// an optional body after the first empty line.
pub fn parse(text: &str) -> anyhow::Result<Metadata> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h.to_owned(), Some(b.to_owned())),
        None => (text.clone(), None),
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = fields.last_mut() else { bail!("metadata starts with a continuation line") };
            value.push('\n');
            value.push_str(line.trim_start());
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            bail!("metadata line `{line}` is not `Key: value`");
        };
        fields.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    let body = body.filter(|b| !b.trim().is_empty());
    Ok(Metadata { fields, body })
}

fn sdist_entry(bytes: &[u8], top: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    let tree = lamina_release_format::archive::read(bytes, Some(top), &Default::default())?;
    Ok(tree.file(path).with_context(|| format!("no `{top}/{path}` in the archive"))?.to_vec())
}

/// The most bytes read from one zip entry: far above any real `METADATA` (its long description
/// included), low enough that a damaged or hostile wheel cannot make the release hold gigabytes.
pub const ZIP_ENTRY_LIMIT: u64 = 16 << 20;

/// The first entry of a zip archive whose name `wanted` accepts, in central directory order
/// (zip64 archives too); stored or deflated, as wheels hold, and at most [`ZIP_ENTRY_LIMIT`]
/// bytes once inflated.
pub fn zip_entry(bytes: &[u8], wanted: impl Fn(&str) -> bool) -> anyhow::Result<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).context("not a readable zip archive")?;
    let index = (0..archive.len())
        .find(|&i| archive.name_for_index(i).and_then(Result::ok).is_some_and(|name| wanted(&name)))
        .context("no such entry in the archive")?;
    let entry = archive.by_index_data(index)?;
    let name = entry.name()?.into_owned();
    let method = entry.compression();
    if method != zip::CompressionMethod::Stored && method != zip::CompressionMethod::Deflated {
        bail!("zip entry `{name}` uses compression method {method}; only stored and deflate are read");
    }
    let too_big = || {
        format!(
            "zip entry `{name}` is over {ZIP_ENTRY_LIMIT} bytes; rebuild the wheel: its METADATA is a few kilobytes"
        )
    };
    if entry.size() > ZIP_ENTRY_LIMIT {
        bail!(too_big());
    }
    let entry = archive.by_index(index).with_context(|| format!("open zip entry `{name}`"))?;
    let mut out = Vec::new();
    entry.take(ZIP_ENTRY_LIMIT + 1).read_to_end(&mut out).with_context(|| format!("read zip entry `{name}`"))?;
    if out.len() as u64 > ZIP_ENTRY_LIMIT {
        bail!(too_big());
    }
    Ok(out)
}
