//! Terraform var files (`.tfvars`, HCL; `.tfvars.json`) against a module's variables as the
//! release records them: syntax, literal values only, unknown names (with the nearest), values
//! Terraform cannot convert to the variable's type, and required variables no file sets.

use super::{Diagnostic, nearest};
use crate::tftype;
use lamina_release_format::manifest::TerraformModule;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every problem of `files` (name, text) as var files of `module`; `preset` names variables
/// already set in the environment (`TF_VAR_name`).
pub fn check(module: &TerraformModule, files: &[(String, String)], preset: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut set = BTreeSet::new();
    let mut unreadable = false;
    for (file, text) in files {
        let (values, found) = parse(file, text);
        unreadable |= found.iter().any(|p| p.message.starts_with("not valid"));
        problems.extend(found);
        let json = file.ends_with(".json").then(|| json_key_lines(text));
        for (name, value) in values {
            let line = match &json {
                Some(lines) => lines.get(&name).copied(),
                None => line_of(text, &name),
            };
            let Some(variable) = module.variables.iter().find(|v| v.name == name) else {
                let known = module.variables.iter().map(|v| v.name.as_str());
                let help = match nearest(&name, known) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("remove it; the module's variables are: {}", names(module)),
                };
                // Terraform only warns about an undeclared variable in a var file.
                let message = format!("`{name}` is not a variable of module {}", module.path);
                problems.push(Diagnostic::with_help(file, line, message, help).warning());
                continue;
            };
            if value.is_null() && variable.required {
                let help = format!("give it a value of type {}", tftype::display(&variable.type_));
                problems.push(Diagnostic::with_help(
                    file,
                    line,
                    format!("`{name}` is required and cannot be null"),
                    help,
                ));
            } else if let Some(why) = tftype::mismatch(&value, &variable.type_) {
                let help = format!("give a value of type {}", tftype::display(&variable.type_));
                problems.push(Diagnostic::with_help(file, line, format!("`{name}`: {why}"), help));
            }
            set.insert(name);
        }
    }
    let first = files.first().map_or("(no var file)", |(f, _)| f.as_str());
    // What an unreadable file sets is unknown: no variable is reported missing then.
    let given = |name: &String| set.contains(name) || preset.contains(name);
    for v in module.variables.iter().filter(|v| v.required && !given(&v.name) && !unreadable) {
        let help = format!("add `{} = …` (type {}) to a var file", v.name, tftype::display(&v.type_));
        problems.push(Diagnostic::with_help(first, None, format!("required variable `{}` is not set", v.name), help));
    }
    problems
}

fn names(module: &TerraformModule) -> String {
    module.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// The `name = value` pairs of one var file that could be read, in order, and its problems.
fn parse(file: &str, text: &str) -> (Vec<(String, Value)>, Vec<Diagnostic>) {
    if file.ends_with(".json") {
        return match serde_json::from_str::<serde_json::Map<String, Value>>(text) {
            Ok(map) => (map.into_iter().collect(), Vec::new()),
            Err(e) => {
                let help = "a .tfvars.json file is one JSON object of variable names to values";
                (Vec::new(), vec![Diagnostic::with_help(file, Some(e.line()), format!("not valid JSON: {e}"), help)])
            }
        };
    }
    let body = match hcl::parse(text) {
        Ok(body) => body,
        Err(e) => {
            let line = match &e {
                hcl::Error::Parse(p) => Some(p.location().line()),
                _ => None,
            };
            let reason = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
            let help = "write one `name = value` per line";
            return (Vec::new(), vec![Diagnostic::with_help(file, line, format!("not valid HCL: {reason}"), help)]);
        }
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut problems = Vec::new();
    for block in body.blocks() {
        let help = "a var file holds only `name = value` lines";
        problems.push(Diagnostic::with_help(
            file,
            line_of(text, block.identifier()),
            format!("`{}` block", block.identifier()),
            help,
        ));
    }
    for attr in body.attributes() {
        let line = line_of(text, attr.key());
        if out.iter().any(|(k, _)| k == attr.key()) {
            let help = "keep one definition";
            problems.push(Diagnostic::with_help(file, line, format!("`{}` is defined twice", attr.key()), help));
            continue;
        }
        match literal(attr.expr()) {
            Some(value) => out.push((attr.key().to_owned(), value)),
            None => problems.push(Diagnostic::with_help(
                file,
                line,
                format!("`{}` is not a literal value", attr.key()),
                "var files take only literal values: no references, functions or interpolation",
            )),
        }
    }
    (out, problems)
}

/// A literal expression's value; `None` for references, calls and templates.
fn literal(expr: &hcl::Expression) -> Option<Value> {
    use hcl::Expression as E;
    Some(match expr {
        E::Null => Value::Null,
        E::Bool(b) => Value::Bool(*b),
        E::Number(n) => serde_json::to_value(n).ok()?,
        E::String(s) => Value::String(s.clone()),
        // A heredoc or quoted template is a plain string when nothing in it is interpolated.
        E::TemplateExpr(t) => {
            let text = match t.as_ref() {
                hcl::TemplateExpr::QuotedString(s) => s.clone(),
                hcl::TemplateExpr::Heredoc(h) => h.template.clone(),
            };
            let unescaped = text.replace("$${", "").replace("%%{", "");
            if unescaped.contains("${") || unescaped.contains("%{") {
                return None;
            }
            Value::String(text)
        }
        E::Array(items) => Value::Array(items.iter().map(literal).collect::<Option<_>>()?),
        E::Object(fields) => {
            let mut map = serde_json::Map::new();
            for (k, v) in fields.iter() {
                let key = match k {
                    hcl::ObjectKey::Identifier(id) => id.to_string(),
                    hcl::ObjectKey::Expression(E::String(s)) => s.clone(),
                    _ => return None,
                };
                map.insert(key, literal(v)?);
            }
            Value::Object(map)
        }
        _ => return None,
    })
}

/// The first line that starts by naming `key` (`key =`, `"key":`, `key {`).
pub fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix(key).or_else(|| l.strip_prefix(&format!("\"{key}\"")));
            rest.is_some_and(|r| r.trim_start().starts_with(['=', ':', '{']))
        })
        .map(|i| i + 1)
}

/// The line of each key of a JSON object's top level, as Terraform reports a `.tfvars.json`
/// value's place; a key written twice, its first line.
fn json_key_lines(text: &str) -> BTreeMap<String, usize> {
    let (mut depth, mut line, mut lines) = (0usize, 1usize, BTreeMap::new());
    // A string just read at the top level, with its line: a key when a `:` follows.
    let mut key: Option<(String, usize)> = None;
    let mut chars = text.char_indices();
    while let Some((start, c)) = chars.next() {
        match c {
            '"' => {
                let at = line;
                let mut end = text.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        '\n' => line += 1,
                        _ => {}
                    }
                }
                let top = depth == 1;
                key = top.then(|| serde_json::from_str::<String>(&text[start..end]).ok().map(|k| (k, at))).flatten();
                continue;
            }
            ':' => {
                if let Some((name, at)) = key.take() {
                    lines.entry(name).or_insert(at);
                }
            }
            '\n' => line += 1,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !c.is_whitespace() {
            key = None;
        }
    }
    lines
}

#[cfg(test)]
mod tests;
