//! A Compose `.env` file against the variables the release's Compose files interpolate: lines
//! Compose cannot read, required variables (`${NAME:?…}`) no file sets, and (as warnings, since
//! Compose ignores them) names the files never use, with the nearest.

use super::{Diagnostic, nearest};
use lamina_release_format::manifest::ComposeProject;
use std::collections::{BTreeMap, BTreeSet};

/// Every problem of `files` (name, text) as env files of `project`; `preset` names variables
/// already set in the environment, which Compose prefers to the files.
pub fn check(project: &ComposeProject, files: &[(String, String)], preset: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    // Each variable set, with whether its value is empty, and where.
    let mut set: BTreeMap<String, (bool, String, usize)> = BTreeMap::new();
    for (file, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let (start, trimmed) = (i + 1, lines[i].trim());
            i += 1;
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let entry = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            let Some(at) = entry.find(['=', ':']) else {
                let help = "write `NAME=value`, or start a comment with `#`";
                problems.push(Diagnostic::with_help(file, Some(start), "not a `NAME=value` line", help));
                continue;
            };
            let (name, value) = (entry[..at].trim(), entry[at + 1..].trim());
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !valid {
                let help = "names are letters, digits and `_`, not starting with a digit";
                problems.push(Diagnostic::with_help(
                    file,
                    Some(start),
                    format!("`{name}` is not a variable name"),
                    help,
                ));
                continue;
            }
            // A quoted value ends at its closing quote, on this line or (double quotes) a later one.
            let mut empty = value.is_empty() || value.starts_with('#');
            if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let mut rest = value[1..].to_owned();
                loop {
                    if let Some(end) = closing(&rest, quote) {
                        empty = end == 0;
                        break;
                    }
                    match lines.get(i).filter(|_| quote == '"') {
                        Some(next) => {
                            rest = format!("{rest}\n{next}");
                            i += 1;
                        }
                        None => break,
                    }
                }
                if closing(&rest, quote).is_none() {
                    let help = format!("close the value with {quote}");
                    let message = format!("`{name}`: the quoted value is not closed");
                    problems.push(Diagnostic::with_help(file, Some(start), message, help));
                    continue;
                }
            }
            if !project.variables.iter().any(|v| v.name == name) {
                let known = project.variables.iter().map(|v| v.name.as_str());
                let help = match nearest(name, known) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("remove it; the Compose files use: {}", all(project)),
                };
                // Compose ignores a variable no file uses.
                let message = format!("`{name}` is not used by the Compose files");
                problems.push(Diagnostic::with_help(file, Some(start), message, help).warning());
                continue;
            }
            set.insert(name.to_owned(), (empty, file.clone(), start));
        }
    }
    let first = files.first().map_or("(no env file)", |(f, _)| f.as_str());
    for v in project.variables.iter().filter(|v| v.required && !preset.contains(&v.name)) {
        match set.get(&v.name) {
            None => {
                let help = format!("add `{}=…` to the env file", v.name);
                problems.push(Diagnostic::with_help(
                    first,
                    None,
                    format!("required variable `{}` is not set", v.name),
                    help,
                ));
            }
            // `${NAME:?…}` refuses an empty value as well.
            Some((true, file, line)) => {
                let help = "give it a value: the Compose files require one";
                problems.push(Diagnostic::with_help(
                    file,
                    Some(*line),
                    format!("required variable `{}` is empty", v.name),
                    help,
                ));
            }
            Some(_) => {}
        }
    }
    problems
}

/// Where the quote closing `text` (the value after its opening `quote`) is; `\"` does not close
/// a double-quoted value.
fn closing(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn all(project: &ComposeProject) -> String {
    project.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::check;
    use lamina_release_format::manifest::{ComposeProject, ComposeVariable};
    use std::collections::BTreeSet;

    #[test]
    fn env_files_are_read_as_compose_reads_them() {
        let var = |name: &str, required| ComposeVariable { name: name.into(), required, default: None };
        let project = ComposeProject {
            files: vec!["compose.yaml".into()],
            images: Vec::new(),
            variables: vec![var("GRAFANA_ADMIN_PASSWORD", true), var("GRAFANA_PORT", false)],
        };
        let preset = BTreeSet::new();
        let run = |text: &str| -> Vec<String> {
            let files = [("lamina.env".to_owned(), text.to_owned())];
            check(&project, &files, &preset).iter().map(|p| p.to_string()).collect()
        };
        assert_eq!(run("# ok\nGRAFANA_ADMIN_PASSWORD='s3cret'\nexport GRAFANA_PORT=3001\n"), Vec::<String>::new());
        assert_eq!(run("GRAFANA_ADMIN_PASSWORD=\"s3\\\"cret\" # a note\nGRAFANA_PORT: 3001\n"), Vec::<String>::new());
        assert_eq!(
            run("GRAFANA_ADMIN_PASSWORD=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            run("GRAFANA_ADMIN_PASSWORD=\nGRAFANA_PORT=1\n"),
            [
                "lamina.env:1: required variable `GRAFANA_ADMIN_PASSWORD` is empty\n  help: give it a value: the Compose files require one"
            ]
        );
        let from_shell = BTreeSet::from(["GRAFANA_ADMIN_PASSWORD".to_owned()]);
        assert!(check(&project, &[("lamina.env".to_owned(), String::new())], &from_shell).is_empty());
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
