//! The legacy upload API's form (PyPI's "Upload API" documentation, as twine sends it): one
//! `multipart/form-data` POST per file with `:action=file_upload`, `protocol_version=1`, the
//! core metadata fields, `filetype`, `pyversion`, `sha256_digest`, and the file last as
//! [`FILE_PART`]. Which fields, in which order; the upload encodes them with reqwest's multipart.

use super::dist::{self, Metadata};

/// The form field that carries the file, after every text field, under its own file name.
pub const FILE_PART: &str = "content";
/// The file part's content type.
pub const FILE_TYPE: &str = "application/octet-stream";

/// The form's text fields for `filename`, in order (repeated fields repeat).
pub fn fields(filename: &str, sha256: &str, metadata: &Metadata) -> anyhow::Result<Vec<(String, String)>> {
    let (filetype, pyversion) = dist::kind(filename)?;
    let mut out =
        vec![(":action".to_owned(), "file_upload".to_owned()), ("protocol_version".to_owned(), "1".to_owned())];
    for (key, value) in &metadata.fields {
        let mut field = key.to_ascii_lowercase().replace('-', "_");
        if field == "metadata_version" || field == "name" || field == "version" {
            continue;
        }
        // Multiple-use fields the API names in the plural.
        match field.as_str() {
            "classifier" => field = "classifiers".to_owned(),
            "project_url" => field = "project_urls".to_owned(),
            _ => {}
        }
        out.push((field, value.clone()));
    }
    let required = |key: &str| {
        metadata.get(key).map(str::to_owned).ok_or_else(|| {
            lamina_remote::hint::fail(
                format!("the metadata of `{filename}` has no `{key}` field"),
                "build the file with maturin; its metadata names the project and version",
            )
        })
    };
    let name: String =
        required("Name")?.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect();
    let head = [
        ("name", name),
        ("version", required("Version")?),
        ("metadata_version", required("Metadata-Version")?),
        ("filetype", filetype.to_owned()),
        ("pyversion", pyversion),
        ("sha256_digest", sha256.to_owned()),
    ];
    let at = 2;
    for (i, (k, v)) in head.into_iter().enumerate() {
        out.insert(at + i, (k.to_owned(), v));
    }
    if let Some(body) = &metadata.body
        && metadata.get("Description").is_none()
    {
        out.push(("description".to_owned(), body.clone()));
    }
    Ok(out)
}
