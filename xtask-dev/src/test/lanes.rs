//! The whole suite in two lanes at once: every test binary is built by one `cargo test --no-run`,
//! then the integration suite (`xtask`'s `it`, most of the time, mostly waiting on peers and child
//! processes) runs with more threads than cores, while the other binaries and the doc tests run
//! one after another beside it. Nothing is shared between the lanes: each test starts its own
//! servers in its own folders.
//!
//! `cargo test` itself runs binaries one at a time, each with one thread per core, so on a small
//! machine the waiting of one test is nobody's work.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use xtask::shell::{Shell, cmd};

/// The test binary that gets the first lane: the pipeline's integration suite.
const LONG: (&str, &str) = ("xtask", "it");

/// Threads the long binary runs its tests on: its tests wait on peers far more than they compute.
fn long_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).max(2) * 2
}

/// One test binary `cargo test --no-run` built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub package: String,
    pub target: String,
    pub executable: PathBuf,
    /// The package's folder: tests run there, as under `cargo test`.
    pub dir: PathBuf,
}

/// The `cargo test --no-run` that builds every test binary of the workspace, for [`built`].
pub fn build(sh: &Shell, cargo: &str, root: &Path) -> Command {
    let mut build: Command =
        cmd!(sh, "{cargo} test --workspace --locked --no-run --message-format=json-render-diagnostics").into();
    build.current_dir(root).stderr(Stdio::inherit());
    build
}

/// Runs the [`build`], and names the test binaries it built.
pub fn built(mut build: Command) -> anyhow::Result<Vec<Binary>> {
    let built = build.output().context("run `cargo test --no-run`")?;
    if !built.status.success() {
        bail!("the tests did not build");
    }
    binaries(&String::from_utf8_lossy(&built.stdout))
}

/// Runs the built test `binaries` in two lanes; `cargo` is the cargo the doc tests run with,
/// `env` what every test gets on top of this process's environment.
pub fn run(sh: &Shell, cargo: &str, root: &Path, binaries: Vec<Binary>, env: &[(&str, &Path)]) -> anyhow::Result<()> {
    let (long, short): (Vec<Binary>, Vec<Binary>) =
        binaries.into_iter().partition(|b| (b.package.as_str(), b.target.as_str()) == LONG);
    let test = |b: &Binary, extra: &[String]| {
        let exe = &b.executable;
        let mut test: Command = cmd!(sh, "{exe} --include-ignored {extra...}").into();
        test.current_dir(&b.dir).env("CARGO", cargo).env("CARGO_MANIFEST_DIR", &b.dir);
        test.envs(env.iter().copied());
        test
    };
    let threads = [format!("--test-threads={}", long_threads())];
    let long: Vec<(String, Command)> = long.iter().map(|b| (b.name(), test(b, &threads))).collect();
    let short: Vec<(String, Command)> = short.iter().map(|b| (b.name(), test(b, &[]))).collect();
    let mut doc: Command = cmd!(sh, "{cargo} test --workspace --locked --doc --quiet").into();
    doc.current_dir(root);
    let failed = std::thread::scope(|scope| {
        let beside = scope.spawn(move || {
            let mut failed = Vec::new();
            for (name, mut test) in short.into_iter().chain([("doc tests".to_owned(), doc)]) {
                // Captured, then shown whole, so the lanes' lines never interleave.
                let out = test.output();
                if let Ok(o) = &out {
                    print!("{}", String::from_utf8_lossy(&o.stdout));
                    eprint!("{}", String::from_utf8_lossy(&o.stderr));
                }
                if !out.is_ok_and(|o| o.status.success()) {
                    failed.push(name);
                }
            }
            failed
        });
        let mut failed = Vec::new();
        for (name, mut test) in long {
            if !test.status().is_ok_and(|s| s.success()) {
                failed.push(name);
            }
        }
        failed.extend(beside.join().unwrap_or_else(|_| vec!["the second lane".to_owned()]));
        failed
    });
    if !failed.is_empty() {
        bail!("tests failed in: {}", failed.join(", "));
    }
    Ok(())
}

impl Binary {
    fn name(&self) -> String {
        format!("{} ({})", self.target, self.package)
    }
}

/// The test binaries named in cargo's JSON messages, in the order cargo built them.
pub fn binaries(messages: &str) -> anyhow::Result<Vec<Binary>> {
    let mut out = Vec::new();
    for line in messages.lines().filter(|l| l.starts_with('{')) {
        let m: serde_json::Value = serde_json::from_str(line).context("read cargo's JSON message")?;
        let Some(executable) = m["executable"].as_str().filter(|_| m["profile"]["test"] == true) else { continue };
        let manifest = m["manifest_path"].as_str().context("cargo names the manifest of each artifact")?;
        let dir = Path::new(manifest).parent().context("a manifest is in a folder")?.to_path_buf();
        let package = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let target = m["target"]["name"].as_str().unwrap_or_default().to_owned();
        out.push(Binary { package, target, executable: PathBuf::from(executable), dir });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_binaries_are_read_from_cargos_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","manifest_path":"/w/xtask/Cargo.toml","target":{"name":"xtask"},"profile":{"test":false},"executable":"/w/target/debug/xtask"}"#,
            r#"{"reason":"compiler-artifact","manifest_path":"/w/xtask/Cargo.toml","target":{"name":"it"},"profile":{"test":true},"executable":"/w/target/debug/deps/it-1"}"#,
            r#"{"reason":"compiler-artifact","manifest_path":"/w/packages/lamina-infra/Cargo.toml","target":{"name":"lamina_infra"},"profile":{"test":true},"executable":"/w/target/debug/deps/lamina_infra-2"}"#,
            r#"{"reason":"compiler-artifact","manifest_path":"/w/serde/Cargo.toml","target":{"name":"serde"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        let found = binaries(&messages).unwrap();
        let names: Vec<(&str, &str)> = found.iter().map(|b| (b.package.as_str(), b.target.as_str())).collect();
        assert_eq!(names, [("xtask", "it"), ("lamina-infra", "lamina_infra")]);
        assert_eq!(found[1].dir, Path::new("/w/packages/lamina-infra"));
    }
}
