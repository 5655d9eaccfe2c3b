//! A Compose `.env` file against the variables the release's Compose files interpolate: lines
//! Compose cannot read, required variables (`${NAME:?…}`) no file sets, and (as warnings, since
//! Compose ignores them) names the files never use, with the nearest.

use super::{Problem, nearest};
use lamina_release_format::manifest::ComposeProject;
use std::collections::BTreeSet;

/// Every problem of `files` (name, text) as env files of `project`.
pub fn check(project: &ComposeProject, files: &[(String, String)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut set = BTreeSet::new();
    for (file, text) in files {
        for (i, raw) in text.lines().enumerate() {
            let line = Some(i + 1);
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let entry = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            let Some((name, value)) = entry.split_once('=') else {
                problems.push(Problem::new(
                    file,
                    line,
                    "not a `NAME=value` line",
                    "write `NAME=value`, or start a comment with `#`",
                ));
                continue;
            };
            let name = name.trim();
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                let help = "names are letters, digits and `_`, not starting with a digit";
                problems.push(Problem::new(file, line, format!("`{name}` is not a variable name"), help));
                continue;
            }
            let value = value.trim();
            if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'')
                && (value.len() < 2 || !value.ends_with(quote))
            {
                let help = format!("close the value with {quote}");
                problems.push(Problem::new(file, line, format!("`{name}`: the quoted value is not closed"), help));
                continue;
            }
            if !project.variables.iter().any(|v| v.name == name) {
                let known = project.variables.iter().map(|v| v.name.as_str());
                let help = match nearest(name, known) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("remove it; the Compose files use: {}", all(project)),
                };
                // Compose ignores a variable no file uses.
                let message = format!("`{name}` is not used by the Compose files");
                problems.push(Problem::new(file, line, message, help).warning());
                continue;
            }
            set.insert(name.to_owned());
        }
    }
    let first = files.first().map_or("(no env file)", |(f, _)| f.as_str());
    for v in project.variables.iter().filter(|v| v.required && !set.contains(&v.name)) {
        let help = format!("add `{}=…` to the env file", v.name);
        problems.push(Problem::new(first, None, format!("required variable `{}` is not set", v.name), help));
    }
    problems
}

fn all(project: &ComposeProject) -> String {
    project.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::check;
    use lamina_release_format::manifest::{ComposeProject, ComposeVariable};

    #[test]
    fn env_files_are_read_as_compose_reads_them() {
        let var = |name: &str, required| ComposeVariable { name: name.into(), required, default: None };
        let project = ComposeProject {
            files: vec!["compose.yaml".into()],
            images: Vec::new(),
            variables: vec![var("GRAFANA_ADMIN_PASSWORD", true), var("GRAFANA_PORT", false)],
        };
        let run = |text: &str| -> Vec<String> {
            check(&project, &[("lamina.env".to_owned(), text.to_owned())]).iter().map(|p| p.to_string()).collect()
        };
        assert_eq!(run("# ok\nGRAFANA_ADMIN_PASSWORD='s3cret'\nexport GRAFANA_PORT=3001\n"), Vec::<String>::new());
        assert_eq!(
            run("GRAFANA_PROT=3001\nnot a line\n9LIVES=1\nGRAFANA_PORT=\"3001\n"),
            [
                "lamina.env:1: warning: `GRAFANA_PROT` is not used by the Compose files\n  help: did you mean `GRAFANA_PORT`?",
                "lamina.env:2: not a `NAME=value` line\n  help: write `NAME=value`, or start a comment with `#`",
                "lamina.env:3: `9LIVES` is not a variable name\n  help: names are letters, digits and `_`, not starting with a digit",
                "lamina.env:4: `GRAFANA_PORT`: the quoted value is not closed\n  help: close the value with \"",
                "lamina.env: required variable `GRAFANA_ADMIN_PASSWORD` is not set\n  help: add `GRAFANA_ADMIN_PASSWORD=…` to the env file",
            ]
        );
    }
}
