//! Two releases at once: v0.2.0 and v0.3.0, each from its own checkout of the same history,
//! started together against one registry, one GitHub fake and one Pages remote. Both finish,
//! GitHub holds both published with the build's bytes, every version tag holds its image, and the
//! index on the Pages branch holds both chart versions and its catalog both releases; where `latest` ends up is reported.

use crate::github_fake::{block_on, send};
use crate::kill::{RUN, Running, assert_indexed, manifest, tag_digest};
use crate::release::World;
use crate::support::git_in;
use std::path::Path;
use xtask_dev::github::{FakeRelease, Options};

/// The release holds exactly the files built into `out`, byte for byte, and is published.
fn assert_published_as_built(release: &FakeRelease, out: &Path) {
    assert!(!release.draft, "{} is published", release.tag_name);
    let mut names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    let mut built: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    built.sort();
    assert_eq!(names, built, "{}: one asset per built file", release.tag_name);
    for asset in &release.assets {
        assert_eq!(asset.state, "uploaded", "{} {}", release.tag_name, asset.name);
        assert!(asset.bytes == std::fs::read(out.join(&asset.name)).unwrap(), "{} {}", release.tag_name, asset.name);
    }
}

/// The release GitHub calls latest (`GET …/releases/latest`), by tag.
fn github_latest(world: &World) -> Option<String> {
    let token = world.env().into_iter().find(|(k, _)| k == "GITHUB_TOKEN").unwrap().1;
    let url = format!("{}/repos/acme/infra-demo/releases/latest", world.github.api_url());
    let bearer = format!("Bearer {token}");
    let (status, _, body) = block_on(send(&url, "GET", &[("authorization", bearer.as_str())], None)).unwrap();
    match status {
        200 => serde_json::from_slice::<serde_json::Value>(&body).unwrap()["tag_name"].as_str().map(str::to_owned),
        404 => None,
        other => panic!("GET {url}: HTTP {other}: {}", String::from_utf8_lossy(&body)),
    }
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn two_releases_at_once_both_publish_and_both_charts_are_indexed() {
    let world = World::new(Options::default());
    // A second checkout of the same history, bumped to 0.3.0 and tagged.
    let parent = world.repo.root.parent().unwrap();
    git_in(parent, &["clone", "-q", world.repo.root.to_str().unwrap(), "next"]);
    let next = parent.join("next");
    std::fs::write(next.join(".gitignore"), "/target/\n").unwrap();
    Running::start(&next, &["bump", "0.3.0", "--date", "2026-02-01"], &[]).finish(RUN).ok();
    git_in(&next, &["add", "-A"]);
    git_in(&next, &["commit", "-q", "-m", "Release 0.3.0"]);
    git_in(&next, &["tag", "v0.3.0"]);

    // Both at once; then wait for both (each wait bounded; a run that overstays is killed).
    let env = world.env();
    let args = ["release", "--builder", "buildah"];
    let (first, second) = (Running::start(&world.repo.root, &args, &env), Running::start(&next, &args, &env));
    let (first, second) = (first.finish(RUN), second.finish(RUN));
    assert!(
        first.code == 0 && second.code == 0,
        "both releases finish\nv0.2.0 (exit {}):\n{}\nv0.3.0 (exit {}):\n{}",
        first.code,
        first.stderr,
        second.code,
        second.stderr
    );

    // GitHub: both published, each with its own build's bytes.
    let releases = world.github.releases();
    let tags: Vec<&str> = releases.iter().map(|r| r.tag_name.as_str()).collect();
    assert_eq!(tags.len(), 2, "exactly two releases: {releases:#?}");
    for (version, checkout) in [("0.2.0", world.repo.root.as_path()), ("0.3.0", next.as_path())] {
        let release = releases.iter().find(|r| r.tag_name == format!("v{version}")).unwrap_or_else(|| {
            panic!("no release v{version}: {tags:?}");
        });
        assert_published_as_built(release, &checkout.join(format!("target/release/v{version}")));
        assert_indexed(&world, checkout, version);
    }
    // The catalog: both releases have their page, and the front page lists both, newest first.
    let front = git_in(&world.pages, &["show", "gh-pages:index.html"]);
    let (at_new, at_old) = (front.find("releases/0.3.0/index.html"), front.find("releases/0.2.0/index.html"));
    assert!(at_new.is_some() && at_old.is_some() && at_new < at_old, "{front}");
    for version in ["0.2.0", "0.3.0"] {
        git_in(&world.pages, &["show", &format!("gh-pages:releases/{version}/index.html")]);
    }

    // The registry: each version's own tags hold its image; the shared floating tags hold one of them.
    let digest = |checkout: &Path, version: &str| {
        manifest(checkout, version)["images"][0]["digest"].as_str().unwrap().to_owned()
    };
    let (old, new) = (digest(&world.repo.root, "0.2.0"), digest(&next, "0.3.0"));
    for (tag, expected) in [("0.2.0", &old), ("0.2", &old), ("0.3.0", &new), ("0.3", &new)] {
        assert_eq!(&tag_digest(&world, "hello", tag), expected, "image tag hello:{tag}");
    }
    let version_of = |d: &str| match d {
        d if d == new => "0.3.0",
        d if d == old => "0.2.0",
        _ => "neither release",
    };
    let floating: Vec<(&str, &str)> =
        ["0", "latest"].into_iter().map(|tag| (tag, version_of(&tag_digest(&world, "hello", tag)))).collect();
    for (tag, version) in &floating {
        assert_ne!(*version, "neither release", "image tag hello:{tag}");
    }

    // Both read back on every channel; what `verify` says of the shared `latest` tag is reported.
    let mut said = Vec::new();
    for checkout in [world.repo.root.as_path(), next.as_path()] {
        let verified = Running::start(checkout, &["verify"], &env).finish(RUN);
        assert!(verified.code == 0 && !verified.stdout.contains("FAIL"), "{}\n{}", verified.stdout, verified.stderr);
        said.extend(verified.stdout.lines().filter(|l| l.contains("/hello:latest")).map(|l| l.trim().to_owned()));
    }

    // Where "latest" ended up: reported; asserted only as far as it holds in every interleaving.
    let latest = github_latest(&world);
    let moved = |run: &crate::support::Run| run.stderr.contains("the Pages branch moved");
    // The publishing edits, in the order GitHub answered them.
    let published: Vec<&str> = world
        .github
        .requests()
        .into_iter()
        .filter(|r| !r.upload_host && r.method == "PATCH" && r.status == 200)
        .filter_map(|r| {
            let id = r.path_and_query.rsplit('/').next()?.parse::<u64>().ok()?;
            releases.iter().find(|release| release.id == id).map(|release| release.tag_name.as_str())
        })
        .collect();
    eprintln!(
        "latest after two concurrent releases: GitHub {latest:?} (make_latest sent: {:?}; published in this order: \
         {published:?}); image tags {floating:?}; Pages push retried: v0.2.0 {}, v0.3.0 {}; verify: {said:#?}",
        releases.iter().map(|r| (r.tag_name.as_str(), r.make_latest.as_deref())).collect::<Vec<_>>(),
        moved(&first),
        moved(&second)
    );
    assert!(matches!(latest.as_deref(), Some("v0.2.0" | "v0.3.0")), "GitHub has a latest release: {latest:?}");
}
