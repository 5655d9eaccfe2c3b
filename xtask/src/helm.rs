//! Helm's formats, without IO: Chart.yaml metadata, `.helmignore` rules, the repository index,
//! and versions as Helm orders them.

pub mod archive;
pub mod chart;
pub mod ignore;
pub mod index;
pub mod oci;
pub mod version;
mod yaml;

/// Go's `omitempty`: the values Helm leaves out when it writes metadata.
pub(crate) fn omitempty(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) => false,
    }
}
