//! Images are built from a staged context: tracked files only, `.dockerignore` applied, fixed
//! modes; the same digests from any clone, umask, clock, time zone or locale.

use crate::support::{TestRepo, clone_with_umask, git_in, peers, xtask_umask};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The minimal fixture with an image that copies its whole context (and runs as non-root): an
/// executable, a folder, a symlink inside the context, a `.dockerignore` with an exception and a
/// `.gitignore`, all committed.
fn origin() -> TestRepo {
    let repo = TestRepo::fixture("minimal");
    repo.write("docker/hello/Dockerfile", "FROM scratch\nCOPY . /ctx/\nUSER 65532\nCMD [\"/ctx/hello.txt\"]\n");
    repo.write("docker/hello/bin/run.sh", "#!/bin/sh\necho hello\n");
    std::fs::set_permissions(repo.path("docker/hello/bin/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write("docker/hello/notes/draft.md", "not for the image\n");
    repo.write("docker/hello/notes/keep.md", "for the image\n");
    repo.write("docker/hello/.dockerignore", "# notes stay out, but one\nnotes\n!notes/keep.md\n");
    repo.write("docker/hello/.gitignore", "*.bak\n");
    std::os::unix::fs::symlink("hello.txt", repo.path("docker/hello/latest.txt")).unwrap();
    repo.commit("an image that copies its context");
    repo
}

/// Every image digest the release manifest of `out` records, by name.
fn image_digests(out: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(out.join("release-manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let images = manifest["images"].as_array().unwrap();
    let pair = |i: &serde_json::Value| {
        let digest = i["digest"].as_str().unwrap_or_else(|| panic!("image not built: {i}"));
        (i["name"].as_str().unwrap().to_owned(), digest.to_owned())
    };
    images.iter().map(pair).collect()
}

/// One entry of an image layer.
#[derive(Debug)]
struct LayerEntry {
    /// Without a leading `./` or `/`, nor a trailing `/`.
    name: String,
    kind: tar::EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
}

/// Every entry of every layer of every platform of the image whose OCI layout is at `layout`.
fn layer_entries(layout: &Path) -> Vec<LayerEntry> {
    let image = xtask::layout::read(layout).unwrap();
    let mut entries = Vec::new();
    let manifests = image.children.iter().chain([&image.root]).filter(|d| d.media_type == xtask::layout::OCI_MANIFEST);
    for manifest in manifests {
        let manifest: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap();
        for layer in manifest["layers"].as_array().unwrap() {
            let bytes = std::fs::read(image.blob_path(layer["digest"].as_str().unwrap())).unwrap();
            let mut tar_bytes = Vec::new();
            match bytes.starts_with(&[0x1f, 0x8b]) {
                true => flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut tar_bytes).unwrap(),
                false => std::io::Cursor::new(bytes).read_to_end(&mut tar_bytes).unwrap(),
            };
            for entry in tar::Archive::new(tar_bytes.as_slice()).entries().unwrap() {
                let entry = entry.unwrap();
                let header = entry.header();
                let name = entry.path().unwrap().to_string_lossy().into_owned();
                let name = name.trim_start_matches("./").trim_matches('/').to_owned();
                entries.push(LayerEntry {
                    name,
                    kind: header.entry_type(),
                    mode: header.mode().unwrap() & 0o7777,
                    uid: header.uid().unwrap(),
                    gid: header.gid().unwrap(),
                });
            }
        }
    }
    assert!(!entries.is_empty(), "no layer entries in {}", layout.display());
    entries
}

/// Two clones of one commit, made under umask 022 and 077, with other file times, time zone and
/// locale (and the pipeline itself started under those umasks), build identical image digests
/// and identical artifacts.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn two_clones_with_other_umasks_build_the_same_image_digests() {
    peers("buildah");
    let origin = origin();
    let tmp = tempfile::tempdir().unwrap();
    let runs = [
        ("022", "200001010000", [("TZ", "UTC"), ("LC_ALL", "C"), ("LANG", "C")]),
        ("077", "203001010000", [("TZ", "Asia/Kathmandu"), ("LC_ALL", "tr_TR.UTF-8"), ("LANG", "de_DE.UTF-8")]),
    ];
    let mut outputs: Vec<PathBuf> = Vec::new();
    for (i, (umask, stamp, env)) in runs.iter().enumerate() {
        let clone = tmp.path().join(format!("clone{i}"));
        clone_with_umask(&origin.root, &clone, umask, stamp);
        xtask_umask(&clone, umask, &["dry-run", "--builder", "buildah"], env).ok();
        outputs.push(clone.join("target/release/v0.2.0"));
    }
    let digests = image_digests(&outputs[0]);
    assert_eq!(digests.len(), 1, "{digests:?}");
    assert_eq!(digests, image_digests(&outputs[1]), "every image has one digest from both clones");
    let differ = xtask::build::compare_dirs(&outputs[0], &outputs[1]).unwrap();
    assert!(differ.is_empty(), "differ: {differ:?}");
}

/// An untracked file and a git-ignored one in the context are in no layer; `.dockerignore`
/// leaves a folder out but for its exception.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn untracked_and_ignored_files_stay_out_of_the_image() {
    peers("buildah");
    let repo = origin();
    repo.write("docker/hello/.env", "TOKEN=untracked\n");
    repo.write("docker/hello/config.yaml.bak", "password: ignored\n");
    assert!(git_in(&repo.root, &["status", "--porcelain", "--ignored"]).contains("config.yaml.bak"));
    repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    let entries = layer_entries(&repo.out("0.2.0").join("images/hello"));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    for present in ["ctx/hello.txt", "ctx/bin/run.sh", "ctx/notes/keep.md", "ctx/latest.txt"] {
        assert!(names.contains(&present), "`{present}` is missing from {names:?}");
    }
    for absent in ["ctx/.env", "ctx/config.yaml.bak", "ctx/notes/draft.md"] {
        assert!(!names.contains(&absent), "`{absent}` is in the image: {names:?}");
    }
}

/// A FROM-scratch image built from a checkout made under umask 077 holds files every user can
/// read: 0644, 0755 for what git records as executable, folders 0755, owned by root; the
/// symlink inside the context stays a symlink.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn image_files_are_readable_by_a_non_root_user() {
    peers("buildah");
    let origin = origin();
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("clone");
    clone_with_umask(&origin.root, &clone, "077", "200001010000");
    let on_disk = std::fs::metadata(clone.join("docker/hello/hello.txt")).unwrap().permissions().mode() & 0o777;
    assert_eq!(on_disk, 0o600, "the checkout itself is private");
    xtask_umask(&clone, "077", &["dry-run", "--builder", "buildah"], &[]).ok();
    let entries = layer_entries(&clone.join("target/release/v0.2.0/images/hello"));
    let copied: Vec<&LayerEntry> = entries.iter().filter(|e| e.name.starts_with("ctx")).collect();
    assert!(copied.len() > 5, "{entries:?}");
    for e in &copied {
        let want = match (e.kind, e.name.as_str()) {
            (tar::EntryType::Directory, _) | (_, "ctx/bin/run.sh") => 0o755,
            (tar::EntryType::Symlink, _) => 0o777,
            _ => 0o644,
        };
        assert_eq!((e.mode, e.uid, e.gid), (want, 0, 0), "{e:?}");
    }
    let link = copied.iter().find(|e| e.name == "ctx/latest.txt").expect("the symlink is copied");
    assert_eq!(link.kind, tar::EntryType::Symlink);
}

