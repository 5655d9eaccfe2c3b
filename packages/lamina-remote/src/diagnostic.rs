//! Problems found in the user's files: where (file and line), what, and the fix, printed the same
//! way by both binaries (`file:line: message`, then `help: …`).
//!
//! Validation collects every problem before reporting, so one run lists them all. The same list
//! is printed for a terminal and, inside GitHub Actions, as `::error file=…,line=…::` annotations.

use std::fmt;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Path relative to the repository root, `/`-separated.
    pub file: String,
    /// 1-based line, where the problem has one.
    pub line: Option<usize>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Only a warning: reported, but what was checked is still valid.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic { file: file.into(), line, message: message.into(), help: None, warning: false }
    }

    /// A problem with what to do about it.
    pub fn with_help(
        file: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic::new(file, line, message).help(help)
    }

    /// A problem only warned about.
    pub fn warning(self) -> Self {
        Diagnostic { warning: true, ..self }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The GitHub Actions workflow command for this problem.
    pub fn annotation(&self) -> String {
        let line = self.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let mut text = self.message.clone();
        if let Some(help) = &self.help {
            text.push_str(&format!(" (help: {help})"));
        }
        format!("::error file={}{line}::{}", self.file, escape(&text))
    }
}

/// Text for a workflow command: it ends at a newline, and `%` must be escaped first.
pub fn escape(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning: " } else { "" };
        match self.line {
            Some(line) => write!(f, "{}:{line}: {level}{}", self.file, self.message)?,
            None => write!(f, "{}: {level}{}", self.file, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found by one check; the error of a failed validation.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `Ok(value)` when nothing was found, else these problems as the error.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} problem{} found", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
