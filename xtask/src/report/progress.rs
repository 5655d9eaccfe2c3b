//! Progress of the long steps (image pushes, asset uploads): a bar on a terminal, plain lines
//! anywhere else (CI logs, pipes), and no colour when `NO_COLOR` is set or the terminal is dumb.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// How progress is shown, decided once from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bar redrawn in place, with or without colour.
    Bar { colour: bool },
    /// One line per event.
    Lines,
}

impl Mode {
    pub fn detect() -> Mode {
        let term = crate::env::var(crate::env::TERM);
        Mode::choose(std::io::stderr().is_terminal(), term.as_deref(), crate::env::var(crate::env::NO_COLOR).is_some())
    }

    /// Bars only on a terminal that can redraw; colour unless `NO_COLOR` (no-color.org).
    pub fn choose(terminal: bool, term: Option<&str>, no_color: bool) -> Mode {
        match (terminal, term) {
            (false, _) | (true, Some("dumb")) => Mode::Lines,
            (true, _) => Mode::Bar { colour: !no_color },
        }
    }
}

/// One long step: `total` units (bytes or items), `what` shown beside the bar.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn start(mode: Mode, what: &str, total: u64, bytes: bool) -> Progress {
        let Mode::Bar { colour } = mode else {
            return Progress { bar: None };
        };
        let units = if bytes { "{bytes}/{total_bytes}" } else { "{pos}/{len}" };
        let bar_part = if colour { "{bar:30.cyan/blue}" } else { "{bar:30}" };
        let template = format!("{{prefix}} {bar_part} {units} {{wide_msg}}");
        let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style.progress_chars("=> "))
            .with_prefix(what.to_owned());
        Progress { bar: Some(bar) }
    }

    /// Says what is happening now: the bar's message, or a line.
    pub fn say(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_owned()),
            None => eprintln!("{message}"),
        }
    }

    /// A line that stays (a warning, a retry), printed above the bar.
    pub fn line(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
        }
    }

    pub fn advance(&self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
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