/// A symlink leaving the context and a bad `.dockerignore` line stop the image with the file named
/// (the context is staged before any builder runs, so this needs no peer).
#[test]
fn escaping_symlinks_and_bad_dockerignore_lines_are_refused() {
    let repo = origin();
    std::os::unix::fs::symlink("../../release.toml", repo.path("docker/hello/config.toml")).unwrap();
    repo.commit("a link out of the context");
    let run = repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    let expected = "docker/hello/config.toml: symlink to `../../release.toml` leaves the image context `docker/hello`";
    assert!(run.stdout.contains(expected), "{}", run.stdout);
    let built = repo.out("0.2.0").join("images/hello/index.json");
    assert!(!built.exists(), "no layout is written");

    std::fs::remove_file(repo.path("docker/hello/config.toml")).unwrap();
    repo.write("docker/hello/.dockerignore", "notes\n!\n");
    repo.commit("a bad ignore line");
    let run = repo.xtask(&["dry-run", "--builder", "buildah"]).ok();
    assert!(run.stdout.contains("docker/hello/.dockerignore:2: `!` alone is not a pattern"), "{}", run.stdout);
}

/// `--check-reproducible` compares the image digests of both builds and says so.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn check_reproducible_compares_image_digests() {
    peers("buildah");
    let repo = TestRepo::fixture("minimal");
    let run = repo.xtask(&["dry-run", "--check-reproducible", "--builder", "buildah"]).ok();
    assert!(run.stdout.contains("byte-identical (1 image digest compared)"), "{}", run.stdout);
}

