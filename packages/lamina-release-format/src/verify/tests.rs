use super::*;
use crate::manifest::{Component, ComponentKind, SCHEMA_VERSION};

const TAG: &str = "v0.2.0";
const BUNDLE: &[u8] = b"bundle bytes";

/// A release as the pipeline makes it: one bundle, the manifest, `SHA256SUMS` over both.
struct Files {
    manifest: Vec<u8>,
    sums: Vec<u8>,
}

fn manifest(tag: &str, bundle_sha: &str) -> Vec<u8> {
    let m = ReleaseManifest {
        schema_version: SCHEMA_VERSION,
        repository: "acme/infra".into(),
        version: crate::names::version(tag).into(),
        tag: tag.into(),
        commit: "0".repeat(40),
        source_date_epoch: 0,
        components: vec![Component {
            name: "demo-k8s".into(),
            kind: ComponentKind::Manifests,
            version: "0.2.0".into(),
            file: "demo-k8s-0.2.0.tar.gz".into(),
            size: BUNDLE.len() as u64,
            sha256: bundle_sha.into(),
            target: None,
            modules: Vec::new(),
            compose: None,
        }],
        images: Vec::new(),
        charts: Vec::new(),
    };
    serde_json::to_vec_pretty(&m).unwrap()
}

fn files() -> Files {
    let manifest = manifest(TAG, &sha256_hex(BUNDLE));
    let listed = [("demo-k8s-0.2.0.tar.gz".into(), sha256_hex(BUNDLE)), (MANIFEST.into(), sha256_hex(&manifest))];
    Files { sums: sums::render(&listed).into_bytes(), manifest }
}

fn input<'a>(f: &'a Files) -> Input<'a> {
    Input { tag: TAG, sums: &f.sums, manifest: Some(&f.manifest), ..Input::default() }
}

fn only(outcome: &Outcome) -> &Problem {
    assert_eq!(outcome.problems.len(), 1, "{:#?}", outcome.problems);
    &outcome.problems[0]
}

#[test]
fn a_release_as_the_pipeline_makes_it_is_verified() {
    let f = files();
    let (bundle, sums_sha) = (sha256_hex(BUNDLE), sha256_hex(&f.sums));
    let all = Input {
        digests: [(SUMS, sums_sha.as_str()), ("demo-k8s-0.2.0.tar.gz", bundle.as_str())].into(),
        read: [("demo-k8s-0.2.0.tar.gz", bundle.as_str())].into(),
        assets: Some([SUMS, MANIFEST, "demo-k8s-0.2.0.tar.gz"].into()),
        ..input(&f)
    };
    let outcome = verify(&all);
    assert!(outcome.problems.is_empty(), "{:#?}", outcome.problems);
    let lines = outcome.lines(&[SUMS, MANIFEST]);
    assert!(lines.iter().all(|(_, problems)| problems.is_empty()));
    let verified = outcome.into_result().unwrap();
    assert_eq!(verified.manifest.tag, TAG);
    assert_eq!(verified.sums.len(), 2);
}

#[test]
fn sha256sums_that_is_not_text_or_not_strict_is_refused() {
    let outcome = verify(&Input { tag: TAG, sums: &[0xff, 0xfe], ..Input::default() });
    assert!(matches!(only(&outcome), Problem::SumsNotText { .. }));
    assert!(outcome.sums.is_none());
    assert_eq!(outcome.stopped(), Some(only(&outcome)));
    let outcome = verify(&Input { tag: TAG, sums: b"xyz  a\n", ..Input::default() });
    let problem = only(&outcome);
    assert_eq!(problem.asset(), SUMS);
    assert!(problem.to_string().starts_with("release v0.2.0: SHA256SUMS line 1: expected"), "{problem}");
    assert!(matches!(read_sums(TAG, b"xyz  a\n"), Err(Problem::Sums { .. })));
}

#[test]
fn sha256sums_unlike_githubs_digest_is_refused() {
    let f = files();
    let wrong = "0".repeat(64);
    let outcome = verify(&Input { digests: [(SUMS, wrong.as_str())].into(), ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::GitHubDigest { asset, .. } if asset == SUMS));
    assert!(problem.to_string().starts_with("`SHA256SUMS` of release v0.2.0 does not match GitHub's digest"));
    assert!(problem.detail().starts_with("changed: GitHub's digest is 000"));
}

#[test]
fn a_manifest_unlike_sha256sums_or_unlisted_is_refused() {
    let f = files();
    let mut changed = f.manifest.clone();
    changed.push(b'\n');
    let outcome = verify(&Input { manifest: Some(&changed), ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::Changed { asset, .. } if asset == MANIFEST));
    assert!(problem.to_string().starts_with("`release-manifest.json` of release v0.2.0 does not match SHA256SUMS ("));
    assert!(problem.detail().starts_with("changed: SHA256SUMS says "));
    assert!(outcome.into_result().is_err());

    let listed = [("demo-k8s-0.2.0.tar.gz".into(), sha256_hex(BUNDLE))];
    let sums = sums::render(&listed).into_bytes();
    let outcome = verify(&Input { sums: &sums, ..input(&f) });
    assert!(matches!(only(&outcome), Problem::NotListed { asset, .. } if asset == MANIFEST));
}

