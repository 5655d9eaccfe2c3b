//! `compat --from A --to B`: what upgrading from release A to release B changes, read from the two
//! manifests: chart versions, image digests, Terraform module variables (added, removed, retyped,
//! new defaults), Compose variables newly required. A change that can break a deployment made with
//! A's configuration is marked breaking.

use crate::source::Source;
use crate::tftype;
use lamina_release_format::manifest::{ComponentKind, ReleaseManifest, TerraformModule};
use serde::Serialize;
use std::collections::BTreeMap;

/// One difference between the releases.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub component: String,
    pub change: String,
    pub breaking: bool,
}

/// Runs `compat --from A --to B`.
pub fn upgrade(source: &Source, from: &str, to: &str, json: bool) -> anyhow::Result<()> {
    let manifest = |version: &str| -> anyhow::Result<ReleaseManifest> {
        let release = source.release(Some(version))?;
        Ok(crate::trusted::verified(source, &release)?.manifest)
    };
    let (a, b) = (manifest(from)?, manifest(to)?);
    let changes = diff(&a, &b);
    let breaking = changes.iter().filter(|c| c.breaking).count();
    if json {
        let out = serde_json::json!({ "from": a.version, "to": b.version, "breaking": breaking, "changes": changes });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let rows: Vec<[String; 3]> = changes
        .iter()
        .map(|c| [c.component.clone(), c.change.clone(), if c.breaking { "BREAKING" } else { "" }.to_owned()])
        .collect();
    print!("{}", super::render(&["COMPONENT", "CHANGE", "BREAKING"], &rows));
    println!("{} → {}: {} changes, {breaking} breaking", a.version, b.version, changes.len());
    Ok(())
}

/// Every difference from `a` to `b`, in manifest order.
pub fn diff(a: &ReleaseManifest, b: &ReleaseManifest) -> Vec<Change> {
    let mut out = Vec::new();
    let mut say = |component: String, change: String, breaking: bool| out.push(Change { component, change, breaking });
    for (name, (old, new)) in pairs(&a.charts, &b.charts, |c| c.name.clone()) {
        let component = format!("chart {name}");
        match (old, new) {
            (Some(old), Some(new)) => {
                if old.version != new.version {
                    let major = |v: &str| crate::constraint::parse_version(v).map(|t| t.0);
                    let breaking = major(&old.version) != major(&new.version);
                    say(component.clone(), format!("version {} → {}", old.version, new.version), breaking);
                }
                if old.kube_version != new.kube_version {
                    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(any)".to_owned());
                    let change = format!("kubeVersion {} → {}", show(&old.kube_version), show(&new.kube_version));
                    say(component, change, false);
                }
            }
            (Some(old), None) => say(component, format!("removed (was {})", old.version), true),
            (None, Some(new)) => say(component, format!("added at {}", new.version), false),
            (None, None) => {}
        }
    }
    for (name, (old, new)) in pairs(&a.images, &b.images, |i| i.name.clone()) {
        let component = format!("image {name}");
        let digest = |d: &Option<String>| d.clone().unwrap_or_else(|| "(not built)".to_owned());
        match (old, new) {
            (Some(old), Some(new)) if old.digest != new.digest => {
                say(component, format!("digest {} → {}", digest(&old.digest), digest(&new.digest)), false);
            }
            (Some(_), None) => say(component, "removed".to_owned(), false),
            (None, Some(new)) => say(component, format!("added at {}", digest(&new.digest)), false),
            _ => {}
        }
    }
    let modules = |m: &ReleaseManifest| -> Vec<(String, TerraformModule)> {
        let terraform = m.components.iter().filter(|c| c.kind == ComponentKind::Terraform);
        terraform.flat_map(|c| c.modules.iter().map(move |m| (format!("{} {}", c.name, m.path), m.clone()))).collect()
    };
    let (old_modules, new_modules) = (modules(a), modules(b));
    for (component, (old, new)) in pairs(&old_modules, &new_modules, |(k, _)| k.clone()) {
        match (old, new) {
            (Some((_, old)), Some((_, new))) => module(&component, old, new, &mut say),
            (Some(_), None) => say(component, "module removed".to_owned(), true),
            (None, Some(_)) => say(component, "module added".to_owned(), false),
            (None, None) => {}
        }
    }
    let compose = |m: &ReleaseManifest| -> Vec<(String, lamina_release_format::manifest::ComposeProject)> {
        m.components.iter().filter_map(|c| Some((c.name.clone(), c.compose.clone()?))).collect()
    };
    let (old_compose, new_compose) = (compose(a), compose(b));
    for (component, (old, new)) in pairs(&old_compose, &new_compose, |(k, _)| k.clone()) {
        let (Some((_, old)), Some((_, new))) = (old, new) else { continue };
        let required = |p: &lamina_release_format::manifest::ComposeProject, name: &str| {
            p.variables.iter().any(|v| v.name == name && v.required)
        };
        for v in new.variables.iter().filter(|v| v.required && !required(old, &v.name)) {
            say(component.clone(), format!("variable {} is now required: set it in the .env file", v.name), true);
        }
    }
    out
}

fn module(component: &str, old: &TerraformModule, new: &TerraformModule, say: &mut dyn FnMut(String, String, bool)) {
    if old.required_version != new.required_version {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(any)".to_owned());
        let change = format!("required_version {} → {}", show(&old.required_version), show(&new.required_version));
        say(component.to_owned(), change, false);
    }
    for (name, (was, now)) in pairs(&old.variables, &new.variables, |v| v.name.clone()) {
        let c = component.to_owned();
        match (was, now) {
            (None, Some(v)) if v.required => say(c, format!("variable {name} added, required: set it"), true),
            (None, Some(v)) => say(c, format!("variable {name} added ({})", tftype::display(&v.type_)), false),
            (Some(_), None) => say(c, format!("variable {name} removed: drop it from your var files"), true),
            (Some(was), Some(now)) => {
                let show = |d: &Option<serde_json::Value>| d.as_ref().map_or("null".to_owned(), |d| d.to_string());
                let default = (was.default != now.default && !now.required)
                    .then(|| format!("default {} → {}", show(&was.default), show(&now.default)));
                if was.type_ != now.type_ {
                    let (from, to) = (tftype::display(&was.type_), tftype::display(&now.type_));
                    let also = default.map(|d| format!(", {d}")).unwrap_or_default();
                    say(c.clone(), format!("variable {name} type {from} → {to}{also}"), true);
                } else if let Some(default) = default {
                    say(c.clone(), format!("variable {name} {default}"), false);
                }
                if !was.required && now.required {
                    say(c, format!("variable {name} is now required: set it"), true);
                }
            }
            (None, None) => {}
        }
    }
}

/// An item of the old release and the same item of the new, when each has it.
type Pair<'a, T> = (Option<&'a T>, Option<&'a T>);

/// The items of `a` and `b` matched by `key`, in the order first seen.
fn pairs<'a, T>(a: &'a [T], b: &'a [T], key: impl Fn(&T) -> String) -> Vec<(String, Pair<'a, T>)> {
    let mut order = Vec::new();
    let mut map: BTreeMap<String, Pair<'a, T>> = BTreeMap::new();
    for item in a {
        let k = key(item);
        order.push(k.clone());
        map.entry(k).or_default().0 = Some(item);
    }
    for item in b {
        let k = key(item);
        if !map.contains_key(&k) {
            order.push(k.clone());
        }
        map.entry(k).or_default().1 = Some(item);
    }
    order.into_iter().filter_map(|k| map.remove(&k).map(|v| (k, v))).collect()
}
