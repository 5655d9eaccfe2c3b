//! A Compose bundle's deployment: the verified project (its images already pinned to the
//! release's digests) extracted into the working folder, then `docker compose up -d` with the
//! user's env files.

use super::{Plan, Staged};
use lamina_release_format::manifest::ComposeProject;
use std::path::PathBuf;

pub fn plan(
    program: Vec<String>,
    compose: &ComposeProject,
    tree: lamina_release_format::archive::Tree,
    env_files: &[PathBuf],
    workdir: PathBuf,
) -> Plan {
    let project = workdir.join("project");
    let mut command = program;
    command.extend(["--project-directory".to_owned(), project.display().to_string()]);
    for file in &compose.files {
        command.extend(["-f".to_owned(), project.join(file).display().to_string()]);
    }
    for file in env_files {
        command.extend(["--env-file".to_owned(), file.display().to_string()]);
    }
    command.extend(["up", "-d"].map(str::to_owned));
    Plan {
        workdir,
        staged: vec![Staged::Tree { tree, take: None, to: project }],
        commands: vec![command],
        confirm: None,
        target: None,
    }
}
