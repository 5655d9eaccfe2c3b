//! `.helmignore` rules exactly as Helm v4 applies them, and the Go `filepath.Match` glob they use.
//!
//! Ported from helm/helm `pkg/ignore/rules.go` and `doc.go`, the walk in
//! `pkg/chart/v2/loader/directory.go` that feeds it, and golang/go `src/path/filepath/match.go`
//! as built for Unix (backslash escapes on, `/` the only separator). Where the Helm v4.2.3 binary
//! differs from older copies of `rules.go` (BOM, anchored rules), this follows the binary: every
//! point below was confirmed by packaging charts with Helm v4.2.3 (see the tests).
//!
//! How Helm reads a `.helmignore`:
//! - line by line like Go's `bufio.Scanner`: split at `\n`, one trailing `\r` dropped; a line of
//!   65536 bytes or more (counting a `\r` and a BOM) is an error; the first bad line stops parsing;
//! - a UTF-8 BOM is stripped once, from the first line only, before trimming;
//! - each line is trimmed of Unicode whitespace (Go's `TrimSpace`, same set as `str::trim`; not
//!   U+200B or the BOM); empty lines and lines starting with `#` are skipped; there are no inline
//!   comments and no escaped trailing spaces (`\#` is an escaped `#`, a literal-`#` rule);
//! - a line containing `**` anywhere is an error; so is a line that is not a valid Go glob
//!   (checked on the whole line, `!` and slashes included);
//! - one leading `!` negates the rule, then one trailing `/` makes it directory-only, then one
//!   leading `/` anchors it at the chart root; a rule still containing `/` (or anchored) matches
//!   the whole relative path, a rule without `/` matches the basename (`filepath.Base`) only;
//! - Helm's loader appends the default rule `templates/.?*` after the file's rules: dotfiles and
//!   dot-directories directly under `templates/` (not deeper).
//!
//! How Helm applies the rules to a path (relative to the chart root, `/`-separated):
//! - `""`, `"."` and `"./"` are never ignored;
//! - rules run in file order and the first positive rule that matches ignores the path;
//! - a directory-only rule is skipped for files;
//! - a negated rule (`!p`) never re-includes anything: a path that does NOT match `p` (and any
//!   file, when `p` is directory-only) is ignored on the spot, and a path that matches `p` goes on
//!   to the next rule;
//! - a rule whose glob only breaks at match time (`a\/` is `a\` once the `/` is stripped) never
//!   matches, so negated it ignores everything.
//!
//! Go's glob: `*` any run of non-`/` bytes, `?` one non-`/` character, `[...]`, `[^...]` with
//! `lo-hi` ranges (which can match `/`; `[!...]` is not a negation), `\c` a literal `c`; matching
//! is on bytes, so `*` can stop inside a multi-byte character (`*??` matches `☺`).
//!
//! The loader walks the chart depth first, never asks about the chart root, and skips the whole
//! subtree of an ignored directory; callers of [`Rules::ignored`] must do the same to select the
//! files Helm would.

use std::fmt;

use anyhow::bail;

/// The rule Helm's loader always adds after the file's rules (`AddDefaults`): dotfiles directly
/// under `templates/`.
const DEFAULT_RULE: &str = "templates/.?*";

/// Go's `bufio.MaxScanTokenSize`: a line (without its `\n`) must be shorter than this.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Go's `utf8.RuneError`.
const RUNE_ERROR: u32 = 0xFFFD;

/// Parsed `.helmignore` rules plus Helm's built-in default (`templates/.?*`).
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.patterns.iter().map(|p| &p.raw)).finish()
    }
}

/// One rule, split the way `parseRule` splits it.
struct Pattern {
    /// The trimmed line, `!` and slashes included.
    raw: String,
    /// The glob left after stripping `!`, one trailing `/` and (anchored rules) one leading `/`.
    glob: String,
    negate: bool,
    must_dir: bool,
    /// No `/` in the rule: it is matched against `filepath.Base(path)`, not the whole path.
    basename_only: bool,
}

/// Why a single line was rejected.
enum RuleError {
    DoubleStar,
    BadPattern,
}

impl Rules {
    /// Parses the content of a `.helmignore` (None = file absent). Always adds Helm's default rule
    /// `templates/.?*` like Helm's loader does (`AddDefaults`). Errors name the 1-based line (e.g. `**` is a hard error in Helm).
    pub fn parse(content: Option<&str>) -> anyhow::Result<Rules> {
        let mut rules = Rules { patterns: Vec::new() };
        for (index, line) in content.map(scan_lines).into_iter().flatten().enumerate() {
            let number = index + 1;
            if line.len() >= MAX_LINE_BYTES {
                bail!(
                    ".helmignore line {number} is {} bytes long, which Helm rejects \
                     (bufio.Scanner: token too long); keep every line under {MAX_LINE_BYTES} bytes",
                    line.len()
                );
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            // Helm drops a UTF-8 byte order mark from the first line only, before trimming.
            let line = if index == 0 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line };
            match rules.parse_rule(line) {
                Ok(()) => {}
                Err(RuleError::DoubleStar) => bail!(
                    ".helmignore line {number}: `{}` contains `**`, which Helm rejects \
                     (double-star (**) syntax is not supported); use single-level `*` globs \
                     instead, e.g. `dir/*` or a basename pattern such as `*.txt`",
                    line.trim()
                ),
                Err(RuleError::BadPattern) => bail!(
                    ".helmignore line {number}: `{}` is not a valid Go glob \
                     (syntax error in pattern); close every `[...]` class, give each range two \
                     ends, and write a literal `[`, `*`, `?`, `-`, `]` or `\\` as `\\[`, `\\*`, \
                     `\\?`, `\\-`, `\\]` or `\\\\`",
                    line.trim()
                ),
            }
        }
        if rules.parse_rule(DEFAULT_RULE).is_err() {
            bail!("helm's default rule `{DEFAULT_RULE}` failed to parse; this is a bug in the port");
        }
        Ok(rules)
    }

