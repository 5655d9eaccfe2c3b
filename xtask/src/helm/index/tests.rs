use super::*;
use serde_json::json;

const FOREIGN: &str = r#"apiVersion: v1
entries:
  other:
  - apiVersion: v1
    appVersion: "2.1"
    checksum: abc
    created: 2020-01-01T00:00:00.123456789Z
    digest: 1111
    engine: gotpl
    name: other
    tillerVersion: ">=2.0.0"
    url: https://example.com/other-1.0.0.tgz
    urls:
    - https://example.com/other-1.0.0.tgz
    version: 1.0.0
    removed: true
  lamina-core:
  - name: lamina-core
    version: 0.1.0
    digest: aaaa
    created: "2026-01-01T00:00:00Z"
    urls: [https://example.com/lamina-core-0.1.0.tgz]
    apiVersion: v2
generated: "2026-01-01T00:00:00Z"
publicKeys:
- key1
annotations:
  owner: lamina
"#;

fn new(version: &str, digest: &str) -> NewEntry {
    NewEntry {
        metadata: json!({
            "apiVersion": "v2", "name": "lamina-core", "version": version, "appVersion": version,
            "description": "Lamina core", "type": "application", "deprecated": false, "keywords": [],
            "annotations": {"org.opencontainers.image.source": "https://github.com/lamina-os/lamina-infra"},
            "unknownChartKey": "dropped"
        }),
        digest: digest.to_owned(),
        url: format!(
            "https://github.com/lamina-os/lamina-infra/releases/download/v{version}/lamina-core-{version}.tgz"
        ),
        created: "2026-11-25T12:00:00Z".to_owned(),
    }
}

#[test]
fn merge_adds_sorted_and_keeps_foreign_entries_losslessly() {
    let mut index = Index::parse(FOREIGN).unwrap();
    let merged = index.merge(&[new("0.2.0", "bbbb"), new("0.10.0", "cccc")], "2026-11-25T12:00:00Z").unwrap();
    assert_eq!(merged.len(), 2);
    insta::assert_snapshot!(index.to_string());
}

#[test]
fn rerun_with_the_same_digest_changes_nothing() {
    let mut index = Index::parse(FOREIGN).unwrap();
    let before = index.to_string();
    let merged = index.merge(&[new("0.1.0", "aaaa")], "2099-01-01T00:00:00Z").unwrap();
    assert_eq!(merged, [Merged::Kept { name: "lamina-core".into(), version: "0.1.0".into() }]);
    assert_eq!(index.to_string(), before, "not even `generated` moves");
}

#[test]
fn a_published_version_with_another_digest_is_refused_and_nothing_changes() {
    let mut index = Index::parse(FOREIGN).unwrap();
    let before = index.clone();
    let err = index.merge(&[new("0.3.0", "dddd"), new("0.1.0", "ffff")], "2026-11-25T12:00:00Z").unwrap_err();
    assert_eq!(
        err,
        IndexError::Conflict {
            name: "lamina-core".into(),
            version: "0.1.0".into(),
            published: "aaaa".into(),
            built: "ffff".into()
        }
    );
    assert_eq!(index, before, "a refused merge adds none of its entries");
}

#[test]
fn presence_is_exact_so_build_metadata_differs() {
    let mut index = Index::empty();
    index.merge(&[new("1.0.0+a", "1")], "t").unwrap();
    let merged = index.merge(&[new("1.0.0+b", "2")], "t").unwrap();
    assert!(matches!(merged[0], Merged::Added { .. }));
    assert_eq!(index.versions().len(), 2);
}

#[test]
fn strict_like_helm() {
    let cases = [
        ("apiVersion: v1\nentries: {}\nextra: 1\n", "index.yaml: extra: unknown key `extra`"),
        (
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    colour: red\n",
            "index.yaml: entries.a[0]: unknown key `colour`",
        ),
        ("entries: {}\n", "index.yaml: apiVersion: is missing"),
        ("apiVersion: v1\nentries:\n  a:\n  - name: a\n", "index.yaml: entries.a[0]: has no `version`"),
        ("apiVersion: v1\nentries: [\n", "index.yaml is not valid YAML"),
        ("apiVersion: v1\nentries:\n  a: {}\n", "index.yaml: entries.a: is not a list of versions"),
    ];
    for (text, expected) in cases {
        let err = Index::parse(text).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{text:?}: {err}");
    }
}

#[test]
fn written_index_reads_back_the_same() {
    let mut index = Index::parse(FOREIGN).unwrap();
    index.merge(&[new("0.2.0", "bbbb")], "2026-11-25T12:00:00Z").unwrap();
    let text = index.to_string();
    assert_eq!(Index::parse(&text).unwrap(), index);
}
