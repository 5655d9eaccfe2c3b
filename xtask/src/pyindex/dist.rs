//! A built distribution's core metadata: `*.dist-info/METADATA` from a wheel (a zip archive,
//! read through its central directory) or `PKG-INFO` from an sdist (a tar.gz), parsed as the
//! core metadata specification's email-header format; and what its file name says (the upload
//! form's `filetype` and `pyversion`).

use anyhow::{Context, bail};
use std::io::Read;

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
        sdist_entry(bytes, &format!("{top}/PKG-INFO")).with_context(|| format!("read PKG-INFO from `{filename}`"))?
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

fn sdist_entry(bytes: &[u8], path: &str) -> anyhow::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.to_string_lossy() == path {
            let mut out = Vec::new();
            entry.read_to_end(&mut out)?;
            return Ok(out);
        }
    }
    bail!("no `{path}` in the archive")
}

/// The first entry of a zip archive whose name `wanted` accepts, read through the central
/// directory (stored or deflated entries, as wheels hold).
pub fn zip_entry(bytes: &[u8], wanted: impl Fn(&str) -> bool) -> anyhow::Result<Vec<u8>> {
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    // The end-of-central-directory record: its signature, searched from the end (a comment may follow).
    let eocd = (0..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
        .context("not a zip archive (no end of central directory)")?;
    let count = u16_at(eocd + 10).context("truncated zip")?;
    let mut at = u32_at(eocd + 16).context("truncated zip")?;
    for _ in 0..count {
        if !bytes.get(at..).is_some_and(|b| b.starts_with(b"PK\x01\x02")) {
            bail!("damaged zip central directory");
        }
        let method = u16_at(at + 10).context("truncated zip")?;
        let compressed = u32_at(at + 20).context("truncated zip")?;
        let (name_len, extra_len, comment_len) =
            (u16_at(at + 28).unwrap_or(0), u16_at(at + 30).unwrap_or(0), u16_at(at + 32).unwrap_or(0));
        let local = u32_at(at + 42).context("truncated zip")?;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len).context("truncated zip")?);
        at += 46 + name_len + extra_len + comment_len;
        if !wanted(&name) {
            continue;
        }
        let data_at = local + 30 + u16_at(local + 26).unwrap_or(0) + u16_at(local + 28).unwrap_or(0);
        let data = bytes.get(data_at..data_at + compressed).context("truncated zip entry")?;
        return match method {
            0 => Ok(data.to_vec()),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data).read_to_end(&mut out)?;
                Ok(out)
            }
            m => bail!("zip entry `{name}` uses compression method {m}; only stored and deflate are read"),
        };
    }
    bail!("no such entry in the archive")
}
