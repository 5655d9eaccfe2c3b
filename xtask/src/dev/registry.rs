//! A throwaway CNCF distribution registry (Debian `docker-registry`) on a loopback port the
//! system picks, for benchmarks; stopped on drop.

use anyhow::{Context, bail};
use std::io::BufRead;
use std::process::{Child, Stdio};

pub struct LocalRegistry {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl LocalRegistry {
    pub fn start() -> anyhow::Result<LocalRegistry> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog: {{level: info}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: \"127.0.0.1:0\", secret: bench}}\n",
                dir.path().join("data").display()
            ),
        )?;
        let sh = xshell::Shell::new()?;
        let mut command: std::process::Command = xshell::cmd!(sh, "docker-registry serve {config}").into();
        let mut child =
            command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().context("start docker-registry")?;
        let stderr = child.stderr.take().context("registry stderr")?;
        let mut lines = std::io::BufReader::new(stderr).lines();
        // The registry logs its address once it listens; reading blocks until then (or EOF).
        let port = lines.by_ref().map_while(Result::ok).find_map(|l| {
            let rest = l.split("listening on 127.0.0.1:").nth(1)?;
            rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        });
        let Some(port) = port else {
            let _ = child.kill();
            bail!("docker-registry did not start");
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        Ok(LocalRegistry { child, port, _dir: dir })
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
