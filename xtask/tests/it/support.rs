//! Fixture repositories in temporary folders, the `xtask` binary, and the test peers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The variables the pipeline reads (`xtask/src/env.rs`); cleared for every child so the host's CI cannot leak in.
const CLEARED: &[&str] = &[
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_REF_NAME",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "LAMINA_REGISTRY",
    "LAMINA_REGISTRY_USERNAME",
    "LAMINA_REGISTRY_PASSWORD",
    "LAMINA_PAGES_REMOTE",
    "LAMINA_PAGES_URL",
    "SOURCE_DATE_EPOCH",
    "SSL_CERT_FILE",
    "CARGO_MANIFEST_DIR",
    "LAMINA_PYTHON_INDEX_UPLOAD_URL",
    "LAMINA_PYTHON_INDEX_SIMPLE_URL",
    "LAMINA_PYTHON_INDEX_TOKEN_EXCHANGE_URL",
    "LAMINA_PYTHON_INDEX_TOKEN",
    "LAMINA_PYTHON_INDEX_USERNAME",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "LAMINA_SIGSTORE_TRUST_CONFIG",
];

/// Fixed identity and dates, so commit ids are the same on every machine.
const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_AUTHOR_NAME", "Test"),
    ("GIT_AUTHOR_EMAIL", "test@example.com"),
    ("GIT_AUTHOR_DATE", "2026-01-15T12:00:00Z"),
    ("GIT_COMMITTER_NAME", "Test"),
    ("GIT_COMMITTER_EMAIL", "test@example.com"),
    ("GIT_COMMITTER_DATE", "2026-01-15T12:00:00Z"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
];

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A git repository in a temporary folder, deleted on drop.
pub struct TestRepo {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl TestRepo {
    /// A copy of `tests/fixtures/{name}`, committed.
    pub fn fixture(name: &str) -> TestRepo {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name), &root);
        let repo = TestRepo { _tmp: tmp, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit("initial");
        repo
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Runs git in the repository; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.root, args)
    }

    /// `git add -A` and commit.
    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// Runs `cargo xtask ARGS` on this repository.
    pub fn xtask(&self, args: &[&str]) -> Run {
        xtask_in(&self.root, args, &[])
    }

    pub fn xtask_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        xtask_in(&self.root, args, env)
    }

    /// The output folder of a version.
    pub fn out(&self, version: &str) -> PathBuf {
        self.path(&format!("target/release/v{version}"))
    }
}

/// `cargo xtask ARGS` on `dir` with only `env` of the pipeline's variables, not started yet.
pub fn xtask_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("-C").arg(dir).args(args).current_dir(dir);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    // Packages compile once for every test repository, not once per repository.
    cmd.env("CARGO_TARGET_DIR", workspace_root().join("target/it-cargo"));
    cmd.envs(GIT_ENV.iter().copied()).envs(env.iter().copied());
    cmd
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(self.code, 0, "expected failure\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn xtask_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    finished(xtask_command(dir, args, env))
}

/// `cargo xtask ARGS` on `dir` with `env` added, started by `sh` under `umask` (e.g. `077`).
pub fn xtask_umask(dir: &Path, umask: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let inner = xtask_command(dir, args, env);
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("umask {umask} && exec \"$0\" \"$@\"")).arg(inner.get_program());
    cmd.args(inner.get_args()).current_dir(dir);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    finished(cmd)
}

