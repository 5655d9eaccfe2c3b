//! The job graph's checks of a build job's folder: wheel tags against targets, and what a
//! package job's record may list.

use super::{Record, check_package, wheel_fits};
use crate::build::Asset;
use crate::plan::PackagePlan;
use crate::plan::jobs::Work;

/// A package job's folder and record holding `files` (name, bytes), all recorded truly.
fn job(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Record) {
    let dir = tempfile::tempdir().unwrap();
    let mut record = Record {
        job: "package-tool-x86_64-unknown-linux-gnu".into(),
        repository: "acme/tool".into(),
        version: "0.2.0".into(),
        commit: "c".into(),
        source_date_epoch: 0,
        work: Work::Package { package: "tool".into(), target: "x86_64-unknown-linux-gnu".into() },
        manifest: None,
        config: None,
        files: Vec::new(),
    };
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let sha256 = lamina_remote::digest::sha256_hex(bytes);
        record.files.push(Asset { name: (*name).to_owned(), size: bytes.len() as u64, sha256 });
    }
    (dir, record)
}

#[test]
fn a_package_jobs_record_lists_exactly_the_planned_files() {
    let plan = PackagePlan {
        name: "tool".into(),
        path: "tool".into(),
        target: "x86_64-unknown-linux-gnu".into(),
        file: "tool-0.2.0-x86_64-unknown-linux-gnu.tar.gz".into(),
        wheel: true,
        completions: false,
        man: false,
    };
    let archive = "tool-0.2.0-x86_64-unknown-linux-gnu.tar.gz";
    let wheel = "tool-0.2.0-py3-none-manylinux_2_17_x86_64.whl";
    let check = |files: &[(&str, &[u8])], edit: &dyn Fn(&mut Record)| {
        let (dir, mut record) = job(files);
        edit(&mut record);
        check_package(dir.path(), &record, &plan.target, Some(&plan)).map_err(|e| e.to_string())
    };
    assert_eq!(check(&[(archive, b"a"), (wheel, b"w")], &|_| {}), Ok(()));
    let said = check(&[(archive, b"a")], &|_| {}).unwrap_err();
    assert!(said.contains("and one wheel"), "{said}");
    let second = "tool-0.2.0-py3-none-musllinux_1_2_x86_64.whl";
    assert!(check(&[(archive, b"a"), (wheel, b"w"), (second, b"v")], &|_| {}).is_err(), "two wheels");
    let said = check(&[(archive, b"a"), (wheel, b"w")], &|r| r.files[1].size = 9).unwrap_err();
    assert!(said.contains("its record says"), "{said}");
    let said = check(&[(archive, b"a"), (wheel, b"w")], &|r| r.files[0].name = "../SHA256SUMS".into()).unwrap_err();
    assert!(said.contains("the plan asks for"), "{said}");
    let said = check(&[(archive, b"a"), (wheel, b"w")], &|r| r.files[1].name = format!("../{wheel}")).unwrap_err();
    assert!(said.contains("not a plain file name"), "{said}");
}

#[test]
fn a_wheel_fits_the_target_its_platform_tag_names() {
    let fits = [
        ("lamina_infra-0.2.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x86_64-unknown-linux-gnu"),
        ("lamina_infra-0.2.0-py3-none-manylinux_2_39_aarch64.whl", "aarch64-unknown-linux-gnu"),
        ("lamina_infra-0.2.0-py3-none-musllinux_1_2_x86_64.whl", "x86_64-unknown-linux-musl"),
        ("lamina_infra-0.2.0-py3-none-macosx_11_0_arm64.whl", "aarch64-apple-darwin"),
        ("lamina_infra-0.2.0-py3-none-macosx_10_12_x86_64.whl", "x86_64-apple-darwin"),
        ("lamina_infra-0.2.0-py3-none-win_amd64.whl", "x86_64-pc-windows-msvc"),
    ];
    for (wheel, target) in fits {
        assert!(wheel_fits(wheel, target), "{wheel} fits {target}");
    }
    let misfits = [
        ("lamina_infra-0.2.0-py3-none-manylinux_2_39_aarch64.whl", "x86_64-unknown-linux-gnu"),
        ("lamina_infra-0.2.0-py3-none-win_amd64.whl", "x86_64-unknown-linux-gnu"),
        ("lamina_infra-0.2.0-py3-none-macosx_11_0_arm64.whl", "x86_64-apple-darwin"),
        ("lamina_infra-0.2.0-py3-none-manylinux_2_17_x86_64.whl", "x86_64-pc-windows-msvc"),
        ("lamina_infra-0.2.0-py3-none-musllinux_1_2_x86_64.whl", "x86_64-unknown-linux-gnu"),
        ("lamina_infra-0.2.0-py3-none-manylinux_2_17_x86_64.whl", "x86_64-unknown-linux-musl"),
        ("lamina_infra-0.2.0.tar.gz", "x86_64-unknown-linux-gnu"),
    ];
    for (wheel, target) in misfits {
        assert!(!wheel_fits(wheel, target), "{wheel} does not fit {target}");
    }
}
