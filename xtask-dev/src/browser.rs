//! A real browser's reading of a page, for tests of what Pages serves: Debian's chromium, driven
//! offline by npm `playwright-core` from the peers (`browser/check.mjs`), reports console errors,
//! failed requests, dialogs, links, `<code>` texts with and without JavaScript, and axe-core's
//! serious or critical accessibility violations, and saves a full-page screenshot.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::path::Path;
use xtask::shell::{self, cmd};

/// Where the tests expect the browser (Debian's `chromium`, [`crate::peers::DEBIAN`]).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// What the browser saw of one page.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    /// The URL asked for.
    pub url: String,
    /// The page's URL after redirects.
    pub final_url: String,
    /// The document's HTTP status.
    pub status: Option<u16>,
    /// `document.title`.
    pub title: String,
    /// Console messages of type error (with where they came from), and uncaught exceptions.
    pub console_errors: Vec<String>,
    /// `METHOD URL: reason` of every request that failed or answered 400 or more.
    pub failed_requests: Vec<String>,
    /// `TYPE: message` of every alert, confirm, prompt or beforeunload dialog (all dismissed):
    /// empty when no script of the page asked for one.
    pub dialogs: Vec<String>,
    /// Every `a[href]`, resolved to an absolute URL (a `javascript:` one stays as written).
    pub links: Vec<String>,
    /// The trimmed `textContent` of every `<code>`.
    pub codes: Vec<String>,
    /// axe-core's violations of impact serious or critical.
    pub axe: Vec<Violation>,
    /// [`Report::codes`] of a second load with JavaScript disabled.
    pub codes_without_js: Vec<String>,
}

/// One axe-core rule the page breaks.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule, e.g. `image-alt`.
    pub id: String,
    /// `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for.
    pub help: String,
    /// How many elements break it.
    pub nodes: usize,
    /// The CSS selectors of the first ten of them.
    pub targets: Vec<String>,
}

impl Report {
    /// The links whose scheme is `javascript:`.
    pub fn javascript_links(&self) -> Vec<&str> {
        let scheme = |l: &&String| l.trim_start().get(..11).is_some_and(|s| s.eq_ignore_ascii_case("javascript:"));
        self.links.iter().filter(scheme).map(String::as_str).collect()
    }

    /// Everything wrong with the page, one line each: console errors, failed requests, dialogs,
    /// `javascript:` links and accessibility violations. Empty for a clean page.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        problems.extend(self.console_errors.iter().map(|e| format!("console error: {e}")));
        problems.extend(self.failed_requests.iter().map(|r| format!("failed request: {r}")));
        problems.extend(self.dialogs.iter().map(|d| format!("dialog: {d}")));
        problems.extend(self.javascript_links().into_iter().map(|l| format!("javascript: link: {l}")));
        problems.extend(self.axe.iter().map(|v| {
            format!("axe {} ({}): {} on {} element(s): {}", v.id, v.impact, v.help, v.nodes, v.targets.join(", "))
        }));
        problems
    }
}

