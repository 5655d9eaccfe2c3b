//! A static module registry for OpenTofu (which reads the download endpoint's JSON `location`
//! body; HashiCorp Terraform needs an `X-Terraform-Get` header that a static site cannot set, so
//! it uses the module pages instead): service discovery at `/.well-known/terraform.json`, each
//! module's version list, and each version's download answer, as the module registry protocol
//! documents them.

use super::view::Release;
use super::{File, Site};
use serde_json::json;
use std::collections::BTreeMap;

/// Where the protocol's module endpoints live on the site.
pub const MODULES_V1: &str = "v1/modules";

/// The registry's files: discovery, and each module's version list and download answers over
/// `releases`, the catalog's views of them (so releases from before the registry was turned on are served too; answers that
/// did not change are rewritten with the same bytes). Nothing when the site serves no registry.
pub fn registry(site: &Site, releases: &[Release]) -> anyhow::Result<Vec<File>> {
    let Some(registry) = site.registry else { return Ok(Vec::new()) };
    let at = |name: &str| format!("{MODULES_V1}/{}/{name}/{}", registry.namespace, registry.system);
    let mut out =
        vec![(".well-known/terraform.json".to_owned(), json(&json!({ "modules.v1": format!("/{MODULES_V1}/") }))?)];
    let mut versions: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for release in releases {
        for module in release.modules.iter().filter(|m| super::is_module_name(&m.name)) {
            versions.entry(module.name.clone()).or_default().push(&release.version);
            let answer = json(&json!({ "location": module.get }))?;
            out.push((format!("{}/{}/download", at(&module.name), release.version), answer));
        }
    }
    for (name, list) in &versions {
        let body =
            json!({ "modules": [{ "versions": list.iter().map(|v| json!({ "version": v })).collect::<Vec<_>>() }] });
        out.push((format!("{}/versions", at(name)), json(&body)?));
    }
    Ok(out)
}

fn json(value: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}
