//! Rust packages shipped with the release: the program compiled once, with every local path
//! (cargo's home, the toolchain, the build folder; the checkout's are relative) remapped out of it, then put
//! in a `{name}-{version}-{target}.tar.gz` and, when maturin is here, in a Python wheel
//! (`bindings = "bin"`) whose entry times come from `SOURCE_DATE_EPOCH`.
//!
//! A Linux program is compiled once by maturin with zig as its linker, against glibc 2.17
//! (`manylinux_2_17`) or statically against musl (`musllinux_1_2`), and the archive takes that
//! binary. Elsewhere maturin compiles first and the plain `cargo build` after it finds everything
//! fresh. Either way the archive and the wheel hold the same bytes.

use crate::plan::{Entry, PackagePlan, select::EntryKind};
use crate::shell::{self, Shell, cmd, run_captured};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// The maturin release wheels are built with; another version may pack other bytes.
pub const MATURIN: &str = "1.16.0";

/// The zig (PyPI `ziglang`) Linux programs are linked with; another version may link other bytes.
pub const ZIGLANG: &str = "0.17.1";

/// Why a package has no wheel when its `[[package]]` says `wheel = false`.
pub const NO_WHEEL: &str = "not asked for (`wheel = false`)";

/// What one package build made, in the output folder.
#[derive(Debug)]
pub struct Made {
    /// The binary archive's file name.
    pub archive: String,
    /// The wheel's file name, or why none was built here.
    pub wheel: Result<String, String>,
}

/// The tools a package's release build needs, looked up once: maturin, and for a Linux target
/// zig (a Linux program is linked by zig against glibc 2.17, or statically against musl, so its
/// one archive and wheel run on every mainstream distribution).
pub struct Tools {
    maturin: Result<PathBuf, String>,
    /// A Linux target's wheel tag, or why it cannot be built (no zig, or no maturin); `None`
    /// for other targets.
    portable: Option<Result<&'static str, String>>,
}

impl Tools {
    pub fn find(sh: &Shell, package: &PackagePlan) -> Tools {
        let maturin = maturin(sh);
        let portable = portable(&package.target).map(|tag| match &maturin {
            Ok(_) => zig(sh).map(|()| tag),
            Err(why) => Err(why.clone()),
        });
        Tools { maturin, portable }
    }

    /// Why the release's build of `package` cannot run on this machine, when it cannot: its
    /// wheel needs maturin, and a Linux program zig as well. `dry-run` then reports the package
    /// as not built here rather than compiling a program the release would not publish;
    /// `release` and a build job stop before compiling anything ([`cannot_build`]).
    pub fn missing(&self, package: &PackagePlan) -> Option<&str> {
        match (&self.maturin, &self.portable) {
            _ if !package.wheel => None,
            (Err(why), _) | (Ok(_), Some(Err(why))) => Some(why),
            _ => None,
        }
    }
}

/// The error of a package whose wheel cannot be built here, for the reason `why`.
pub fn cannot_build(name: &str, why: &str) -> anyhow::Error {
    anyhow::format_err!("the wheel of package `{name}` cannot be built here: {why}")
}

