//! A small YAML writer for JSON-shaped data in the style Helm's `sigs.k8s.io/yaml` produces:
//! keys sorted, list items at their key's indentation, and strings double-quoted wherever a
//! YAML reader could take them for a number, a boolean, null or a timestamp.

use serde_json::{Map, Value};

/// Writes `map` as a block mapping at `indent` spaces.
pub fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar_string(key));
        out.push(':');
        write_value(out, &map[key.as_str()], indent, false);
    }
}

/// The part after `key:` (or after `-`): inline scalars, nested blocks on the next lines.
fn write_value(out: &mut String, value: &Value, indent: usize, in_seq: bool) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, indent + 2);
        }
        // Sequences under a mapping key sit at the key's own indentation, as Go's writer does.
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, if in_seq { indent + 2 } else { indent });
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key goes on the dash's line: render at indent + 2, then put the dash in.
                let mut block = String::new();
                write_map(&mut block, m, indent + 2);
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&block[indent + 2..]);
            }
            other => {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                write_value(out, other, indent, true);
            }
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string plain when that reads back as the same string, else JSON-quoted (valid YAML).
pub fn scalar_string(s: &str) -> String {
    if is_plain(s) { s.to_owned() } else { serde_json::to_string(s).unwrap_or_default() }
}

fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_whitespace() || s.ends_with(char::is_whitespace) || s.ends_with(':') {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || s.contains(": ") || s.contains(" #") || s.chars().any(char::is_control)
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let special = ["~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", ".nan"];
    if special.contains(&lower.as_str()) {
        return false;
    }
    !(looks_numeric(s) || looks_like_time(s))
}

/// Integers, floats, hex/octal and YAML 1.1 sexagesimal numbers.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    t.parse::<f64>().is_ok()
        || t.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
        || t.strip_prefix("0o").is_some_and(|o| !o.is_empty() && o.chars().all(|c| c.is_digit(8)))
        || (t.contains(':') && t.split(':').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.')))
        || (t.contains('_') && t.replace('_', "").parse::<f64>().is_ok())
}

/// `YYYY-MM-DD…`, which YAML 1.1 reads as a timestamp.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        for plain in ["0.3.0", "lamina-core", "https://example.com/a.tgz", "v2", "a b", "1.2.3-rc.1"] {
            assert_eq!(scalar_string(plain), plain);
        }
        for quoted in
            ["1.0", "1", "true", "No", "", " x", "2026-01-15T12:00:00Z", "a: b", "#x", "-x", "1:20", "0x1F", "null"]
        {
            assert!(scalar_string(quoted).starts_with('"'), "{quoted}");
        }
    }

    #[test]
    fn layout_matches_helm() {
        let value: Value = serde_json::json!({"entries": {"demo": [{"version": "1.0.0", "urls": ["u"], "name": "demo", "maintainers": [{"name": "A"}]}]}, "apiVersion": "v1", "generated": "2026-01-15T12:00:00Z"});
        let mut out = String::new();
        write_map(&mut out, value.as_object().unwrap(), 0);
        assert_eq!(
            out,
            "apiVersion: v1\nentries:\n  demo:\n  - maintainers:\n    - name: A\n    name: demo\n    urls:\n    - u\n    version: 1.0.0\ngenerated: \"2026-01-15T12:00:00Z\"\n"
        );
    }
}
