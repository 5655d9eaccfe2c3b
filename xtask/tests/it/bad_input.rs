//! One case per validation rule: a clear message (snapshotted), a non-zero exit, and nothing
//! written: no artifact under `target/release`, and — with the peers — no write to the registry,
//! the GitHub fake or the Pages remote by a real `release` on a repository tagged `v{version}`.

use crate::support::{RegistryServer, Run, TestRepo, bare_remote, git_in, peers, snapshot_settings};
use std::path::Path;
use xtask_dev::github::{GithubFake, Options};

/// Cases in `release.toml` itself: syntax, types, required keys, values, entries.
mod config;
/// Cases in the files the entries point at: charts, bundle contents, secrets, images, references.
mod contents;
/// Cases in the environment and in the checkout: variables, tag, `GITHUB_REF_NAME`, dirty tree.
mod environment;

/// A canary token: it must never appear in any output.
const TOKEN: &str = "ghp_badinput000000000000000000000000000";

/// The registry and the GitHub fake a release would write to, shared by the cases of one test
/// (each case gets its own repository and its own bare Pages remote). Stopped on drop.
pub(super) struct Remotes {
    registry: RegistryServer,
    github: GithubFake,
}

impl Remotes {
    pub(super) fn start() -> Remotes {
        peers("bad input against the registry, buildah and the GitHub fake");
        let registry = RegistryServer::start(&[]).unwrap();
        let github = GithubFake::start(Options { token: TOKEN.to_owned(), ..Options::default() }).unwrap();
        Remotes { registry, github }
    }

    fn env(&self, pages: &Path) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_TOKEN", TOKEN.to_owned()),
            ("GITHUB_API_URL", self.github.api_url()),
            ("GITHUB_SERVER_URL", self.github.api_url()),
            ("LAMINA_REGISTRY", format!("http://{}/acme", self.registry.host())),
            ("LAMINA_PAGES_REMOTE", pages.to_str().unwrap().to_owned()),
        ]
    }

    /// Nothing was written anywhere: no GitHub write, no registry upload, manifest or deletion,
    /// no ref on the Pages remote. The counts are cumulative, so a write by any earlier case of
    /// the same test fails here too.
    #[track_caller]
    fn assert_untouched(&self, pages: &Path, case: &str) {
        let writes: Vec<String> = self
            .github
            .requests()
            .iter()
            .filter(|r| r.method != "GET" && r.method != "HEAD")
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect();
        assert_eq!(self.github.writes(), 0, "{case}: GitHub saw writes: {writes:#?}");
        assert!(self.github.releases().is_empty(), "{case}: a release exists on GitHub");
        for method in ["PUT", "POST", "PATCH", "DELETE"] {
            assert_eq!(
                self.registry.requests(method, "/"),
                0,
                "{case}: the registry saw a {method}:\n{}",
                self.registry.log()
            );
        }
        let refs = git_in(pages, &["for-each-ref", "--format=%(refname)"]);
        assert!(refs.trim().is_empty(), "{case}: the Pages remote was pushed to: {refs}");
    }
}

/// Which commands must refuse a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// A problem in the files: `validate`, `dry-run` and `release` all refuse it, identically.
    Files,
    /// A problem in the environment: `validate` (which reads none) passes; `dry-run` and
    /// `release` refuse it, identically.
    Settings,
    /// Only `release` refuses it (preflight, or its GitHub client); `dry-run` may build.
    Release,
}

/// A change to a test repository.
type Change = Box<dyn FnOnce(&TestRepo)>;

/// One bad input: a change to the `minimal` fixture (committed, then tagged `v0.2.0`), optional
/// variables, and the fragments its message must hold.
pub(super) struct Case {
    name: &'static str,
    change: Change,
    after_tag: Option<Change>,
    tag: bool,
    env: Vec<(&'static str, &'static str)>,
    stage: Stage,
    code: i32,
    expected: Vec<&'static str>,
}

impl Case {
    /// A case named `name` (its snapshot is `bad_input__{name}`): `change` applied and committed.
    pub(super) fn new(name: &'static str, change: impl FnOnce(&TestRepo) + 'static) -> Case {
        Case {
            name,
            change: Box::new(change),
            after_tag: None,
            tag: true,
            env: Vec::new(),
            stage: Stage::Files,
            code: 1,
            expected: Vec::new(),
        }
    }

    /// A case on the unchanged fixture (the problem is in the environment or the checkout).
    pub(super) fn unchanged(name: &'static str) -> Case {
        Case::new(name, |_| {})
    }

