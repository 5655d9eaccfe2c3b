//! What a release's components need and take, read from the files shipped (never from a hand-kept
//! list): each Terraform module's `required_version`, providers and variables (HCL, parsed),
//! each Compose bundle's images and interpolated variables, and the release images a chart's
//! `values.yaml` deploys. The manifest records them; `lamina-infra` checks against them.

use anyhow::{Context, bail};
use hcl::{Expression, ObjectKey};
use lamina_release_format::archive::Entry;
use lamina_release_format::manifest::{
    ChartImage, ComposeImage, ComposeProject, ComposeVariable, Provider, TerraformModule, Variable,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The regular files of a `.tar.gz` / `.tgz` that are text, paths without their top folder, read
/// by the release format's one archive reader.
pub fn archive_files(archive: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let bytes = std::fs::read(archive).with_context(|| format!("read `{}`", archive.display()))?;
    let tree = lamina_release_format::archive::read(&bytes, None, &Default::default())
        .with_context(|| format!("`{}`", archive.display()))?;
    let text = |(path, entry): (&std::path::PathBuf, &Entry)| match entry {
        Entry::File { bytes, .. } => Some((path.to_str()?.to_owned(), String::from_utf8(bytes.clone()).ok()?)),
        _ => None,
    };
    Ok(tree.entries.iter().filter_map(text).collect())
}

/// Every module (folder holding `.tf` files) of a Terraform bundle.
pub fn terraform(files: &[(String, String)]) -> anyhow::Result<Vec<TerraformModule>> {
    let mut modules: BTreeMap<String, TerraformModule> = BTreeMap::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".tf")) {
        let folder = path.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        let module = modules.entry(folder.clone()).or_insert_with(|| TerraformModule {
            path: if folder.is_empty() { ".".to_owned() } else { folder },
            required_version: None,
            providers: Vec::new(),
            variables: Vec::new(),
        });
        let body = hcl::parse(text).with_context(|| format!("`{path}` is not valid HCL"))?;
        for block in body.blocks() {
            match block.identifier() {
                "terraform" => settings(block.body(), module).with_context(|| format!("`{path}`: terraform block"))?,
                "variable" => {
                    let name = block.labels().first().map(|l| l.as_str().to_owned()).unwrap_or_default();
                    let variable =
                        variable(&name, block.body()).with_context(|| format!("`{path}`: variable `{name}`"))?;
                    module.variables.push(variable);
                }
                _ => {}
            }
        }
    }
    Ok(modules.into_values().collect())
}

fn settings(body: &hcl::Body, module: &mut TerraformModule) -> anyhow::Result<()> {
    for attr in body.attributes().filter(|a| a.key() == "required_version") {
        module.required_version = Some(string(attr.expr()).context("required_version is not a string")?);
    }
    for block in body.blocks().filter(|b| b.identifier() == "required_providers") {
        for attr in block.body().attributes() {
            let (source, version) = match attr.expr() {
                Expression::Object(fields) => {
                    let field = |name: &str| {
                        fields.iter().find(|(k, _)| key(k).as_deref() == Some(name)).and_then(|(_, v)| string(v))
                    };
                    (field("source"), field("version"))
                }
                other => (None, string(other)),
            };
            module.providers.push(Provider { name: attr.key().to_owned(), source, version });
        }
    }
    Ok(())
}

fn variable(name: &str, body: &hcl::Body) -> anyhow::Result<Variable> {
    let attr = |key: &str| body.attributes().find(|a| a.key() == key).map(|a| a.expr().clone());
    let type_ = match attr("type") {
        Some(expr) => type_json(&expr)?,
        None => json!("dynamic"),
    };
    let default = attr("default").map(|e| serde_json::to_value(hcl::Value::from(e))).transpose()?;
    Ok(Variable {
        name: name.to_owned(),
        type_,
        required: default.is_none(),
        default: default.filter(|d| !d.is_null()),
        sensitive: matches!(attr("sensitive"), Some(Expression::Bool(true))),
        description: attr("description").as_ref().and_then(string),
    })
}

/// A type constraint in Terraform's JSON type notation.
pub fn type_json(expr: &Expression) -> anyhow::Result<Value> {
    Ok(match expr {
        Expression::Variable(v) => match v.as_str() {
            primitive @ ("string" | "number" | "bool") => json!(primitive),
            "any" => json!("dynamic"),
            other => bail!("`{other}` is not a type"),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            match (name, call.args.as_slice()) {
                ("list" | "set" | "map", [inner]) => json!([name, type_json(inner)?]),
                ("tuple", [Expression::Array(items)]) => {
                    json!(["tuple", items.iter().map(type_json).collect::<anyhow::Result<Vec<_>>>()?])
                }
                ("object", [Expression::Object(fields)]) => {
                    let (mut attrs, mut optional) = (serde_json::Map::new(), Vec::new());
                    for (k, v) in fields.iter() {
                        let k = key(k).context("an object type's attribute name is not a name")?;
                        let t = match v {
                            Expression::FuncCall(f) if f.name.name.as_str() == "optional" => {
                                optional.push(k.clone());
                                type_json(f.args.first().context("optional() without a type")?)?
                            }
                            other => type_json(other)?,
                        };
                        attrs.insert(k, t);
                    }
                    match optional.is_empty() {
                        true => json!(["object", attrs]),
                        false => json!(["object", attrs, optional]),
                    }
                }
                _ => bail!("`{name}(…)` is not a type constructor Terraform knows"),
            }
        }
        _ => bail!("the type is not a type expression"),
    })
}

