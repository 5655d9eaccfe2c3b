//! `.dockerignore` as Docker's builders read it: which files of a build context are left out.
//!
//! Reading (Docker's `ReadAll`): lines split at `\n`, one trailing `\r` dropped, a UTF-8 BOM
//! dropped from the first line; a line starting with `#` is a comment; each line is trimmed,
//! empty ones skipped; a leading `!` makes an exception; the pattern is cleaned like Go's
//! `filepath.Clean` and one leading `/` is stripped (the context is the root).
//!
//! Matching (Docker's pattern matcher, `MatchesOrParentMatches`): the patterns run in order, the
//! last one that matches the path or one of its parent folders decides; an exception re-includes.
//! A pattern is Go's `filepath.Match` glob (`*` and `?` never match `/`, `[...]` classes, `\`
//! escapes) plus `**`, any number of folders, zero included. A pattern Go rejects is an error.
//!
//! Where Docker turns a pattern into a regular expression with surprising results, this refuses
//! the pattern instead of guessing: `\` before a letter or digit (a regex escape such as `\d`),
//! and `*` or `?` inside `[...]`.

use crate::helm::ignore::glob_match;

/// The parsed rules of one `.dockerignore`; the default has none.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Debug)]
struct Pattern {
    /// The cleaned pattern, without its `!`.
    cleaned: String,
    exception: bool,
    how: How,
}

/// How Docker compares a pattern with a path.
#[derive(Debug, PartialEq)]
enum How {
    /// No special character: the whole path.
    Exact,
    /// Literal text then a final `**`: the path starts with the text.
    Prefix,
    /// A leading `**` then literal text: the path ends with the text.
    Suffix,
    /// Anything else, as Docker's regular expression would.
    Tokens(Vec<Token>),
}

/// One piece of Docker's regular expression (anchored at both ends).
#[derive(Debug, PartialEq)]
enum Token {
    Char(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any run without `/`.
    Star,
    /// `**` followed by more: nothing, or anything ending with `/`.
    Folders,
    /// A final `**` after other wildcards: anything.
    Rest,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// An unescaped `^`: matches only at the start of the path.
    Start,
}

impl DockerIgnore {
    /// Parses a `.dockerignore`; an error gives the 1-based line and what is wrong with it.
    pub fn parse(text: &str) -> Result<DockerIgnore, (usize, String)> {
        let mut patterns = Vec::new();
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines = (!text.is_empty()).then(|| body.split('\n')).into_iter().flatten();
        for (index, line) in lines.enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = if index == 0 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line };
            if let Some(pattern) = read_line(line) {
                patterns.push(Pattern::new(&pattern).map_err(|e| (index + 1, e))?);
            }
        }
        Ok(DockerIgnore { patterns })
    }

    /// Whether the file at `path` (relative to the context, `/`-separated, clean) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        let parents: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // An exception matters only once excluded, a pattern only while included.
            if pattern.exception != excluded {
                continue;
            }
            if pattern.matches(path) || parents.iter().any(|parent| pattern.matches(parent)) {
                excluded = !pattern.exception;
            }
        }
        excluded
    }
}

/// One line as Docker's reader leaves it: `None` for comments and blank lines.
fn read_line(line: &str) -> Option<String> {
    if line.starts_with('#') {
        return None;
    }
    let mut pattern = line.trim();
    if pattern.is_empty() {
        return None;
    }
    let exception = pattern.starts_with('!');
    if exception {
        pattern = pattern[1..].trim();
    }
    let mut cleaned = String::new();
    if !pattern.is_empty() {
        cleaned = go_clean(pattern);
        if cleaned.len() > 1 && cleaned.starts_with('/') {
            cleaned.remove(0);
        }
    }
    Some(if exception { format!("!{cleaned}") } else { cleaned })
}

impl Pattern {
    /// Docker's matcher cleans the line once more, then splits off the `!`.
    fn new(line: &str) -> Result<Pattern, String> {
        let line = go_clean(line.trim());
        let (exception, cleaned) = match line.strip_prefix('!') {
            Some("") => return Err("`!` alone is not a pattern: write the path to re-include after it".to_owned()),
            Some(rest) => (true, rest.to_owned()),
            None => (false, line),
        };
        if glob_match(&cleaned, ".").is_err() {
            return Err(format!(
                "`{cleaned}` is not a valid Go glob: close every `[...]` class and give each range two ends"
            ));
        }
        let how = compile(&cleaned)?;
        Ok(Pattern { cleaned, exception, how })
    }

    fn matches(&self, path: &str) -> bool {
        match &self.how {
            How::Exact => path == self.cleaned,
            How::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            How::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| path == s)
            }
            How::Tokens(tokens) => run(tokens, &path.chars().collect::<Vec<_>>()),
        }
    }
}

