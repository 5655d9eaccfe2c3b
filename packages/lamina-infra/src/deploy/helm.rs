//! A chart's deployment: `helm upgrade --install` of the verified archive with a values file
//! pinning every image the chart deploys to the release's digest, then the user's values files,
//! which may point the images elsewhere (a mirror holding the same digests) and so come last.

use super::{Plan, Staged};
use crate::cli::Deploy;
use lamina_release_format::manifest::Chart;
use serde_json::{Map, Value};
use std::path::PathBuf;

pub fn plan(
    program: Vec<String>,
    chart: &Chart,
    archive: Vec<u8>,
    values: &[PathBuf],
    opts: &Deploy,
    workdir: PathBuf,
) -> anyhow::Result<Plan> {
    let archive_path = workdir.join(&chart.file);
    let mut command = program;
    let name = opts.release_name.clone().unwrap_or_else(|| chart.name.clone());
    command.extend(["upgrade", "--install", &name].map(str::to_owned));
    command.push(archive_path.display().to_string());
    command.extend(["--namespace", &opts.namespace, "--create-namespace"].map(str::to_owned));
    let mut staged = vec![Staged::File { path: archive_path, bytes: archive, shown: false }];
    if let Some(pinned) = pinned(chart)? {
        let path = workdir.join("pinned-values.yaml");
        command.extend(["-f".to_owned(), path.display().to_string()]);
        staged.push(Staged::File { path, bytes: pinned.into_bytes(), shown: true });
    }
    for file in values {
        command.extend(["-f".to_owned(), file.display().to_string()]);
    }
    Ok(Plan { workdir, staged, commands: vec![command], confirm: None })
}

/// The values that pin the chart's images to the release's digests (`None`: nothing to pin).
pub fn pinned(chart: &Chart) -> anyhow::Result<Option<String>> {
    let mut root = Map::new();
    for image in &chart.images {
        let Some(digest) = &image.digest else { continue };
        let mut at = &mut root;
        for key in image.values.split('.').filter(|k| !k.is_empty()) {
            let next = at.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            at = next.as_object_mut().expect("made an object above");
        }
        at.insert("repository".to_owned(), image.repository.clone().into());
        at.insert("digest".to_owned(), digest.clone().into());
    }
    if root.is_empty() {
        return Ok(None);
    }
    let header = format!("# The images of chart {} {}, pinned to the release's digests.\n", chart.name, chart.version);
    Ok(Some(header + &serde_norway::to_string(&Value::Object(root))?))
}
