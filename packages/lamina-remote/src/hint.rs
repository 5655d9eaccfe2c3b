//! What to do about an error: a hint carried as a typed value along the error chain and
//! rendered after the whole chain, the way rustc prints `help:` last. Both binaries print errors
//! this way: what, where, then `hint: …`.

use std::fmt;

/// An error with a hint, or a [`Kind`], or both. Its `Display` is the error's own message, so
/// the chain reads as before; [`render`] prints every hint of a chain after it.
#[derive(Debug)]
struct Annotated {
    error: anyhow::Error,
    hint: Option<String>,
    kind: Option<Kind>,
}

impl fmt::Display for Annotated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for Annotated {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.chain().nth(1)
    }
}

/// What kind of failure an error is, for an exit code a script can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A remote (GitHub, a registry, a token service) could not be read.
    Remote,
    /// A remote refused the credentials given, or wants some (401, 403).
    Auth,
}

/// `error`, carrying `hint`.
pub fn hinted(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Annotated { error: error.into(), hint: Some(hint.into()), kind: None })
}

/// `error`, marked as `kind`.
pub fn classify(error: anyhow::Error, kind: Kind) -> anyhow::Error {
    anyhow::Error::new(Annotated { error, hint: None, kind: Some(kind) })
}

/// An error with this message and hint.
pub fn fail(message: impl fmt::Display, hint: impl Into<String>) -> anyhow::Error {
    hinted(anyhow::format_err!("{message}"), hint)
}

/// The innermost cause of `e`, the words of the layer that failed (a refused redirect, a reset
/// connection, an unknown host), without the request wrapped around it.
pub fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    anyhow::Chain::new(e).last().map(ToString::to_string).unwrap_or_default()
}

/// Adds a hint to the error of a result.
pub trait WithHint<T> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithHint<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| hinted(e, hint))
    }
}

/// The first `T` along the chain (an error or a context value), also inside annotated errors.
pub fn find<T: std::error::Error + Send + Sync + 'static>(error: &anyhow::Error) -> Option<&T> {
    if let Some(found) = error.downcast_ref::<T>() {
        return Some(found);
    }
    error.chain().find_map(|e| match e.downcast_ref::<Annotated>() {
        Some(annotated) => find(&annotated.error),
        None => e.downcast_ref::<T>(),
    })
}

/// Every annotation along the chain, outermost first (an annotated error's own chain is read
/// through it).
fn annotations(error: &anyhow::Error) -> Vec<&Annotated> {
    for e in error.chain() {
        if let Some(annotated) = e.downcast_ref::<Annotated>() {
            let mut out = vec![annotated];
            out.extend(annotations(&annotated.error));
            return out;
        }
    }
    Vec::new()
}

/// Every hint along the chain, outermost first.
pub fn hints(error: &anyhow::Error) -> Vec<&str> {
    annotations(error).into_iter().filter_map(|a| a.hint.as_deref()).collect()
}

/// The kind an error along the chain was marked with.
pub fn kind(error: &anyhow::Error) -> Option<Kind> {
    annotations(error).into_iter().find_map(|a| a.kind)
}

/// The error as people read it: the chain, `: `-joined, then each hint on its own line (but a
/// hint an outer one already says).
pub fn render(error: &anyhow::Error) -> String {
    let mut out = format!("{error:#}");
    let hints = hints(error);
    for (i, hint) in hints.iter().enumerate() {
        if hints[..i].iter().any(|outer| outer.contains(hint)) {
            continue;
        }
        out.push_str("\n\nhint: ");
        out.push_str(hint);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[derive(Debug, thiserror::Error)]
    #[error("status {0}")]
    struct Status(u16);

    #[test]
    fn typed_values_are_found_through_contexts_and_hints() {
        let root = Err::<(), _>(anyhow::Error::new(Status(404))).context("list releases").hint("check the token");
        let outer = root.context("find the release").unwrap_err();
        assert_eq!(find::<Status>(&outer).map(|s| s.0), Some(404));
        let as_context = hinted(anyhow::format_err!("429").context(Status(429)), "wait").context("list releases");
        assert_eq!(find::<Status>(&as_context).map(|s| s.0), Some(429));
    }

    #[test]
    fn hints_render_after_the_whole_chain() {
        let inner = fail("connection refused", "start the registry");
        let outer = Err::<(), _>(inner).context("push image `hello`").hint("run the command again").unwrap_err();
        assert_eq!(format!("{outer:#}"), "push image `hello`: connection refused");
        assert_eq!(
            render(&outer),
            "push image `hello`: connection refused\n\nhint: run the command again\n\nhint: start the registry"
        );
        let said = Err::<(), _>(fail("rate limited", "run again later")).hint("set a token, or run again later");
        assert_eq!(render(&said.unwrap_err()), "rate limited\n\nhint: set a token, or run again later");
    }
}
