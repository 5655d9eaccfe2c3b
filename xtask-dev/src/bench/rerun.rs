//! `rerun`: the no-op rerun of a finished release. The test fixture is released once to a fresh
//! registry, a bare Pages remote and the GitHub fake, then `release` is timed again; every rerun
//! must write nothing anywhere (GitHub requests, registry uploads, Pages tip). No peer has this
//! command (chart-releaser and goreleaser stop on a finished release), so the peer column is the
//! goal.
//!
//! The row also gives the rerun's sequential round trips: the most requests that happened
//! strictly one after another, across every remote (greedy interval scheduling over their
//! `(start, end)`: by end, counting a request that starts after the last counted one ended).
//! The GitHub fake notes each request's arrival and answer; the registry, whose log has whole
//! seconds only, is reached through a recording proxy (`bench/proxy.rs`), for the first release
//! too, so the release names the same registry throughout; git's own trace
//! (`GIT_TRACE2_EVENT`, microseconds) gives each `git ls-remote`, `fetch` and `push` of the Pages
//! remote, from the git process's first event to its last.

use super::proxy::RecordingProxy;
use super::report::{RoundTrips, Row, Side, Work};
use crate::github::{GithubFake, Options};
use crate::registry::LocalRegistry;
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xtask::shell::{Shell, cmd};

/// The contract's goal for this row.
pub const GOAL: Duration = Duration::from_millis(250);

/// The git commands that talk to the Pages remote.
const REMOTE_GIT: [&str; 3] = ["ls-remote", "fetch", "push"];

pub fn no_op_rerun(sh: &Shell, root: &Path, runs: usize) -> anyhow::Result<Row> {
    let tmp = tempfile::tempdir()?;
    let repo = tmp.path().join("repo");
    copy_fixture(&root.join("xtask/tests/fixtures/minimal"), &repo)?;
    let _dir = sh.push_dir(&repo);
    let _env = [
        ("GIT_AUTHOR_NAME", "Bench"),
        ("GIT_AUTHOR_EMAIL", "bench@example.com"),
        ("GIT_COMMITTER_NAME", "Bench"),
        ("GIT_COMMITTER_EMAIL", "bench@example.com"),
    ]
    .map(|(k, v)| sh.push_env(k, v));
    cmd!(sh, "git init -q -b main").quiet().run()?;
    cmd!(sh, "git add -A").quiet().run()?;
    cmd!(sh, "git commit -q -m fixture").quiet().run()?;
    cmd!(sh, "git tag v0.2.0").quiet().run()?;
    let pages = tmp.path().join("pages.git");
    cmd!(sh, "git init -q --bare {pages}").quiet().run()?;

    let registry = LocalRegistry::start(&[])?;
    let proxy = RecordingProxy::start(([127, 0, 0, 1], registry.port).into())?;
    let github = GithubFake::start(Options::default())?;
    let token = Options::default().token;
    let trace = tmp.path().join("git-trace2.json");
    let xtask = super::pipeline()?;
    let release = || {
        cmd!(sh, "{xtask} -C {repo} release --builder buildah")
            .env("GITHUB_TOKEN", &token)
            .env("GITHUB_API_URL", github.api_url())
            .env("GITHUB_SERVER_URL", github.api_url())
            .env("LAMINA_REGISTRY", format!("http://{}/acme", proxy.host()))
            .env("LAMINA_PAGES_REMOTE", &pages)
            .env("GIT_TRACE2_EVENT", &trace)
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .context("release the fixture")
    };
    release()?;
    let writes = || -> anyhow::Result<(usize, usize, usize, String)> {
        let tip = cmd!(sh, "git -C {pages} rev-parse gh-pages").quiet().read()?;
        Ok((github.writes(), registry.requests("PUT", "/"), registry.requests("POST", "/"), tip))
    };
    let before = writes()?;
    let mut measured = Vec::new();
    for _ in 0..runs {
        let from = github.requests().len();
        proxy.take_intervals();
        std::fs::write(&trace, "")?;
        let clock = (Instant::now(), SystemTime::now());
        let start = Instant::now();
        release()?;
        let time = start.elapsed();
        let since = |at: Instant| at.saturating_duration_since(clock.0).as_secs_f64();
        let mut requests: Vec<(f64, f64, &str)> = Vec::new();
        requests.extend(github.intervals(from).into_iter().map(|(s, e)| (since(s), since(e), "github")));
        requests.extend(proxy.take_intervals().into_iter().map(|(s, e)| (since(s), since(e), "registry")));
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        requests.extend(git_intervals(&text, clock.1).into_iter().map(|(s, e)| (s, e, "git")));
        let (rounds, trips) = chain(&mut requests);
        if xtask::env::flag("LAMINA_BENCH_TRACE") {
            let logged = registry.log().lines().filter(|l| l.contains("response completed")).count();
            eprintln!(
                "  rerun in {time:?}: {rounds} rounds, {trips:?}; the registry's log has {logged} requests in all"
            );
        }
        measured.push((time, rounds, trips));
    }
    if writes()? != before {
        bail!("a no-op rerun wrote to a remote: before {before:?}, after {:?}", writes()?);
    }
    measured.sort_by_key(|(time, _, _)| *time);
    let (time, rounds, trips) = measured.swap_remove(runs / 2);
    let work = Work {
        name: "rerun",
        work: "rerun `release` on a finished release (test fixture: chart, two-platform image, three bundles; \
               registry, Pages remote and GitHub fake on loopback); zero writes"
            .to_owned(),
        peer_short: "the goal",
        goal: &[super::report::Goal::Under(GOAL.as_secs_f64())],
    };
    let mut row = Row::new(work, time, runs, Side::new("the goal", GOAL, 0), None);
    row.rounds = Some(rounds);
    row.round_trips = Some(trips);
    Ok(row)
}

