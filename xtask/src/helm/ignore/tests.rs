//! Tests for `.helmignore` rules: Go's `match_test.go` table, Helm's `rules_test.go`, and charts
//! packaged with real Helm.

use std::collections::BTreeSet;
use std::fmt::Debug;

use super::{BadPattern, Rules, glob_match, go_base};

/// The one comparison helper: names what was checked and points at the calling table row loop.
#[track_caller]
fn check<T: PartialEq + Debug>(what: &str, got: T, want: T) {
    assert_eq!(got, want, "{what}");
}

const BAD: Result<bool, BadPattern> = Err(BadPattern);

/// golang/go `src/path/filepath/match_test.go` `matchTests`, verbatim.
const GO_MATCH_TESTS: &[(&str, &str, Result<bool, BadPattern>)] = &[
    ("abc", "abc", Ok(true)),
    ("*", "abc", Ok(true)),
    ("*c", "abc", Ok(true)),
    ("a*", "a", Ok(true)),
    ("a*", "abc", Ok(true)),
    ("a*", "ab/c", Ok(false)),
    ("a*/b", "abc/b", Ok(true)),
    ("a*/b", "a/c/b", Ok(false)),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
    ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
    ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
    ("ab[c]", "abc", Ok(true)),
    ("ab[b-d]", "abc", Ok(true)),
    ("ab[e-g]", "abc", Ok(false)),
    ("ab[^c]", "abc", Ok(false)),
    ("ab[^b-d]", "abc", Ok(false)),
    ("ab[^e-g]", "abc", Ok(true)),
    ("a\\*b", "a*b", Ok(true)),
    ("a\\*b", "ab", Ok(false)),
    ("a?b", "a☺b", Ok(true)),
    ("a[^a]b", "a☺b", Ok(true)),
    ("a???b", "a☺b", Ok(false)),
    ("a[^a][^a][^a]b", "a☺b", Ok(false)),
    ("[a-ζ]*", "α", Ok(true)),
    ("*[a-ζ]", "A", Ok(false)),
    ("a?b", "a/b", Ok(false)),
    ("a*b", "a/b", Ok(false)),
    ("[\\]a]", "]", Ok(true)),
    ("[\\-]", "-", Ok(true)),
    ("[x\\-]", "x", Ok(true)),
    ("[x\\-]", "-", Ok(true)),
    ("[x\\-]", "z", Ok(false)),
    ("[\\-x]", "x", Ok(true)),
    ("[\\-x]", "-", Ok(true)),
    ("[\\-x]", "a", Ok(false)),
    ("[]a]", "]", BAD),
    ("[-]", "-", BAD),
    ("[x-]", "x", BAD),
    ("[x-]", "-", BAD),
    ("[x-]", "z", BAD),
    ("[-x]", "x", BAD),
    ("[-x]", "-", BAD),
    ("[-x]", "a", BAD),
    ("\\", "a", BAD),
    ("[a-b-c]", "a", BAD),
    ("[", "a", BAD),
    ("[^", "a", BAD),
    ("[^bc", "a", BAD),
    ("a[", "a", BAD),
    ("a[", "ab", BAD),
    ("a[", "x", BAD),
    ("a/b[", "x", BAD),
    ("*x", "xxx", Ok(true)),
];

