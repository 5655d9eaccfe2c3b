//! Terraform type constraints as the release manifest records them (Terraform's JSON type
//! notation: `"string"`, `["list", T]`, `["object", {…}, [optional…]]`), shown the way they are
//! written in HCL.

use serde_json::Value;

/// `["map", "string"]` → `map(string)`, `"dynamic"` → `any`.
pub fn display(t: &Value) -> String {
    match t {
        Value::String(s) if s == "dynamic" => "any".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), &parts[1..]) {
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
