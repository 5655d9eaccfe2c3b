//! A chart's deployment: `helm upgrade --install` of the verified archive with a values file
//! pinning every image the chart deploys to the release's digest, then the user's values files,
//! which may point the images elsewhere (a mirror holding the same digests) and so come last.
//! The cluster it goes to (kube context, namespace, release) is said before, and asked about.

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
    context: Option<&str>,
    workdir: PathBuf,
) -> anyhow::Result<Plan> {
    let archive_path = workdir.join(&chart.file);
    let mut command = program;
    let name = opts.release_name.clone().unwrap_or_else(|| chart.name.clone());
    command.extend(["upgrade", "--install", &name].map(str::to_owned));
    command.push(archive_path.display().to_string());
    command.extend(["--namespace", &opts.namespace, "--create-namespace"].map(str::to_owned));
    if let Some(context) = context {
        command.extend(["--kube-context".to_owned(), context.to_owned()]);
    }
    let mut staged = vec![Staged::File { path: archive_path, bytes: archive, shown: false }];
    if let Some(pinned) = pinned(chart)? {
        let path = workdir.join("pinned-values.yaml");
        command.extend(["-f".to_owned(), path.display().to_string()]);
        staged.push(Staged::File { path, bytes: pinned.into_bytes(), shown: true });
    }
    for file in values {
        command.extend(["-f".to_owned(), file.display().to_string()]);
    }
    let context = context.map_or_else(|| "(none set in your kubeconfig)".to_owned(), |c| format!("`{c}`"));
    let target = format!("kube context {context}, namespace `{}`, release `{name}`", opts.namespace);
    Ok(Plan { workdir, staged, commands: vec![command], confirm: Some(0), target: Some(target) })
}

/// The kube context a chart goes to, as helm picks it: `--kube-context`, else
/// `HELM_KUBECONTEXT`, else the kubeconfig's current one. It is then given to helm and kubectl
/// alike, so both reach the cluster the user was shown. Helm's own variables that point it at
/// another API server are said.
#[allow(clippy::disallowed_methods)] // helm's variables, as helm reads them
pub fn context(given: Option<&str>) -> Option<String> {
    for name in ["HELM_KUBEAPISERVER", "HELM_KUBETOKEN"] {
        if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
            eprintln!("warning: {name} is set: helm uses it, whatever the kube context shown");
        }
    }
    let helm = std::env::var("HELM_KUBECONTEXT").ok().filter(|c| !c.is_empty());
    given.map(str::to_owned).or(helm).or_else(current_context)
}

/// The `current-context` of the first kubeconfig file that sets one, in `KUBECONFIG`'s order
/// (else `~/.kube/config`), as kubectl merges them.
fn current_context() -> Option<String> {
    #[allow(clippy::disallowed_methods)] // KUBECONFIG names the files, as for helm and kubectl
    let files: Vec<PathBuf> = match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list).collect(),
        None => dirs::home_dir().map(|home| home.join(".kube").join("config")).into_iter().collect(),
    };
    files.iter().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        let config: Value = serde_norway::from_str(&text).ok()?;
        config.get("current-context")?.as_str().filter(|c| !c.is_empty()).map(str::to_owned)
    })
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
