//! `[[package]]`: a Rust program shipped as a binary archive and a maturin wheel, listed in
//! `SHA256SUMS` and the manifest, byte-identical from two clones at different paths, installed
//! by pip; without maturin, `dry-run` says how to get it and `release` stops before any write.

use crate::release::World;
use crate::support::{TestRepo, peers, run, xtask_in};
use std::path::{Path, PathBuf};
use xtask_dev::github::Options;

const TOOL: &str = "hello-tool";

/// Adds a tiny Rust program with no dependencies as `[[package]]` `hello-tool` and commits.
pub fn add_package(repo: &TestRepo, version: &str) {
    let dir = format!("tools/{TOOL}");
    repo.write(
        &format!("{dir}/Cargo.toml"),
        &format!(
            "[package]\nname = \"{TOOL}\"\nversion = \"{version}\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n"
        ),
    );
    repo.write(
        &format!("{dir}/Cargo.lock"),
        &format!("version = 4\n\n[[package]]\nname = \"{TOOL}\"\nversion = \"{version}\"\n"),
    );
    repo.write(&format!("{dir}/src/main.rs"), "fn main() {\n    println!(\"hello from the tool\");\n}\n");
    repo.write(
        &format!("{dir}/pyproject.toml"),
        &format!(
            "[build-system]\nrequires = [\"maturin==1.16.0\"]\nbuild-backend = \"maturin\"\n\n[project]\nname = \"{TOOL}\"\ndynamic = [\"version\"]\n\n[tool.maturin]\nbindings = \"bin\"\nstrip = false\n\n[tool.maturin.sbom]\nrust = false\n"
        ),
    );
    let config = repo.read("release.toml");
    repo.write("release.toml", &format!("{config}\n[[package]]\nname = \"{TOOL}\"\npath = \"{dir}\"\n"));
    repo.commit("add a package");
}

/// `PATH` with the peers' venv (maturin, pip) first.
pub fn path_with_maturin() -> String {
    let venv = peers("maturin").join("venv/bin");
    assert!(venv.join("maturin").exists(), "maturin is missing from the peers: run `cargo xtask test`");
    format!("{}:{}", venv.display(), std::env::var("PATH").unwrap_or_default())
}

fn host_target() -> String {
    let out = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("host: ")).unwrap().trim().to_owned()
}