    /// Every fragment must appear in the message of every refusing command.
    pub(super) fn expect(mut self, fragments: &[&'static str]) -> Case {
        self.expected.extend_from_slice(fragments);
        self
    }

    /// Sets a variable for every command (over the remotes' variables for `release`).
    pub(super) fn env(mut self, name: &'static str, value: &'static str) -> Case {
        self.env.push((name, value));
        self
    }

    pub(super) fn stage(mut self, stage: Stage) -> Case {
        self.stage = stage;
        self
    }

    /// The expected exit code, 1 unless said otherwise.
    pub(super) fn exit(mut self, code: i32) -> Case {
        self.code = code;
        self
    }

    /// Applied after the commit and the tag (a dirty tree, a later commit).
    pub(super) fn after_tag(mut self, change: impl FnOnce(&TestRepo) + 'static) -> Case {
        self.after_tag = Some(Box::new(change));
        self
    }

    /// The release's tag `v0.2.0` is not created.
    pub(super) fn untagged(mut self) -> Case {
        self.tag = false;
        self
    }

    /// Runs the case on a fresh repository: the local commands its stage names, then
    /// `release --builder buildah` against `remotes`; each must refuse with every
    /// fragment, write nothing, and print the same message. The message is snapshotted.
    #[track_caller]
    pub(super) fn check(mut self, remotes: &Remotes) {
        let repo = TestRepo::fixture("minimal");
        std::mem::replace(&mut self.change, Box::new(|_| {}))(&repo);
        repo.commit("bad input");
        if self.tag {
            repo.git(&["tag", "v0.2.0"]);
        }
        if let Some(after_tag) = self.after_tag.take() {
            after_tag(&repo);
        }
        let name = self.name;
        let local: &[&[&str]] = match self.stage {
            Stage::Files => &[&["validate"], &["dry-run", "--builder", "none"]],
            Stage::Settings => &[&["dry-run", "--builder", "none"]],
            Stage::Release => &[],
        };
        if self.stage == Stage::Settings {
            let run = repo.xtask_env(&["validate"], &self.env);
            assert_eq!(run.code, 0, "{name}: `validate` reads no variable and must pass:\n{}", run.stderr);
        }
        let mut runs: Vec<(String, Run)> = Vec::new();
        for args in local {
            let run = repo.xtask_env(args, &self.env);
            runs.push((args.join(" "), self.assert_refused(&repo, &args.join(" "), run)));
        }
        let pages = bare_remote(repo.root.parent().unwrap());
        let owned = remotes.env(&pages);
        let mut env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend_from_slice(&self.env);
        let args = ["release", "--builder", "buildah"];
        let run = repo.xtask_env(&args, &env);
        assert!(!format!("{}{}", run.stdout, run.stderr).contains(TOKEN), "{name}: the token was printed");
        runs.push((args.join(" "), self.assert_refused(&repo, &args.join(" "), run)));
        remotes.assert_untouched(&pages, name);
        let ((command, first), rest) = runs.split_first().expect("`release` always runs");
        for (other, run) in rest {
            assert_eq!(run.stderr, first.stderr, "{name}: `{other}` and `{command}` report the problem differently");
        }
        let vars: String = self.env.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
        let transcript = format!("$ {vars}cargo xtask {command}\n[exit {}]\n{}", first.code, first.stderr);
        let mut settings = snapshot_settings(Some(&repo));
        settings.add_filter(&regex::escape(&repo.root.parent().unwrap().display().to_string()), "[tmp]");
        settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
        settings.add_filter(r"\b[0-9a-f]{64}\b", "[sha256]");
        settings.add_filter(r"\b[0-9a-f]{40}\b", "[sha1]");
        settings.add_filter(r"\b[0-9a-f]{12}\b", "[commit]");
        settings.set_omit_expression(true);
        settings.set_description(format!("{name}: refused by `{command}`"));
        settings.bind(|| insta::assert_snapshot!(format!("bad_input__{name}"), transcript));
    }

    /// `run` exited with the case's code, printed every fragment (and, for a problem in the
    /// files, a `help:`), printed nothing on stdout, and left `target/release` absent.
    #[track_caller]
    fn assert_refused(&self, repo: &TestRepo, command: &str, run: Run) -> Run {
        let name = self.name;
        assert_eq!(run.code, self.code, "{name}: `{command}` must exit {}\n{}{}", self.code, run.stdout, run.stderr);
        for fragment in &self.expected {
            assert!(run.stderr.contains(fragment), "{name}: `{command}`: {fragment:?} missing from:\n{}", run.stderr);
        }
        if self.stage == Stage::Files {
            assert!(run.stderr.contains("help:"), "{name}: every problem says how to fix it:\n{}", run.stderr);
        }
        assert!(run.stdout.is_empty(), "{name}: `{command}` printed a plan or a summary:\n{}", run.stdout);
        assert!(!repo.path("target/release").exists(), "{name}: `{command}` wrote artifacts despite invalid input");
        run
    }
}

/// Checks every case in turn against one pair of remotes.
#[track_caller]
pub(super) fn check_all(cases: impl IntoIterator<Item = Case>) {
    let remotes = Remotes::start();
    for case in cases {
        case.check(&remotes);
    }
}

/// Replaces the first `from` in `file` with `to`; panics when `from` is not there.
#[track_caller]
pub(super) fn replace(repo: &TestRepo, file: &str, from: &str, to: &str) {
    let text = repo.read(file);
    assert!(text.contains(from), "{file} has no {from:?}");
    repo.write(file, &text.replacen(from, to, 1));
}

/// Appends `text` to `file`.
pub(super) fn append(repo: &TestRepo, file: &str, text: &str) {
    let old = repo.read(file);
    repo.write(file, &format!("{old}{text}"));
}

#[test]
fn allow_admits_a_named_file() {
    let repo = TestRepo::fixture("minimal");
    repo.write("docker/compose/.env", "COMPOSE_PROJECT_NAME=demo\n");
    replace(
        &repo,
        "release.toml",
        "path = \"docker/compose\"",
        "path = \"docker/compose\"\nallow = [\"docker/compose/.env\"]",
    );
    repo.commit("allow .env");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let names = crate::support::tar_names(&repo.out("0.2.0").join("demo-compose-0.2.0.tar.gz"));
    assert!(names.contains(&"demo-compose-0.2.0/.env".to_owned()), "{names:?}");
}

#[test]
fn untracked_files_never_reach_an_archive() {
    let repo = TestRepo::fixture("minimal");
    repo.write("infra/k8s/untracked.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untracked\n");
    repo.write("infra/k8s/.gitignore", "");
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    let names = crate::support::tar_names(&repo.out("0.2.0").join("demo-k8s-0.2.0.tar.gz"));
    assert!(!names.iter().any(|n| n.contains("untracked") || n.contains(".gitignore")), "{names:?}");
}