fn key(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Identifier(id) => Some(id.to_string()),
        ObjectKey::Expression(e) => string(e),
        _ => None,
    }
}

fn string(e: &Expression) -> Option<String> {
    match e {
        Expression::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The Compose files of a bundle (`compose.yaml`, `docker-compose.yml`, …) as shipped.
pub fn compose(files: &[(String, String)]) -> anyhow::Result<ComposeProject> {
    let mut project = ComposeProject { files: Vec::new(), images: Vec::new(), variables: Vec::new() };
    let mut variables: BTreeMap<String, ComposeVariable> = BTreeMap::new();
    for (path, text) in files.iter().filter(|(p, _)| crate::validate::is_compose_file(p)) {
        let doc: serde_norway::Value =
            serde_norway::from_str(text).with_context(|| format!("`{path}` is not a YAML document"))?;
        project.files.push(path.clone());
        let services = doc.get("services").and_then(|s| s.as_mapping()).into_iter().flatten();
        for (service, spec) in services {
            let service = service.as_str().unwrap_or_default().to_owned();
            let volumes = spec.get("volumes").and_then(|v| v.as_sequence()).into_iter().flatten();
            let image_volumes = volumes.filter(|v| v.get("type").and_then(|t| t.as_str()) == Some("image"));
            let images = spec.get("image").into_iter().chain(image_volumes.filter_map(|v| v.get("source")));
            for image in images.filter_map(|i| i.as_str()) {
                let used = ComposeImage { service: service.clone(), image: image.to_owned() };
                if !project.images.contains(&used) {
                    project.images.push(used);
                }
            }
        }
        strings(&doc, &mut |s| interpolated(s, &mut variables));
    }
    project.variables = variables.into_values().collect();
    Ok(project)
}

/// Calls `f` with every string, key or value, in `value`.
fn strings(value: &serde_norway::Value, f: &mut dyn FnMut(&str)) {
    match value {
        serde_norway::Value::String(s) => f(s),
        serde_norway::Value::Sequence(items) => items.iter().for_each(|v| strings(v, f)),
        serde_norway::Value::Mapping(m) => m.iter().for_each(|(k, v)| {
            strings(k, f);
            strings(v, f);
        }),
        serde_norway::Value::Tagged(t) => strings(&t.value, f),
        _ => {}
    }
}

/// Records every variable `text` interpolates (Compose: `$NAME`, `${NAME}`, `${NAME:-default}`,
/// `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`; `$$` is a `$`).
pub fn interpolated(text: &str, found: &mut BTreeMap<String, ComposeVariable>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let start = i + 2;
                let (mut depth, mut end) = (1, start);
                while end < bytes.len() && depth > 0 {
                    match bytes[end] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    end += 1;
                }
                // Without its closing brace, the rest of the text is the expression.
                let inner = if depth == 0 { &text[start..end - 1] } else { &text[start..] };
                let name_len = inner.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
                let (name, rest) = inner.split_at(name_len);
                let (required, default) = match rest {
                    r if r.starts_with(":?") || r.starts_with('?') => (true, None),
                    r if r.starts_with(":-") => (false, Some(&r[2..])),
                    r if r.starts_with('-') => (false, Some(&r[1..])),
                    _ => (false, None),
                };
                record(found, name, required, default);
                if let Some(nested) = rest.get(1..) {
                    interpolated(nested, found);
                }
                i = end;
            }
            _ => {
                let name_len = text[i + 1..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
                record(found, &text[i + 1..i + 1 + name_len], false, None);
                i += 1 + name_len;
            }
        }
    }
}

fn record(found: &mut BTreeMap<String, ComposeVariable>, name: &str, required: bool, default: Option<&str>) {
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return;
    }
    let entry = found.entry(name.to_owned()).or_insert_with(|| ComposeVariable {
        name: name.to_owned(),
        required: false,
        default: None,
    });
    entry.required |= required;
    if entry.default.is_none() {
        entry.default = default.filter(|d| !d.contains('$')).map(str::to_owned);
    }
}

/// A release image: its name, the repositories files may name it by (where it is pushed first),
/// its digest.
pub struct Known<'a> {
    pub name: &'a str,
    pub repositories: Vec<&'a str>,
    pub digest: Option<&'a str>,
}

/// The mappings of a chart's `values.yaml` whose `repository` is one of `images`.
pub fn chart_images(values: &str, images: &[Known<'_>]) -> anyhow::Result<Vec<ChartImage>> {
    let doc: serde_norway::Value = serde_norway::from_str(values).context("values.yaml is not a YAML document")?;
    let mut found = Vec::new();
    walk(&doc, "", images, &mut found);
    Ok(found)
}

fn walk(value: &serde_norway::Value, at: &str, images: &[Known<'_>], found: &mut Vec<ChartImage>) {
    let Some(mapping) = value.as_mapping() else { return };
    if let Some(repository) = mapping.get("repository").and_then(|r| r.as_str())
        && let Some(image) = images.iter().find(|i| i.repositories.contains(&repository))
    {
        found.push(ChartImage {
            name: image.name.to_owned(),
            values: at.to_owned(),
            repository: image.repositories.first().copied().unwrap_or(repository).to_owned(),
            digest: image.digest.map(str::to_owned),
        });
    }
    for (k, v) in mapping {
        if let Some(k) = k.as_str() {
            let path = if at.is_empty() { k.to_owned() } else { format!("{at}.{k}") };
            walk(v, &path, images, found);
        }
    }
}

#[cfg(test)]
mod tests;