#[test]
fn a_missing_unreadable_or_foreign_manifest_is_refused() {
    let f = files();
    let outcome = verify(&Input { manifest: None, ..input(&f) });
    assert!(matches!(only(&outcome), Problem::NoManifest { .. }));

    let listed = [(MANIFEST.into(), sha256_hex(b"{}"))];
    let sums = sums::render(&listed).into_bytes();
    let outcome = verify(&Input { sums: &sums, manifest: Some(b"{}"), ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::Manifest { .. }));
    assert!(problem.to_string().contains("is not a manifest this version reads"), "{problem}");
    assert!(outcome.manifest.is_none());

    let foreign = manifest("v0.1.0", &sha256_hex(BUNDLE));
    let listed = [("demo-k8s-0.2.0.tar.gz".into(), sha256_hex(BUNDLE)), (MANIFEST.into(), sha256_hex(&foreign))];
    let sums = sums::render(&listed).into_bytes();
    let outcome = verify(&Input { sums: &sums, manifest: Some(&foreign), ..input(&f) });
    let problem = only(&outcome);
    assert_eq!(problem.detail(), "records release v0.1.0, not v0.2.0");
    assert!(outcome.manifest.is_some(), "still read, for a report");
}

#[test]
fn a_component_sha256sums_does_not_list_as_recorded_is_refused() {
    let f = files();
    let other = manifest(TAG, &"1".repeat(64));
    let listed = [("demo-k8s-0.2.0.tar.gz".into(), sha256_hex(BUNDLE)), (MANIFEST.into(), sha256_hex(&other))];
    let sums = sums::render(&listed).into_bytes();
    let outcome = verify(&Input { sums: &sums, manifest: Some(&other), ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::Recorded { listed: Some(_), .. }));
    assert_eq!(problem.asset(), "demo-k8s-0.2.0.tar.gz");
    assert!(problem.to_string().contains("is recorded as 1111"), "{problem}");

    let listed = [(MANIFEST.into(), sha256_hex(&f.manifest))];
    let sums = sums::render(&listed).into_bytes();
    let outcome = verify(&Input { sums: &sums, ..input(&f) });
    let problem = only(&outcome);
    assert_eq!(problem.detail(), "in the manifest but not in SHA256SUMS");
    assert!(problem.to_string().contains("but SHA256SUMS does not list it"), "{problem}");
}

#[test]
fn an_asset_read_unlike_sha256sums_or_githubs_digest_or_unlisted_is_refused() {
    let f = files();
    let (bad, good) = ("2".repeat(64), sha256_hex(BUNDLE));
    let outcome = verify(&Input { read: [("demo-k8s-0.2.0.tar.gz", bad.as_str())].into(), ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::Changed { .. }));
    assert!(problem.to_string().starts_with("`demo-k8s-0.2.0.tar.gz` of release v0.2.0 does not match SHA256SUMS"));

    let read = [("demo-k8s-0.2.0.tar.gz", good.as_str())].into();
    let outcome = verify(&Input { read, digests: [("demo-k8s-0.2.0.tar.gz", bad.as_str())].into(), ..input(&f) });
    assert!(matches!(only(&outcome), Problem::GitHubDigest { .. }));

    let outcome = verify(&Input { read: [("stray.txt", good.as_str())].into(), ..input(&f) });
    let problem = only(&outcome);
    assert_eq!((problem.asset(), problem.detail().as_str()), ("stray.txt", "not listed in SHA256SUMS"));
}

#[test]
fn an_asset_listed_or_recorded_but_absent_is_missing() {
    let f = files();
    let outcome = verify(&Input { assets: Some([SUMS, MANIFEST].into()), ..input(&f) });
    let by: Vec<Lister> = outcome
        .problems
        .iter()
        .map(|p| match p {
            Problem::Missing { asset, by, .. } if asset == "demo-k8s-0.2.0.tar.gz" => *by,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(by, [Lister::Sums, Lister::Manifest]);
    assert_eq!(outcome.problems[0].detail(), "missing: SHA256SUMS lists it, the release has no such asset");
    let lines = outcome.lines(&[SUMS, MANIFEST]);
    assert_eq!(lines.len(), 4, "one line per asset read, then one per problem about another: {lines:?}");
    assert_eq!(lines[2].0, "demo-k8s-0.2.0.tar.gz");
}

#[test]
fn a_manifest_of_another_repository_is_refused_whatever_the_letter_case() {
    let f = files();
    let outcome = verify(&Input { repository: "ACME/Infra", ..input(&f) });
    assert!(outcome.problems.is_empty(), "{:#?}", outcome.problems);
    let outcome = verify(&Input { repository: "acme/other", ..input(&f) });
    let problem = only(&outcome);
    assert!(matches!(problem, Problem::OtherRepository { .. }));
    assert!(problem.to_string().contains("records the repository acme/infra, but it was read from acme/other"));
}

#[test]
fn a_manifest_whose_paths_leave_their_folder_is_refused() {
    for (file, path) in [("../evil.tgz", "."), ("/etc/passwd", "."), ("ok.tgz", "../up"), ("ok.tgz", "/abs")] {
        let mut m: ReleaseManifest = serde_json::from_slice(&files().manifest).unwrap();
        m.components[0].file = file.into();
        m.components[0].modules.push(crate::manifest::TerraformModule {
            path: path.into(),
            required_version: None,
            providers: Vec::new(),
            variables: Vec::new(),
        });
        let bytes = serde_json::to_vec(&m).unwrap();
        let listed = [(MANIFEST.into(), sha256_hex(&bytes))];
        let sums = sums::render(&listed).into_bytes();
        let outcome = verify(&Input { tag: TAG, sums: &sums, manifest: Some(&bytes), ..Input::default() });
        let refused = outcome.problems.iter().find(|p| matches!(p, Problem::Manifest { .. }));
        assert!(refused.is_some_and(|p| p.to_string().contains("is not a")), "{file} {path}: {:#?}", outcome.problems);
        assert!(outcome.manifest.is_none(), "{file} {path}");
    }
}
