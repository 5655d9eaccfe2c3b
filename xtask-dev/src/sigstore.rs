//! A loopback Sigstore: Fulcio, Rekor (v1) and a timestamp authority from npm `@sigstore/mock`,
//! served by `peers/sigstore.js` on 127.0.0.1 with fresh keys, and the ClientTrustConfig that
//! names them, as signers and verifiers read it. Its Fulcio certifies a GitHub Actions identity
//! as the real one does (the SAN is the workflow at its ref, the issuer the token's `iss`), and
//! [`github_token`] stands in for the job's OIDC token. Stopped on drop.

use anyhow::{Context, bail};
use base64::Engine;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The running stand-in.
pub struct Sigstore {
    child: Child,
    /// `http://127.0.0.1:PORT`: Fulcio, Rekor and the timestamp authority.
    pub url: String,
    /// The ClientTrustConfig JSON (trusted root and signing config).
    pub trust_config: PathBuf,
    dir: tempfile::TempDir,
}

impl Sigstore {
    /// Starts the stand-in with node and the npm packages of `peers` (`target/peers`).
    pub fn start(peers: &Path) -> anyhow::Result<Sigstore> {
        Sigstore::spawn(peers, &[])
    }

    /// As [`Sigstore::start`], but its timestamp authority dates every timestamp an hour late:
    /// after the certificate Fulcio issued (valid ten minutes) expired, as a signature made with
    /// an expired certificate's key would be.
    pub fn start_with_late_timestamps(peers: &Path) -> anyhow::Result<Sigstore> {
        Sigstore::spawn(peers, &["--late-timestamps"])
    }

    fn spawn(peers: &Path, options: &[&str]) -> anyhow::Result<Sigstore> {
        let dir = tempfile::tempdir()?;
        let trust_config = dir.path().join("trust-config.json");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/sigstore.js");
        let log = std::fs::File::create(dir.path().join("log"))?;
        let node = xtask::shell::which("node").context("node is not on PATH (Debian's `nodejs`)")?;
        #[allow(clippy::disallowed_methods)] // the one process this runner starts
        let mut child = std::process::Command::new(node)
            .arg(&script)
            .args(options)
            .arg(&trust_config)
            .env("NODE_PATH", peers.join("npm/node_modules"))
            // Its standard input closing (this process gone) stops it too.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("start the Sigstore stand-in (npm @sigstore/mock in the peers: run `cargo xtask test`)")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (sender, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let mut sigstore = Sigstore { child, url: String::new(), trust_config, dir };
        let line = match ready.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => bail!("the Sigstore stand-in did not start within 30 s: {}", sigstore.log()),
        };
        let said: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("the Sigstore stand-in said `{}`: {}", line.trim(), sigstore.log()))?;
        sigstore.url = said["url"].as_str().context("no url in the stand-in's ready line")?.to_owned();
        Ok(sigstore)
    }

    /// What the stand-in wrote on stderr (its refusals), for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Sigstore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The job's OIDC token as GitHub Actions issues it for `workflow` (`.github/workflows/release.yml`)
/// of `repository` at `git_ref`, for the audience `sigstore`, valid ten minutes. Unsigned
/// (`alg: none`): the stand-in's Fulcio reads the claims and checks no signature.
pub fn github_token(repository: &str, workflow: &str, git_ref: &str, commit: &str) -> String {
    token(GITHUB_ISSUER, repository, workflow, git_ref, commit)
}

/// [`github_token`]'s claims as another OIDC provider, `issuer`, would issue them, its subject
/// the workflow's URL: the stand-in's Fulcio certifies the same identity (the SAN) for that
/// issuer, as a Fulcio trusting that provider would.
pub fn token(issuer: &str, repository: &str, workflow: &str, git_ref: &str, commit: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let job = format!("{repository}/{workflow}@{git_ref}");
    let sub = if issuer == GITHUB_ISSUER {
        format!("repo:{repository}:ref:{git_ref}")
    } else {
        format!("https://github.com/{job}")
    };
    let claims = serde_json::json!({
        "iss": issuer,
        "sub": sub,
        "aud": "sigstore",
        "iat": now, "nbf": now - 5, "exp": now + 600,
        "repository": repository,
        "repository_owner": repository.split('/').next().unwrap_or_default(),
        "ref": git_ref, "sha": commit,
        "workflow_ref": job, "workflow_sha": commit,
        "job_workflow_ref": job, "job_workflow_sha": commit,
        "event_name": "push", "runner_environment": "github-hosted",
        "run_id": "1", "run_attempt": "1",
    });
    let part = |value: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.", part(&serde_json::json!({ "alg": "none", "typ": "JWT" })), part(&claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The independent verifier (PyPI `sigstore`) signs against the stand-in and verifies what it
    /// signed offline, for the identity Fulcio gives a release workflow, and refuses another.
    #[test]
    #[ignore = "needs the test peers: run `cargo xtask test`"]
    fn python_sigstore_signs_and_verifies_a_release_workflow_s_identity() {
        #[allow(clippy::disallowed_methods)] // where the peers are
        let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect("LAMINA_TEST_PEERS"));
        let sigstore = Sigstore::start(&peers).unwrap();
        let work = tempfile::tempdir().unwrap();
        let artifact = work.path().join("SHA256SUMS");
        std::fs::write(&artifact, "aaaa  demo-0.2.0.tgz\n").unwrap();
        let bundle = work.path().join("SHA256SUMS.sigstore.json");
        let token =
            github_token("acme/infra-demo", ".github/workflows/release.yml", "refs/tags/v0.2.0", &"0".repeat(40));
        let sigstore_cli = |args: &[&str]| {
            #[allow(clippy::disallowed_methods)] // the peer under test
            let out = std::process::Command::new(peers.join("venv/bin/sigstore"))
                .arg("--trust-config")
                .arg(&sigstore.trust_config)
                .args(args)
                .output()
                .unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let (a, b) = (artifact.to_str().unwrap(), bundle.to_str().unwrap());
        let (signed, said) = sigstore_cli(&["sign", "--identity-token", &token, "--bundle", b, a]);
        assert!(signed, "{said}\n{}", sigstore.log());
        let identity = "https://github.com/acme/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0";
        let verify = |identity: &str| {
            let args = ["verify", "identity", "--bundle", b, "--cert-identity", identity];
            sigstore_cli(&[&args[..], &["--cert-oidc-issuer", GITHUB_ISSUER, a]].concat())
        };
        let (verified, said) = verify(identity);
        assert!(verified, "{said}");
        let (other, _) = verify("https://github.com/evil/infra-demo/.github/workflows/release.yml@refs/tags/v0.2.0");
        assert!(!other, "another repository's identity is refused");
        std::fs::write(&artifact, "bbbb  demo-0.2.0.tgz\n").unwrap();
        assert!(!verify(identity).0, "a changed artifact is refused");
    }
}
