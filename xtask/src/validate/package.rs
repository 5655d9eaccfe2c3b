//! `[[package]]` entries: a tracked Cargo package of that name, at the release version, with a
//! binary of that name; for a wheel, a tracked `pyproject.toml` that ships it as a binary.

use crate::config::{FILE as CONFIG, PackageConfig};
use crate::workspace::Workspace;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};

pub fn check(ws: &Workspace, p: &PackageConfig) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let manifest = format!("{}/Cargo.toml", p.path);
    if !ws.repo.is_tracked(&manifest) {
        diags.push(
            Diagnostic::new(CONFIG, Some(p.line), format!("package `{}`: `{manifest}` is not tracked by git", p.name))
                .help("point `path` at the folder of a committed Cargo package"),
        );
        return diags;
    }
    let text = ws.read(&manifest).unwrap_or_default();
    let doc: toml_edit::DocumentMut = match text.parse() {
        Ok(doc) => doc,
        Err(e) => {
            diags.push(Diagnostic::new(&manifest, None, format!("invalid TOML: {}", e.message().trim_end())));
            return diags;
        }
    };
    let field = |key: &str| doc.get("package").and_then(|t| t.get(key)).and_then(|v| v.as_str()).map(str::to_owned);
    if field("name").as_deref() != Some(p.name.as_str()) {
        diags.push(
            Diagnostic::new(
                CONFIG,
                Some(p.line),
                format!("package `{}`: `{manifest}` names the package {:?}", p.name, field("name").unwrap_or_default()),
            )
            .help("set `name` to the Cargo package's name"),
        );
    }
    let release = ws.config.version.to_string();
    if field("version").as_deref() != Some(release.as_str()) {
        let line = text.lines().position(|l| l.trim_start().starts_with("version")).map(|i| i + 1);
        diags.push(
            Diagnostic::new(
                &manifest,
                line,
                format!(
                    "package `{}` is at version {:?}, the release at {release}",
                    p.name,
                    field("version").unwrap_or_default()
                ),
            )
            .help("`cargo xtask bump VERSION` moves both; or set `version` in [package] to the release version"),
        );
    }
    if p.wheel {
        let pyproject = format!("{}/pyproject.toml", p.path);
        let bin = ws
            .read(&pyproject)
            .ok()
            .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
            .and_then(|d| d.get("tool")?.get("maturin")?.get("bindings")?.as_str().map(str::to_owned));
        if !ws.repo.is_tracked(&pyproject) || bin.as_deref() != Some("bin") {
            diags.push(
                Diagnostic::new(
                    CONFIG,
                    Some(p.line),
                    format!("package `{}`: `{pyproject}` is missing or does not set `[tool.maturin] bindings = \"bin\"`", p.name),
                )
                .help("add a committed pyproject.toml with `build-backend = \"maturin\"` and `bindings = \"bin\"`, or set `wheel = false`"),
            );
        }
    }
    diags
}
