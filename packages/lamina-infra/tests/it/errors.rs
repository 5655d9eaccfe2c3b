//! What people read when something is wrong: one snapshot of the errors of every command, each
//! with the exit code it ends with. A message that loses its object or its fix shows up here.

use crate::cli::{assets, published};
use crate::common::{Run, run_lamina_infra};
use std::ffi::OsStr;
use std::path::Path;
use xtask_dev::github::{Fault, FaultKind, GithubFake, SeedRelease};

/// One case: what is run, and how it ended, as a person reads it.
fn shown(args: &[&str], run: &Run) -> String {
    let mut out = format!("$ lamina-infra {}\nexit {}\n", args.join(" "), run.code);
    for line in run.stderr.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&format!("  {line}\n"));
    }
    out + "\n"
}

fn fault(fake: &GithubFake, path_contains: &str, kind: FaultKind) {
    fake.inject(Fault { method: "GET".into(), path_contains: path_contains.into(), kind, times: 0 });
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_errors_people_meet_name_the_object_and_the_fix() {
    let fake = published();
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| {
        let path = tmp.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (to, theirs, empty, no_tools) = (dir("to"), dir("theirs"), dir("empty"), dir("bin"));
    std::fs::write(Path::new(&theirs).join("demo-k8s-0.2.0"), "a file where the folder goes\n").unwrap();
    let file = write(tmp.path(), "plain-file", "not a folder\n");
    let broken = write(tmp.path(), "broken.yaml", "replicas: 2\nimage: [unclosed\n");
    let missing = tmp.path().join("missing.yaml").to_str().unwrap().to_owned();
    let zeros = "0".repeat(64);

    let cases: Vec<Vec<&str>> = vec![
        // Usage (2): clap's own words, with the flag or value named.
        vec!["pul", "demo-k8s"],
        vec!["pull"],
        vec!["pull", "demo-k8s", "--max-unpacked-size", "12XB"],
        vec!["show", "--sums-sha256", "abc123"],
        vec!["compat", "--to", "0.2.0"],
        // Releases and components that are not there (1).
        vec!["show", "9.9.9"],
        vec!["show", "0.4.0"],
        vec!["pull", "demo-k8z", "--to", &to],
        vec!["pull", "demo-k8s", "0.2.0", "--to", &to],
        vec!["compat", "--from", "0.1.0", "--to", "9.9.9"],
        vec!["verify", "9.9.9"],
        // A release pinned otherwise (1).
        vec!["show", "0.2.0", "--sums-sha256", &zeros],
        // Where files go (1): nothing is replaced that pull did not write.
        vec!["pull", "demo-k8s", "--to", &theirs],
        vec!["pull", "demo-k8s", "--to", &file],
        vec!["show", "0.2"],
        vec!["pull", "demo-k8s", "--to", &to, "--max-unpacked-size", "8"],
        // Mirrors (1).
        vec!["mirror", "0.2.0"],
        vec!["--mirror", &empty, "mirror", "0.2.0", "--to", &to],
        vec!["--mirror", &empty, "releases"],
        vec!["verify", &empty],
        vec!["mirror", "push", &empty, "--registry", "127.0.0.1:9/lamina"],
        vec!["mirror", "push", &empty, "--registry", "registry.example.com/lamina"],
        // The user's configuration (1).
        vec!["validate", "demo", &broken],
        vec!["validate", "demo", &missing],
        vec!["validate", "demo-k8s", &broken],
        vec!["deploy", "demo", "--var-file", &broken],
        vec!["deploy", "demo", "--dry-run"],
        vec!["deploy", "nothing"],
    ];
    let env = [("PATH", OsStr::new(&no_tools))];
    let mut all = String::new();
    for args in &cases {
        all.push_str(&shown(args, &run_lamina_infra(&fake.api_url(), args, &env)));
    }

    // GitHub and the network (3, or 4 for credentials).
    let api = fake.api_url();
    let remote: [(&str, Option<&str>); 4] = [
        ("http://127.0.0.1:9", None),
        ("http://github.example.com/api/v3", None),
        ("http://localhost:80@evil.example/", None),
        (&api, Some("ghp_not_accepted")),
    ];
    for (api, token) in remote {
        let env: Vec<(&str, &OsStr)> = token.map(|t| ("GH_TOKEN", OsStr::new(t))).into_iter().collect();
        let run = run_lamina_infra(api, &["releases"], &env);
        all.push_str(&shown(&["--api-url", api, "releases"], &run));
    }

    // A rollback: release 0.2.0's files re-published as v0.5.0.
    let rollback = published();
    let seed =
        SeedRelease { tag_name: "v0.5.0".into(), draft: false, assets: assets("0.2.0"), starter_assets: Vec::new() };
    rollback.seed(seed);
    all.push_str(&shown(&["show", "0.5.0"], &run_lamina_infra(&rollback.api_url(), &["show", "0.5.0"], &[])));
    // GitHub's own refusals: a repository it does not show, an SSO or IP allow-list 403, a
    // rate limit used up for an hour.
    for (status, kind) in [
        ("404", FaultKind::Status(404)),
        ("403", FaultKind::Status(403)),
        ("limit", FaultKind::RateLimitReset { seconds: 3600 }),
    ] {
        let refusing = published();
        fault(&refusing, "/releases", kind);
        let run = run_lamina_infra(&refusing.api_url(), &["releases"], &[]);
        all.push_str(&format!("# GitHub answers {status}\n{}", shown(&["releases"], &run)));
    }

    let count = all.matches("$ lamina-infra").count();
    assert!(count >= 30, "{count} cases");
    assert!(!all.contains("ghp_not_accepted"), "a token is never printed");
    assert!(!all.contains("Some(") && !all.contains("Os {"), "no debug output: {all}");
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(&regex::escape(tmp.path().to_str().unwrap()), "[tmp]");
    s.add_filter(r"http://127\.0\.0\.1:\d{4,5}", "[api]");
    s.add_filter(r"retrying in \d+ ms", "retrying in [ms]");
    s.add_filter(r"wait \d+ s, longer", "wait [s] s, longer");
    s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[time]");
    s.bind(|| insta::assert_snapshot!("errors", all));
}