/// Runs `cmd` to the end.
fn finished(mut cmd: Command) -> Run {
    let out: Output = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `git clone` of `origin` into `dest` under `umask`, so the files get other permissions on disk,
/// then every file's time set to `stamp` (`touch -t` format).
pub fn clone_with_umask(origin: &Path, dest: &Path, umask: &str, stamp: &str) {
    let script = format!("umask {umask} && git clone -q \"$0\" \"$1\"");
    let ok = Command::new("sh").args(["-c", &script]).arg(origin).arg(dest).status().unwrap();
    assert!(ok.success(), "git clone under umask {umask}");
    for entry in walkdir::WalkDir::new(dest).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        assert!(Command::new("touch").args(["-t", stamp]).arg(entry.path()).status().unwrap().success());
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Where `cargo xtask test` provisioned the peers; tests that call it are `#[ignore]`d, so plain
/// `cargo test` lists them as ignored and `cargo xtask test` runs them with `--include-ignored`.
pub fn peers(what: &str) -> PathBuf {
    match std::env::var_os("LAMINA_TEST_PEERS") {
        Some(dir) => PathBuf::from(dir),
        None => panic!("{what} needs the test peers: run `cargo xtask test`, which installs and starts them"),
    }
}

/// The Python of the peers' venv (Helm v4 SDK).
pub fn python(peers: &Path) -> PathBuf {
    let python = peers.join("venv/bin/python");
    assert!(python.exists(), "{} is missing: run `cargo xtask test`", python.display());
    python
}

/// The output of `command`, whose program may have just been written by this process. Another
/// test thread forking at that moment holds the file open for writing in its child until the
/// child's own exec, and the kernel then refuses to run the file (`ETXTBSY`, "text file busy"):
/// a few more tries, each a little later (as cargo does for the same reason).
pub fn output_of_new_program(command: &mut Command) -> std::io::Result<std::process::Output> {
    let mut tries = 1..=20u64;
    loop {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => match tries.next() {
                Some(n) => std::thread::sleep(std::time::Duration::from_millis(n)),
                None => return Err(e),
            },
            other => return other,
        }
    }
}

/// Runs a program; panics with its output on failure.
#[track_caller]
pub fn run(program: &Path, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir).envs(env.iter().copied());
    let out = output_of_new_program(&mut command).unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A fresh Python venv in `dir/venv`, as a user makes one, and pip for it: the peers' pip
/// installs into the venv (`pip --python`), so the venv needs no pip of its own (`ensurepip` takes
/// seconds). Returns the venv and a function that runs `pip install ARGS` in it.
pub fn fresh_venv(dir: &Path) -> (PathBuf, impl Fn(&[&str]) -> String) {
    let venv = dir.join("venv");
    run(Path::new("python3"), &["-m", "venv", "--without-pip", venv.to_str().unwrap()], dir, &[]);
    let (pip, python, dir) = (peers("pip").join("venv/bin/pip"), venv.join("bin/python"), dir.to_path_buf());
    let install = move |args: &[&str]| {
        let args = [&["--python", python.to_str().unwrap(), "install", "-q"][..], args].concat();
        run(&pip, &args, &dir, &[("PIP_DISABLE_PIP_VERSION_CHECK", "1")])
    };
    (venv, install)
}

/// Entry names of a `.tar.gz`, in archive order.
pub fn tar_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect()
}

/// The text of the first entry of a `.tar.gz` whose path ends with `name`.
pub fn tar_text(path: &Path, name: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with(name) {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            return text;
        }
    }
    panic!("{} holds no `{name}`", path.display())
}

/// insta settings shared by every snapshot: no module prefix, volatile values filtered.
pub fn snapshot_settings(repo: Option<&TestRepo>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    if let Some(repo) = repo {
        s.add_filter(&regex::escape(&repo.root.display().to_string()), "[repo]");
    }
    s
}

/// A committed copy of this workspace's tracked files (as they are in the working tree), so tests
/// can build the real repository without touching it.
pub fn workspace_copy() -> TestRepo {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let src = workspace_root();
    let listing = Command::new("git").args(["ls-files", "-z"]).current_dir(&src).output().unwrap();
    for rel in String::from_utf8(listing.stdout).unwrap().split('\0').filter(|p| !p.is_empty()) {
        let (from, to) = (src.join(rel), root.join(rel));
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue;
        }; // deleted, not yet committed
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from).unwrap(), &to).unwrap();
        } else {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    let repo = TestRepo { _tmp: tmp, root };
    repo.git(&["init", "-q", "-b", "main"]);
    repo.commit("workspace");
    repo
}

/// A program a peer provides, found on `PATH` (tests that need one are `#[ignore]`d).
pub fn tool(name: &str, install: &str) -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("`{name}` is not on PATH: {install}, or run `cargo xtask test`"))
}

/// The tracked files of `dir` in `repo`, extracted into a fresh folder (what Helm should see).
pub fn export(repo: &TestRepo, dir: &str, into: &Path) -> PathBuf {
    let out = Command::new("git")
        .args(["archive", "--format=tar", "HEAD", "--", dir])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(out.status.success());
    tar::Archive::new(out.stdout.as_slice()).unpack(into).unwrap();
    into.join(dir)
}

/// A bare git repository standing in for the Pages remote.
pub fn bare_remote(dir: &Path) -> PathBuf {
    let path = dir.join("pages.git");
    let out = Command::new("git").args(["init", "-q", "--bare"]).arg(&path).output().unwrap();
    assert!(out.status.success());
    path
}

/// `git` in any repository; panics on failure.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).envs(GIT_ENV.iter().copied()).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `python3 -m http.server` on 127.0.0.1 with a port the system picks, serving `dir`; stopped on drop.
pub struct StaticServer {
    child: std::process::Child,
    pub port: u16,
}

impl StaticServer {
    pub fn start(dir: &Path) -> StaticServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The first line names the port: "Serving HTTP on 127.0.0.1 port 40123 (…) ...".
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.split(" port ").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("http.server did not report its port: {line:?}");
        };
        StaticServer { child, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub use xtask_dev::registry::LocalRegistry as RegistryServer;

/// A helper process (e.g. a token server) stopped when the test ends, even by a panic.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