/// A difference between two builds names the image and both digests, then the other files.
#[test]
fn differing_builds_name_the_image_and_both_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let built = |dir: &str, digest: &str, manifest: &str| {
        let out = tmp.path().join(dir);
        std::fs::create_dir_all(out.join("images/hello/blobs")).unwrap();
        std::fs::write(out.join("images/hello/index.json"), digest).unwrap();
        std::fs::write(out.join("release-manifest.json"), manifest).unwrap();
        let image = xtask::build::BuiltImage { name: "hello".into(), digest: Some(digest.into()), not_built: None };
        xtask::build::Built {
            out_dir: out,
            assets: Vec::new(),
            images: vec![image],
            packages: Vec::new(),
            notes: Vec::new(),
        }
    };
    let (a, b) = (built("a", "sha256:aa", "{}"), built("b", "sha256:bb", "{\"x\":1}"));
    let differ = xtask::build::differences(&a, &b).unwrap();
    assert_eq!(differ, ["image `hello` (sha256:aa vs sha256:bb)", "release-manifest.json"]);
    assert!(xtask::build::differences(&a, &a).unwrap().is_empty());
}

/// The buildx path (through the test peers' `docker` front end, which runs buildah) is given the
/// staged context too; a Dockerfile outside the context is given as the checkout has it.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn buildx_builds_from_the_staged_context() {
    peers("buildah");
    let repo = origin();
    let dockerfile = repo.read("docker/hello/Dockerfile");
    repo.write("docker/Dockerfile.hello", &dockerfile);
    let config = repo
        .read("release.toml")
        .replace("context = \"docker/hello\"", "context = \"docker/hello\"\ndockerfile = \"docker/Dockerfile.hello\"");
    repo.write("release.toml", &config);
    repo.commit("a Dockerfile outside the context");
    repo.write("docker/hello/.env", "TOKEN=untracked\n");
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/docker-shim");
    let log = repo.root.parent().unwrap().join("docker.log");
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH", path.as_str()), ("DOCKER_SHIM_LOG", log.to_str().unwrap())];
    repo.xtask_env(&["dry-run", "--builder", "buildx"], &env).ok();
    let calls = std::fs::read_to_string(&log).unwrap();
    let staged = repo.path("target/contexts/hello");
    let expected = format!("-f {} --output", repo.path("docker/Dockerfile.hello").display());
    assert!(calls.contains(&expected), "{calls}");
    assert!(calls.trim_end().ends_with(&format!(" {}", staged.display())), "{calls}");
    let entries = layer_entries(&repo.out("0.2.0").join("images/hello"));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"ctx/hello.txt") && !names.contains(&"ctx/.env"), "{names:?}");
}