/// Loads `url` in chromium with the npm packages of `peers` (`target/peers`, the tests'
/// `LAMINA_TEST_PEERS`), saves a full-page PNG of it to `screenshot`, and reports what it saw.
/// Every wait of the script is bounded (30 s; the whole run 120 s).
pub fn check(peers: &Path, url: &str, screenshot: &Path) -> anyhow::Result<Report> {
    let npm = peers.join("npm");
    let modules = npm.join("node_modules");
    for package in ["playwright-core", "axe-core"] {
        if !modules.join(package).join("package.json").is_file() {
            bail!(
                "npm `{package}` is not in {}: provision the test peers with `cargo xtask test --peers-only`",
                modules.display()
            );
        }
    }
    if !Path::new(CHROMIUM).is_file() {
        bail!("chromium is not at {CHROMIUM}: install Debian's `chromium` (`cargo xtask test --peers-only` does)");
    }
    let node =
        shell::which("node").context("node is not on PATH: install Debian's `nodejs` (`cargo xtask test` needs it)")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/check.mjs");
    let screenshot = std::path::absolute(screenshot)?;
    let sh = shell::at(&npm)?;
    let out = shell::run_captured(cmd!(sh, "{node} {script} {CHROMIUM} {url} {screenshot}").env("NODE_PATH", &modules))
        .with_context(|| format!("the browser check of {url} failed"))?;
    serde_json::from_str(&out)
        .with_context(|| format!("the browser check of {url} printed no report: `{}`", out.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::StaticSite;

    const GOOD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lamina charts</title></head>
<body><main><h1>Charts</h1>
<p>Add the repository: <code> helm repo add lamina https://example.test/charts </code></p>
<p><a href="charts/">All charts</a> <a href="https://example.test/docs">Docs</a></p>
</main></body></html>
"#;

    const CHARTS: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>All charts</title></head>
<body><main><h1>All charts</h1><p><code>demo</code></p></main></body></html>
"#;

    /// An image without `alt` (and missing), a script that raises a dialog, one that throws, a
    /// `<code>` only JavaScript writes, and a `javascript:` link.
    const BAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><h1>Bad</h1>
<img src="missing.png">
<p><code>static</code> <code id="late"></code></p>
<a href="javascript:void(0)">do it</a>
<script>alert(1)</script>
<script>document.getElementById('late').textContent = 'from js'; notDefined();</script>
</main></body></html>
"#;

    /// The harness reports a clean page as clean, follows Pages' folder redirect, and catches
    /// every kind of problem in a bad page: the dialog, the console error, the failed request,
    /// the accessibility violation and the `javascript:` link.
    #[test]
    #[ignore = "needs the test peers: run `cargo xtask test`"]
    fn the_browser_reports_a_clean_page_as_clean_and_a_bad_page_s_problems() {
        let peers = xtask::env::var(xtask::env::LAMINA_TEST_PEERS).expect("LAMINA_TEST_PEERS");
        let peers = Path::new(&peers);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), GOOD).unwrap();
        std::fs::create_dir(dir.path().join("charts")).unwrap();
        std::fs::write(dir.path().join("charts/index.html"), CHARTS).unwrap();
        std::fs::write(dir.path().join("bad.html"), BAD).unwrap();
        let site = StaticSite::serve(dir.path()).unwrap();
        let shots = tempfile::tempdir().unwrap();

        let good = check(peers, &format!("{}/", site.url()), &shots.path().join("good.png")).unwrap();
        assert!(good.problems().is_empty(), "{good:#?}");
        assert_eq!((good.status, good.title.as_str()), (Some(200), "Lamina charts"));
        assert_eq!(good.codes, ["helm repo add lamina https://example.test/charts"]);
        assert_eq!(good.codes_without_js, good.codes);
        assert_eq!(good.links, [format!("{}/charts/", site.url()), "https://example.test/docs".to_owned()]);
        let png = std::fs::read(shots.path().join("good.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");

        let charts = check(peers, &format!("{}/charts?tab=all", site.url()), &shots.path().join("charts.png")).unwrap();
        assert_eq!(charts.final_url, format!("{}/charts/?tab=all", site.url()), "{charts:#?}");
        assert_eq!((charts.title.as_str(), charts.codes.as_slice()), ("All charts", &["demo".to_owned()][..]));
        assert!(charts.problems().is_empty(), "{charts:#?}");

        let bad = check(peers, &format!("{}/bad.html", site.url()), &shots.path().join("bad.png")).unwrap();
        drop(site);
        assert_eq!(bad.dialogs, ["alert: 1"], "{bad:#?}");
        assert!(bad.console_errors.iter().any(|e| e.contains("notDefined")), "{bad:#?}");
        let missing = format!("GET {}/missing.png: 404", bad.url.trim_end_matches("/bad.html"));
        assert_eq!(bad.failed_requests, [missing], "{bad:#?}");
        assert!(bad.axe.iter().any(|v| v.id == "image-alt" && v.nodes == 1), "{bad:#?}");
        assert_eq!(bad.javascript_links(), ["javascript:void(0)"]);
        assert_eq!(bad.codes, ["static", "from js"]);
        assert_eq!(bad.codes_without_js, ["static", ""], "JavaScript off: the late code stays empty");
    }
}
