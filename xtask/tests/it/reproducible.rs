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