    /// Helm's `Ignore(path, fi)`: `path` is the slash-separated path relative to the chart root
    /// (e.g. "templates/deployment.yaml"), `is_dir` whether it is a directory.
    pub fn ignored(&self, path: &str, is_dir: bool) -> bool {
        // Don't match on empty dirs, and never ignore the chart root (helm/helm#1776).
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for pattern in &self.patterns {
            if pattern.negate {
                if pattern.must_dir && !is_dir {
                    return true;
                }
                if !pattern.matches(path) {
                    return true;
                }
                continue;
            }
            if pattern.must_dir && !is_dir {
                continue;
            }
            if pattern.matches(path) {
                return true;
            }
        }
        false
    }

    /// Helm's `parseRule`: one line of the file (or the default rule).
    fn parse_rule(&mut self, line: &str) -> Result<(), RuleError> {
        // Go's strings.TrimSpace and Rust's str::trim both strip Unicode White_Space.
        let raw = line.trim();
        if raw.is_empty() || raw.starts_with('#') {
            return Ok(());
        }
        if raw.contains("**") {
            return Err(RuleError::DoubleStar);
        }
        // Helm validates the whole rule, `!` and slashes included, against a non-empty name.
        if glob_match(raw, "abc").is_err() {
            return Err(RuleError::BadPattern);
        }
        let (negate, rule) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (must_dir, rule) = match rule.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        // A leading `/` anchors the rule at the chart root: Helm strips that one slash and matches
        // the whole path, as for any other rule with a `/`; a rule without `/` sees the basename.
        let (basename_only, rule) = match rule.strip_prefix('/') {
            Some(rest) => (false, rest),
            None => (!rule.contains('/'), rule),
        };
        self.patterns.push(Pattern { raw: raw.to_owned(), glob: rule.to_owned(), negate, must_dir, basename_only });
        Ok(())
    }
}

impl Pattern {
    /// The matcher closure Helm builds for this rule; a glob error at this point means "no match".
    fn matches(&self, path: &str) -> bool {
        let name = if self.basename_only { go_base(path) } else { path };
        glob_match(&self.glob, name).unwrap_or(false)
    }
}

/// Lines as Go's `bufio.ScanLines` yields them, before its `\r` drop (so the length check sees
/// what Go's buffer sees): split at `\n`, no empty token after a final `\n`.
fn scan_lines(content: &str) -> impl Iterator<Item = &str> {
    let body = content.strip_suffix('\n').unwrap_or(content);
    (!content.is_empty()).then(|| body.split('\n')).into_iter().flatten()
}

/// Go's `filepath.Base` on Unix.
fn go_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    let last = match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    if last.is_empty() { "/" } else { last }
}

/// Go's `filepath.ErrBadPattern`: the pattern is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Go's `path/filepath.Match` on `/`-separated paths; Err for a malformed pattern (`ErrBadPattern`).
///
/// `*` matches any run of non-`/` bytes, `?` one non-`/` character, `[...]`/`[^...]` one
/// character from (or not from) a set of characters and `lo-hi` ranges, and `\c` the character
/// `c`. The whole name must match. Like Go, this works on bytes: a `*` can stop inside a
/// multi-byte character, after which `?` and classes see `U+FFFD` one byte at a time.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // Trailing * matches rest of string unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        // Look for a match at the current position; the last chunk must exhaust the name.
        if let Some(t) = match_chunk(chunk, name)?
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        if star {
            // Look for a match skipping i+1 bytes; the star cannot skip a /.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // Before returning false with no error, check the rest of the pattern is well-formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: the next run of non-star pattern, and whether stars preceded it.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // Error check handled in match_chunk: bad pattern.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Go's `matchChunk`: whether `chunk` (no stars) matches the start of `s`, returning the rest of
/// `s`. After a mismatch it keeps reading the chunk so a malformed chunk is still reported.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&op) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match op {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (rune, width) = decode_rune(s);
                    r = rune;
                    s = &s[width..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if let [b'^', rest @ ..] = chunk {
                    negated = true;
                    chunk = rest;
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if let [b']', rest @ ..] = chunk
                        && ranges > 0
                    {
                        chunk = rest;
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let [b'-', rest @ ..] = chunk {
                        let (end, rest) = get_esc(rest)?;
                        hi = end;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, width) = decode_rune(s);
                    s = &s[width..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if op == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Go's `getEsc`: one possibly escaped character of a class, which must be followed by more.
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    match chunk {
        [] | [b'-' | b']', ..] => return Err(BadPattern),
        [b'\\', rest @ ..] => {
            if rest.is_empty() {
                return Err(BadPattern);
            }
            chunk = rest;
        }
        _ => {}
    }
    let (r, width) = decode_rune(chunk);
    let rest = &chunk[width..];
    if (r == RUNE_ERROR && width == 1) || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

/// Go's `utf8.DecodeRune`: the first character and its width, `(U+FFFD, 1)` for an invalid byte,
/// `(U+FFFD, 0)` for no bytes.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    if s.is_empty() {
        return (RUNE_ERROR, 0);
    }
    // A character is at most 4 bytes; looking no further keeps this O(1).
    let first = s[..s.len().min(4)].utf8_chunks().next().and_then(|c| c.valid().chars().next());
    match first {
        Some(c) => (u32::from(c), c.len_utf8()),
        None => (RUNE_ERROR, 1),
    }
}

#[cfg(test)]
mod tests;