/// More `filepath.Match` behaviour, traced through Go's code (the byte-level ones were also
/// confirmed through Helm, see `HELM_CONFIRMED`).
const MORE_MATCH_TESTS: &[(&str, &str, Result<bool, BadPattern>)] = &[
    ("", "", Ok(true)),
    ("", "a", Ok(false)),
    ("*", "", Ok(true)),
    ("*", "a/b", Ok(false)),
    ("**", "abc", Ok(true)),
    ("a*", "a/", Ok(false)),
    ("?", "/", Ok(false)),
    ("?", "☺", Ok(true)),
    ("???", "☺", Ok(false)),
    // `*` advances one byte at a time, so it can stop inside a character; `?` then eats single
    // bytes of it as U+FFFD.
    ("*??", "☺", Ok(true)),
    ("*???", "☺", Ok(false)),
    ("*[\u{fffd}]", "☺", Ok(true)),
    ("[\u{fffd}]", "☺", Ok(false)),
    // A class may match `/`; only `*` and `?` stop at it.
    ("[/]", "/", Ok(true)),
    ("a[/]b", "a/b", Ok(true)),
    ("a[^x]b", "a/b", Ok(true)),
    // `*` inside a class does not end the chunk.
    ("[*]", "*", Ok(true)),
    ("[*]", "a", Ok(false)),
    // `!` is not a class negation in Go.
    ("[!a]", "!", Ok(true)),
    ("[!a]", "b", Ok(false)),
    ("\\*", "*", Ok(true)),
    ("\\a", "a", Ok(true)),
    ("[\\\\]", "\\", Ok(true)),
    ("a\\/b", "a/b", Ok(true)),
    ("[]", "a", BAD),
    ("a\\", "a", BAD),
    ("a\\", "b", BAD),
    ("[a-", "a", BAD),
    ("[^", "", BAD),
    ("[a]]", "a]", Ok(true)),
    // The rest of the pattern is checked even once the match has failed.
    ("x*[", "y", BAD),
    ("ab*[", "a", BAD),
    ("a*b[", "ax", BAD),
];

#[test]
fn glob_match_follows_go() {
    for &(pattern, name, want) in GO_MATCH_TESTS.iter().chain(MORE_MATCH_TESTS) {
        check(&format!("Match({pattern:?}, {name:?})"), glob_match(pattern, name), want);
    }
}

#[test]
fn bad_pattern_displays_like_go() {
    check("ErrBadPattern text", BadPattern.to_string(), "syntax error in pattern".to_owned());
}

#[test]
fn base_follows_go() {
    let table = [
        ("", "."),
        (".", "."),
        ("./", "."),
        ("a", "a"),
        ("a/b", "b"),
        ("a/b/", "b"),
        ("a//", "a"),
        ("/", "/"),
        ("//", "/"),
    ];
    for (path, want) in table {
        check(&format!("Base({path:?})"), go_base(path), want);
    }
}

/// helm/helm `pkg/ignore/rules_test.go` `TestIgnore`: (pattern, name, is a directory in Helm's
/// testdata, ignored). Helm's table runs without the default rule; it changes none of these.
const HELM_IGNORE_TESTS: &[(&str, &str, bool, bool)] = &[
    // Glob tests
    ("helm.txt", "helm.txt", false, true),
    ("helm.*", "helm.txt", false, true),
    ("helm.*", "rudder.txt", false, false),
    ("*.txt", "tiller.txt", false, true),
    ("*.txt", "cargo/a.txt", false, true),
    ("cargo/*.txt", "cargo/a.txt", false, true),
    ("cargo/*.*", "cargo/a.txt", false, true),
    ("cargo/*.txt", "mast/a.txt", false, false),
    ("ru[c-e]?er.txt", "rudder.txt", false, true),
    ("templates/.?*", "templates/.dotfile", false, true),
    // "." should never get ignored. https://github.com/helm/helm/issues/1776
    (".*", ".", true, false),
    (".*", "./", true, false),
    (".*", ".joonix", false, true),
    (".*", "helm.txt", false, false),
    (".*", "", true, false),
    // Directory tests
    ("cargo/", "cargo", true, true),
    ("cargo/", "cargo/", true, true),
    ("cargo/", "mast/", true, false),
    ("helm.txt/", "helm.txt", false, false),
    // Negation tests
    ("!helm.txt", "helm.txt", false, false),
    ("!helm.txt", "tiller.txt", false, true),
    ("!*.txt", "cargo", true, true),
    ("!cargo/", "mast/", true, true),
    // Absolute path tests
    ("/a.txt", "a.txt", false, true),
    ("/a.txt", "cargo/a.txt", false, false),
    ("/cargo/a.txt", "cargo/a.txt", false, true),
];