/// Builds `package` at `version` into `out`.
pub fn build(
    sh: &Shell,
    root: &Path,
    package: &PackagePlan,
    tools: &Tools,
    version: &str,
    epoch: i64,
    out: &Path,
) -> anyhow::Result<Made> {
    let target_dir = target_dir(root);
    let manifest = root.join(&package.path).join("Cargo.toml");
    let rustc = run_captured(cmd!(sh, "rustc -vV"))?;
    let rustc = |key: &str| rustc.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_owned());
    let commit = rustc("commit-hash: ").unwrap_or_else(|| "unknown".to_owned());
    let env = environment(sh, &target_dir, epoch, (&commit, &package.target))?;
    // Another target than this machine's is cross-compiled; the job graph builds each natively.
    let cross: Vec<String> = match rustc("host: ").as_ref() == Some(&package.target) {
        true => Vec::new(),
        false => vec!["--target".to_owned(), package.target.clone()],
    };
    // A Linux program: maturin builds the archive's binary and the wheel from one compilation.
    // Elsewhere, maturin builds the wheel and cargo then finds everything fresh.
    let (maturin, portable) = (&tools.maturin, &tools.portable);
    let name = &package.name;
    let exe = if package.target.contains("-windows-") { format!("{name}.exe") } else { name.clone() };
    let (wheel, program) = match (maturin, portable) {
        (Ok(maturin), Some(Ok(tag))) => {
            let target = package.target.clone();
            let args = [
                "--target".to_owned(),
                target.clone(),
                "--zig".to_owned(),
                "--compatibility".to_owned(),
                tag.to_string(),
            ];
            let built = wheel(sh, &env, maturin, (&manifest, &args), &target_dir, out)?;
            let wheel = match package.wheel {
                true => Ok(built),
                false => {
                    std::fs::remove_file(out.join(&built))?;
                    Err(NO_WHEEL.to_owned())
                }
            };
            (wheel, target_dir.join(&target).join("release").join(&exe))
        }
        _ => {
            let wheel = match (package.wheel, maturin, portable) {
                (false, _, _) => Err(NO_WHEEL.to_owned()),
                (true, _, Some(Err(why))) | (true, Err(why), _) => Err(why.clone()),
                (true, Ok(maturin), _) => Ok(wheel(sh, &env, maturin, (&manifest, &cross), &target_dir, out)?),
            };
            if let Some(Err(why)) = &portable {
                eprintln!(
                    "note: package `{name}` is linked against this machine's C library, not built to run everywhere: {why}"
                );
            }
            let cross_args = &cross;
            let cargo = cmd!(
                sh,
                "cargo build --release --locked --manifest-path {manifest} --bin {name} --target-dir {target_dir} {cross_args...}"
            );
            run_captured(cargo.envs(env.iter().cloned())).with_context(|| format!("build package `{name}`"))?;
            (wheel, cross.get(1).map_or_else(|| target_dir.clone(), |t| target_dir.join(t)).join("release").join(&exe))
        }
    };
    let folder = lamina_release_format::names::package_folder(name, version, &package.target);
    let mut entries = vec![
        Entry { name: folder.clone(), mode: 0o755, kind: EntryKind::Dir },
        Entry {
            name: format!("{folder}/{exe}"),
            mode: 0o755,
            kind: EntryKind::File { source: program.to_string_lossy().into_owned() },
        },
    ];
    let generated = tempfile::tempdir()?;
    if package.completions || package.man {
        if !cross.is_empty() && !runs_on(rustc("host: ").as_deref().unwrap_or_default(), &package.target) {
            bail!(
                "package `{name}`: its completions and man page come from running it, and this machine cannot run a `{}` program; build it on its native runner (`cargo xtask build --target {}` there)",
                package.target,
                package.target
            );
        }
        entries.extend(documents(sh, &program, package, generated.path())?.into_iter().map(|(path, source)| {
            let kind = match source {
                Some(source) => EntryKind::File { source: source.to_string_lossy().into_owned() },
                None => EntryKind::Dir,
            };
            Entry { name: format!("{folder}/{path}"), mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 }, kind }
        }));
    }
    super::archive::write_tar_gz(root, &entries, epoch, &out.join(&package.file), &|_, data| Ok(data))
        .with_context(|| format!("write `{}`", package.file))?;
    Ok(Made { archive: package.file.clone(), wheel })
}

/// Whether a program built for `target` runs on `host`: the same target, or a static musl
/// program on a Linux host of its architecture.
fn runs_on(host: &str, target: &str) -> bool {
    let arch = |t: &str| t.split('-').next().unwrap_or_default().to_owned();
    host == target || (target.ends_with("-linux-musl") && host.contains("-linux-") && arch(host) == arch(target))
}

/// The shells a package's completions are made for, and each file's name as the shell's own
/// completion folders expect it (`{}` is the program's name).
pub const SHELLS: &[(&str, &str)] =
    &[("bash", "{}.bash"), ("zsh", "_{}"), ("fish", "{}.fish"), ("powershell", "_{}.ps1"), ("elvish", "{}.elv")];