/// The longest chain of `requests` (`(start, end, remote)`) each starting after the one before
/// ended, and per remote its requests and how many the chain holds.
fn chain(requests: &mut [(f64, f64, &str)]) -> (usize, BTreeMap<String, RoundTrips>) {
    requests.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut trips: BTreeMap<String, RoundTrips> = BTreeMap::new();
    let (mut rounds, mut last) = (0, f64::NEG_INFINITY);
    for &(start, end, remote) in requests.iter() {
        let entry = trips.entry(remote.to_owned()).or_insert(RoundTrips { requests: 0, in_chain: 0 });
        entry.requests += 1;
        if start > last {
            rounds += 1;
            entry.in_chain += 1;
            last = end;
        }
    }
    (rounds, trips)
}

/// `(start, end)`, in seconds after `clock`, of each top-level git process in a
/// `GIT_TRACE2_EVENT` trace that ran one of [`REMOTE_GIT`]: from its first event to its last.
fn git_intervals(trace: &str, clock: SystemTime) -> Vec<(f64, f64)> {
    let zero = clock.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    let mut processes: BTreeMap<String, (f64, f64, bool)> = BTreeMap::new();
    for line in trace.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let (Some(sid), Some(time)) = (event["sid"].as_str(), event["time"].as_str().and_then(utc_seconds)) else {
            continue;
        };
        if sid.contains('/') {
            continue; // a git that git started (`upload-pack` for a fetch): inside its parent
        }
        let at = time - zero;
        let process = processes.entry(sid.to_owned()).or_insert((at, at, false));
        process.0 = process.0.min(at);
        process.1 = process.1.max(at);
        if event["event"] == "start" {
            let argv = event["argv"].as_array().map(Vec::as_slice).unwrap_or_default();
            process.2 = argv.iter().skip(1).any(|a| a.as_str().is_some_and(|a| REMOTE_GIT.contains(&a)));
        }
    }
    processes.into_values().filter(|p| p.2).map(|(start, end, _)| (start, end)).collect()
}

/// Seconds since the Unix epoch of trace2's `2025-01-02T03:04:05.678901Z`.
fn utc_seconds(text: &str) -> Option<f64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let mut hms = time.splitn(3, ':');
    let (h, min) = (hms.next()?.parse::<f64>().ok()?, hms.next()?.parse::<f64>().ok()?);
    let s = hms.next()?.parse::<f64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3_600.0 + min * 60.0 + s)
}

fn copy_fixture(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RoundTrips;

    #[test]
    fn rounds_count_the_requests_made_one_after_another() {
        let mut requests = [
            (0.0, 1.0, "github"),
            (1.5, 2.0, "github"),
            (1.2, 3.0, "registry"), // beside the one above: not another round
            (2.5, 2.8, "registry"),
            (2.8, 4.0, "git"), // starts as the one before ends: not strictly after
            (4.5, 5.0, "git"),
        ];
        let (rounds, trips) = super::chain(&mut requests);
        assert_eq!(rounds, 4);
        let trip = |requests, in_chain| RoundTrips { requests, in_chain };
        assert_eq!(trips["github"], trip(2, 2));
        assert_eq!(trips["registry"], trip(2, 1));
        assert_eq!(trips["git"], trip(2, 1));
    }

    #[test]
    fn git_trace_times_are_read_as_utc() {
        assert_eq!(super::utc_seconds("1970-01-01T00:00:00.000000Z"), Some(0.0));
        assert_eq!(super::utc_seconds("2000-03-01T00:00:01.500000Z"), Some(951_868_801.5));
        let trace = r#"{"event":"version","sid":"a","time":"1970-01-01T00:00:10.000000Z"}
{"event":"start","sid":"a","time":"1970-01-01T00:00:10.000100Z","argv":["git","fetch","--quiet","remote"]}
{"event":"start","sid":"a/b","time":"1970-01-01T00:00:10.100000Z","argv":["git","upload-pack","remote"]}
{"event":"exit","sid":"a","time":"1970-01-01T00:00:10.250000Z","code":0}
{"event":"start","sid":"c","time":"1970-01-01T00:00:11.000000Z","argv":["git","rev-parse","HEAD"]}
{"event":"exit","sid":"c","time":"1970-01-01T00:00:11.100000Z","code":0}"#;
        let clock = std::time::UNIX_EPOCH + std::time::Duration::from_secs(10);
        let intervals = super::git_intervals(trace, clock);
        assert_eq!(intervals.len(), 1);
        assert!((intervals[0].0 - 0.0).abs() < 1e-6 && (intervals[0].1 - 0.25).abs() < 1e-6, "{intervals:?}");
    }
}