/// Rule evaluation beyond Helm's table, traced through `Ignore`.
const MORE_IGNORE_TESTS: &[(&str, &str, bool, bool)] = &[
    // The chart root is never ignored, whatever the rules.
    ("*", "", true, false),
    ("*", ".", true, false),
    ("!x", "./", true, false),
    ("*", "a", true, true),
    // First positive match wins; a negation never re-includes.
    ("*.txt\n!a.txt", "a.txt", false, true),
    ("!a.txt\n*.txt", "a.txt", false, true),
    ("!a.txt\n*.txt", "b.md", false, true),
    ("!a.txt\nb.md", "a.txt", false, false),
    // A directory-only negation ignores every file outright.
    ("!cargo/", "cargo", true, false),
    ("!cargo/", "cargo/a.txt", false, true),
    // Basename rules see only the last element; path rules the whole path.
    ("a.txt", "x/y/a.txt", false, true),
    ("y/a.txt", "x/y/a.txt", false, false),
    ("*/a.txt", "x/a.txt", false, true),
    ("*/a.txt", "x/y/a.txt", false, false),
    // One leading `/` is stripped, no more.
    ("/x/a.txt", "x/a.txt", false, true),
    ("//a.txt", "a.txt", false, false),
    // One trailing `/` is stripped, no more.
    ("docs//", "docs", true, false),
    ("docs/", "docs", false, false),
    // `/` alone is an empty basename rule, which matches nothing; negated it ignores everything.
    ("/", "a", true, false),
    ("!/", "a", true, true),
    // A glob that only breaks once `/` is stripped never matches; negated it ignores everything.
    ("a\\/", "a", true, false),
    ("!a\\/", "a", true, true),
    // `!` is stripped once; the rest is literal.
    ("!!a", "!a", false, false),
    ("!!a", "a", false, true),
    // No inline comments; `\#` is an escaped `#`.
    ("a.txt # c", "a.txt", false, false),
    ("\\#a", "#a", false, true),
    // The default rule only covers dotfiles directly under templates/.
    ("", "templates/.x", false, true),
    ("", "templates/.x", true, true),
    ("", "templates/sub/.x", false, false),
    ("", "templates/.", false, false),
    ("", ".x", false, false),
];

#[test]
fn ignore_follows_helm() {
    for &(rules, path, is_dir, want) in HELM_IGNORE_TESTS.iter().chain(MORE_IGNORE_TESTS) {
        let parsed = Rules::parse(Some(rules)).expect("rules parse");
        check(&format!("rules {rules:?} on {path:?} (dir: {is_dir})"), parsed.ignored(path, is_dir), want);
    }
}

fn raw_rules(rules: &Rules) -> Vec<&str> {
    rules.patterns.iter().map(|p| p.raw.as_str()).collect()
}

