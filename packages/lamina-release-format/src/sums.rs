//! `SHA256SUMS` as `sha256sum -c` reads it: `<hex>  <name>` per line (`<hex> *<name>` in binary
//! mode), one line per asset; written in asset order, read strictly.

use std::collections::BTreeMap;

/// The checksum file over `(name, sha256)` pairs, in the given order.
pub fn render(sums: &[(String, String)]) -> String {
    sums.iter().map(|(name, hex)| format!("{hex}  {name}\n")).collect()
}

/// A line of a checksum file that is not `<64 lowercase hex>  <name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SumsError {
    #[error("SHA256SUMS line {line}: expected `<sha256>  <file name>`, found `{}`", text.escape_debug())]
    Malformed { line: usize, text: String },
    #[error("SHA256SUMS line {line}: `{name}` is listed twice (first on line {first})")]
    Duplicate { line: usize, first: usize, name: String },
    #[error("SHA256SUMS line {line}: `{name}` is not a plain file name")]
    Path { line: usize, name: String },
}

/// Every `(file name, lowercase hex SHA-256)` of a checksum file, by name. Blank lines are
/// skipped; anything else that is not a checksum line, a name listed twice, or a name holding a
/// path is an error naming the line.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, SumsError> {
    let mut out = BTreeMap::new();
    let mut lines_of = BTreeMap::new();
    for (n, raw) in text.lines().enumerate().map(|(n, l)| (n + 1, l)) {
        if raw.trim().is_empty() {
            continue;
        }
        let malformed = || SumsError::Malformed { line: n, text: raw.to_owned() };
        let (hex, rest) = raw.split_once(' ').ok_or_else(malformed)?;
        let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*')).ok_or_else(malformed)?;
        let hex_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok || name.is_empty() {
            return Err(malformed());
        }
        if name.contains('/') || name.contains('\\') || name == "." || name == ".." {
            return Err(SumsError::Path { line: n, name: name.to_owned() });
        }
        if let Some(first) = lines_of.insert(name.to_owned(), n) {
            return Err(SumsError::Duplicate { line: n, first, name: name.to_owned() });
        }
        out.insert(name.to_owned(), hex.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";

    #[test]
    fn reads_what_it_writes_and_sha256sum_binary_mode() {
        let text = render(&[("demo-0.2.0.tgz".into(), A.into()), ("release-manifest.json".into(), A.into())]);
        let sums = parse(&text).unwrap();
        assert_eq!(sums.get("demo-0.2.0.tgz").map(String::as_str), Some(A));
        assert_eq!(parse(&format!("{A} *bin.tar.gz\n")).unwrap().len(), 1);
    }

    #[test]
    fn refuses_malformed_duplicate_and_path_lines() {
        assert!(matches!(parse("xyz  a\n"), Err(SumsError::Malformed { line: 1, .. })));
        assert!(matches!(parse(&format!("{A}  a\n\n{A}  a\n")), Err(SumsError::Duplicate { line: 3, first: 1, .. })));
        assert!(matches!(parse(&format!("{A}  ../etc/passwd\n")), Err(SumsError::Path { line: 1, .. })));
        assert!(matches!(parse(&format!("{}  a\n", A.to_uppercase())), Err(SumsError::Malformed { .. })));
    }
}
