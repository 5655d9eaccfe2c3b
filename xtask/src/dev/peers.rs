//! The real programs the tests run against, and how to get them on a fresh machine:
//! Debian packages (registry, buildah, skopeo, umoci, htpasswd), a Python venv under
//! `target/peers/` with the Helm v4 SDK, and `terraform` from `PATH`.

use crate::shell::{self, Shell, cmd};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// Python packages of the venv, pinned.
pub const PYTHON_PACKAGES: &[&str] = &["helm-python-sdk==0.2.2", "pyjwt==2.15.1", "cryptography==50.0.2"];

/// `(program, Debian package)` pairs the tests need.
pub const DEBIAN: &[(&str, &str)] = &[
    ("docker-registry", "docker-registry"),
    ("buildah", "buildah"),
    ("skopeo", "skopeo"),
    ("umoci", "umoci"),
    ("htpasswd", "apache2-utils"),
    ("openssl", "openssl"),
];

/// Where the peers live once provisioned.
#[derive(Debug, Clone)]
pub struct Peers {
    /// `target/peers`, handed to the tests as `LAMINA_TEST_PEERS`.
    pub dir: PathBuf,
    /// Peers that could not be provisioned, with the reason.
    pub missing: Vec<String>,
}

/// Installs what is missing. `strict` (CI) turns any missing peer into an error.
pub fn provision(sh: &Shell, root: &Path, strict: bool) -> anyhow::Result<Peers> {
    let dir = root.join("target/peers");
    std::fs::create_dir_all(&dir)?;
    let mut missing = Vec::new();

    let packages: Vec<&str> =
        DEBIAN.iter().filter(|(bin, _)| shell::which(bin).is_none()).map(|(_, pkg)| *pkg).collect();
    if !packages.is_empty()
        && let Err(e) = apt_install(sh, &packages)
    {
        missing.push(format!("{} ({e:#})", packages.join(", ")));
    }
    if let Err(e) = python_venv(sh, &dir) {
        missing.push(format!("Python venv with {} ({e:#})", PYTHON_PACKAGES.join(" ")));
    }
    if shell::which("terraform").is_none() {
        missing.push("terraform 1.11 (not in Debian's packages: install HashiCorp's binary on PATH)".to_owned());
    }
    if shell::which("git").is_none() {
        missing.push("git".to_owned());
    }
    if strict && !missing.is_empty() {
        bail!("test peers are missing under CI=true, where none may be skipped:\n  {}", missing.join("\n  "));
    }
    Ok(Peers { dir, missing })
}

fn apt_install(sh: &Shell, packages: &[&str]) -> anyhow::Result<()> {
    if shell::which("apt-get").is_none() {
        bail!("this is not a Debian-like system: install them with your package manager");
    }
    let is_root = cmd!(sh, "id -u").quiet().read().is_ok_and(|id| id.trim() == "0");
    // Through `sudo -n` when not root: never prompt for a password.
    let (program, sudo): (&str, &[&str]) = match (is_root, shell::which("sudo")) {
        (true, _) => ("apt-get", &[]),
        (false, Some(_)) => ("sudo", &["-n", "apt-get"]),
        (false, None) => bail!("run as root: apt-get install -y {}", packages.join(" ")),
    };
    eprintln!("installing Debian packages: {}", packages.join(" "));
    cmd!(sh, "{program} {sudo...} update -q").quiet().ignore_stdout().run().context("apt-get update")?;
    cmd!(sh, "{program} {sudo...} install -y -q --no-install-recommends {packages...}")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .quiet()
        .ignore_stdout()
        .run()
        .context("apt-get install")?;
    Ok(())
}

/// `target/peers/venv` with the pinned packages; reused while the pins are unchanged.
fn python_venv(sh: &Shell, dir: &Path) -> anyhow::Result<()> {
    let venv = dir.join("venv");
    let marker = venv.join("lamina-requirements.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return Ok(());
    }
    let python = shell::which("python3").context("python3 is not on PATH")?;
    eprintln!("creating the Python venv for the Helm SDK in {}", venv.display());
    if venv.exists() {
        std::fs::remove_dir_all(&venv)?;
    }
    if cmd!(sh, "{python} -m venv {venv}").quiet().ignore_stdout().run().is_err() {
        // Debian splits venv support out of python3.
        apt_install(sh, &["python3-venv"])?;
        cmd!(sh, "{python} -m venv {venv}").quiet().run()?;
    }
    let pip = venv.join("bin/pip");
    cmd!(sh, "{pip} install -q --disable-pip-version-check {PYTHON_PACKAGES...}").quiet().run()?;
    std::fs::write(marker, wanted)?;
    Ok(())
}