#[test]
fn parse_keeps_rules_in_order_and_adds_the_default() {
    // Helm's TestParse, plus the default rule the loader appends.
    let content = "#ignore\n\n\t#ignore\nfoo\nbar/*\nbaz/bar/foo.txt\n\none/more\n";
    let rules = Rules::parse(Some(content)).expect("rules parse");
    check("TestParse", raw_rules(&rules), vec!["foo", "bar/*", "baz/bar/foo.txt", "one/more", "templates/.?*"]);
    // Helm's TestParseFile fixture (pkg/ignore/testdata/.helmignore).
    let rules = Rules::parse(Some("mast/a.txt\n.DS_Store\n.git\n")).expect("rules parse");
    check("TestParseFile", raw_rules(&rules), vec!["mast/a.txt", ".DS_Store", ".git", "templates/.?*"]);
    // Helm's TestAddDefaults: an absent file still gets the default rule.
    let rules = Rules::parse(None).expect("rules parse");
    check("TestAddDefaults", raw_rules(&rules), vec!["templates/.?*"]);
    check("Debug lists the rules", format!("{rules:?}"), r#"["templates/.?*"]"#.to_owned());
}

#[test]
fn parse_errors_name_the_line_and_the_fix() {
    let table = [
        // Helm's TestParseFail.
        ("foo/**/bar", "line 1: `foo/**/bar` contains `**`"),
        ("[z-", "line 1: `[z-` is not a valid Go glob"),
        ("# c\n\n  a/**  \n", "line 3: `a/**` contains `**`"),
        ("a\r\n[\r\n", "line 2: `[` is not a valid Go glob"),
        // `**` is checked before the glob, and the first bad line wins.
        ("[**", "line 1: `[**` contains `**`"),
        ("ok\n[\n**\n", "line 2: `[` is not a valid Go glob"),
        // The whole line is validated, `!` and slashes included.
        ("!\\", "line 1: `!\\` is not a valid Go glob"),
        ("\u{feff}[x", "line 1: `[x` is not a valid Go glob"),
    ];
    for (content, want) in table {
        let error = Rules::parse(Some(content)).map(|_| ()).expect_err("rules are rejected").to_string();
        check(&format!("error for {content:?}: {error}"), error.contains(want), true);
        check(&format!("error starts lowercase: {error}"), error.starts_with(".helmignore line "), true);
        check(&format!("error has no trailing period: {error}"), error.ends_with('.'), false);
    }
    let long = format!("a\n{}\n", "x".repeat(65_536));
    let error = Rules::parse(Some(&long)).map(|_| ()).expect_err("long line is rejected").to_string();
    check(&format!("long line error: {error}"), error.starts_with(".helmignore line 2 is 65536 bytes long"), true);
}

/// What Helm v4.2.3 did with a chart made of [`HELM_TREE`] plus the `.helmignore`.
enum Helm {
    /// The archive held every file but these.
    Excludes(&'static [&'static str]),
    /// The archive held exactly these files.
    Keeps(&'static [&'static str]),
    /// Packaging failed with "Chart.yaml file is missing": the rules ignore Chart.yaml.
    ChartYamlIgnored,
    /// Packaging failed on the `.helmignore` with this error, which ours must quote.
    Rejects(&'static str),
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Excludes(BTreeSet<String>),
    Keeps(BTreeSet<String>),
    ChartYamlIgnored(bool),
    Rejects(String),
}

/// Selects files from [`HELM_TREE`] the way Helm's loader walks a chart directory: a file is
/// packaged unless it or one of its directories is ignored.
fn outcome(content: Option<&str>, helm: &Helm) -> Outcome {
    let rules = match Rules::parse(content) {
        Ok(rules) => rules,
        Err(error) => {
            let error = error.to_string();
            return match helm {
                Helm::Rejects(quote) if error.contains(quote) => Outcome::Rejects((*quote).to_owned()),
                _ => Outcome::Rejects(error),
            };
        }
    };
    let files = HELM_TREE.iter().copied().chain(content.map(|_| ".helmignore"));
    let (mut kept, mut excluded) = (BTreeSet::new(), BTreeSet::new());
    for file in files {
        let mut dirs = file.match_indices('/').map(|(i, _)| &file[..i]);
        let ignored = dirs.any(|dir| rules.ignored(dir, true)) || rules.ignored(file, false);
        let bucket = if ignored { &mut excluded } else { &mut kept };
        bucket.insert(file.to_owned());
    }
    match helm {
        Helm::Keeps(_) => Outcome::Keeps(kept),
        Helm::ChartYamlIgnored => Outcome::ChartYamlIgnored(excluded.contains("Chart.yaml")),
        Helm::Excludes(_) | Helm::Rejects(_) => Outcome::Excludes(excluded),
    }
}

fn want(helm: &Helm) -> Outcome {
    let set = |files: &[&str]| files.iter().map(|f| (*f).to_owned()).collect();
    match helm {
        Helm::Excludes(files) => Outcome::Excludes(set(files)),
        Helm::Keeps(files) => Outcome::Keeps(set(files)),
        Helm::ChartYamlIgnored => Outcome::ChartYamlIgnored(true),
        Helm::Rejects(quote) => Outcome::Rejects((*quote).to_owned()),
    }
}

