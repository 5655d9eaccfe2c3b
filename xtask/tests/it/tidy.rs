//! Repository invariants: module docs, no cycles between modules, documented keys, the README and
//! CI entry points, and workflows that pass zizmor and the workflow schema.

use crate::support::workspace_root;

/// Every Rust module opens with a `//!` line saying what it owns.
#[test]
fn every_module_has_a_doc_line() {
    let root = workspace_root();
    let mut missing = Vec::new();
    let crates = [root.join("xtask"), root.join("xtask-dev"), root.join("packages")];
    for entry in crates.iter().flat_map(|c| walkdir::WalkDir::new(c).into_iter().filter_map(Result::ok)) {
        let path = entry.path();
        let skip = path.components().any(|c| c.as_os_str() == "fixtures" || c.as_os_str() == "target");
        if skip || path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        if !text.starts_with("//!") {
            missing.push(path.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(missing.is_empty(), "modules without a `//!` line: {missing:?}");
}

/// The top-level modules of each crate depend on each other one way only: no module reaches,
/// through any others, a module that reaches it (`lib.rs` and `main.rs` dispatch to all of them).
#[test]
fn no_module_cycles() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = workspace_root();
    let mut crates = vec![root.join("xtask/src"), root.join("xtask-dev/src")];
    let packages = std::fs::read_dir(root.join("packages")).unwrap().map(|e| e.unwrap().path().join("src"));
    crates.extend(packages.filter(|p| p.is_dir()));
    let mut cycles = Vec::new();
    for src in &crates {
        let files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(src)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| p.strip_prefix(src).unwrap().to_owned())
            .collect();
        // `src/foo.rs` and everything under `src/foo/` are module `foo`.
        let module = |file: &std::path::Path| {
            let first = file.components().next().unwrap().as_os_str().to_string_lossy();
            first.strip_suffix(".rs").unwrap_or(&first).to_owned()
        };
        let mut modules: BTreeSet<String> = files.iter().map(|f| module(f)).collect();
        modules.retain(|m| m != "lib" && m != "main");
        // `from → to`, with the first file of `from` that names `to`.
        let mut edges = BTreeMap::new();
        for file in &files {
            let from = module(file);
            let text = std::fs::read_to_string(src.join(file)).unwrap();
            for to in named_modules(&text, file.components().count() == 1) {
                if modules.contains(&from) && modules.contains(to) && to != from {
                    edges.entry((from.clone(), to.to_owned())).or_insert_with(|| file.display().to_string());
                }
            }
        }
        let reach = |from: &str| {
            let (mut seen, mut todo) = (BTreeSet::new(), vec![from.to_owned()]);
            while let Some(m) = todo.pop() {
                todo.extend(edges.keys().filter(|(a, b)| *a == m && seen.insert(b.clone())).map(|(_, b)| b.clone()));
            }
            seen
        };
        let mut reported = BTreeSet::new();
        for m in &modules {
            if reported.contains(m) || !reach(m).contains(m) {
                continue;
            }
            let cycle: BTreeSet<String> = reach(m).into_iter().filter(|o| reach(o).contains(m)).collect();
            let within = edges.iter().filter(|((a, b), _)| cycle.contains(a) && cycle.contains(b));
            let how: Vec<String> = within.map(|((a, b), file)| format!("{a} → {b} ({file})")).collect();
            cycles.push(format!("{}: {}", src.strip_prefix(&root).unwrap().display(), how.join(", ")));
            reported.extend(cycle);
        }
    }
    assert!(cycles.is_empty(), "top-level modules that depend on each other:\n{}", cycles.join("\n"));
}

/// The top-level modules `text` names: `crate::m`, each item of `crate::{a, b::c}`, and, in a
/// top-level file (whose `super` is the crate root), the same after `super::`.
fn named_modules(text: &str, top_level: bool) -> Vec<&str> {
    fn ident(s: &str) -> &str {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")
    }
    let prefixes: &[&str] = if top_level { &["crate::", "super::"] } else { &["crate::"] };
    let mut names = Vec::new();
    for prefix in prefixes {
        for (i, _) in text.match_indices(prefix) {
            if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue; // `other_crate::`
            }
            let rest = &text[i + prefix.len()..];
            let Some(group) = rest.strip_prefix('{') else {
                names.push(ident(rest));
                continue;
            };
            let (mut depth, mut item_starts) = (0, true);
            for (j, c) in group.char_indices() {
                match c {
                    '}' if depth == 0 => break,
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_starts = true,
                    c if item_starts && !c.is_whitespace() => {
                        names.push(ident(&group[j..]));
                        item_starts = false;
                    }
                    _ => {}
                }
            }
        }
    }
    names
}

