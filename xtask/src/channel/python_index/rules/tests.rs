use super::dist::{self, Metadata};
use super::simple::{self, Listed};
use super::*;
use lamina_release_format::names::{dist_name, project_name};

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

#[test]
fn names_are_normalised_as_the_specifications_say() {
    assert_eq!(project_name("Lamina_Infra"), "lamina-infra");
    assert_eq!(project_name("a.-_b"), "a-b");
    assert_eq!(dist_name("lamina-infra"), "lamina_infra");
    assert_eq!(dist_name("Foo..Bar"), "foo_bar");
}

#[test]
fn a_pep_503_page_gives_files_with_resolved_urls_and_digests() {
    let page = r#"<!DOCTYPE html><html><body><h1>Links for lamina-infra</h1>
<a href="/packages/lamina_infra-0.2.0.tar.gz#sha256=ABCDEF">lamina_infra-0.2.0.tar.gz</a><br>
<A data-requires-python="&gt;=3.8" HREF='../../packages/lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl'>lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl</A>
<a href="https://files.example/x/lamina_infra-0.1.0.tar.gz?a=1&amp;b=2#md5=00">lamina_infra-0.1.0.tar.gz</a>
</body></html>"#;
    let listed = simple::parse("http://127.0.0.1:8080/simple/lamina-infra/", "text/html", page).unwrap();
    assert_eq!(
        listed,
        [
            Listed {
                filename: "lamina_infra-0.2.0.tar.gz".into(),
                url: "http://127.0.0.1:8080/packages/lamina_infra-0.2.0.tar.gz".into(),
                sha256: Some("abcdef".into()),
            },
            Listed {
                filename: "lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl".into(),
                url: "http://127.0.0.1:8080/packages/lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl".into(),
                sha256: None,
            },
            Listed {
                filename: "lamina_infra-0.1.0.tar.gz".into(),
                url: "https://files.example/x/lamina_infra-0.1.0.tar.gz?a=1&b=2".into(),
                sha256: None,
            },
        ]
    );
}

#[test]
fn a_pep_691_page_gives_files_with_their_sha256() {
    let page = r#"{"meta": {"api-version": "1.1"}, "name": "lamina-infra", "files": [
        {"filename": "lamina_infra-0.2.0.tar.gz", "url": "https://files.pythonhosted.org/p/lamina_infra-0.2.0.tar.gz", "hashes": {"sha256": "ABC"}},
        {"filename": "lamina_infra-0.1.0.tar.gz", "url": "../../p/lamina_infra-0.1.0.tar.gz", "hashes": {}}
    ]}"#;
    let listed =
        simple::parse("https://pypi.org/simple/lamina-infra/", "application/vnd.pypi.simple.v1+json", page).unwrap();
    assert_eq!(listed[0].sha256.as_deref(), Some("abc"));
    assert_eq!(listed[1].url, "https://pypi.org/p/lamina_infra-0.1.0.tar.gz");
    assert_eq!(listed[1].sha256, None);
    let bad = simple::parse("https://pypi.org/simple/x/", "application/vnd.pypi.simple.v1+json", "{}").unwrap_err();
    assert!(format!("{bad:#}").contains("no `files` list"), "{bad:#}");
}

#[test]
fn each_file_is_created_kept_or_refused() {
    let file =
        |name: &str, sha: &str| DistFile { project: "lamina-infra".into(), name: name.into(), sha256: sha.into() };
    let listed = |name: &str, sha: Option<&str>| Listed {
        filename: name.into(),
        url: format!("http://127.0.0.1/{name}"),
        sha256: sha.map(str::to_owned),
    };
    let ours = [file("a.whl", SHA_A), file("b.tar.gz", SHA_A), file("c.whl", SHA_A), file("d.whl", SHA_A)];
    let theirs = [listed("a.whl", Some(&SHA_A.to_uppercase())), listed("b.tar.gz", Some(SHA_B)), listed("d.whl", None)];
    let decided: Vec<(String, Decision)> = decide(&ours, &theirs).into_iter().map(|(f, d)| (f.name, d)).collect();
    assert_eq!(decided[0], ("a.whl".into(), Decision::Keep));
    let Decision::Refuse { why } = &decided[1].1 else { panic!("{decided:?}") };
    assert!(why.contains("`b.tar.gz`") && why.contains(SHA_A) && why.contains(SHA_B), "{why}");
    assert_eq!(decided[2], ("c.whl".into(), Decision::Create));
    assert!(matches!(decided[3].1, Decision::Refuse { .. }));
}

const METADATA: &str = "Metadata-Version: 2.4\r\nName: lamina-infra\r\nVersion: 0.2.0\r\nClassifier: A\r\nClassifier: B\r\nSummary: The consumer\r\n  continued\r\nProject-URL: Source, https://github.com/lamina-os/lamina-infra\r\nRequires-Python: >=3.8\r\nDescription-Content-Type: text/markdown\r\n\r\n# lamina-infra\n\nLong text.\n";

#[test]
fn core_metadata_is_parsed_with_repeats_continuations_and_body() {
    let m = dist::parse(METADATA).unwrap();
    assert_eq!(m.get("name"), Some("lamina-infra"));
    assert_eq!(m.get("Summary"), Some("The consumer\ncontinued"));
    assert_eq!(m.fields.iter().filter(|(k, _)| k == "Classifier").count(), 2);
    assert_eq!(m.body.as_deref(), Some("# lamina-infra\n\nLong text.\n"));
    assert!(dist::parse("no colon here").is_err());
}

