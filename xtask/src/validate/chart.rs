//! Chart checks: Chart.yaml by Helm's rules and ours, `values.yaml`, `values.schema.json`, and
//! chart names unique across the release.

use crate::config::FILE as CONFIG;
use crate::helm::chart;
use crate::workspace::Workspace;
use lamina_remote::diagnostic::{Diagnostic, Diagnostics};

pub fn check_all(ws: &Workspace) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut names: Vec<(&str, usize)> = Vec::new();
    for (config, source) in ws.config.charts.iter().zip(&ws.charts) {
        let file = format!("{}/Chart.yaml", config.path);
        let text = ws.read(&file).unwrap_or_default();
        let dir_name = config.path.rsplit('/').next().unwrap_or(&config.path);
        for p in chart::check(&source.meta, dir_name, &ws.config.version) {
            diags.push(Diagnostic::new(file.as_str(), chart::key_line(&text, p.key), p.message).help(p.help));
        }
        if let Some(name) = source.meta.name.as_deref() {
            match names.iter().find(|(n, _)| *n == name) {
                Some((_, first)) => diags.push(
                    Diagnostic::new(
                        CONFIG,
                        Some(config.line),
                        format!("chart name `{name}` is also used by the chart at line {first}"),
                    )
                    .help("two charts of one release need different names"),
                ),
                None => names.push((name, config.line)),
            }
        }
        let values = format!("{}/values.yaml", config.path);
        if ws.repo.is_tracked(&values)
            && let Err(e) = serde_norway::from_str::<serde_norway::Value>(&ws.read(&values).unwrap_or_default())
        {
            diags.push(
                Diagnostic::new(values.as_str(), e.location().map(|l| l.line()), format!("invalid YAML: {e}"))
                    .help("fix the YAML syntax"),
            );
        }
        let schema = format!("{}/values.schema.json", config.path);
        if ws.repo.is_tracked(&schema)
            && let Err(e) = serde_json::from_str::<serde_json::Value>(&ws.read(&schema).unwrap_or_default())
        {
            diags.push(
                Diagnostic::new(schema.as_str(), Some(e.line()), format!("invalid JSON: {e}"))
                    .help("Helm refuses to package a chart whose schema is not JSON"),
            );
        }
    }
    diags
}