#[test]
fn selection_matches_helm_package() {
    for (label, content, helm) in HELM_CONFIRMED {
        check(&format!("{label}: {content:?}"), outcome(*content, helm), want(helm));
    }
    for (label, head, xs, tail, helm) in HELM_CONFIRMED_LONG_LINES {
        let content = format!("{head}{}{tail}", "x".repeat(*xs));
        check(&format!("{label}: {head:?} + {xs} x + {tail:?}"), outcome(Some(&content), helm), want(helm));
    }
}

// Everything below was confirmed with Helm v4.2.3: each `.helmignore` was written into a chart
// directory holding HELM_TREE (Chart.yaml: `apiVersion: v2`, `name: demo`, `version: 0.1.0`),
// packaged with Helm's own `package` action, and the files in the resulting .tgz recorded.

/// The chart's files; directories are implied by the paths.
const HELM_TREE: &[&str] = &[
    "Chart.yaml",
    "values.yaml",
    "README.md",
    "notes.txt",
    "a.txt",
    ".hidden",
    "#hash.txt",
    "!bang.txt",
    "[brackets].txt",
    "we*ird.txt",
    "space name.txt",
    "ünï.txt",
    "☺.txt",
    "x☺y",
    "foo",
    "bar/foo",
    "foo2/foo",
    "abc",
    "templates/deployment.yaml",
    "templates/_helpers.tpl",
    "templates/.dotfile",
    "templates/NOTES.txt",
    "templates/sub/x.yaml",
    "templates/sub/.hidden.yaml",
    "templates/.hiddendir/y.yaml",
    "templates/a.txt",
    "docs/a.txt",
    "docs/guide.md",
    "docs/nested/deep.txt",
    "docs/nested/a.txt",
    "cargo/a.txt",
    "cargo/b.md",
    "mast/a.txt",
    "files/config.json",
    "files/secret.key",
    "files/.env",
    "dir.txt/inner.yaml",
    "tests/test.yaml",
    ".git/config",
    ".git/HEAD",
    "a/b/c.txt",
    "a/x.txt",
    "u/☺",
    "u/é",
    "u/ab",
    "u/a",
    "w/☺",
    "w/a",
];

