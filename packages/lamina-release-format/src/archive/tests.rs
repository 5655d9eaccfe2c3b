use super::*;
use std::io::Write;

/// A `.tar.gz` of `(path, link target or "", content)`; a target makes a symlink, a path ending
/// in `/` a folder.
fn archive(entries: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, target, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o755);
        match (path.ends_with('/'), target.is_empty()) {
            (true, _) => header.set_entry_type(tar::EntryType::Directory),
            (false, false) => header.set_entry_type(tar::EntryType::Symlink),
            (false, true) => header.set_entry_type(tar::EntryType::Regular),
        }
        header.set_size(content.len() as u64);
        if !target.is_empty() {
            builder.append_link(&mut header, path, target).unwrap();
        } else {
            builder.append_data(&mut header, path, content.as_bytes()).unwrap();
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&builder.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_bundle_with_links_inside_its_folder_is_read_whole() {
    let bytes = archive(&[
        ("demo-0.2.0/", "", ""),
        ("demo-0.2.0/modules/net/main.tf", "", "# net\n"),
        ("demo-0.2.0/shared", "modules/net", ""),
        ("demo-0.2.0/modules/app/net.tf", "../net/main.tf", ""),
    ]);
    let tree = read(&bytes, Some("demo-0.2.0"), &Limits::default()).unwrap();
    assert_eq!(tree.top, "demo-0.2.0");
    assert_eq!(tree.file("modules/net/main.tf"), Some(&b"# net\n"[..]));
    let lands = |path: &str| match &tree.entries[Path::new(path)] {
        Entry::Link { lands, .. } => lands.clone(),
        other => panic!("{path}: {other:?}"),
    };
    assert_eq!(lands("shared"), Path::new("modules/net"));
    assert_eq!(lands("modules/app/net.tf"), Path::new("modules/net/main.tf"));
    let below: Vec<&Path> = tree.below(Path::new("modules")).map(|(p, _)| p).collect();
    assert_eq!(below, [Path::new("app"), Path::new("app/net.tf"), Path::new("net"), Path::new("net/main.tf")]);
    match &tree.entries[Path::new("modules/net/main.tf")] {
        Entry::File { mode, .. } => assert_eq!(*mode, 0o755),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_link_made_later_on_an_earlier_links_way_is_refused() {
    // `b` is read first and resolves through `a`, a folder so far; `a` then becomes a link.
    let bytes = archive(&[("top/b", "a/x/../..", ""), ("top/a", ".", "")]);
    let refused = read(&bytes, None, &Limits::default()).unwrap_err();
    assert!(refused.to_string().contains("`top/b` links to `a/x/../..`"), "{refused}");
}

#[test]
fn limits_and_the_expected_top_folder_are_kept() {
    let bytes = archive(&[("top/a", "", "12345"), ("top/b", "", "67890")]);
    assert_eq!(read(&bytes, None, &Limits { entries: 1, bytes: 100 }).unwrap_err(), Refused::TooMany(1));
    assert_eq!(read(&bytes, None, &Limits { entries: 10, bytes: 9 }).unwrap_err(), Refused::TooBig(9));
    assert!(read(&bytes, Some("other"), &Limits::default()).unwrap_err().to_string().contains("not `other`"));
    assert_eq!(read(&archive(&[]), None, &Limits::default()).unwrap_err(), Refused::Empty);
    assert!(matches!(read(b"not gzip", None, &Limits::default()), Err(Refused::Unreadable(_))));
}
