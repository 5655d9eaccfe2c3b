//! What the user reads on stderr and stdout: problems, the build summary. Problems become
//! GitHub Actions annotations when running there.

pub mod github;

use crate::build::Built;
use crate::env;
use lamina_remote::diagnostic::Diagnostics;

/// How progress shows here: bars on a terminal, lines elsewhere, `NO_COLOR` respected.
pub fn progress_mode() -> lamina_remote::progress::Mode {
    lamina_remote::progress::Mode::detect(env::var(env::TERM).as_deref(), env::var(env::NO_COLOR).is_some())
}

/// Prints every problem on stderr, and as workflow annotations inside GitHub Actions.
pub fn diagnostics(diags: &Diagnostics) {
    if env::flag(env::GITHUB_ACTIONS) {
        for d in &diags.0 {
            println!("{}", d.annotation());
        }
    }
    eprintln!("{diags}");
}

/// Prints a failure on stderr, and as one workflow annotation inside GitHub Actions.
pub fn error(err: &anyhow::Error) {
    if env::flag(env::GITHUB_ACTIONS) {
        println!("::error title=cargo xtask::{}", lamina_remote::diagnostic::escape(&lamina_remote::hint::render(err)));
    }
    eprintln!("error: {}", lamina_remote::hint::render(err));
}

/// The table of built assets and images, for people.
pub fn built(built: &Built, out_dir: &str) -> String {
    let mut out = format!("built into {out_dir}/\n");
    let width = built.assets.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for a in &built.assets {
        out.push_str(&format!("  {:<width$}  {:>9}  sha256:{}\n", a.name, human_size(a.size), &a.sha256[..16]));
    }
    for i in &built.images {
        match (&i.digest, &i.not_built) {
            (Some(d), _) => out.push_str(&format!("  image {}  {d}\n", i.name)),
            (None, Some(reason)) => out.push_str(&format!("  image {}  not built here: {reason}\n", i.name)),
            (None, None) => {}
        }
    }
    for p in &built.packages {
        match (&p.archive, &p.not_built) {
            (None, Some(reason)) => out.push_str(&format!("  package {}  not built here: {reason}\n", p.name)),
            (Some(_), Some(reason)) => out.push_str(&format!("  wheel of {}  not built here: {reason}\n", p.name)),
            (_, None) => {}
        }
    }
    for note in &built.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
