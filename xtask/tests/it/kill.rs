//! `kill -9` of `cargo xtask release` at every step boundary (after the image pushes, after the
//! draft, in the middle of the uploads, after publishing and before the Pages push), then one
//! rerun, and the end state read back on every channel: one published release whose assets are
//! the build's bytes, every image tag on the manifest's digest, the chart in the index on the
//! Pages branch, and `cargo xtask verify` passing.
//!
//! The run is held at each boundary by the GitHub fake (a `Hang` fault, seen through
//! `GithubFake::wait_for`) or by a `pre-receive` hook in the Pages remote that reports on a FIFO;
//! nothing here sleeps to synchronise, and every wait has a bound.

use crate::release::{World, assert_assets_match_build, fault, only_release};
use crate::support::{Run, git_in, run, tool, xtask_command};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use xtask_dev::github::{FaultKind, Options, Request};

/// How long a release may take to reach the point where it is held (it builds first).
pub(crate) const REACH: Duration = Duration::from_secs(300);
/// How long one whole run of the binary may take.
pub(crate) const RUN: Duration = Duration::from_secs(600);
/// How long output may take to close once the process is gone.
const DRAIN: Duration = Duration::from_secs(30);

/// `cargo xtask ARGS` started in a checkout, its output read on two threads; killed (SIGKILL)
/// and reaped when dropped, whichever way the test ends.
pub(crate) struct Running {
    child: Child,
    /// `(stderr?, everything the pipe carried)`, sent when the pipe closes.
    output: mpsc::Receiver<(bool, String)>,
    /// Never to appear in the output (the token).
    secret: Option<String>,
}