#[test]
fn the_upload_form_holds_the_fields_twine_sends_and_the_file_last() {
    let m = dist::parse(METADATA).unwrap();
    let wheel = "lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl";
    let fields = form::fields(wheel, SHA_A, &m).unwrap();
    let get = |k: &str| fields.iter().filter(|(f, _)| f == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    assert_eq!(fields[0], (":action".into(), "file_upload".into()));
    assert_eq!(get("protocol_version"), ["1"]);
    assert_eq!(get("name"), ["lamina-infra"]);
    assert_eq!(get("version"), ["0.2.0"]);
    assert_eq!(get("metadata_version"), ["2.4"]);
    assert_eq!(get("filetype"), ["bdist_wheel"]);
    assert_eq!(get("pyversion"), ["py3"]);
    assert_eq!(get("sha256_digest"), [SHA_A]);
    assert_eq!(get("classifiers"), ["A", "B"]);
    assert_eq!(get("project_urls"), ["Source, https://github.com/lamina-os/lamina-infra"]);
    assert_eq!(get("requires_python"), [">=3.8"]);
    assert_eq!(get("description"), ["# lamina-infra\n\nLong text.\n"]);
    let sdist = form::fields("lamina_infra-0.2.0.tar.gz", SHA_A, &m).unwrap();
    assert!(
        sdist.contains(&("filetype".into(), "sdist".into())) && sdist.contains(&("pyversion".into(), "source".into()))
    );
    let missing = form::fields(wheel, SHA_A, &Metadata::default()).unwrap_err();
    assert!(format!("{missing:#}").contains("has no `Name` field"), "{missing:#}");
    assert!(fields.iter().all(|(k, _)| k != form::FILE_PART), "the file is the only `content` part");
}

/// A zip archive of `entries`, the first stored and the rest deflated, as wheels are written;
/// with `zip64`, every entry's sizes and the end of the central directory in their zip64 forms.
fn zip(entries: &[(&str, &[u8])], zip64: bool) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    if zip64 {
        writer.set_raw_zip64_extensible_data_sector(Box::new([]));
    }
    for (i, (name, data)) in entries.iter().enumerate() {
        let method = if i == 0 { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
        writer.start_file(*name, SimpleFileOptions::default().compression_method(method).large_file(zip64)).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn metadata_is_read_from_a_wheel_and_from_an_sdist() {
    let wheel = zip(
        &[
            ("lamina_infra-0.2.0.data/scripts/lamina-infra", b"\x7fELF"),
            ("lamina_infra-0.2.0.dist-info/METADATA", METADATA.as_bytes()),
        ],
        false,
    );
    let m = dist::read("lamina_infra-0.2.0-py3-none-any.whl", &wheel).unwrap();
    assert_eq!(m.get("Version"), Some("0.2.0"));
    assert!(dist::read("x-0.2.0-py3-none-any.whl", b"not a zip").is_err());

    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(METADATA.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "lamina_infra-0.2.0/PKG-INFO", METADATA.as_bytes()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    let sdist = gz.finish().unwrap();
    let m = dist::read("lamina_infra-0.2.0.tar.gz", &sdist).unwrap();
    assert_eq!(m.get("Name"), Some("lamina-infra"));
}

#[test]
fn metadata_is_read_from_a_zip64_wheel() {
    let wheel = zip(
        &[
            ("lamina_infra-0.2.0.dist-info/METADATA", METADATA.as_bytes()),
            ("lamina_infra-0.2.0.dist-info/RECORD", b"lamina_infra-0.2.0.dist-info/METADATA,,\n"),
        ],
        true,
    );
    // Zip64 indeed: the end of central directory record and locator, and no entry size in the
    // central directory (each is 0xFFFFFFFF, the real ones in the zip64 extra field).
    let at = |sig: &[u8]| wheel.windows(4).position(|w| w == sig);
    assert!(at(b"PK\x06\x06").is_some() && at(b"PK\x06\x07").is_some(), "no zip64 end of central directory");
    let central = at(b"PK\x01\x02").unwrap();
    assert_eq!(wheel[central + 20..central + 28], [0xff; 8], "sizes are not in the zip64 extra field");
    let m = dist::read("lamina_infra-0.2.0-py3-none-any.whl", &wheel).unwrap();
    assert_eq!(m.get("Version"), Some("0.2.0"));
    assert_eq!(m.body.as_deref(), Some("# lamina-infra\n\nLong text.\n"));
}

#[test]
fn a_wheel_whose_metadata_is_over_the_limit_is_refused() {
    let huge = vec![b'a'; dist::ZIP_ENTRY_LIMIT as usize + 1];
    let wheel = zip(&[("x.txt", b"x"), ("lamina_infra-0.2.0.dist-info/METADATA", &huge)], false);
    let err = dist::read("lamina_infra-0.2.0-py3-none-any.whl", &wheel).unwrap_err();
    assert!(format!("{err:#}").contains("is over 16777216 bytes"), "{err:#}");
    let missing = dist::read("lamina_infra-0.2.0-py3-none-any.whl", &zip(&[("x.txt", b"x")], false)).unwrap_err();
    assert!(format!("{missing:#}").contains("no such entry"), "{missing:#}");
}
