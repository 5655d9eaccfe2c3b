//! A Terraform module's deployment: the verified module copied into the working folder as
//! `module/`, a root module (`main.tf.json`, `variables.tf.json`, in Terraform's JSON syntax)
//! declaring the module's variables with their types and defaults and passing each through, then
//! `terraform init`, `plan` with the user's var files, and `apply` of that plan. The state stays
//! in the working folder, so deploying again changes only what changed.

use super::{Plan, Staged};
use crate::tftype;
use lamina_release_format::manifest::TerraformModule;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

pub fn plan(
    program: Vec<String>,
    module: &TerraformModule,
    tree: lamina_release_format::archive::Tree,
    var_files: &[PathBuf],
    workdir: PathBuf,
) -> anyhow::Result<Plan> {
    let (variables, main) = root(module);
    let take = Some(module.path.clone()).filter(|p| p != ".");
    let staged = vec![
        Staged::Tree { tree, take, to: workdir.join("module") },
        Staged::File { path: workdir.join("variables.tf.json"), bytes: pretty(&variables)?, shown: true },
        Staged::File { path: workdir.join("main.tf.json"), bytes: pretty(&main)?, shown: true },
    ];
    let chdir = format!("-chdir={}", workdir.display());
    let terraform = |args: &[&str]| -> Vec<String> {
        let mut command = program.clone();
        command.push(chdir.clone());
        command.extend(args.iter().map(|a| a.to_string()));
        command
    };
    let mut plan = terraform(&["plan", "-input=false", "-out=lamina.tfplan"]);
    plan.extend(var_files.iter().map(|f| format!("-var-file={}", f.display())));
    let commands =
        vec![terraform(&["init", "-input=false"]), plan, terraform(&["apply", "-input=false", "lamina.tfplan"])];
    Ok(Plan { workdir, staged, commands, confirm: Some(2), target: None })
}

/// `variables.tf.json` and `main.tf.json` of the root module calling `./module`.
pub fn root(module: &TerraformModule) -> (Value, Value) {
    let mut variables = Map::new();
    let mut call = Map::new();
    call.insert("source".to_owned(), "./module".into());
    for v in &module.variables {
        let mut declared = Map::new();
        declared.insert("type".to_owned(), tftype::display(&v.type_).into());
        if !v.required {
            declared.insert("default".to_owned(), v.default.clone().unwrap_or(Value::Null));
        }
        if v.sensitive {
            declared.insert("sensitive".to_owned(), true.into());
        }
        if let Some(d) = &v.description {
            declared.insert("description".to_owned(), d.clone().into());
        }
        variables.insert(v.name.clone(), Value::Object(declared));
        call.insert(v.name.clone(), format!("${{var.{}}}", v.name).into());
    }
    let variables = if variables.is_empty() { json!({}) } else { json!({ "variable": variables }) };
    (variables, json!({ "module": { "lamina": call } }))
}

fn pretty(value: &Value) -> anyhow::Result<Vec<u8>> {
    Ok((serde_json::to_string_pretty(value)? + "\n").into_bytes())
}
