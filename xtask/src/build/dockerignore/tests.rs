//! Tests for `.dockerignore` rules: the examples of Docker's documentation, `**`, exceptions,
//! parent folders, cleaning, and the patterns that are refused.

use super::{DockerIgnore, How, compile, go_clean};

/// Whether `path` is left out by a `.dockerignore` with `text`.
#[track_caller]
fn excluded(text: &str, path: &str) -> bool {
    DockerIgnore::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}")).excludes(path)
}

#[track_caller]
fn check(text: &str, table: &[(&str, bool)]) {
    for (path, want) in table {
        assert_eq!(excluded(text, path), *want, "pattern {text:?} on {path:?}");
    }
}

#[test]
fn documented_examples() {
    // `*/temp*`: one level down only.
    check("*/temp*", &[("somedir/temporary.txt", true), ("somedir/temp", true), ("temp", false), ("a/b/temp", false)]);
    // `*/*/temp*`: two levels down.
    check("*/*/temp*", &[("somedir/subdir/temporary.txt", true), ("somedir/temp", false)]);
    // `temp?`: one character.
    check("temp?", &[("tempa", true), ("tempab", false), ("temp", false), ("dir/tempa", false)]);
    // `**/*.go` anywhere, the root included.
    check("**/*.go", &[("main.go", true), ("a/b/c.go", true), ("a/b/c.golden", false)]);
}

#[test]
fn exceptions_and_their_order() {
    check("*.md\n!README.md", &[("CHANGES.md", true), ("README.md", false)]);
    // The last matching line wins: README-secret.md is out again.
    check("*.md\n!README*.md\nREADME-secret.md", &[("README-secret.md", true), ("README-public.md", false)]);
    // An exception before the rule it should soften has no effect.
    check("!README.md\n*.md", &[("README.md", true)]);
    // A folder is left out with everything in it, unless an exception names a file inside.
    check("docs\n!docs/keep.md", &[("docs/keep.md", false), ("docs/other.md", true), ("docs/sub/x", true)]);
    check("docs/*\n!docs/keep.md", &[("docs/keep.md", false), ("docs/other.md", true)]);
    check("**\n!src", &[("src/main.rs", false), ("Cargo.toml", true)]);
}

#[test]
fn parent_folders_match() {
    check("build", &[("build/out/a.o", true), ("build", true), ("rebuild/a", false), ("src/build/a", false)]);
    check(
        "**/node_modules",
        &[("node_modules/x.js", true), ("web/node_modules/y/z.js", true), ("a/node_modulesx/b", false)],
    );
    check("*/cache", &[("a/cache/x", true), ("cache/x", false)]);
}

#[test]
fn double_star_forms() {
    check("**", &[("a", true), ("a/b/c", true)]);
    check("dir/**", &[("dir/f", true), ("dir/a/b", true), ("dir", false), ("dirx/f", false)]);
    check("**/dir2/*", &[("dir/dir2/file", true), ("dir2/file", true), ("dir/dir2", false)]);
    check("**/dir2/**", &[("dir/dir2/dir3/file", true)]);
    check("**file", &[("file", true), ("dir/file", true), ("dir/myfile", true), ("files", false)]);
    check("**/file*.txt*", &[("dir/dir/file.txt", true), ("file.txt.bak", true)]);
    check("**/**/*.txt", &[("file.txt", true), ("a/b/file.txt", true), ("a/b/file.txt2", false)]);
    check("a**/*.txt", &[("a/file.txt", true), ("a/dir/dir/file.txt", true), ("b/file.txt", false)]);
    check("a/*.txt**", &[("a/file.txt", true), ("a/file.txt.old", true)]);
    check("**/.foo", &[(".foo", true), ("bar.foo", false), ("a/.foo", true)]);
}

#[test]
fn go_glob_syntax() {
    check("a[b-d]e", &[("ace", true), ("ae", false), ("aae", false)]);
    check("a[^b-d]e", &[("aze", true), ("ace", false)]);
    check(".*", &[(".env", true), ("env", false), ("a/.env", false)]);
    check("abc.def", &[("abc.def", true), ("abcXdef", false)]);
    check("a(b)c/d+e|{f}$", &[("a(b)c/d+e|{f}$", true), ("abc/de", false)]);
    check("a\\*b", &[("a*b", true), ("axb", false)]);
    check("a\\\\", &[("a\\", true)]);
    check("[\\-x]", &[("-", true), ("x", true), ("a", false)]);
    check("a?b", &[("a☺b", true), ("a/b", false)]);
    check("[a-ζ]*", &[("α", true), ("A", false)]);
    check("dist/*.whl", &[("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]);
}

#[test]
fn lines_are_read_as_docker_reads_them() {
    // Comments only in column 1; whitespace trimmed; CRLF; a BOM on the first line.
    check("# comment\n  *.log  \r\n", &[("a.log", true), ("# comment", false)]);
    check(" # not a comment", &[("# not a comment", true)]);
    check("\u{feff}secret", &[("secret", true)]);
    // A leading `/`, `./` and `..` are cleaned away; a trailing `/` too (it matches files).
    check("/config.yaml.bak", &[("config.yaml.bak", true)]);
    check("./a/../b//c/", &[("b/c", true), ("b/c/d", true)]);
    check("! docs/keep.md\ndocs\n!  /docs/keep.md", &[("docs/keep.md", false)]);
    assert_eq!(go_clean("/../a/./b/"), "/a/b");
    assert_eq!(go_clean("../../a"), "../../a");
    assert_eq!(go_clean("a/.."), ".");
}

#[test]
fn how_each_pattern_compares() {
    assert_eq!(compile("dir/**").unwrap(), How::Prefix);
    assert_eq!(compile("**/dir").unwrap(), How::Suffix);
    assert_eq!(compile("**").unwrap(), How::Suffix);
    assert_eq!(compile("a^b").unwrap(), How::Exact);
    assert!(matches!(compile("**/a*").unwrap(), How::Tokens(_)));
    // An unescaped `^` anchors at the start, as in Docker's regular expression.
    check("*^b", &[("b", true), ("a^b", false)]);
}

#[test]
fn bad_patterns_are_refused_with_their_line() {
    let error = |text: &str| DockerIgnore::parse(text).unwrap_err();
    assert_eq!(error("ok\n!").0, 2);
    assert!(error("!").1.contains("`!` alone"));
    assert!(error("!/").1.contains("`!` alone"), "cleaned to `!`");
    assert_eq!(error("a\n\nb[").0, 3);
    assert!(error("[]a]").1.contains("not a valid Go glob"));
    assert!(error("[x-]").1.contains("not a valid Go glob"));
    assert!(error("a\\d").1.contains("`\\d`"));
    assert!(error("[*]").1.contains("inside `[...]`"));
}

#[test]
fn no_file_excludes_nothing() {
    let rules = DockerIgnore::parse("").unwrap();
    assert!(!rules.excludes("Dockerfile"));
    assert!(!excluded("\n\n# only comments\n", "a"));
}