/// `.helmignore` contents and what Helm v4.2.3 packaged (or refused) for each.
const HELM_CONFIRMED: &[(&str, Option<&str>, Helm)] = &[
    ("absent", None, Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    ("empty", Some(""), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "helm create default",
        Some(
            "# Patterns to ignore when building packages.\n# This supports shell glob matching, relative path matching, and\n# negation (prefixed with !). Only one pattern per line.\n.DS_Store\n# Common VCS dirs\n.git/\n.gitignore\n.bzr/\n.bzrignore\n.hg/\n.hgignore\n.svn/\n# Common backup files\n*.swp\n*.bak\n*.tmp\n*.orig\n*~\n# Various IDEs\n.project\n.idea/\n*.tmproj\n.vscode/\n",
        ),
        Helm::Excludes(&[".git/HEAD", ".git/config", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "basename path anchor",
        Some("*.txt\n/README.md\ndocs/nested/\ncargo/*.md\n"),
        Helm::Excludes(&[
            "!bang.txt",
            "#hash.txt",
            "README.md",
            "[brackets].txt",
            "a.txt",
            "a/b/c.txt",
            "a/x.txt",
            "cargo/a.txt",
            "cargo/b.md",
            "dir.txt/inner.yaml",
            "docs/a.txt",
            "docs/nested/a.txt",
            "docs/nested/deep.txt",
            "mast/a.txt",
            "notes.txt",
            "space name.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/NOTES.txt",
            "templates/a.txt",
            "we*ird.txt",
            "ünï.txt",
            "☺.txt",
        ]),
    ),
    ("negate yaml", Some("!*.yaml\n"), Helm::Keeps(&["Chart.yaml", "values.yaml"])),
    ("negate then positive", Some("!*.yaml\nvalues.yaml\n"), Helm::Keeps(&["Chart.yaml"])),
    ("negate dir only", Some("!templates/\n"), Helm::ChartYamlIgnored),
    (
        "dir rules",
        Some("dir.txt/\nfoo/\nfoo2/\n/docs/nested\n"),
        Helm::Excludes(&[
            "dir.txt/inner.yaml",
            "docs/nested/a.txt",
            "docs/nested/deep.txt",
            "foo2/foo",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
        ]),
    ),
    (
        "star txt dir",
        Some("*.txt/\n"),
        Helm::Excludes(&["dir.txt/inner.yaml", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "escapes classes",
        Some(
            "\\#hash.txt\n\\!bang.txt\n\\[brackets\\].txt\nwe\\*ird.txt\n[^a-m]*.md\n?.txt\n☺.txt\n   space name.txt   \n#comment\n   # indented comment\nü*\n",
        ),
        Helm::Excludes(&[
            "!bang.txt",
            "#hash.txt",
            "README.md",
            "[brackets].txt",
            "a.txt",
            "a/b/c.txt",
            "a/x.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "space name.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
            "we*ird.txt",
            "ünï.txt",
            "☺.txt",
        ]),
    ),
    ("double star", Some("a.txt\nfoo/**/bar\n"), Helm::Rejects("double-star (**) syntax is not supported")),
    ("bad class", Some("a.txt\n[z-\n"), Helm::Rejects("syntax error in pattern")),
    (
        "bom",
        Some("\u{feff}a.txt\nnotes.txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "crlf",
        Some("a.txt\r\nnotes.txt\r\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "dotstar",
        Some(".*\n"),
        Helm::Excludes(&[
            ".git/HEAD",
            ".git/config",
            ".helmignore",
            ".hidden",
            "files/.env",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/sub/.hidden.yaml",
        ]),
    ),
    ("star everything", Some("*\n"), Helm::ChartYamlIgnored),
    (
        "star dirs",
        Some("*/\n"),
        Helm::Keeps(&[
            "!bang.txt",
            "#hash.txt",
            ".helmignore",
            ".hidden",
            "Chart.yaml",
            "README.md",
            "[brackets].txt",
            "a.txt",
            "abc",
            "foo",
            "notes.txt",
            "space name.txt",
            "values.yaml",
            "we*ird.txt",
            "x☺y",
            "ünï.txt",
            "☺.txt",
        ]),
    ),
    (
        "templates star dir",
        Some("templates/*/\n"),
        Helm::Excludes(&[
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/sub/.hidden.yaml",
            "templates/sub/x.yaml",
        ]),
    ),
    (
        "anchored file",
        Some("/a.txt\na.txt/\n"),
        Helm::Excludes(&["a.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    ("double slash anchor", Some("//a.txt\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    ("triple slash anchor", Some("///a.txt\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    ("triple slash anchor b", Some("///abc\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "docs star",
        Some("docs/*\n"),
        Helm::Excludes(&[
            "docs/a.txt",
            "docs/guide.md",
            "docs/nested/a.txt",
            "docs/nested/deep.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
        ]),
    ),
    (
        "trailing backslash slash",
        Some("a\\/\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    ("double trailing slash", Some("docs//\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "unicode class",
        Some("[☺]*\nx?y\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml", "u/☺", "w/☺", "x☺y", "☺.txt"]),
    ),
    ("star qq", Some("*??\n"), Helm::ChartYamlIgnored),
    ("negated negation", Some("!!bang.txt\n"), Helm::ChartYamlIgnored),
    (
        "inline comment",
        Some("a.txt # comment\nnotes.txt\n"),
        Helm::Excludes(&["notes.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "no final newline",
        Some("a.txt\nnotes.txt"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "first match then negate",
        Some("*.md\n!*\n"),
        Helm::Excludes(&[
            "README.md",
            "cargo/b.md",
            "docs/guide.md",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
        ]),
    ),
    ("negated default-rule path", Some("!templates/.dotfile\n"), Helm::ChartYamlIgnored),
    ("dot patterns", Some(".\n./\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "nested path star",
        Some("a/*/c.txt\n*/a.txt\n"),
        Helm::Excludes(&[
            "a/b/c.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    ("bad after star", Some("a*[\n"), Helm::Rejects("syntax error in pattern")),
    (
        "tab whitespace",
        Some("\ta.txt\t\n\u{3000}notes.txt\u{3000}\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "range escape",
        Some("[\\]a]*\n[a\\-z].txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "a/b/c.txt",
            "a/x.txt",
            "abc",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
            "u/a",
            "u/ab",
            "w/a",
        ]),
    ),
    (
        "question slash",
        Some("a?x.txt\ndocs?a.txt\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "bom only line",
        Some("\u{feff}\na.txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    ("negate rooted", Some("!/templates\n"), Helm::ChartYamlIgnored),
    (
        "star qq mid rune",
        Some("u/*??\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml", "u/ab", "u/☺"]),
    ),
    (
        "class rune error",
        Some("w/*[\u{fffd}]\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml", "w/☺"]),
    ),
    (
        "negated class rune",
        Some("u/[^a]\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml", "u/é", "u/☺"]),
    ),
    (
        "class matches slash",
        Some("a[/]x.txt\n"),
        Helm::Excludes(&["a/x.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "bang in class is literal",
        Some("[!a].txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "escaped slash",
        Some("docs\\/a.txt\n"),
        Helm::Excludes(&["docs/a.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    ("lone slash", Some("/\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "double bom",
        Some("\u{feff}\u{feff}a.txt\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "space then bom",
        Some(" \u{feff}a.txt\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "bom line2",
        Some("notes.txt\n\u{feff}a.txt\n"),
        Helm::Excludes(&["notes.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "empty then bom",
        Some("\n\u{feff}a.txt\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "bom then space",
        Some("\u{feff}  a.txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "bom comment",
        Some("\u{feff}#a.txt\nnotes.txt\n"),
        Helm::Excludes(&["notes.txt", "templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    ("bom negate", Some("\u{feff}!*.yaml\n"), Helm::Keeps(&["Chart.yaml", "values.yaml"])),
    ("bom double star", Some("\u{feff}**\n"), Helm::Rejects("double-star (**) syntax is not supported")),
    ("cr only sep", Some("a.txt\rnotes.txt\n"), Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"])),
    (
        "nbsp trim",
        Some("\u{a0}a.txt\u{a0}\n\u{85}notes.txt\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "zwsp not trimmed",
        Some("\u{200b}a.txt\n"),
        Helm::Excludes(&["templates/.dotfile", "templates/.hiddendir/y.yaml"]),
    ),
    (
        "vt ff",
        Some("\u{b}a.txt\u{c}\n"),
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
];

/// Lines at Go's `bufio.Scanner` limit: `head`, then that many `x`, then `tail`; also confirmed
/// with Helm v4.2.3.
const HELM_CONFIRMED_LONG_LINES: &[(&str, &str, usize, &str, Helm)] = &[
    (
        "line 65535",
        "a.txt\n",
        65535,
        "\nnotes.txt\n",
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    ("line 65536", "a.txt\n", 65536, "\nnotes.txt\n", Helm::Rejects("bufio.Scanner: token too long")),
    (
        "line 65535 cr",
        "a.txt\n",
        65534,
        "\r\nnotes.txt\n",
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "notes.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    (
        "line 65535 last noeol",
        "a.txt\n",
        65535,
        "",
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
    ("line 65536 last noeol", "a.txt\n", 65536, "", Helm::Rejects("bufio.Scanner: token too long")),
    ("bom long 65536", "\u{feff}", 65533, "\na.txt\n", Helm::Rejects("bufio.Scanner: token too long")),
    (
        "bom long 65535",
        "\u{feff}",
        65532,
        "\na.txt\n",
        Helm::Excludes(&[
            "a.txt",
            "cargo/a.txt",
            "docs/a.txt",
            "docs/nested/a.txt",
            "mast/a.txt",
            "templates/.dotfile",
            "templates/.hiddendir/y.yaml",
            "templates/a.txt",
        ]),
    ),
];
