//! Byte-identical artifacts from two clones with different mtimes and umask.

use crate::support::TestRepo;

/// Two clones with different file mtimes and umask build byte-identical artifacts.
#[test]
fn two_clones_build_the_same_bytes() {
    let origin = TestRepo::fixture("minimal");
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (i, umask) in ["022", "077"].iter().enumerate() {
        let clone = tmp.path().join(format!("clone{i}"));
        // Different permissions on disk and different mtimes in each clone.
        let stamp = if i == 0 { "200001010000" } else { "203001010000" };
        crate::support::clone_with_umask(&origin.root, &clone, umask, stamp);
        crate::support::xtask_in(&clone, &["dry-run", "--builder", "none"], &[]).ok();
        outputs.push(clone.join("target/release/v0.2.0"));
    }
    let differ = xtask::build::compare_dirs(&outputs[0], &outputs[1]).unwrap();
    assert!(differ.is_empty(), "differ: {differ:?}");
    // Six files, and the catalog preview (`site/`), compared too.
    assert_eq!(std::fs::read_dir(&outputs[0]).unwrap().count(), 7);
}

/// `SOURCE_DATE_EPOCH` sets every entry's time; without it the commit time does.
#[test]
fn entry_times_come_from_source_date_epoch_or_the_commit() {
    let repo = TestRepo::fixture("minimal");
    let mtime = |repo: &TestRepo| {
        let file = std::fs::File::open(repo.out("0.2.0").join("demo-k8s-0.2.0.tar.gz")).unwrap();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut entries = archive.entries().unwrap();
        let e = entries.next().unwrap().unwrap();
        (
            e.header().mtime().unwrap(),
            e.header().uid().unwrap(),
            e.header().gid().unwrap(),
            e.header().username().unwrap().map(str::to_owned),
        )
    };
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert_eq!(
        mtime(&repo),
        (1_768_478_400, 0, 0, Some(String::new())),
        "2026-01-15T12:00:00Z, the fixture's commit time"
    );
    repo.xtask_env(&["dry-run", "--builder", "none"], &[("SOURCE_DATE_EPOCH", "1000000000")]).ok();
    assert_eq!(mtime(&repo).0, 1_000_000_000);
    let gz = std::fs::read(repo.out("0.2.0").join("demo-k8s-0.2.0.tar.gz")).unwrap();
    assert_eq!(&gz[3..8], &[0, 0, 0, 0, 0], "gzip header: no flags (no name), mtime 0");
}

/// A rerun of the same plan takes the whole build back instead of building it again; a file
/// changed since, or another plan, is built anew, and files written after the build are gone.
#[test]
fn a_rerun_takes_back_the_same_plans_build_while_it_is_unchanged() {
    let repo = TestRepo::fixture("minimal");
    let out = repo.out("0.2.0");
    let dry_run = |env: &[(&str, &str)]| repo.xtask_env(&["dry-run", "--builder", "buildah"], env).ok().stderr;
    let reused = "reusing the build in";
    assert!(!dry_run(&[]).contains(reused));
    let bundle = out.join("demo-k8s-0.2.0.tar.gz");
    let built = std::fs::read(&bundle).unwrap();
    assert!(out.join("site").is_dir(), "the catalog preview is written after the build");

    assert!(dry_run(&[]).contains(reused));
    std::fs::write(&bundle, b"changed").unwrap();
    assert!(!dry_run(&[]).contains(reused), "a changed file is built again");
    assert_eq!(std::fs::read(&bundle).unwrap(), built);

    std::fs::write(out.join("stray"), b"left over").unwrap();
    assert!(dry_run(&[]).contains(reused));
    assert!(!out.join("stray").exists(), "a file the build did not write is removed");

    assert!(!dry_run(&[("SOURCE_DATE_EPOCH", "1000000000")]).contains(reused), "another plan");
    // Without an image builder the build is not whole, and is never recorded.
    repo.xtask(&["dry-run", "--builder", "none"]).ok();
    assert!(!repo.xtask(&["dry-run", "--builder", "none"]).ok().stderr.contains(reused));
}
