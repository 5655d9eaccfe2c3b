//! What `cargo xtask bench` measured, as `--json` prints it and `--readme` reads it back: one
//! [`Row`] per benchmark (ours, the peer, the limit where one is measured, both ratios, the goal
//! and whether it was met) and the [`Machine`] it ran on, with its load before and after.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub machine: Machine,
    /// `git rev-parse --short HEAD` of the measured checkout, `+` when it had local changes.
    pub commit: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages when the benchmarks started and ended.
    pub load_start: [f64; 3],
    pub load_end: [f64; 3],
}

impl Machine {
    /// This machine, its load now; [`Machine::end`] fills in the load at the end.
    pub fn now() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Machine { cores, load_start: load(), load_end: [0.0; 3] }
    }

    pub fn end(&mut self) {
        self.load_end = load();
    }
}

fn load() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text.split_whitespace().map(|f| f.parse().unwrap_or(0.0));
    [(); 3].map(|()| fields.next().unwrap_or(0.0))
}

/// One benchmark. `ratio_to_peer` is peer ÷ ours (above 1: ours is faster); `ratio_to_limit` is
/// ours ÷ limit (1 would be as fast as the work can go).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The benchmark's name on the command line (`index`, `images`, …).
    pub name: String,
    /// What is timed, in words.
    pub work: String,
    /// Runs of ours; the time is their median.
    pub runs: usize,
    pub ours_s: f64,
    pub peer: Side,
    pub limit: Option<Side>,
    pub ratio_to_peer: f64,
    pub ratio_to_limit: Option<f64>,
    pub goal: String,
    pub met: bool,
    /// `rerun` only: requests made strictly one after another (see `bench/rerun.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<usize>,
    /// `rerun` only: per remote, its requests and how many of them the `rounds` chain holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<BTreeMap<String, RoundTrips>>,
}

/// A peer (another program doing the same work, or the goal) or a limit (the least the work
/// can take), and its median time over `runs` runs (0: a goal, not measured).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Side {
    pub what: String,
    pub s: f64,
    pub runs: usize,
}

impl Side {
    pub fn new(what: impl Into<String>, time: Duration, runs: usize) -> Side {
        Side { what: what.into(), s: time.as_secs_f64(), runs }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoundTrips {
    pub requests: usize,
    pub in_chain: usize,
}

/// One condition of a goal.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// At least this many times faster than the peer.
    Faster(f64),
    /// At most this many times the peer's time.
    WithinPeer(f64),
    /// At most this many times the limit's time.
    WithinLimit(f64),
    /// Under this many seconds.
    Under(f64),
    /// This many seconds or less.
    AtMost(f64),
}

impl Goal {
    fn text(self, peer: &str) -> String {
        match self {
            Goal::Faster(x) => format!(">= {x}x faster than {peer}"),
            Goal::WithinPeer(x) => format!("within {x}x of {peer}"),
            Goal::WithinLimit(x) => format!("within {x}x of the limit"),
            Goal::Under(s) => format!("under {s} s"),
            Goal::AtMost(s) => format!("{s} s or less"),
        }
    }

    fn met(self, row: &Row) -> bool {
        match self {
            Goal::Faster(x) => row.ratio_to_peer >= x,
            Goal::WithinPeer(x) => row.ours_s <= x * row.peer.s,
            Goal::WithinLimit(x) => row.ratio_to_limit.is_some_and(|r| r <= x),
            Goal::Under(s) => row.ours_s < s,
            Goal::AtMost(s) => row.ours_s <= s,
        }
    }
}

/// A row's start: what `Row::new` needs besides the times.
pub struct Work<'a> {
    pub name: &'a str,
    pub work: String,
    /// How the goal names the peer (`skopeo copy`, `curl`).
    pub peer_short: &'a str,
    pub goal: &'a [Goal],
}

impl Row {
    /// The row, its ratios and whether every condition of the goal holds.
    pub fn new(work: Work, ours: Duration, runs: usize, peer: Side, limit: Option<Side>) -> Row {
        let ours_s = ours.as_secs_f64();
        let mut row = Row {
            name: work.name.to_owned(),
            work: work.work,
            runs,
            ours_s,
            ratio_to_peer: peer.s / ours_s,
            ratio_to_limit: limit.as_ref().map(|l| ours_s / l.s),
            peer,
            limit,
            goal: work.goal.iter().map(|g| g.text(work.peer_short)).collect::<Vec<_>>().join(", "),
            met: false,
            rounds: None,
            round_trips: None,
        };
        row.met = work.goal.iter().all(|g| g.met(&row));
        row
    }
}