/// Runs the built `program` for its completions and man page, written under `scratch`; returns
/// each archive path (below the package's folder) with its file, `None` for a folder.
fn documents(
    sh: &Shell,
    program: &Path,
    package: &PackagePlan,
    scratch: &Path,
) -> anyhow::Result<Vec<(String, Option<PathBuf>)>> {
    let name = &package.name;
    let mut out = Vec::new();
    let mut write = |path: String, args: &[&str]| -> anyhow::Result<()> {
        let text = run_captured(cmd!(sh, "{program} {args...}"))
            .with_context(|| format!("package `{name}`: run `{name} {}`", args.join(" ")))?;
        if text.trim().is_empty() {
            bail!("package `{name}`: `{name} {}` printed nothing", args.join(" "));
        }
        let file = scratch.join(path.replace('/', "-"));
        std::fs::write(&file, text)?;
        out.push((path, Some(file)));
        Ok(())
    };
    if package.completions {
        for (shell, file) in SHELLS {
            write(format!("completions/{}", file.replace("{}", name)), &["completions", shell])?;
        }
    }
    if package.man {
        write(format!("man/man1/{name}.1"), &["man"])?;
    }
    let folders = ["completions", "man", "man/man1"]
        .into_iter()
        .filter(|f| out.iter().any(|(p, _)| p.starts_with(&format!("{f}/"))));
    let mut all: Vec<(String, Option<PathBuf>)> = folders.map(|f| (f.to_owned(), None)).collect();
    all.extend(out);
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(all)
}

/// Packages build in their own folder so their flags never invalidate other builds.
fn target_dir(root: &Path) -> PathBuf {
    let base = crate::env::var(crate::env::CARGO_TARGET_DIR).map_or_else(|| root.join("target"), PathBuf::from);
    base.join("lamina-packages")
}

/// The build's environment: path remapping, stripped symbols, and the wheel's entry time.
/// `commit` is the compiler's commit hash (where its sources are remapped to), `target` what the
/// package is built for.
fn environment(
    sh: &Shell,
    target_dir: &Path,
    epoch: i64,
    (commit, target): (&str, &str),
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let home = crate::env::var(crate::env::CARGO_HOME)
        .map(PathBuf::from)
        .or_else(|| crate::env::var(crate::env::HOME).map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let sysroot = run_captured(cmd!(sh, "rustc --print sysroot"))?.trim().to_owned();
    // Workspace members are compiled with paths relative to the checkout, so the checkout needs
    // no rule, and the flags stay the same for every clone sharing a build folder (cargo
    // rebuilds everything when its flags change).
    let remaps = [
        (home.join("registry/src"), "/cargo/registry/src".to_owned()),
        (home.join("git/checkouts"), "/cargo/git/checkouts".to_owned()),
        (PathBuf::from(&sysroot).join("lib/rustlib/src/rust"), format!("/rustc/{commit}")),
        (target_dir.to_path_buf(), "/target".to_owned()),
    ];
    let mut flags: Vec<String> =
        remaps.iter().map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display())).collect();
    // MSVC's linker stamps each binary with the time and a fresh id unless told otherwise.
    if target.ends_with("-windows-msvc") {
        flags.push("-Clink-arg=/Brepro".to_owned());
    }
    Ok(vec![
        ("CARGO_ENCODED_RUSTFLAGS", flags.join("\u{1f}")),
        ("CARGO_PROFILE_RELEASE_STRIP", "symbols".to_owned()),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false".to_owned()),
        ("SOURCE_DATE_EPOCH", epoch.to_string()),
    ])
}

/// The wheel tag a Linux target is built for: `manylinux2014` (glibc 2.17, `manylinux_2_17`) or
/// `musllinux_1_2` (static); `None` elsewhere.
fn portable(target: &str) -> Option<&'static str> {
    match target {
        t if t.ends_with("-linux-gnu") => Some("manylinux2014"),
        t if t.ends_with("-linux-musl") => Some("musllinux_1_2"),
        _ => None,
    }
}

/// The zig toolchain maturin's `--zig` links with is here (`zig` on PATH, or PyPI's `ziglang`
/// for `python3`), or why not.
fn zig(sh: &Shell) -> Result<(), String> {
    if shell::which("zig").is_some() || cmd!(sh, "python3 -m ziglang version").quiet().ignore_stderr().read().is_ok() {
        return Ok(());
    }
    Err(format!("zig is not here; install it with `pip install ziglang=={ZIGLANG}` beside maturin"))
}

