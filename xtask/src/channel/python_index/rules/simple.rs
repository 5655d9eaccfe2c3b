//! The simple repository API page of one project, as PEP 691 JSON
//! (`application/vnd.pypi.simple.v1+json`) or PEP 503 HTML (links whose fragment may carry
//! `#sha256=`): the files it lists, their URLs resolved against the page, and their SHA-256.

use anyhow::{Context, bail};
use reqwest::Url;

/// The `Accept` header asking for JSON first, HTML as a fallback (PEP 691, "Content Negotiation").
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";

/// One file a project page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub filename: String,
    /// Absolute URL of the file, without its fragment.
    pub url: String,
    /// Lowercase hex, when the page gives one.
    pub sha256: Option<String>,
}

/// Parses a project page served at `page` with `content_type`.
pub fn parse(page: &str, content_type: &str, body: &str) -> anyhow::Result<Vec<Listed>> {
    let base = Url::parse(page).with_context(|| format!("the page URL `{page}`"))?;
    if content_type.contains("json") { json(&base, body) } else { html(&base, body) }
}

fn json(base: &Url, body: &str) -> anyhow::Result<Vec<Listed>> {
    let value: serde_json::Value = serde_json::from_str(body).context("the project page is not JSON")?;
    let Some(files) = value.get("files").and_then(|f| f.as_array()) else {
        bail!("the project page has no `files` list (PEP 691)");
    };
    let mut out = Vec::new();
    for f in files {
        let (Some(filename), Some(url)) = (f["filename"].as_str(), f["url"].as_str()) else {
            bail!("a file of the project page lacks `filename` or `url`: {f}");
        };
        let sha256 = f["hashes"]["sha256"].as_str().map(str::to_ascii_lowercase);
        out.push(Listed { filename: filename.to_owned(), url: resolve(base, url)?, sha256 });
    }
    Ok(out)
}

fn html(base: &Url, body: &str) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = find_tag(rest) {
        rest = &rest[at..];
        let Some(end) = rest.find('>') else { break };
        let (tag, after) = (&rest[..end], &rest[end + 1..]);
        let Some(close) = after.to_ascii_lowercase().find("</a>") else { break };
        let text = unescape(after[..close].trim());
        rest = &after[close + 4..];
        let Some(href) = attribute(tag, "href") else { continue };
        let href = unescape(&href);
        let (link, fragment) = href.split_once('#').unwrap_or((&href, ""));
        let sha256 = fragment.strip_prefix("sha256=").map(str::to_ascii_lowercase);
        let filename = if text.is_empty() { link.rsplit('/').next().unwrap_or_default().to_owned() } else { text };
        out.push(Listed { filename, url: resolve(base, link)?, sha256 });
    }
    Ok(out)
}

/// Where the next `<a ` tag starts.
fn find_tag(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    ["<a ", "<a\t", "<a\n"].iter().filter_map(|t| lower.find(t)).min()
}

/// The value of `name="…"` (or `'…'`, or unquoted) in a tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = lower[..at].ends_with(|c: char| c.is_ascii_whitespace());
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let start = tag.len() - rest.len() + 1;
        let value = tag[start..].trim_start();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default().to_owned(),
            _ => value.split(|c: char| c.is_ascii_whitespace() || c == '>').next().unwrap_or_default().to_owned(),
        });
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn resolve(base: &Url, link: &str) -> anyhow::Result<String> {
    let mut url = base.join(link).with_context(|| format!("the link `{link}` on `{base}`"))?;
    url.set_fragment(None);
    Ok(url.to_string())
}
