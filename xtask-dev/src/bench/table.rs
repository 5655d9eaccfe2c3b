//! A [`Report`] as people read it: the terminal's table (with each row's peer and limit spelled
//! out below it) and README.md's Performance table, which `cargo xtask bench --readme FILE`
//! writes between the `<!-- bench:start -->` and `<!-- bench:end -->` lines. Pure functions.

use super::report::{Report, Row, Side};
use anyhow::bail;
use std::fmt::Write;

pub const START: &str = "<!-- bench:start -->";
pub const END: &str = "<!-- bench:end -->";

/// The terminal's table.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let width = report.rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max("benchmark".len());
    let _ = writeln!(
        out,
        "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6}  goal",
        "benchmark", "ours", "peer", "limit", "peer/ours", "ours/limit", "rounds"
    );
    for row in &report.rows {
        let limit = row.limit.as_ref().map_or("-".to_owned(), |l| seconds(l.s));
        let _ = writeln!(
            out,
            "{:<width$} {:>9} {:>9} {limit:>9} {:>9} {:>10} {:>6}  {}: {}",
            row.name,
            seconds(row.ours_s),
            seconds(row.peer.s),
            ratio(row.ratio_to_peer),
            row.ratio_to_limit.map_or("-".to_owned(), ratio),
            row.rounds.map_or("-".to_owned(), |r| r.to_string()),
            row.goal,
            if row.met { "met" } else { "MISSED" },
        );
    }
    out.push('\n');
    for row in &report.rows {
        let _ = writeln!(out, "{}: {}{}", row.name, row.work, runs(row.runs));
        let _ = writeln!(out, "  peer: {}{}", row.peer.what, runs(row.peer.runs));
        if let Some(limit) = &row.limit {
            let _ = writeln!(out, "  limit: {}{}", limit.what, runs(limit.runs));
        }
        if let Some(trips) = &row.round_trips {
            let each: Vec<String> =
                trips.iter().map(|(remote, t)| format!("{remote} {} of its {}", t.in_chain, t.requests)).collect();
            let rounds = row.rounds.unwrap_or_default();
            let _ = writeln!(out, "  the {rounds} rounds, of each remote's requests: {}", each.join(", "));
        }
    }
    let _ = writeln!(out, "\n{}", machine(report));
    out
}

/// README.md's table and the line under it, as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from(
        "| benchmark | ours | peer | limit | peer ÷ ours | ours ÷ limit | goal |\n|---|---|---|---|---|---|---|\n",
    );
    for row in &report.rows {
        let Row { name, work, ours_s, peer, limit, ratio_to_peer, ratio_to_limit, goal, met, rounds, .. } = row;
        let mut ours = format!("{}{}", seconds(*ours_s), runs(row.runs));
        if let Some(r) = rounds {
            ours.push_str(&format!("; {r} sequential round trips"));
        }
        let side = |s: &Side| format!("{}: {}{}", s.what, seconds(s.s), runs(s.runs));
        let limit = limit.as_ref().map_or("-".to_owned(), side);
        let _ = writeln!(
            out,
            "| **{name}**: {work} | {ours} | {} | {limit} | {} | {} | {}: {} |",
            side(peer),
            ratio(*ratio_to_peer).replace('x', "×"),
            ratio_to_limit.map_or("-".to_owned(), |r| ratio(r).replace('x', "×")),
            goal.replace(">=", "≥"),
            if *met { "met" } else { "**missed**" },
        );
    }
    let _ = writeln!(out, "\n{}", machine(report));
    out
}

/// `readme` with the text between the markers replaced by `table`.
pub fn splice(readme: &str, table: &str) -> anyhow::Result<String> {
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        bail!("README.md has no `{START}` … `{END}` lines to put the table between");
    };
    if end < start {
        bail!("README.md has `{END}` before `{START}`");
    }
    let head = &readme[..start + START.len()];
    Ok(format!("{head}\n\n{}\n\n{}", table.trim_end(), &readme[end..]))
}

fn machine(report: &Report) -> String {
    let m = &report.machine;
    let commit = match report.commit.strip_suffix('+') {
        Some(head) => format!("`{head}` with local changes"),
        None => format!("`{}`", report.commit),
    };
    format!(
        "Measured at commit {commit} on {} cores, load average {:.2} at the start and {:.2} at the end; \
         each time is the median of the runs shown.",
        m.cores, m.load_start[0], m.load_end[0]
    )
}

/// ` (median of N)`, ` (one run)`, or nothing for a goal (0 runs).
fn runs(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (one run)".to_owned(),
        n => format!(" (median of {n})"),
    }
}

/// Three significant digits, in seconds.
fn seconds(s: f64) -> String {
    let decimals = match s {
        s if s < 1.0 => 3,
        s if s < 10.0 => 2,
        s if s < 100.0 => 1,
        _ => 0,
    };
    format!("{s:.decimals$} s")
}

fn ratio(r: f64) -> String {
    let decimals = if r < 10.0 {
        2
    } else if r < 100.0 {
        1
    } else {
        0
    };
    format!("{r:.decimals$}x")
}

#[cfg(test)]
mod tests {
    use super::super::report::{Goal, Machine, Report, RoundTrips, Row, Side, Work};
    use std::time::Duration;

    fn report() -> Report {
        let ms = Duration::from_millis;
        let work = |name, goal| Work { name, work: format!("the {name} work"), peer_short: "the peer", goal };
        let mut rerun =
            Row::new(work("rerun", &[Goal::Under(0.25)]), ms(310), 5, Side::new("the goal", ms(250), 0), None);
        rerun.rounds = Some(14);
        rerun.round_trips = Some(
            [("github", (21, 9)), ("registry", (12, 4)), ("git", (2, 1))]
                .map(|(k, (requests, in_chain))| (k.to_owned(), RoundTrips { requests, in_chain }))
                .into(),
        );
        Report {
            machine: Machine { cores: 2, load_start: [1.5, 2.0, 2.5], load_end: [3.25, 2.5, 2.0] },
            commit: "abc1234".to_owned(),
            rows: vec![
                Row::new(
                    work("index", &[Goal::Faster(100.0), Goal::WithinLimit(2.0)]),
                    ms(845),
                    5,
                    Side::new("Helm `repo index --merge`", Duration::from_secs_f64(152.3), 1),
                    Some(Side::new("`git fetch` + commit + `git push`", ms(412), 5)),
                ),
                rerun,
                Row::new(work("pull", &[Goal::WithinPeer(1.2)]), ms(140), 9, Side::new("`curl` ×4", ms(150), 9), None),
            ],
        }
    }

    #[test]
    fn the_terminal_table() {
        insta::assert_snapshot!(super::text(&report()));
    }

    #[test]
    fn the_readme_table() {
        insta::assert_snapshot!(super::markdown(&report()));
    }

    #[test]
    fn the_table_goes_between_the_markers() {
        let readme = "# Title\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\nAfter.\n";
        let spliced = super::splice(readme, "| new |\n").unwrap();
        assert_eq!(spliced, "# Title\n\n<!-- bench:start -->\n\n| new |\n\n<!-- bench:end -->\n\nAfter.\n");
        assert_eq!(super::splice(&spliced, "| new |\n").unwrap(), spliced, "the same table again changes nothing");
        assert!(super::splice("# Title\n", "| new |").is_err());
    }

    #[test]
    fn a_report_reads_back_from_its_json() {
        let json = serde_json::to_string(&report()).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(super::markdown(&back), super::markdown(&report()));
    }
}