/// maturin at the pinned version, or why it cannot be used.
fn maturin(sh: &Shell) -> Result<PathBuf, String> {
    let get = format!("install it with `pip install maturin=={MATURIN}` (or `pipx install maturin=={MATURIN}`)");
    let Some(path) = shell::which("maturin") else {
        return Err(format!("maturin is not on PATH; {get}"));
    };
    let found = run_captured(cmd!(sh, "{path} --version")).unwrap_or_default();
    match found.split_whitespace().nth(1) {
        Some(v) if v == MATURIN => Ok(path),
        other => Err(format!(
            "maturin {} is on PATH, but release wheels are built with {MATURIN} so that they are reproducible; {get}",
            other.unwrap_or("of an unknown version")
        )),
    }
}

/// `maturin build` into a scratch folder, then the one wheel moved into `out`.
fn wheel(
    sh: &Shell,
    env: &[(&'static str, String)],
    maturin: &Path,
    (manifest, cross): (&Path, &[String]),
    target_dir: &Path,
    out: &Path,
) -> anyhow::Result<String> {
    let scratch = out.join(".wheel");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    let build = cmd!(
        sh,
        "{maturin} build --release --locked --manifest-path {manifest} --target-dir {target_dir} --out {scratch} {cross...}"
    );
    run_captured(build.envs(env.iter().cloned())).context("build the wheel with maturin")?;
    take_one(&scratch, ".whl", out)
}

/// Moves the one file of `scratch` named `*{suffix}` into `out`, removes `scratch`, and returns
/// the file's name.
fn take_one(scratch: &Path, suffix: &str, out: &Path) -> anyhow::Result<String> {
    let made: Vec<PathBuf> = std::fs::read_dir(scratch)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    let [file] = made.as_slice() else {
        bail!("maturin made {} `*{suffix}` files in `{}`, expected one", made.len(), scratch.display());
    };
    let name = file.file_name().context("a file without a name")?.to_string_lossy().into_owned();
    std::fs::rename(file, out.join(&name))?;
    std::fs::remove_dir_all(scratch)?;
    Ok(name)
}

/// `maturin sdist` of `package` into `out`: the source distribution the Python index gets
/// besides the wheel. Its tar entries are dated `SOURCE_DATE_EPOCH` (set to `epoch`), so two
/// builds of one commit give the same bytes. Returns its file name.
pub fn sdist(sh: &Shell, root: &Path, package: &PackagePlan, epoch: i64, out: &Path) -> anyhow::Result<String> {
    let maturin = maturin(sh).map_err(|why| anyhow::format_err!("the sdist of package `{}`: {why}", package.name))?;
    let manifest = root.join(&package.path).join("Cargo.toml");
    let scratch = out.join(".sdist");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    // `maturin sdist` has no `--locked`: a lock file it rewrites is put back and refused.
    let locks: Vec<(PathBuf, Vec<u8>)> = [root.join("Cargo.lock"), root.join(&package.path).join("Cargo.lock")]
        .into_iter()
        .filter_map(|p| Some((p.clone(), std::fs::read(&p).ok()?)))
        .collect();
    let build = cmd!(sh, "{maturin} sdist --manifest-path {manifest} --out {scratch}");
    let built = run_captured(build.env("SOURCE_DATE_EPOCH", epoch.to_string()));
    for (path, bytes) in &locks {
        if std::fs::read(path).ok().as_ref() != Some(bytes) {
            std::fs::write(path, bytes)?;
            return Err(lamina_remote::hint::fail(
                format!(
                    "`maturin sdist` rewrote `{}`: the committed lock file is not what cargo writes",
                    path.display()
                ),
                "run `cargo metadata` (or any cargo build) in the package, commit the updated Cargo.lock, and tag again",
            ));
        }
    }
    built.with_context(|| format!("build the sdist of package `{}` with maturin", package.name))?;
    take_one(&scratch, ".tar.gz", out)
}