pub(crate) fn wheel_in(dir: &Path) -> PathBuf {
    let wheels: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels[0].clone()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn a_package_ships_as_an_archive_and_a_wheel_that_pip_installs() {
    let repo = TestRepo::fixture("minimal");
    add_package(&repo, "0.2.0");
    let path = path_with_maturin();
    repo.xtask_env(&["dry-run", "--builder", "none"], &[("PATH", &path)]).ok();
    let out = repo.out("0.2.0");
    let target = host_target();
    let archive = format!("{TOOL}-0.2.0-{target}.tar.gz");
    let wheel = wheel_in(&out);
    let wheel_name = wheel.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(wheel_name.starts_with("hello_tool-0.2.0-py3-none-"), "{wheel_name}");

    // Both are listed in SHA256SUMS and in the manifest, with the target.
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    for file in [&archive, &wheel_name] {
        assert!(sums.lines().any(|l| l.ends_with(&format!("  {file}"))), "{file} not in\n{sums}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("release-manifest.json")).unwrap()).unwrap();
    let kinds: Vec<(String, String, String)> = manifest["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == TOOL)
        .map(|c| {
            (
                c["kind"].as_str().unwrap().into(),
                c["file"].as_str().unwrap().into(),
                c["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("binary".into(), archive.clone(), target.clone()), ("wheel".into(), wheel_name.clone(), target.clone())]
    );

    // The archive holds `{name}-{version}-{target}/{name}`, executable; it runs.
    let names = crate::support::tar_names(&out.join(&archive));
    assert_eq!(names, [format!("{TOOL}-0.2.0-{target}/"), format!("{TOOL}-0.2.0-{target}/{TOOL}")]);
    let unpacked = tempfile::tempdir().unwrap();
    let file = std::fs::File::open(out.join(&archive)).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(file)).unpack(unpacked.path()).unwrap();
    let program = unpacked.path().join(format!("{TOOL}-0.2.0-{target}/{TOOL}"));
    assert_eq!(run(&program, &[], unpacked.path(), &[]).trim(), "hello from the tool");

    // pip installs the wheel into a fresh venv, which puts the same program on PATH.
    let venv = unpacked.path().join("venv");
    run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()], unpacked.path(), &[]);
    let pip = venv.join("bin/pip");
    run(&pip, &["install", "-q", "--no-index", wheel.to_str().unwrap()], unpacked.path(), &[]);
    let installed = venv.join("bin").join(TOOL);
    assert_eq!(run(&installed, &[], unpacked.path(), &[]).trim(), "hello from the tool");
    assert_eq!(std::fs::read(&installed).unwrap(), std::fs::read(&program).unwrap(), "wheel and archive differ");
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn packages_are_byte_identical_from_two_clones_at_different_paths() {
    let origin = TestRepo::fixture("minimal");
    add_package(&origin, "0.2.0");
    let path = path_with_maturin();
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (i, (umask, place)) in [("022", "a"), ("077", "somewhere/much/deeper")].iter().enumerate() {
        let clone = tmp.path().join(place).join(format!("clone{i}"));
        std::fs::create_dir_all(clone.parent().unwrap()).unwrap();
        let stamp = if i == 0 { "200001010000" } else { "203001010000" };
        crate::support::clone_with_umask(&origin.root, &clone, umask, stamp);
        // Each clone builds in its own folder, so nothing is shared between the two builds.
        let target_dir = clone.join("target/own-build");
        let env = [("PATH", path.as_str()), ("CARGO_TARGET_DIR", target_dir.to_str().unwrap())];
        xtask_in(&clone, &["dry-run", "--builder", "none"], &env).ok();
        let out = clone.join("target/release/v0.2.0");
        // No local path of this clone is left in the program.
        let archive = std::fs::read(out.join(format!("{TOOL}-0.2.0-{}.tar.gz", host_target()))).unwrap();
        let mut program = Vec::new();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()));
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.header().entry_type().is_file() {
                std::io::Read::read_to_end(&mut entry, &mut program).unwrap();
            }
        }
        let text = String::from_utf8_lossy(&program);
        for local in [clone.to_str().unwrap(), target_dir.to_str().unwrap(), &std::env::var("HOME").unwrap()] {
            assert!(!text.contains(local), "the program holds the local path {local}");
        }
        outputs.push(out);
    }
    let differ = xtask::build::compare_dirs(&outputs[0], &outputs[1]).unwrap();
    assert!(differ.is_empty(), "differ: {differ:?}");
    wheel_in(&outputs[0]);
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn without_maturin_dry_run_says_how_to_get_it_and_release_stops_before_any_write() {
    let world = World::new(Options::default());
    add_package(&world.repo, "0.2.0");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
    // PATH without the peers' venv: no maturin.
    let bare = "/usr/local/bin:/usr/bin:/bin";
    let cargo_bin = format!("{}/.cargo/bin:{bare}", std::env::var("HOME").unwrap());
    let dry = world.repo.xtask_env(&["dry-run", "--builder", "none"], &[("PATH", &cargo_bin)]).ok();
    assert!(dry.stdout.contains("not built here") || dry.stderr.contains("not built here"), "{}", dry.stdout);
    assert!(format!("{}{}", dry.stdout, dry.stderr).contains("pip install maturin==1.16.0"), "{}", dry.stdout);
    let release = world.xtask(&["release", "--builder", "buildah"], &[("PATH", &cargo_bin)]).fails();
    assert!(release.stderr.contains("maturin"), "{}", release.stderr);
    assert_eq!(world.writes(), (0, 0, 0, None), "nothing may be written");
}
