//! Hostile archives, published as a compromised pipeline would publish them: `SHA256SUMS`, the
//! manifest and GitHub's digest all agree on their bytes. Each is refused by `pull` and by
//! `deploy`, naming the asset, and nothing in or around the target folder changes: the whole
//! tree two levels above it is compared, names, bytes and modes, before and after.

use crate::common::{edit_release, release_assets, run_lamina_infra, tar_gz};
use lamina_release_format::manifest::{Component, ComponentKind, ComposeProject};
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use xtask_dev::github::{GithubFake, Options, SeedRelease};

/// The bundle every hostile archive stands in for.
const BUNDLE: &str = "demo-compose";
const FILE: &str = "demo-compose-0.2.0.tar.gz";
const TOP: &str = "demo-compose-0.2.0";

/// One entry of a hand-made archive: its path as raw bytes, its type, link target and content.
struct Raw {
    path: &'static str,
    kind: tar::EntryType,
    link: &'static str,
    content: Vec<u8>,
}

fn file(path: &'static str) -> Raw {
    Raw { path, kind: tar::EntryType::Regular, link: "", content: b"hostile\n".to_vec() }
}

fn dir(path: &'static str) -> Raw {
    Raw { path, kind: tar::EntryType::Directory, link: "", content: Vec::new() }
}

fn link(path: &'static str, to: &'static str) -> Raw {
    Raw { path, kind: tar::EntryType::Symlink, link: to, content: Vec::new() }
}

fn special(path: &'static str, kind: tar::EntryType, to: &'static str) -> Raw {
    Raw { path, kind, link: to, content: Vec::new() }
}

/// A `.tar.gz` of `entries` exactly as given: the names go into the header untouched, so paths
/// that the tar crate's own writer refuses (`..`, absolute) are written too.
fn raw_tar_gz(entries: &[Raw]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for e in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..e.path.len()].copy_from_slice(e.path.as_bytes());
        header.as_old_mut().linkname[..e.link.len()].copy_from_slice(e.link.as_bytes());
        header.set_entry_type(e.kind);
        header.set_mode(0o644);
        header.set_size(e.content.len() as u64);
        header.set_cksum();
        gz.write_all(header.as_bytes()).unwrap();
        gz.write_all(&e.content).unwrap();
        gz.write_all(&vec![0; (512 - e.content.len() % 512) % 512]).unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

/// A gzip bomb: one file of `size` zero bytes, written without holding it.
fn bomb(size: u64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut header = tar::Header::new_gnu();
    header.set_path(format!("{TOP}/zeros")).unwrap();
    header.set_mode(0o644);
    header.set_size(size);
    header.set_cksum();
    gz.write_all(header.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() as u64 {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

/// The corpus: `(what, archive, extra flags)`.
fn corpus() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    use tar::EntryType::{Block, Char, Fifo, Link};
    let none = Vec::new;
    vec![
        (
            "a chain of links, each harmless on its own path",
            raw_tar_gz(&[
                link("demo-compose-0.2.0/x", "."),
                link("demo-compose-0.2.0/x/y", ".."),
                link("demo-compose-0.2.0/y/z", ".."),
                link("demo-compose-0.2.0/y/z/w", ".."),
                file("demo-compose-0.2.0/y/z/w/FILE"),
            ]),
            none(),
        ),
        (
            "a symlink, then a file of the same name",
            raw_tar_gz(&[link("demo-compose-0.2.0/compose.yaml", "."), file("demo-compose-0.2.0/compose.yaml")]),
            none(),
        ),
        (
            "a hardlink to a file outside",
            raw_tar_gz(&[special("demo-compose-0.2.0/passwd", Link, "/etc/passwd")]),
            none(),
        ),
        (
            "a hardlink, then a file of the same name",
            raw_tar_gz(&[
                file("demo-compose-0.2.0/a"),
                special("demo-compose-0.2.0/b", Link, "demo-compose-0.2.0/a"),
                file("demo-compose-0.2.0/b"),
            ]),
            none(),
        ),
        ("an absolute path", raw_tar_gz(&[file("/tmp/lamina-hostile-absolute")]), none()),
        ("a path climbing out with ..", raw_tar_gz(&[file("demo-compose-0.2.0/../../escaped")]), none()),
        ("a link to an absolute path", raw_tar_gz(&[link("demo-compose-0.2.0/etc", "/etc")]), none()),
        ("a character device", raw_tar_gz(&[special("demo-compose-0.2.0/null", Char, "")]), none()),
        ("a block device", raw_tar_gz(&[special("demo-compose-0.2.0/disk", Block, "")]), none()),
        ("a FIFO", raw_tar_gz(&[special("demo-compose-0.2.0/pipe", Fifo, "")]), none()),
        (
            "a folder later replaced by a symlink",
            raw_tar_gz(&[
                dir("demo-compose-0.2.0/d/"),
                file("demo-compose-0.2.0/d/compose.yaml"),
                link("demo-compose-0.2.0/d", "."),
            ]),
            none(),
        ),
        (
            "a link whose target passes through another link",
            raw_tar_gz(&[link("demo-compose-0.2.0/a", "."), link("demo-compose-0.2.0/b", "a/../..")]),
            none(),
        ),
        ("a gzip bomb over the cap", bomb(4 << 20), vec!["--max-unpacked-size", "1MiB"]),
        (
            "more entries than the cap",
            raw_tar_gz(&[file("demo-compose-0.2.0/1"), file("demo-compose-0.2.0/2"), file("demo-compose-0.2.0/3")]),
            vec!["--max-entries", "2"],
        ),
        ("a top folder named .git", raw_tar_gz(&[file(".git/config")]), none()),
        ("an entry outside the top folder", raw_tar_gz(&[file("demo-compose-0.2.0/a"), file("other/b")]), none()),
    ]
}

/// Release 0.2.0 whose Compose bundle is `archive`, every record agreeing on its bytes.
fn published(archive: Vec<u8>) -> GithubFake {
    let base =
        release_assets("0.2.0", tar_gz(&[("demo/Chart.yaml", "name: demo\n")]), Vec::new(), Vec::new(), None, None);
    let assets = edit_release(base, |manifest, files| {
        files.push((FILE.to_owned(), archive));
        manifest.components.push(Component {
            name: BUNDLE.into(),
            kind: ComponentKind::Compose,
            version: "0.2.0".into(),
            file: FILE.into(),
            size: 0,
            sha256: String::new(),
            target: None,
            modules: Vec::new(),
            compose: Some(ComposeProject {
                files: vec!["compose.yaml".into()],
                images: Vec::new(),
                variables: Vec::new(),
            }),
        });
    });
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets, starter_assets: Vec::new() });
    fake
}

