//! Helm values files against a chart's `values.schema.json`, as Helm checks them: the files are
//! merged over the chart's own `values.yaml` (maps deeply, later files winning, `null` removing a
//! key) and the result is validated; each problem is traced back to the file and line that set it.

use super::Diagnostic;
use anyhow::Context;
use serde_json::Value;

/// The chart's `values.schema.json` (when it has one) and `values.yaml`, from its checked archive.
pub fn from_archive(tree: &lamina_release_format::archive::Tree) -> anyhow::Result<(Option<Value>, Value)> {
    let schema = match tree.file("values.schema.json") {
        Some(text) => Some(serde_json::from_slice(text).context("the chart's values.schema.json is not JSON")?),
        None => None,
    };
    let defaults = match tree.file("values.yaml") {
        Some(text) => serde_norway::from_slice(text).context("the chart's values.yaml is not YAML")?,
        None => Value::Null,
    };
    Ok((schema, defaults))
}

/// Every problem of `files` (name, YAML text) merged over `defaults`, against `schema`.
pub fn check(schema: &Value, defaults: &Value, files: &[(String, String)]) -> anyhow::Result<Vec<Diagnostic>> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| anyhow::format_err!("{e}"))
        .context("the chart's values.schema.json is not a JSON Schema")?;
    let mut problems = Vec::new();
    let mut merged = defaults.clone();
    let mut parsed = Vec::new();
    for (file, text) in files {
        match serde_norway::from_str::<Value>(text) {
            Ok(Value::Null) => parsed.push((file, text, Value::Null)),
            Ok(value @ Value::Object(_)) => {
                coalesce(&mut merged, &value);
                parsed.push((file, text, value));
            }
            Ok(_) => problems.push(Diagnostic::with_help(
                file,
                Some(1),
                "not a map of values",
                "a values file is a YAML mapping",
            )),
            Err(e) => {
                let line = e.location().map(|l| l.line());
                problems.push(Diagnostic::with_help(file, line, format!("not valid YAML: {e}"), "fix the YAML syntax"));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(problems);
    }
    for error in validator.iter_errors(&merged) {
        let pointer = error.instance_path().as_str().to_owned();
        let mut path: Vec<String> =
            pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
        // An unexpected key is found on its own line.
        if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } = error.kind()
            && let [one] = unexpected.as_slice()
        {
            path.push(one.clone());
        }
        let shown = if path.is_empty() { "(top level)".to_owned() } else { path.join(".") };
        // The last file that sets the value, else the last file.
        let setter = parsed.iter().rev().find(|(_, _, v)| get(v, &path).is_some()).or(parsed.last());
        let (file, line) = match setter {
            Some((file, text, _)) => (file.as_str(), yaml_line(text, &path)),
            None => ("(no values file)", None),
        };
        let help = "change it to what the chart's values.schema.json allows (`helm show values` lists the defaults)";
        // The masked message leaves the value out: it may be a secret.
        problems.push(Diagnostic::with_help(file, line, format!("`{shown}`: {}", error.masked()), help));
    }
    Ok(problems)
}

/// Helm's coalescing of `over` onto `base`: maps merge deeply, anything else replaces, null
/// removes the key.
pub fn coalesce(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (k, v) in over {
                match (base.get_mut(k), v) {
                    (_, Value::Null) => drop(base.remove(k)),
                    (Some(b @ Value::Object(_)), Value::Object(_)) => coalesce(b, v),
                    _ => drop(base.insert(k.clone(), v.clone())),
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(items) => items.get(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// The line of the block-style YAML `text` that sets `path` (or its deepest part found).
pub fn yaml_line(text: &str, path: &[String]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let (mut from, mut parent, mut found) = (0usize, None::<usize>, None);
    // The line of the list item entered last: its first key sits on the `- ` line itself.
    let mut item = None;
    for seg in path {
        let index = seg.parse::<usize>().ok();
        let mut seen = 0;
        let mut hit = None;
        for (i, l) in lines.iter().enumerate().skip(from) {
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = indent_of(l);
            let sibling_item = index.is_some() && trimmed.starts_with('-') && parent == Some(indent);
            if item != Some(i) && parent.is_some_and(|p| indent <= p) && !sibling_item {
                break;
            }
            let matched = match index {
                Some(n) if trimmed.starts_with('-') => {
                    seen += 1;
                    seen == n + 1
                }
                Some(_) => false,
                None => {
                    let key = trimmed.trim_start_matches("- ");
                    key.strip_prefix(seg.as_str())
                        .or_else(|| key.strip_prefix(&format!("\"{seg}\"")))
                        .is_some_and(|r| r.starts_with(':'))
                }
            };
            if matched {
                hit = Some((i, indent));
                break;
            }
        }
        let Some((i, indent)) = hit else { break };
        found = Some(i + 1);
        (from, parent, item) = match index {
            Some(_) => (i, Some(indent), Some(i)),
            None => (i + 1, Some(indent), None),
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::yaml_line;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn lines_of_nested_keys_and_list_items() {
        let text = "# values\nreplicaCount: 2\nimage:\n  repository: x\n  tag: \"1\"\nports:\n  - name: http\n    port: 80\n  - name: metrics\n    port: abc\nother:\n  tag: 2\n";
        assert_eq!(yaml_line(text, &path("replicaCount")), Some(2));
        assert_eq!(yaml_line(text, &path("image.tag")), Some(5));
        assert_eq!(yaml_line(text, &path("other.tag")), Some(12));
        assert_eq!(yaml_line(text, &path("ports.1.port")), Some(10));
        assert_eq!(yaml_line(text, &path("image.missing")), Some(3));
    }
}
