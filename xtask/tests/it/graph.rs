//! The job graph run locally: `plan --ci`, then each build job in its own clone with its own
//! output folder (both image platforms with buildah, the host's package), then one
//! `release --prebuilt` publishing from those folders. The images are the ones a one-machine
//! build makes, digest for digest; a missing, tampered or unexpected folder is refused with
//! nothing written anywhere.

use crate::packages::{add_package, host_target, path_with_maturin};
use crate::release::{World, assert_assets_match_build};
use crate::support::{copy_dir, run, tool, xtask_in};
use serde_json::Value;
use std::path::{Path, PathBuf};
use xtask_dev::github::Options;

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn jobs_built_in_separate_clones_are_published_by_one_release_as_one_machine_builds_them() {
    let world = World::new(Options::default());
    add_package(&world.repo, "0.2.0");
    world.repo.git(&["tag", "-f", "v0.2.0"]);
    let path = path_with_maturin();
    // The package builds in a folder of its own: maturin stages the program by renaming it, so
    // another test building in the shared folder at the same time would race with this one.
    let target = world.repo.root.parent().unwrap().join("own-target");
    let env = [("PATH", path.as_str()), ("CARGO_TARGET_DIR", target.to_str().unwrap())];
    // The build jobs see the settings the release job sees, as jobs of one workflow run do.
    let settings = world.env();
    let mut job_env: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    job_env.retain(|(k, _)| *k != "GITHUB_TOKEN");
    job_env.extend(env);

    // plan: the matrix, one job per image platform and per package target, on native runners.
    let matrix: Value = serde_json::from_str(world.xtask(&["plan", "--ci"], &[]).ok().stdout.trim()).unwrap();
    let jobs = matrix["include"].as_array().unwrap().clone();
    let host = host_target();
    let names: Vec<&str> = jobs.iter().map(|j| j["name"].as_str().unwrap()).collect();
    let package_job = format!("package-hello-tool-{host}");
    assert_eq!(names, ["image-hello-linux-amd64", "image-hello-linux-arm64", package_job.as_str()]);
    assert_eq!(jobs[1]["runner"], "ubuntu-24.04-arm");

    // build: every job in a clone of its own, into a folder of its own.
    let scratch = tempfile::tempdir().unwrap();
    let prebuilt = scratch.path().join("prebuilt");
    for job in &jobs {
        let name = job["name"].as_str().unwrap();
        let clone = scratch.path().join("clones").join(name);
        let origin = world.repo.root.to_str().unwrap();
        run(
            Path::new("/usr/bin/git"),
            &["clone", "-q", "--branch", "v0.2.0", origin, clone.to_str().unwrap()],
            Path::new("/"),
            &[],
        );
        let mut args = vec!["build", "--builder", "buildah", "--out"];
        let out = prebuilt.join(name);
        args.push(out.to_str().unwrap());
        let work: Vec<String> = match job["kind"].as_str().unwrap() {
            "image" => vec!["--image".into(), s(&job["image"]), "--platform".into(), s(&job["platform"])],
            _ => vec!["--package".into(), s(&job["package"]), "--target".into(), s(&job["target"])],
        };
        args.extend(work.iter().map(String::as_str));
        xtask_in(&clone, &args, &job_env).ok();
    }
    let record = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(prebuilt.join(name).join("lamina-build.json")).unwrap()).unwrap()
    };
    let amd64 = s(&record("image-hello-linux-amd64")["manifest"]);
    let arm64 = s(&record("image-hello-linux-arm64")["manifest"]);

    // The same commit built on one machine: the same index, the same platform manifests.
    world.xtask(&["dry-run", "--builder", "buildah"], &env).ok();
    let one_machine = world.repo.out("0.2.0");
    let index = image_index(&one_machine.join("images/hello"));
    assert_eq!(children(&index.1), [amd64.clone(), arm64.clone()]);
    let wheel = s(&record(&package_job)["files"][1]["name"]);
    assert_eq!(
        std::fs::read(prebuilt.join(&package_job).join(&wheel)).unwrap(),
        std::fs::read(one_machine.join(&wheel)).unwrap(),
        "the package job's wheel is the one-machine build's"
    );

    // A missing platform, an extra one, a tampered layout and an unexpected wheel are refused,
    // all at once, before anything is written anywhere.
    let bad = scratch.path().join("bad");
    copy_dir(&prebuilt, &bad);
    std::fs::remove_dir_all(bad.join("image-hello-linux-arm64")).unwrap();
    let layer = first_layer(&bad.join("image-hello-linux-amd64/oci"), &amd64);
    std::fs::write(&layer, b"not the layer that was built").unwrap();
    let package = bad.join(&package_job);
    std::fs::copy(package.join(&wheel), package.join("hello_tool-0.2.0-py3-none-win_amd64.whl")).unwrap();
    let extra = bad.join("image-hello-linux-s390x");
    copy_dir(&prebuilt.join("image-hello-linux-amd64"), &extra);
    let record_file = extra.join("lamina-build.json");
    let text = std::fs::read_to_string(&record_file).unwrap().replace("linux/amd64", "linux/s390x");
    std::fs::write(&record_file, text.replace("image-hello-linux-amd64", "image-hello-linux-s390x")).unwrap();
    let refused = world.xtask(&["release", "--prebuilt", bad.to_str().unwrap()], &env).fails();
    for expected in [
        "no build of `image-hello-linux-arm64`",
        "does not match its content",
        "is not in the job's record",
        "`image-hello-linux-s390x` (--image hello --platform linux/s390x) is not in this release's matrix",
    ] {
        assert!(refused.stderr.contains(expected), "{expected}: {}", refused.stderr);
    }
    assert_eq!(world.writes(), (0, 0, 0, None), "nothing is written before the folders pass");

    // release: the folders joined and published, no image or package built here.
    let released = world.xtask(&["release", "--builder", "none", "--prebuilt", prebuilt.to_str().unwrap()], &env).ok();
    assert!(!released.stdout.contains("FAIL"), "{}", released.stdout);
    assert_assets_match_build(&world);
    let skopeo = tool("skopeo", "apt-get install skopeo");
    let at = format!("docker://{}/acme/hello:0.2.0", world.registry.host());
    let raw = run(&skopeo, &["inspect", "--raw", "--tls-verify=false", &at], Path::new("/"), &[]);
    let pushed = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(raw.as_bytes())));
    assert_eq!(pushed, index.0, "the pushed index is the one-machine build's");
    assert_eq!(children(&serde_json::from_str(&raw).unwrap()), [amd64, arm64]);

    // A rerun of the release job converges like any rerun: nothing left to write.
    let before = world.writes();
    world.xtask(&["release", "--builder", "none", "--prebuilt", prebuilt.to_str().unwrap()], &env).ok();
    assert_eq!(world.writes(), before, "a rerun of the release job wrote something");
}

fn s(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

/// The digest and document of the image index a layout's `index.json` names.
fn image_index(layout: &Path) -> (String, Value) {
    let top: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = s(&top["manifests"][0]["digest"]);
    (digest.clone(), serde_json::from_slice(&std::fs::read(blob(layout, &digest)).unwrap()).unwrap())
}

fn children(index: &Value) -> Vec<String> {
    index["manifests"].as_array().unwrap().iter().map(|m| s(&m["digest"])).collect()
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))
}

/// The file of the first layer of `manifest` in `layout`.
fn first_layer(layout: &Path, manifest: &str) -> PathBuf {
    let doc: Value = serde_json::from_slice(&std::fs::read(blob(layout, manifest)).unwrap()).unwrap();
    blob(layout, doc["layers"][0]["digest"].as_str().unwrap())
}
