//! Terraform type constraints as the release manifest records them (Terraform's JSON type
//! notation: `"string"`, `["list", T]`, `["object", {…}, [optional…]]`), shown the way they are
//! written in HCL.

use serde_json::Value;

/// `["map", "string"]` → `map(string)`, `"dynamic"` → `any`.
pub fn display(t: &Value) -> String {
    match t {
        Value::String(s) if s == "dynamic" => "any".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1..).unwrap_or_default()) {
            (Some(kind @ ("list" | "set" | "map")), [inner]) => format!("{kind}({})", display(inner)),
            (Some("tuple"), [Value::Array(items)]) => {
                format!("tuple([{}])", items.iter().map(display).collect::<Vec<_>>().join(", "))
            }
            (Some("object"), [Value::Object(attrs), rest @ ..]) => {
                let optional: Vec<&str> =
                    rest.first().and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
                let fields: Vec<String> = attrs
                    .iter()
                    .map(|(k, v)| match optional.contains(&k.as_str()) {
                        true => format!("{k} = optional({})", display(v)),
                        false => format!("{k} = {}", display(v)),
                    })
                    .collect();
                format!("object({{{}}})", fields.join(", "))
            }
            _ => t.to_string(),
        },
        other => other.to_string(),
    }
}

/// Why Terraform cannot convert `value` to type `t` (as it converts an input variable's value),
/// or `None` when it can. Null is accepted for any type.
pub fn mismatch(value: &Value, t: &Value) -> Option<String> {
    let expected = || format!("expected {}, found {}", display(t), kind(value));
    match (t, value) {
        (_, Value::Null) => None,
        (Value::String(s), _) if s == "dynamic" => None,
        (Value::String(s), v) => match (s.as_str(), v) {
            ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => None,
            ("number", Value::Number(_)) | ("bool", Value::Bool(_)) => None,
            ("number", Value::String(text)) if text.trim().parse::<f64>().is_ok() => None,
            ("bool", Value::String(text)) if text == "true" || text == "false" => None,
            _ => Some(expected()),
        },
        (Value::Array(parts), v) => {
            let (Some(kind), rest) = (parts.first().and_then(Value::as_str), parts.get(1..).unwrap_or_default()) else {
                return None;
            };
            match (kind, rest, v) {
                ("list" | "set", [inner], Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| mismatch(item, inner).map(|why| format!("element {i}: {why}"))),
                ("map", [inner], Value::Object(entries)) => {
                    entries.iter().find_map(|(k, item)| mismatch(item, inner).map(|why| format!("key \"{k}\": {why}")))
                }
                ("tuple", [Value::Array(types)], Value::Array(items)) if types.len() == items.len() => items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .find_map(|(i, (item, t))| mismatch(item, t).map(|why| format!("element {i}: {why}"))),
                ("object", [Value::Object(attrs), rest @ ..], Value::Object(given)) => {
                    let optional: Vec<&str> = rest
                        .first()
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    attrs.iter().find_map(|(name, t)| match given.get(name) {
                        None if !optional.contains(&name.as_str()) => Some(format!("attribute \"{name}\" is required")),
                        None => None,
                        Some(item) => mismatch(item, t).map(|why| format!("attribute \"{name}\": {why}")),
                    })
                }
                _ => Some(expected()),
            }
        }
        _ => None,
    }
}

/// What kind of value `v` is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::{display, mismatch};
    use serde_json::json;

    #[test]
    fn types_display_as_written_in_hcl() {
        let t = json!(["list", ["object", {"name": "string", "size": "number"}, ["size"]]]);
        assert_eq!(display(&t), "list(object({name = string, size = optional(number)}))");
        assert_eq!(display(&json!(["tuple", ["string", "dynamic"]])), "tuple([string, any])");
    }

    #[test]
    fn values_convert_as_terraform_converts_them() {
        let object = json!(["object", {"name": "string", "size": "number"}, ["size"]]);
        let cases = [
            (json!("x"), json!("string"), None),
            (json!(3), json!("string"), None),
            (json!("3"), json!("number"), None),
            (json!("three"), json!("number"), Some("expected number, found a string")),
            (json!("true"), json!("bool"), None),
            (json!(["a"]), json!("string"), Some("expected string, found a list")),
            (json!({"a": "x"}), json!(["map", "string"]), None),
            (json!({"a": ["x"]}), json!(["map", "string"]), Some("key \"a\": expected string, found a list")),
            (json!([1, "x"]), json!(["list", "number"]), Some("element 1: expected number, found a string")),
            (json!({"name": "a"}), object.clone(), None),
            (json!({"size": 1}), object.clone(), Some("attribute \"name\" is required")),
            (json!({"name": "a", "size": "big"}), object, Some("attribute \"size\": expected number, found a string")),
            (json!(["a", true]), json!(["tuple", ["string", "bool"]]), None),
            (json!(null), json!("number"), None),
        ];
        for (value, t, expected) in cases {
            assert_eq!(mismatch(&value, &t).as_deref(), expected, "{value} as {t}");
        }
    }
}