/// `docs/release-toml.md` documents every key `release.toml` accepts.
#[test]
fn every_config_key_is_documented() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/release-toml.md")).unwrap();
    let config = std::fs::read_to_string(workspace_root().join("xtask/src/config/schema.rs")).unwrap();
    let keys: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("field(\""))
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert!(keys.len() > 10);
    let undocumented: Vec<&&str> = keys.iter().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(undocumented.is_empty(), "keys missing from docs/release-toml.md: {undocumented:?}");
}

/// The README starts with the two commands a newcomer runs.
#[test]
fn readme_starts_with_the_two_commands() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let head: String = readme.lines().take(25).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo xtask dry-run") && head.contains("cargo xtask test"), "{head}");
}

/// `.ci/run` is `cargo xtask test` and nothing cleverer.
#[test]
fn ci_runs_cargo_xtask_test() {
    let ci = std::fs::read_to_string(workspace_root().join(".ci/run")).unwrap();
    let commands: Vec<&str> =
        ci.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("set ")).collect();
    assert_eq!(commands, ["cargo xtask test"]);
}

/// Every repository path a comment, message or document names exists, and nothing points outside
/// the repository: the code and docs cite the project's own files, or upstream docs by title.
#[test]
fn every_named_repository_file_exists() {
    let root = workspace_root();
    let listing = std::process::Command::new("git").args(["ls-files", "-z"]).current_dir(&root).output().unwrap();
    let tracked: Vec<String> =
        String::from_utf8(listing.stdout).unwrap().split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    let scanned = tracked.iter().filter(|p| {
        let text_file = [".rs", ".md", ".toml", ".yml", ".yaml", ".py"].iter().any(|x| p.ends_with(x));
        let own_text =
            p.starts_with("xtask/src/") || p.starts_with("docs/") || p.starts_with(".github/") || !p.contains('/');
        text_file && own_text && !p.ends_with("tests.rs")
    });
    let mut broken = Vec::new();
    for file in scanned {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        // `uses: docker/setup-buildx-action@v3` names an action, not a file.
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.contains("uses:")) {
            for token in line.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c))) {
                let token = token.trim_end_matches('.');
                if let Some(problem) = named_path_problem(token, &root, &tracked) {
                    broken.push(format!("{file}:{}: `{token}` {problem}", n + 1));
                }
            }
        }
    }
    assert!(broken.is_empty(), "names of files that are not in the repository:\n{}", broken.join("\n"));
}

/// Why `token` is a bad reference to a repository file, or `None` when it is fine or no path.
fn named_path_problem(token: &str, root: &std::path::Path, tracked: &[String]) -> Option<&'static str> {
    // The project's own files must exist as named; in the infrastructure folders an example
    // file may be named, but the component holding it must exist.
    const OWN: &[&str] = &["docs/", "xtask/", "xtask-dev/", "packages/", ".github/", ".ci/"];
    const COMPONENTS: &[&str] = &["charts/", "infra/", "docker/", "terraform/"];
    if token.starts_with("../") {
        return Some("leaves the repository");
    }
    if OWN.iter().any(|t| token.starts_with(t)) {
        return (!root.join(token).exists()).then_some("does not exist");
    }
    if COMPONENTS.iter().any(|t| token.starts_with(t)) {
        let component: Vec<&str> = token.split('/').take(2).collect();
        return (!root.join(component.join("/")).exists()).then_some("names a component that does not exist");
    }
    // A bare document name: some tracked file must carry it.
    if token.ends_with(".md") && !token.contains("://") {
        let name = token.rsplit('/').next().unwrap_or(token);
        let known = tracked.iter().any(|p| p == token || p.rsplit('/').next() == Some(name));
        return (!known).then_some("is not a file of this repository");
    }
    None
}

