//! Progress of long transfers and steps: a bar on a terminal that can redraw, plain lines
//! anywhere else (pipes, CI logs, `TERM=dumb`), and no colour when `NO_COLOR` is set.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};

/// How progress is shown, decided once from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bar redrawn in place, with or without colour.
    Bar { colour: bool },
    /// One line per event.
    Lines,
}

impl Mode {
    /// From standard error and the caller's reading of `TERM` and `NO_COLOR` (each binary reads
    /// its environment in one place of its own).
    pub fn detect(term: Option<&str>, no_color: bool) -> Mode {
        Mode::choose(std::io::stderr().is_terminal(), term, no_color)
    }

    /// Bars only on a terminal that can redraw; colour unless `NO_COLOR` (no-color.org).
    pub fn choose(terminal: bool, term: Option<&str>, no_color: bool) -> Mode {
        match (terminal, term) {
            (false, _) | (true, Some("dumb")) => Mode::Lines,
            (true, _) => Mode::Bar { colour: !no_color },
        }
    }
}

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    Bytes,
    Items,
}

/// One long step of `total` units, `what` shown beside the bar.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts a bar; in [`Mode::Lines`] nothing is printed until [`say`](Self::say).
    pub fn start(mode: Mode, what: &str, total: u64, units: Units) -> Progress {
        let Mode::Bar { colour } = mode else {
            return Progress { bar: None };
        };
        let counts = match units {
            Units::Bytes => "{bytes}/{total_bytes}",
            Units::Items => "{pos}/{len}",
        };
        let bar_part = if colour { "{bar:30.cyan/blue}" } else { "{bar:30}" };
        let template = format!("{{prefix}} {bar_part} {counts} {{wide_msg}}");
        let style = ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style.progress_chars("=> "))
            .with_prefix(what.to_owned());
        Progress { bar: Some(bar) }
    }

    /// A transfer of `total` bytes: a bar, or the line `VERB WHAT (N bytes)` (`downloading`,
    /// `uploading`).
    pub fn transfer(mode: Mode, verb: &str, what: &str, total: u64) -> Progress {
        if mode == Mode::Lines {
            eprintln!("{verb} {what} ({total} bytes)");
        }
        Progress::start(mode, what, total, Units::Bytes)
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

    /// `reader`, advancing the bar as it is read.
    pub fn wrap<'a>(&self, reader: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
        match &self.bar {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => reader,
        }
    }

    /// Counts `units` more as done.
    pub fn advance(&self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Reads all of `reader`, shown as `downloading WHAT`; more than the `total` bytes expected is
/// refused as soon as it arrives (one byte past the total is read, never more).
pub fn read_all(mode: Mode, what: &str, total: u64, reader: Box<dyn Read + '_>) -> std::io::Result<Vec<u8>> {
    let progress = Progress::transfer(mode, "downloading", what, total);
    let mut bytes = Vec::new();
    let read = progress.wrap(reader).take(total.saturating_add(1)).read_to_end(&mut bytes);
    progress.finish();
    read?;
    if bytes.len() as u64 > total {
        return Err(std::io::Error::other(format!("`{what}` is larger than the {total} bytes listed; refusing it")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::{Mode, read_all};

    #[test]
    fn a_download_stops_one_byte_past_its_listed_size() {
        assert_eq!(read_all(Mode::Lines, "a", 3, Box::new(&b"abc"[..])).unwrap(), b"abc");
        let endless = std::io::repeat(b'x');
        let err = read_all(Mode::Lines, "endless", 3, Box::new(endless)).unwrap_err();
        assert!(err.to_string().contains("larger than the 3 bytes listed"), "{err}");
    }

    #[test]
    fn bars_only_on_a_capable_terminal_and_colour_only_without_no_color() {
        assert_eq!(Mode::choose(false, Some("xterm"), false), Mode::Lines);
        assert_eq!(Mode::choose(true, Some("dumb"), false), Mode::Lines);
        assert_eq!(Mode::choose(true, Some("xterm"), false), Mode::Bar { colour: true });
        assert_eq!(Mode::choose(true, Some("xterm"), true), Mode::Bar { colour: false });
    }
}
