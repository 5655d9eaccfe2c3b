//! Chart.yaml: the fields the pipeline reads, and Helm's rules for them (Helm, "Charts").

use serde::Deserialize;

/// The parts of Chart.yaml the pipeline uses; the whole document is kept as `raw`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartMeta {
    pub api_version: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub app_version: Option<String>,
    pub chart_type: Option<String>,
    pub dependencies: Vec<Dependency>,
    pub maintainers: Vec<Maintainer>,
    /// Chart.yaml as JSON, for the OCI config blob and index entries.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dependency {
    pub name: Option<String>,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Maintainer {
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    api_version: Option<Scalar>,
    name: Option<Scalar>,
    version: Option<Scalar>,
    app_version: Option<Scalar>,
    #[serde(rename = "type")]
    chart_type: Option<Scalar>,
    #[serde(default)]
    dependencies: Option<Vec<Option<Dependency>>>,
    #[serde(default)]
    maintainers: Option<Vec<Option<Maintainer>>>,
}

/// YAML reads `1.0` as a number; Helm reads these fields as strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Num(serde_norway::Number),
    Bool(bool),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Str(s) => s,
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Parses Chart.yaml; the error is the YAML parser's message with its line.
pub fn parse(text: &str) -> Result<ChartMeta, (Option<usize>, String)> {
    let located = |e: serde_norway::Error| (e.location().map(|l| l.line()), e.to_string());
    let raw: Raw = serde_norway::from_str(text).map_err(located)?;
    let json: serde_json::Value = serde_norway::from_str(text).map_err(located)?;
    if !json.is_object() {
        return Err((Some(1), "Chart.yaml is not a mapping of keys to values".to_owned()));
    }
    let nulls =
        |n: usize, what: &str| (Some(1), format!("`{what}` has {n} empty entr{}", if n == 1 { "y" } else { "ies" }));
    let deps = raw.dependencies.unwrap_or_default();
    let maintainers = raw.maintainers.unwrap_or_default();
    let empty_deps = deps.iter().filter(|d| d.is_none()).count();
    if empty_deps > 0 {
        return Err(nulls(empty_deps, "dependencies"));
    }
    let empty_maintainers = maintainers.iter().filter(|m| m.is_none()).count();
    if empty_maintainers > 0 {
        return Err(nulls(empty_maintainers, "maintainers"));
    }
    Ok(ChartMeta {
        api_version: raw.api_version.map(Scalar::text),
        name: raw.name.map(Scalar::text),
        version: raw.version.map(Scalar::text),
        app_version: raw.app_version.map(Scalar::text),
        chart_type: raw.chart_type.map(Scalar::text),
        dependencies: deps.into_iter().flatten().collect(),
        maintainers: maintainers.into_iter().flatten().collect(),
        raw: json,
    })
}

/// One broken rule: the Chart.yaml key it concerns, the message and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub message: String,
    pub help: String,
}

/// Helm's rules for a chart in directory `dir_name`, plus ours: `version` and `appVersion`
/// equal the release version.
pub fn check(meta: &ChartMeta, dir_name: &str, release: &semver::Version) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut problem = |key, message: String, help: &str| out.push(Problem { key, message, help: help.to_owned() });
    match meta.api_version.as_deref() {
        Some("v2") => {}
        Some("v1") => problem("apiVersion", "apiVersion `v1` is Helm 2's format".into(), "set `apiVersion: v2`"),
        Some(other) => {
            problem("apiVersion", format!("apiVersion `{other}` is not one Helm packages"), "set `apiVersion: v2`")
        }
        None => problem("apiVersion", "apiVersion is missing".into(), "add `apiVersion: v2`"),
    }
    match meta.name.as_deref() {
        None | Some("") => problem("name", "name is missing".into(), "add `name:` with the chart's name"),
        Some(name @ ("." | "..")) => {
            problem("name", format!("name `{name}` is not a chart name"), "use the chart's directory name")
        }
        Some(name) if name.contains('/') || name.contains('\\') => problem(
            "name",
            format!("name `{name}` contains a path separator"),
            "use a plain name such as `lamina-core`",
        ),
        Some(name) if name != dir_name => problem(
            "name",
            format!("name `{name}` differs from its directory `{dir_name}`"),
            "Helm's lint requires them to match: rename the directory or the chart",
        ),
        Some(_) => {}
    }
    let want = release.to_string();
    match meta.version.as_deref() {
        None | Some("") => problem("version", "version is missing".into(), &format!("add `version: {want}`")),
        Some(v) => match semver::Version::parse(v) {
            Err(e) => {
                problem("version", format!("version `{v}` is not SemVer 2: {e}"), &format!("set `version: {want}`"))
            }
            Ok(parsed) if parsed != *release => problem(
                "version",
                format!("version `{v}` differs from the release version `{want}`"),
                "run `cargo xtask bump VERSION` to move every version together",
            ),
            Ok(_) => {}
        },
    }
    match meta.app_version.as_deref() {
        Some(v) if v == want => {}
        Some(v) => problem(
            "appVersion",
            format!("appVersion `{v}` differs from the release version `{want}`"),
            "run `cargo xtask bump VERSION` to move every version together",
        ),
        None => problem("appVersion", "appVersion is missing".into(), &format!("add `appVersion: \"{want}\"`")),
    }
    match meta.chart_type.as_deref() {
        None | Some("" | "application" | "library") => {}
        Some(other) => problem(
            "type",
            format!("type `{other}` is not `application` or `library`"),
            "set `type: application` or `type: library`",
        ),
    }
    for (i, m) in meta.maintainers.iter().enumerate() {
        if m.name.as_deref().is_none_or(str::is_empty) {
            problem("maintainers", format!("maintainer {} has no name", i + 1), "give every maintainer a `name`");
        }
    }
    let mut seen = Vec::new();
    for d in &meta.dependencies {
        let Some(name) = d.name.as_deref().filter(|n| !n.is_empty()) else {
            problem("dependencies", "a dependency has no name".into(), "give every dependency a `name`");
            continue;
        };
        let key = d.alias.as_deref().unwrap_or(name);
        if let Some(alias) = &d.alias
            && !alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problem(
                "dependencies",
                format!("dependency alias `{alias}` has characters Helm refuses"),
                "use letters, digits, `_` and `-`",
            );
        }
        if seen.contains(&key) {
            problem("dependencies", format!("dependency `{key}` is declared twice"), "give one of them an `alias`");
        }
        seen.push(key);
    }
    out
}

/// Line of a top-level `key:` in a YAML text, for messages.
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))).map(|i| i + 1)
}