impl Running {
    pub(crate) fn start(dir: &Path, args: &[&str], env: &[(String, String)]) -> Running {
        let secret = env.iter().find(|(k, _)| k == "GITHUB_TOKEN").map(|(_, v)| v.clone());
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut child = xtask_command(dir, args, &env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, output) = mpsc::channel();
        let pipes: [(bool, Box<dyn Read + Send>); 2] =
            [(false, Box::new(child.stdout.take().unwrap())), (true, Box::new(child.stderr.take().unwrap()))];
        for (is_stderr, mut pipe) in pipes {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                let _ = tx.send((is_stderr, String::from_utf8_lossy(&bytes).into_owned()));
            });
        }
        Running { child, output, secret }
    }

    /// `cargo xtask release --builder buildah` on the world's checkout.
    pub(crate) fn release(world: &World) -> Running {
        Running::start(&world.repo.root, &["release", "--builder", "buildah"], &world.env())
    }

    /// Waits at most `within` for the run to end; a run that does not is killed and fails the test.
    pub(crate) fn finish(mut self, within: Duration) -> Run {
        let (stdout, stderr, closed) = self.drain(Instant::now() + within);
        if !closed {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let (stdout, stderr, _) = self.drain(Instant::now() + DRAIN);
            panic!("`cargo xtask` did not finish within {within:?}; killed\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }
        // Both pipes are closed: the process has ended, so this returns at once.
        let status = self.child.wait().unwrap();
        self.check_secret(&stdout, &stderr);
        Run { code: status.code().unwrap_or(-1), stdout, stderr }
    }

    /// SIGKILL now; returns what the process had written to stderr.
    pub(crate) fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let (stdout, stderr, _) = self.drain(Instant::now() + DRAIN);
        self.check_secret(&stdout, &stderr);
        stderr
    }

    /// Both pipes' text, and whether both closed before `deadline`.
    fn drain(&self, deadline: Instant) -> (String, String, bool) {
        let (mut stdout, mut stderr) = (None, None);
        // At most two messages; each wait ends by the deadline.
        while stdout.is_none() || stderr.is_none() {
            match self.output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok((false, text)) => stdout = Some(text),
                Ok((true, text)) => stderr = Some(text),
                Err(_) => break,
            }
        }
        let closed = stdout.is_some() && stderr.is_some();
        (stdout.unwrap_or_default(), stderr.unwrap_or_default(), closed)
    }

    fn check_secret(&self, stdout: &str, stderr: &str) {
        if let Some(secret) = &self.secret {
            assert!(!stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()), "the token was printed");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo xtask ARGS` on the world's checkout, to the end (bounded).
pub(crate) fn xtask(world: &World, args: &[&str]) -> Run {
    Running::start(&world.repo.root, args, &world.env()).finish(RUN)
}

/// Waits until the run holds a request that `wanted` picks (the fake never answers it), then
/// kills it; returns its stderr. Fails the test when the run never got there.
fn kill_when_held(world: &World, running: Running, what: &str, wanted: impl Fn(&Request) -> bool) -> String {
    let reached = world.github.wait_for(|r| r.answered.is_none() && wanted(r), REACH);
    let stderr = running.kill();
    assert!(reached, "the release never reached {what}:\n{stderr}");
    stderr
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)))
}

/// The release manifest the last build of `version` in `checkout` wrote.
pub(crate) fn manifest(checkout: &Path, version: &str) -> serde_json::Value {
    let path = checkout.join(format!("target/release/v{version}/release-manifest.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The digest `acme/{name}:{tag}` resolves to on the world's registry, read by skopeo.
pub(crate) fn tag_digest(world: &World, name: &str, tag: &str) -> String {
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let reference = format!("docker://{}/acme/{name}:{tag}", world.registry.host());
    sha256(run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &reference], Path::new("/"), &[]).as_bytes())
}

/// Every image tag the manifest of `version` records resolves to the image's recorded digest.
fn assert_image_tags(world: &World, version: &str) {
    let manifest = manifest(&world.repo.root, version);
    let images = manifest["images"].as_array().unwrap();
    assert!(!images.is_empty(), "{manifest:#}");
    for image in images {
        let (name, digest) = (image["name"].as_str().unwrap(), image["digest"].as_str().unwrap());
        let tags: Vec<&str> = image["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert!(tags.contains(&version) && tags.contains(&"latest"), "{tags:?}");
        for tag in tags {
            assert_eq!(tag_digest(world, name, tag), digest, "image tag {name}:{tag}");
        }
    }
}

/// The entry of chart `demo` `version` in `index.yaml` on the Pages branch, if there is one.
pub(crate) fn index_entry(pages: &Path, version: &str) -> Option<serde_json::Value> {
    let index = git_in(pages, &["show", "gh-pages:index.yaml"]);
    let index: serde_json::Value = serde_norway::from_str(&index).unwrap();
    index["entries"]["demo"].as_array()?.iter().find(|e| e["version"] == version).cloned()
}

/// The index on the Pages branch holds chart `demo` `version` with the built archive's digest,
/// pointing at the published asset.
pub(crate) fn assert_indexed(world: &World, checkout: &Path, version: &str) {
    let entry = index_entry(&world.pages, version).unwrap_or_else(|| {
        panic!("no demo {version} in the index:\n{}", git_in(&world.pages, &["show", "gh-pages:index.yaml"]))
    });
    let tgz = checkout.join(format!("target/release/v{version}/demo-{version}.tgz"));
    assert_eq!(entry["digest"], xtask::build::sha256_file(&tgz).unwrap().0.as_str(), "{entry:#}");
    let url = format!("{}/acme/infra-demo/releases/download/v{version}/demo-{version}.tgz", world.github.api_url());
    assert!(entry["urls"].as_array().unwrap().iter().any(|u| u == url.as_str()), "{entry:#}");
}

/// The finished release on every channel: one published release holding exactly the build's
/// bytes, every image tag on the manifest's digest, the chart in the index, `verify` passing.
fn assert_finished(world: &World) {
    assert_assets_match_build(world);
    assert_image_tags(world, "0.2.0");
    assert_indexed(world, &world.repo.root, "0.2.0");
    let verified = xtask(world, &["verify"]).ok();
    assert!(verified.stdout.contains("ok") && !verified.stdout.contains("FAIL"), "{}", verified.stdout);
}

/// The Pages branch's tip, if the branch exists.
fn pages_tip(world: &World) -> Option<String> {
    world.writes().3
}

/// Requests logged from `from` on.
fn since(world: &World, from: usize) -> Vec<Request> {
    world.github.requests().into_iter().skip(from).collect()
}

fn is_create(r: &Request) -> bool {
    !r.upload_host && r.method == "POST" && r.path_and_query.ends_with("/releases")
}

/// Killed with the images pushed and tagged and the chart pushed, while GitHub holds the draft's
/// create: no release exists. The rerun writes nothing more to the registry, creates the draft,
/// uploads, publishes and adds the index entry.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn killed_after_the_image_pushes() {
    let world = World::new(Options::default());
    world.github.inject(fault("POST", "/releases", FaultKind::Hang, 1));
    let stderr = kill_when_held(&world, Running::release(&world), "the draft's create", is_create);

    assert!(world.github.releases().is_empty(), "no draft yet: {:#?}", world.github.releases());
    assert_image_tags(&world, "0.2.0");
    assert_eq!(pages_tip(&world), None, "no index yet");
    let registry_writes = (world.registry.requests("PUT", "/"), world.registry.requests("POST", "/"));

    let from = world.github.requests().len();
    let rerun = Running::release(&world).finish(RUN).ok();
    assert_eq!(
        (world.registry.requests("PUT", "/"), world.registry.requests("POST", "/")),
        registry_writes,
        "the rerun pushed to the registry again although every image, chart and tag was there\nkilled run:\n{stderr}\nrerun:\n{}",
        rerun.stderr
    );
    assert_eq!(since(&world, from).iter().filter(|r| is_create(r)).count(), 1, "one create in the rerun");
    assert_finished(&world);
}

/// Killed with the draft created, while GitHub holds the first upload: a draft without assets.
/// The rerun reuses that draft (no second create) and uploads every asset.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn killed_after_the_draft() {
    let world = World::new(Options::default());
    world.github.inject(fault("POST", "/assets?name=", FaultKind::Hang, 1));
    kill_when_held(&world, Running::release(&world), "the first upload", |r| r.upload_host && r.method == "POST");

    let draft = only_release(&world);
    assert!(draft.draft && draft.assets.is_empty(), "a draft without assets: {draft:#?}");
    assert_eq!(pages_tip(&world), None, "no index yet");

    let from = world.github.requests().len();
    Running::release(&world).finish(RUN).ok();
    let rerun = since(&world, from);
    assert_eq!(rerun.iter().filter(|r| is_create(r)).count(), 0, "the draft is reused: {rerun:#?}");
    assert_eq!(only_release(&world).id, draft.id, "the same release");
    assert_finished(&world);
}

/// Killed in the middle of the uploads, while GitHub holds the last one (`SHA256SUMS`): a draft
/// with the other assets. The rerun keeps what landed and uploads only what is missing.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn killed_in_the_middle_of_the_uploads() {
    let world = World::new(Options::default());
    world.github.inject(fault("POST", "name=SHA256SUMS", FaultKind::Hang, 1));
    kill_when_held(&world, Running::release(&world), "the upload of SHA256SUMS", |r| {
        r.upload_host && r.path_and_query.contains("name=SHA256SUMS")
    });

    let draft = only_release(&world);
    assert!(draft.draft, "still a draft: {draft:#?}");
    let landed: Vec<&str> = draft.assets.iter().map(|a| a.name.as_str()).collect();
    assert!(!landed.is_empty() && !landed.contains(&"SHA256SUMS"), "some assets landed, not SHA256SUMS: {landed:?}");
    assert!(draft.assets.iter().all(|a| a.state == "uploaded"), "{draft:#?}");

    let from = world.github.requests().len();
    Running::release(&world).finish(RUN).ok();
    let uploads: Vec<String> = since(&world, from)
        .into_iter()
        .filter(|r| r.upload_host && r.method == "POST")
        .map(|r| r.path_and_query.rsplit("name=").next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(uploads, ["SHA256SUMS"], "the rerun uploads only what is missing");
    assert_finished(&world);
}

/// A `pre-receive` hook in the Pages remote that holds each push: it writes `started` to a FIFO
/// a thread of the test reads, waits (five minutes at most) for a line on a second FIFO, writes
/// `refused` and refuses the push. Dropping it removes the hook and lets a held push go.
struct HeldPushes {
    hook: PathBuf,
    said: mpsc::Receiver<String>,
    /// The FIFO the hook waits on, open for reading and writing: neither this open nor the
    /// hook's blocks, and a line written before the hook reads is kept for it.
    go: std::fs::File,
    /// The write side of the FIFO the reader thread reads, to end that thread.
    stop: std::fs::File,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl HeldPushes {
    fn install(pages: &Path, dir: &Path) -> HeldPushes {
        let (said_path, go_path) = (dir.join("hook-said.fifo"), dir.join("hook-go.fifo"));
        for fifo in [&said_path, &go_path] {
            assert!(std::process::Command::new("mkfifo").arg(fifo).status().unwrap().success(), "mkfifo");
        }
        let open = |p: &Path| std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap();
        let said = open(&said_path);
        let stop = said.try_clone().unwrap();
        let go = open(&go_path);
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(said).lines() {
                let Ok(line) = line else { break };
                if line == "stop" || tx.send(line).is_err() {
                    break;
                }
            }
        });
        let hook = pages.join("hooks/pre-receive");
        let script = format!(
            "#!/bin/sh\n\
             # Held by the test: say so, wait for its word (at most 300 s), refuse the push.\n\
             exec 3<>'{said}'\n\
             echo started >&3\n\
             timeout 300 head -n 1 '{go}' >/dev/null\n\
             echo refused >&3\n\
             echo 'the push was held by the test and is refused' >&2\n\
             exit 1\n",
            said = said_path.display(),
            go = go_path.display()
        );
        std::fs::write(&hook, script).unwrap();
        std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        HeldPushes { hook, said: rx, go, stop, reader: Some(reader) }
    }

    /// Whether the hook says `line` within `within`.
    fn said(&self, line: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        // Each turn takes one line or ends by the deadline.
        loop {
            match self.said.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) if l == line => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Lets the held push go: the hook refuses it.
    fn let_go(&mut self) {
        writeln!(self.go, "go").unwrap();
    }
}

impl Drop for HeldPushes {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.hook);
        let _ = writeln!(self.go, "go");
        let _ = writeln!(self.stop, "stop");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Killed after publishing, while the Pages remote holds the index push: the release is
/// published and complete, the index has no entry. The rerun writes nothing to GitHub and only
/// adds the index entry.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn killed_after_publishing_before_the_pages_push() {
    let world = World::new(Options::default());
    let mut held = HeldPushes::install(&world.pages, world.repo.root.parent().unwrap());
    let running = Running::release(&world);
    let reached = held.said("started", REACH);
    let stderr = running.kill();
    assert!(reached, "the release never reached the Pages push:\n{stderr}");
    // The orphaned `git push` waits on the hook: let it go (refused) and see it end.
    held.let_go();
    assert!(held.said("refused", Duration::from_secs(60)), "the held push was not refused");
    drop(held);

    assert_assets_match_build(&world);
    assert_eq!(pages_tip(&world), None, "the push was refused: no index yet");

    let github_writes = world.github.writes();
    Running::release(&world).finish(RUN).ok();
    assert_eq!(world.github.writes(), github_writes, "nothing more on GitHub");
    assert_finished(&world);
}