/// Every entry below `root`, links not followed: path, mode and content (or link target).
fn state(root: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = root.symlink_metadata().unwrap();
    let what = if meta.is_symlink() {
        format!("-> {}", std::fs::read_link(root).unwrap().display())
    } else if meta.is_file() {
        format!("{:?}", std::fs::read(root).unwrap())
    } else {
        "folder".to_owned()
    };
    let mut out = vec![format!("{} {:o} {what}", root.display(), meta.permissions().mode())];
    if meta.is_dir() {
        let mut children: Vec<_> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
        children.sort();
        out.extend(children.iter().flat_map(|child| state(child)));
    }
    out
}

#[test]
fn hostile_archives_are_refused_by_pull_and_deploy_and_nothing_around_the_target_changes() {
    // A `docker-compose` that answers its version and leaves a mark if it is ever run for real.
    let tools = tempfile::tempdir().unwrap();
    let mark = tools.path().join("ran");
    let compose = tools.path().join("docker-compose");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = version ]; then echo 2.29.0; exit 0; fi\ntouch '{}'\nexit 1\n",
        mark.display()
    );
    std::fs::write(&compose, script).unwrap();
    std::fs::set_permissions(&compose, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", tools.path().display());
    let cache = tempfile::tempdir().unwrap();
    let corpus = corpus();
    assert!(corpus.len() >= 12);
    let mut said = String::new();
    for (what, archive, flags) in corpus {
        said.push_str(&format!("{what}:\n"));
        let fake = published(archive);
        let around = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(around.path().join("a/b")).unwrap();
        std::fs::write(around.path().join("a/kept.txt"), "the user's file\n").unwrap();
        let (to, work) = (around.path().join("a/b/out"), around.path().join("a/b/work"));
        let before = state(around.path());
        let env = [("PATH", OsStr::new(&path)), ("LAMINA_INFRA_CACHE", cache.path().as_os_str())];
        let mut pull = vec!["pull", BUNDLE, "--to", to.to_str().unwrap()];
        pull.extend(&flags);
        let mut deploy = vec!["deploy", BUNDLE, "--workdir", work.to_str().unwrap()];
        deploy.extend(&flags);
        for args in [pull, deploy] {
            let run = run_lamina_infra(&fake.api_url(), &args, &env);
            assert_ne!(run.code, 0, "{what}: `{}` was not refused: {run}", args[0]);
            assert!(run.stderr.contains(FILE), "{what}: `{}` does not name the asset: {run}", args[0]);
            assert!(!run.stderr.contains("panicked"), "{what}: {run}");
            assert_eq!(state(around.path()), before, "{what}: `{}` changed the folders around the target", args[0]);
            let shown = run.stderr.replace(around.path().to_str().unwrap(), "[dir]");
            said.push_str(&format!("  {}: {}", args[0], shown.replace('\n', "\n    ")));
            said.push('\n');
        }
        assert!(!Path::new("/tmp/lamina-hostile-absolute").exists(), "{what}");
        assert!(!mark.exists(), "{what}: docker compose was run");
    }
    insta::assert_snapshot!("hostile_archives_refused", said);
}