/// The binary that holds the release token links no test server: the GitHub fake, the registry
/// runner and their HTTP server live in `xtask-dev`, which `xtask` only uses in its tests.
#[test]
fn the_release_binary_links_no_test_tooling() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["tree", "--offline", "--locked", "-p", "xtask", "-e", "normal", "--prefix", "none"])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.contains("octocrab"), "the tree lists the release path's dependencies:\n{tree}");
    for banned in ["axum ", "xtask-dev "] {
        assert!(!tree.lines().any(|l| l.starts_with(banned)), "`xtask` links {banned}:\n{tree}");
    }
}

/// `cargo xtask` (the `xtask` binary), `xtask-dev` (which `cargo xtask test` runs) and
/// `cargo test --workspace` turn on the same features in every dependency they share, so a fresh
/// clone compiles the dependency tree once for all three (cargo unifies features per command;
/// xtask/Cargo.toml lists the ones the others add). A crate compiled both for build scripts and
/// for the program is two builds, each with its own features: each must be one the tests make.
#[test]
fn one_dependency_build_serves_every_command() {
    type Builds = std::collections::BTreeMap<String, std::collections::BTreeSet<Vec<String>>>;
    let builds = |selection: &[&str]| -> Builds {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = std::process::Command::new(cargo)
            .args(["tree", "--offline", "--locked", "--prefix", "none", "-f", "{p}|{f}"])
            .args(selection)
            .current_dir(workspace_root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut crates = Builds::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let Some((package, list)) =
                line.replace(" (*)", "").split_once('|').map(|(p, f)| (p.to_owned(), f.to_owned()))
            else {
                continue;
            };
            let mut features: Vec<String> =
                list.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect();
            features.sort();
            crates.entry(package.trim().to_owned()).or_default().insert(features);
        }
        crates
    };
    let tests = builds(&["--workspace", "-e", "normal,build,dev"]);
    for (member, selection) in [("xtask", ["-p", "xtask"]), ("xtask-dev", ["-p", "xtask-dev"])] {
        let built = builds(&[&selection[..], &["-e", "normal,build"]].concat());
        let differ: Vec<String> = built
            .iter()
            .filter(|(package, _)| !package.starts_with("xtask") && !package.starts_with("lamina-"))
            .filter_map(|(package, sets)| Some((package, sets, tests.get(package)?)))
            .flat_map(|(package, sets, wanted)| {
                sets.difference(wanted)
                    .map(move |on| format!("{package}: built with [{}], the tests build {wanted:?}", on.join(",")))
            })
            .collect();
        assert!(
            differ.is_empty(),
            "`{member}` compiles these dependencies with other features than the tests; add the \
             missing ones to xtask/Cargo.toml's list:\n{}",
            differ.join("\n")
        );
    }
}

/// Every test `docs/reliability.md` names as proof of a guarantee exists.
#[test]
fn every_test_named_in_the_guarantees_exists() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/reliability.md")).unwrap();
    let tests = workspace_root().join("xtask/tests/it");
    let mut named = 0;
    let mut missing = Vec::new();
    for cell in doc.split('`').skip(1).step_by(2) {
        let Some((module, name)) = cell.rsplit_once("::") else { continue };
        if !cell.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == ':') {
            continue;
        }
        named += 1;
        let module = module.replace("::", "/");
        let files = [tests.join(format!("{module}.rs")), tests.join(&module).join("mod.rs")];
        let found = files.iter().any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains(&format!("fn {name}("))));
        if !found {
            missing.push(cell.to_owned());
        }
    }
    assert!(named >= 20, "docs/reliability.md names {named} tests");
    assert!(missing.is_empty(), "docs/reliability.md names tests that do not exist: {missing:?}");
}

