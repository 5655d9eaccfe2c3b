//! A throwaway CNCF distribution registry (Debian `docker-registry`) on a loopback port the
//! system picks, optionally with bcrypt htpasswd users or extra configuration (token auth); its
//! access log is kept so tests and benchmarks can count requests. Stopped on drop.
//! [`TokenRegistry`] puts a GHCR-style token service in front of one.

use anyhow::{Context, bail};
use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use xshell::{Shell, cmd};

/// How to start a registry; `Default` is an anonymous plain-HTTP one.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options<'a> {
    /// `(name, password)` pairs for a bcrypt htpasswd file.
    pub users: &'a [(&'a str, &'a str)],
    /// The registry kills itself (`kill -9`) when a log line contains this.
    pub die_on: Option<&'a str>,
    /// Appended to the configuration (e.g. token auth).
    pub extra: &'a str,
    /// `(certificate, key)` PEM files: serve HTTPS.
    pub tls: Option<(&'a std::path::Path, &'a std::path::Path)>,
    /// The port; 0: one the system picks.
    pub port: u16,
}

pub struct LocalRegistry {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl LocalRegistry {
    /// An anonymous registry, or one with `users` (`(name, password)`) in a bcrypt htpasswd file.
    pub fn start(users: &[(&str, &str)]) -> anyhow::Result<LocalRegistry> {
        Self::start_with(tempfile::tempdir()?, Options { users, ..Options::default() })
    }

    /// A registry storing its data in `dir` (kept by the server).
    pub fn start_with(dir: tempfile::TempDir, options: Options) -> anyhow::Result<LocalRegistry> {
        let Options { users, die_on, extra, tls, port } = options;
        let sh = Shell::new()?;
        let mut config = format!(
            "version: 0.1\nlog: {{level: info}}\nstorage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\nhttp: {{addr: \"127.0.0.1:{port}\", secret: local-only}}\n",
            dir.path().join("data").display()
        );
        if let Some((certificate, key)) = tls {
            config = config.replace(
                "secret: local-only}",
                &format!(
                    "secret: local-only, tls: {{certificate: {}, key: {}}}}}",
                    certificate.display(),
                    key.display()
                ),
            );
        }
        if !users.is_empty() {
            let mut htpasswd = String::new();
            for (user, pass) in users {
                htpasswd.push_str(cmd!(sh, "htpasswd -Bbn {user} {pass}").quiet().read()?.trim());
                htpasswd.push('\n');
            }
            let path = dir.path().join("htpasswd");
            std::fs::write(&path, htpasswd)?;
            config.push_str(&format!("auth: {{htpasswd: {{realm: local-realm, path: {}}}}}\n", path.display()));
        }
        config.push_str(extra);
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config)?;
        let mut command: std::process::Command = cmd!(sh, "docker-registry serve {config_path}").into();
        let mut child =
            command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().context("start docker-registry")?;
        let mut lines = std::io::BufReader::new(child.stderr.take().context("registry stderr")?).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let mut port = None;
        // The registry logs its address once it listens; reading blocks until then (or EOF).
        for line in lines.by_ref().map_while(Result::ok) {
            log.lock().expect("not poisoned").push_str(&format!("{line}\n"));
            if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
                port = rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|p| p.parse().ok());
                break;
            }
        }
        let Some(port) = port else {
            let _ = child.kill();
            bail!("docker-registry did not start: {}", log.lock().expect("not poisoned"));
        };
        // Keep draining its log, so it never blocks on a full pipe.
        let (sink, pid, die_on) = (log.clone(), child.id().to_string(), die_on.map(str::to_owned));
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if die_on.as_deref().is_some_and(|p| line.contains(p))
                    && let Ok(sh) = Shell::new()
                {
                    let _ = cmd!(sh, "kill -9 {pid}").quiet().run();
                }
                sink.lock().expect("not poisoned").push_str(&format!("{line}\n"));
            }
        });
        Ok(LocalRegistry { child, port, log, dir })
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the server and starts a new one on the same storage (on another port).
    pub fn restart(mut self) -> anyhow::Result<LocalRegistry> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir()?);
        LocalRegistry::start_with(dir, Options::default())
    }

    /// The access log so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("not poisoned").clone()
    }

    /// Completed requests with `method` whose URI contains `uri`.
    pub fn requests(&self, method: &str, uri: &str) -> usize {
        let method = format!("http.request.method={method} ");
        self.log()
            .lines()
            .filter(|l| l.contains("response completed") && l.contains(&method) && l.contains(uri))
            .count()
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry that, like ghcr.io, answers 401 with a Bearer challenge and accepts only tokens
/// from its token service (`xtask/tests/peers/token_server.py`, which trades Basic credentials
/// for signed tokens). Both stop on drop.
pub struct TokenRegistry {
    pub registry: LocalRegistry,
    tokens: Child,
    _keys: tempfile::TempDir,
}

impl TokenRegistry {
    /// Starts the token service under `python` (the peers' venv), accepting `credentials`
    /// (`user:password`), and a registry trusting its signing certificate.
    pub fn start(python: &std::path::Path, credentials: &str) -> anyhow::Result<TokenRegistry> {
        Self::start_logged(python, credentials, None)
    }

    /// [`start`](Self::start), the token service appending every `Authorization` header it is
    /// sent to `log`.
    pub fn start_logged(
        python: &std::path::Path,
        credentials: &str,
        log: Option<&std::path::Path>,
    ) -> anyhow::Result<TokenRegistry> {
        let keys = tempfile::tempdir()?;
        let (key, cert) = (keys.path().join("signer.key"), keys.path().join("signer.crt"));
        let sh = Shell::new()?;
        let subject = "/CN=token-signer";
        cmd!(sh, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj {subject} -keyout {key} -out {cert}")
            .quiet()
            .ignore_stderr()
            .run()
            .context("openssl makes the token signing key: run `cargo xtask test`")?;
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../xtask/tests/peers/token_server.py");
        let (service, issuer) = ("test-registry", "test-issuer");
        let mut command: std::process::Command =
            cmd!(sh, "{python} {script} {key} {cert} {service} {issuer} {credentials} {log...}").into();
        let mut tokens = command.stdout(Stdio::piped()).spawn().context("start the token service")?;
        let stdout = tokens.stdout.take().context("token service stdout")?;
        // The service prints its port once it listens; reading blocks until then (or EOF).
        let mut port = String::new();
        std::io::BufReader::new(stdout).read_line(&mut port)?;
        if port.trim().parse::<u16>().is_err() {
            let _ = tokens.kill();
            bail!("the token service did not start");
        }
        let auth = format!(
            "auth: {{token: {{realm: \"http://127.0.0.1:{}/token\", service: {service}, issuer: {issuer}, rootcertbundle: {}}}}}\n",
            port.trim(),
            cert.display()
        );
        let started = LocalRegistry::start_with(tempfile::tempdir()?, Options { extra: &auth, ..Options::default() });
        match started {
            Ok(registry) => Ok(TokenRegistry { registry, tokens, _keys: keys }),
            Err(e) => {
                let _ = tokens.kill();
                let _ = tokens.wait();
                Err(e)
            }
        }
    }
}

impl std::ops::Deref for TokenRegistry {
    type Target = LocalRegistry;

    fn deref(&self) -> &LocalRegistry {
        &self.registry
    }
}

impl Drop for TokenRegistry {
    fn drop(&mut self) {
        let _ = self.tokens.kill();
        let _ = self.tokens.wait();
    }
}