/// Docker's translation of a pattern, piece by piece, and which comparison it ends up using
/// (the last special character decides, as in Docker's `compile`).
fn compile(pattern: &str) -> Result<How, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    // `How::Tokens` marks a regular expression here; its pieces are filled in at the end.
    let mut how = How::Exact;
    let mut at = 0;
    while at < chars.len() {
        let first = at == 0;
        let c = chars[at];
        at += 1;
        match c {
            '*' if chars.get(at) == Some(&'*') => {
                at += 1;
                if chars.get(at) == Some(&'/') {
                    at += 1;
                }
                how = match (at < chars.len(), how) {
                    (true, _) => {
                        tokens.push(Token::Folders);
                        How::Tokens(Vec::new())
                    }
                    (false, How::Exact) => How::Prefix,
                    (false, _) => {
                        tokens.push(Token::Rest);
                        How::Tokens(Vec::new())
                    }
                };
                if first {
                    how = How::Suffix;
                }
            }
            '*' | '?' | '\\' | '[' | ']' => {
                tokens.push(match c {
                    '*' => Token::Star,
                    '?' => Token::One,
                    '\\' => {
                        let escaped = *chars.get(at).ok_or("a pattern cannot end with `\\`")?;
                        at += 1;
                        Token::Char(literal(escaped)?)
                    }
                    '[' => {
                        let (class, next) = class(&chars, at)?;
                        at = next;
                        class
                    }
                    _ => Token::Char(c),
                });
                how = How::Tokens(Vec::new());
            }
            '^' => tokens.push(Token::Start),
            c => tokens.push(Token::Char(c)),
        }
    }
    Ok(match how {
        How::Tokens(_) => How::Tokens(tokens),
        how => how,
    })
}

/// The character after a `\`: punctuation is itself; a letter or digit would be a regex escape.
fn literal(c: char) -> Result<char, String> {
    match c.is_ascii_alphanumeric() {
        true => Err(format!("`\\{c}` means something else to Docker's builders: write `{c}` without the `\\`")),
        false => Ok(c),
    }
}

/// A `[...]` class starting after its `[` (Go's glob already checked its shape); the index after it.
fn class(chars: &[char], mut at: usize) -> Result<(Token, usize), String> {
    let negated = chars.get(at) == Some(&'^');
    if negated {
        at += 1;
    }
    let mut ranges = Vec::new();
    let one = |at: &mut usize| -> Result<char, String> {
        let c = *chars.get(*at).ok_or("unclosed `[`")?;
        *at += 1;
        match c {
            '\\' => {
                let escaped = *chars.get(*at).ok_or("unclosed `[`")?;
                *at += 1;
                literal(escaped)
            }
            '*' | '?' => Err(format!("`{c}` inside `[...]` means something else to Docker's builders: write `\\{c}`")),
            c => Ok(c),
        }
    };
    loop {
        if chars.get(at) == Some(&']') && !ranges.is_empty() {
            return Ok((Token::Class { negated, ranges }, at + 1));
        }
        let lo = one(&mut at)?;
        let hi = match chars.get(at) {
            Some('-') => {
                at += 1;
                one(&mut at)?
            }
            _ => lo,
        };
        ranges.push((lo, hi));
    }
}

/// Whether the pieces match the whole of `path`: the set of positions reachable after each piece.
fn run(tokens: &[Token], path: &[char]) -> bool {
    let mut reach = vec![false; path.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; path.len() + 1];
        for from in (0..=path.len()).filter(|&i| reach[i]) {
            let at = path.get(from).copied();
            let one = match token {
                Token::Char(c) => at == Some(*c),
                Token::One => at.is_some_and(|c| c != '/'),
                Token::Class { negated, ranges } => {
                    at.is_some_and(|c| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated)
                }
                _ => false,
            };
            if one {
                next[from + 1] = true;
            }
            match token {
                Token::Char(_) | Token::One | Token::Class { .. } => {}
                Token::Start => next[from] |= from == 0,
                Token::Star | Token::Folders | Token::Rest => {
                    // `*` stops before `/`; `.` (in `**`) stops before a newline.
                    let stop = if *token == Token::Star { '/' } else { '\n' };
                    let end = path[from..].iter().position(|&c| c == stop).map_or(path.len(), |i| from + i);
                    for to in from..=end {
                        let fits = match token {
                            Token::Folders => to == from || (to > from && path[to - 1] == '/'),
                            _ => true,
                        };
                        next[to] |= fits;
                    }
                }
            }
        }
        reach = next;
    }
    reach[path.len()]
}

/// Go's `filepath.Clean` on Unix.
fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            part => parts.push(part),
        }
    }
    match (rooted, parts.join("/")) {
        (true, joined) => format!("/{joined}"),
        (false, joined) if joined.is_empty() => ".".to_owned(),
        (false, joined) => joined,
    }
}

#[cfg(test)]
mod tests;
