//! Progress of downloads and uploads: a bar on a terminal, plain `downloading …` lines anywhere
//! else (pipes, CI logs, `TERM=dumb`), and no colour when `NO_COLOR` is set.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};

/// How progress is shown, decided from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bar redrawn in place, with or without colour.
    Bar { colour: bool },
    /// One line per download.
    Lines,
}

impl Mode {
    #[allow(clippy::disallowed_methods)] // TERM and NO_COLOR decide how progress looks
    pub fn detect() -> Mode {
        let term = std::env::var("TERM").ok();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Mode::choose(std::io::stderr().is_terminal(), term.as_deref(), no_color)
    }

    /// Bars only on a terminal that can redraw; colour unless `NO_COLOR` (no-color.org).
    pub fn choose(terminal: bool, term: Option<&str>, no_color: bool) -> Mode {
        match (terminal, term) {
            (false, _) | (true, Some("dumb")) => Mode::Lines,
            (true, _) => Mode::Bar { colour: !no_color },
        }
    }
}

/// One transfer of `total` bytes.
pub struct Progress {
    bar: Option<ProgressBar>,
}

/// Reads all of `reader` (`total` bytes expected) with progress shown as `downloading WHAT`.
pub fn read_all(what: &str, total: u64, reader: Box<dyn Read + '_>) -> std::io::Result<Vec<u8>> {
    let progress = Progress::start(Mode::detect(), "downloading", what, total);
    let mut bytes = Vec::new();
    let read = progress.wrap(reader).read_to_end(&mut bytes);
    progress.finish();
    read.map(|_| bytes)
}

impl Progress {
    /// Starts a bar, or prints `VERB WHAT (N bytes)` (`downloading`, `uploading`).
    pub fn start(mode: Mode, verb: &str, what: &str, total: u64) -> Progress {
        let Mode::Bar { colour } = mode else {
            eprintln!("{verb} {what} ({total} bytes)");
            return Progress { bar: None };
        };
        let bar_part = if colour { "{bar:30.cyan/blue}" } else { "{bar:30}" };
        let template = format!("{{prefix}} {bar_part} {{bytes}}/{{total_bytes}}");
        let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style.progress_chars("=> "))
            .with_prefix(what.to_owned());
        Progress { bar: Some(bar) }
    }

    /// `reader`, advancing the bar as it is read.
    pub fn wrap<'a>(&self, reader: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
        match &self.bar {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => reader,
        }
    }

    /// Counts `bytes` more as done.
    pub fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mode;

    #[test]
    fn bars_only_on_a_capable_terminal_and_colour_only_without_no_color() {
        assert_eq!(Mode::choose(false, Some("xterm"), false), Mode::Lines);
        assert_eq!(Mode::choose(true, Some("dumb"), false), Mode::Lines);
        assert_eq!(Mode::choose(true, Some("xterm"), false), Mode::Bar { colour: true });
        assert_eq!(Mode::choose(true, Some("xterm"), true), Mode::Bar { colour: false });
    }
}