/// Every workflow passes zizmor's offline audits (actions pinned to commits, no persisted
/// credentials where nothing pushes; the one finding kept is ignored inline with its reason)
/// and GitHub's workflow schema.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn workflows_pass_zizmor_and_the_workflow_schema() {
    let bin = crate::support::peers("zizmor and check-jsonschema").join("venv/bin");
    let root = workspace_root();
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(bin.join(program)).args(args).current_dir(&root).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{program} {args:?}:\n{text}");
        text
    };
    let audit = run("zizmor", &["--offline", "--color=never", ".github/workflows"]);
    assert!(audit.contains("No findings to report") && audit.contains("(1 ignored"), "{audit}");
    let mut workflows: Vec<String> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    workflows.sort();
    assert!(workflows.len() >= 2, "{workflows:?}");
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(workflows.iter().map(String::as_str));
    let schema = run("check-jsonschema", &args);
    assert!(schema.contains("ok -- validation done"), "{schema}");
}

/// The release workflow is the job graph: `plan` → a `build` matrix over its output → one
/// `release` job that consumes every build; nothing may write by default, and only the release
/// job can write (and mint the job's OIDC token, to sign and to publish to the package index).
#[test]
fn the_release_workflow_is_the_job_graph_with_least_privilege() {
    let text = std::fs::read_to_string(workspace_root().join(".github/workflows/release.yml")).unwrap();
    let workflow: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let yaml = |v: &str| -> serde_norway::Value { serde_norway::from_str(v).unwrap() };
    assert_eq!(workflow["permissions"], yaml("{}"), "no permission by default");
    let jobs = workflow["jobs"].as_mapping().unwrap();
    let names: Vec<&str> = jobs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["plan", "build", "release"]);
    let job = |name: &str| &workflow["jobs"][name];
    let steps = |name: &str| -> Vec<String> {
        job(name)["steps"].as_sequence().unwrap().iter().map(|s| serde_norway::to_string(s).unwrap()).collect()
    };
    let any_step = |name: &str, needle: &str| steps(name).iter().any(|s| s.contains(needle));

    // Which job needs which.
    assert!(job("plan").get("needs").is_none());
    assert_eq!(job("build")["needs"], yaml("plan"));
    assert_eq!(job("release")["needs"], yaml("[plan, build]"));

    // Permissions: read-only builds; the release job writes contents and packages and mints OIDC.
    for name in ["plan", "build"] {
        assert_eq!(job(name)["permissions"], yaml("contents: read"), "{name}");
    }
    assert_eq!(
        job("release")["permissions"],
        yaml("{contents: write, packages: write, id-token: write, attestations: write}")
    );

    // What each job passes on: the matrix, the build folders as artifacts, consumed whole.
    assert!(any_step("plan", "cargo xtask plan --ci") && any_step("plan", "GITHUB_OUTPUT"));
    assert_eq!(job("plan")["outputs"]["matrix"], yaml("${{ steps.plan.outputs.matrix }}"));
    assert_eq!(job("build")["strategy"]["matrix"], yaml("${{ fromJSON(needs.plan.outputs.matrix) }}"));
    assert_eq!(job("build")["strategy"]["fail-fast"], yaml("false"), "one failed build does not cancel the others");
    assert_eq!(job("build")["runs-on"], yaml("${{ matrix.runner }}"));
    assert!(any_step("build", "cargo xtask build --image") && any_step("build", "cargo xtask build --package"));
    assert!(any_step("build", "actions/upload-artifact@") && any_step("build", "${{ matrix.name }}"));
    assert!(any_step("release", "actions/download-artifact@") && any_step("release", "path: prebuilt"));
    assert!(any_step("release", "cargo xtask release --prebuilt prebuilt"));
    assert!(!any_step("release", "cargo xtask build"), "the release job builds nothing itself");
    // The release is signed by `cargo xtask release` (Sigstore), and its assets also go to
    // GitHub's attestation store, after the release, from the checksums it published.
    let release_steps = steps("release");
    let at = |needle: &str| release_steps.iter().position(|s| s.contains(needle)).unwrap();
    assert!(at("actions/attest@") > at("cargo xtask release --prebuilt"));
    assert!(any_step("release", "subject-checksums: target/release/${{ github.ref_name }}/SHA256SUMS"));
    assert_eq!(workflow["concurrency"]["cancel-in-progress"], yaml("false"));
}
