//! `validate COMPONENT FILE…`: the user's own configuration checked against a release before
//! anything runs: Helm values against the chart's `values.schema.json`, Terraform var files
//! against the module's variables, a Compose `.env` against the variables the files need. Every
//! problem is reported at once, each with its file, line and fix.

pub mod env;
pub mod terraform;
pub mod values;

use crate::source::Source;
use anyhow::{Context, bail};
use lamina_release_format::manifest::{ComponentKind, ReleaseManifest};
pub use lamina_remote::diagnostic::Diagnostic;
use std::path::PathBuf;

/// What a component name stands for.
pub enum Target<'a> {
    Chart(&'a lamina_release_format::manifest::Chart),
    Module(&'a str, &'a lamina_release_format::manifest::TerraformModule),
    Compose(&'a str, &'a lamina_release_format::manifest::ComposeProject),
}

/// The component `name` names in `manifest`: a chart, a Terraform module (`BUNDLE/MODULE`, or
/// the bundle when it holds one module), or a Compose bundle; else an error with the nearest.
pub fn target<'a>(manifest: &'a ReleaseManifest, name: &str) -> anyhow::Result<Target<'a>> {
    let mut names = Vec::new();
    for chart in &manifest.charts {
        if chart.name == name {
            return Ok(Target::Chart(chart));
        }
        names.push(chart.name.clone());
    }
    for c in &manifest.components {
        match c.kind {
            ComponentKind::Terraform => {
                for m in &c.modules {
                    let full = format!("{}/{}", c.name, m.path);
                    if full == name || (c.name == name && c.modules.len() == 1) {
                        return Ok(Target::Module(&c.name, m));
                    }
                    names.push(full);
                }
            }
            ComponentKind::Compose => match &c.compose {
                Some(project) if c.name == name => return Ok(Target::Compose(&c.name, project)),
                _ => names.push(c.name.clone()),
            },
            _ => {}
        }
    }
    let near =
        nearest(name, names.iter().map(String::as_str)).map(|n| format!("did you mean `{n}`? ")).unwrap_or_default();
    bail!(
        "release {} has no chart, Terraform module or Compose bundle `{name}`; {near}it has: {}",
        manifest.version,
        names.join(", ")
    )
}

/// The candidate closest to `name`, when it is close enough to be a typo.
pub fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Runs `validate`.
pub fn validate(
    source: &Source,
    component: &str,
    files: &[PathBuf],
    version: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let release = source.release(version)?;
    let manifest = crate::trusted::verified(source, &release)?.manifest;
    let target = target(&manifest, component)?;
    let problems = check(source, &release, &manifest, &target, files)?;
    if json {
        let out = serde_json::json!({ "component": component, "version": manifest.version, "problems": problems });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
    }
    let errors = problems.iter().filter(|p| !p.warning).count();
    if errors > 0 {
        bail!(
            "{} problem(s) in the configuration for {component} {}; fix them and run `validate` again",
            errors,
            manifest.version
        );
    }
    if !json {
        println!("{} valid for {component} {}", files.len(), manifest.version);
    }
    Ok(())
}

/// The names of the variables this process's environment sets with `prefix` (`TF_VAR_` for
/// Terraform; none for Compose, which reads the shell's variables), where the tools find them too.
fn preset(prefix: &str) -> std::collections::BTreeSet<String> {
    #[allow(clippy::disallowed_methods)] // the user's environment is part of their configuration
    let vars = std::env::vars_os();
    vars.filter_map(|(k, _)| Some(k.into_string().ok()?.strip_prefix(prefix)?.to_owned())).collect()
}

/// The problems of the user's `files` against `target`.
pub fn check(
    source: &Source,
    release: &crate::github::Release,
    manifest: &ReleaseManifest,
    target: &Target<'_>,
    files: &[PathBuf],
) -> anyhow::Result<Vec<Diagnostic>> {
    let mut read = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| format!("read `{}`", path.display()))?;
        read.push((path.display().to_string(), text));
    }
    let files = read.as_slice();
    Ok(match target {
        Target::Module(_, module) => terraform::check(module, files, &preset("TF_VAR_")),
        Target::Compose(_, project) => env::check(project, files, &preset("")),
        Target::Chart(chart) => {
            let (_, tree) = crate::pull::archive(source, release, manifest, &chart.name, &Default::default())?;
            let (schema, defaults) = values::from_archive(&tree)?;
            // Without a schema, any values are the chart's to take; the files must still be YAML.
            let schema = schema.unwrap_or(serde_json::Value::Bool(true));
            values::check(&schema, &defaults, files)?
        }
    })
}
