//! When and how long to wait before asking GitHub again: our own bounded retries, following
//! GitHub's rules for primary and secondary rate limits (GitHub, "Rate limits for the REST API"). Creates and
//! uploads are never retried here: their callers read the state back and decide.

use std::future::Future;
use std::time::Duration;

/// Attempts of one read or idempotent write before giving up.
pub const ATTEMPTS: u32 = 6;
/// The longest single wait we accept for a rate limit; longer ones fail with the reset time.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

/// The reason given for a secondary limit without a header saying how long to wait.
const UNTIMED: &str = "secondary rate limit";

/// What an answer means for the next attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Wait this long (a rate limit), then try again; the reason is shown to the user.
    Limited(Duration, String),
    /// A transient failure (5xx, cut connection): back off and try again.
    Transient(String),
    /// Not worth retrying (4xx other than limits).
    Fatal,
}

/// Classifies a GitHub answer (`message` is the error body's message). `now` is seconds since the
/// epoch; `attempt` counts from 1.
pub fn verdict(status: u16, headers: &http::HeaderMap, message: &str, attempt: u32, now: u64) -> Verdict {
    let header =
        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    match status {
        403 | 429 => {
            if let Some(seconds) = header("retry-after") {
                return Verdict::Limited(Duration::from_secs(seconds), "secondary rate limit (retry-after)".into());
            }
            if header("x-ratelimit-remaining") == Some(0) {
                let reset = header("x-ratelimit-reset").unwrap_or(now + 60);
                // One second past the reset: GitHub's clock and ours are not the same clock.
                let wait = reset.saturating_sub(now) + 1;
                return Verdict::Limited(Duration::from_secs(wait), "primary rate limit exhausted".into());
            }
            if status == 429 || message.to_ascii_lowercase().contains("rate limit") {
                // No header says how long: at least a minute, growing (GitHub's rule).
                let wait = 60u64 << attempt.saturating_sub(1).min(4);
                return Verdict::Limited(Duration::from_secs(wait), UNTIMED.into());
            }
            Verdict::Fatal
        }
        500..=599 => Verdict::Transient(format!("HTTP {status}")),
        _ => Verdict::Fatal,
    }
}

/// Backoff before attempt `attempt + 1` after a transient failure: 0.5 s doubling, at most 8 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

/// A failed attempt, as the retry loop sees it.
pub struct Failure {
    pub verdict: Verdict,
    pub error: anyhow::Error,
}

/// Runs `attempt` (given its number, from 1) until it succeeds, a failure is fatal, or the
/// attempts run out; tells the user about every wait on standard error.
pub async fn retry<T, F, Fut>(what: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    for n in 1..=ATTEMPTS {
        match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(failure) => tokio::time::sleep(pause(what, n, failure)?).await,
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// How long to wait after failed attempt `n` of `what`, told on standard error; an error when the
/// failure is fatal, the attempts are used up, or a rate limit asks for more than
/// [`LONGEST_WAIT`]. The verdict's wait is taken as it is: an untimed limit has grown with the
/// attempt already (in [`verdict`]).
fn pause(what: &str, n: u32, failure: Failure) -> anyhow::Result<Duration> {
    match failure.verdict {
        Verdict::Fatal => Err(failure.error.context(what.to_owned())),
        _ if n >= ATTEMPTS => Err(failure.error.context(format!("{what}: gave up after {ATTEMPTS} attempts"))),
        Verdict::Limited(wait, _) if wait > LONGEST_WAIT => Err(too_long(failure.error, wait).context(what.to_owned())),
        Verdict::Limited(wait, why) => {
            eprintln!("GitHub: {why} on {what}; waiting {} s (attempt {n} of {ATTEMPTS})", seconds(wait));
            Ok(wait)
        }
        Verdict::Transient(why) => {
            let wait = backoff(n);
            eprintln!("GitHub: {why} on {what}; retrying in {} ms (attempt {n} of {ATTEMPTS})", wait.as_millis());
            Ok(wait)
        }
    }
}

/// A rate limit that asks for a longer wait than [`LONGEST_WAIT`]: the run stops.
#[derive(Debug, thiserror::Error)]
#[error("GitHub asks to wait {seconds} s, longer than {} s", LONGEST_WAIT.as_secs())]
pub struct TooLong {
    pub seconds: u64,
}

/// `error`, ended by a wait longer than [`LONGEST_WAIT`], with what to do.
pub fn too_long(error: anyhow::Error, wait: Duration) -> anyhow::Error {
    crate::help::hinted(
        error.context(TooLong { seconds: seconds(wait) }),
        "run the command again later; a rerun continues where this one stopped",
    )
}

/// Whole seconds, rounded up (a wait of 0.4 s is told as 1 s, never as 0 s).
pub fn seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn retry_after_wins() {
        let h = headers(&[("retry-after", "7"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1000")]);
        assert!(matches!(verdict(403, &h, "", 1, 900), Verdict::Limited(d, _) if d == Duration::from_secs(7)));
    }

    #[test]
    fn exhausted_primary_waits_for_reset() {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1000"), ("x-github-request-id", "x")]);
        assert!(matches!(verdict(403, &h, "", 1, 958), Verdict::Limited(d, _) if d == Duration::from_secs(43)));
    }

    #[test]
    fn secondary_without_headers_waits_a_minute_and_grows() {
        let h = headers(&[]);
        assert!(matches!(verdict(429, &h, "", 1, 0), Verdict::Limited(d, _) if d == Duration::from_secs(60)));
        assert!(
            matches!(verdict(403, &h, "You have exceeded a secondary rate limit", 3, 0), Verdict::Limited(d, _) if d == Duration::from_secs(240))
        );
    }

    #[test]
    fn an_untimed_wait_grows_once_and_never_past_the_longest_wait() {
        let untimed = |n| Failure { verdict: verdict(429, &headers(&[]), "", n, 0), error: anyhow::format_err!("429") };
        // The verdict grew with the attempt; the loop takes it as it is (no second growth).
        for (n, secs) in [(1, 60), (2, 120), (3, 240), (4, 480)] {
            assert_eq!(pause("list releases", n, untimed(n)).unwrap(), Duration::from_secs(secs), "attempt {n}");
        }
        // 960 s would pass the cap: the run stops and says when to come back.
        let error = crate::help::render(&pause("list releases", 5, untimed(5)).unwrap_err());
        assert!(error.contains("list releases: GitHub asks to wait 960 s, longer than 900 s"), "{error}");
        assert!(error.contains("hint: run the command again later"), "{error}");
        let long = Failure {
            verdict: Verdict::Limited(LONGEST_WAIT + Duration::from_millis(1), "primary rate limit exhausted".into()),
            error: anyhow::format_err!("403"),
        };
        assert!(pause("read the repository", 1, long).is_err(), "anything past the cap is refused");
    }

    #[test]
    fn permission_403_is_fatal_and_5xx_transient() {
        let h = headers(&[("x-ratelimit-remaining", "4999"), ("x-github-request-id", "x")]);
        assert_eq!(verdict(403, &h, "Resource not accessible by integration", 1, 0), Verdict::Fatal);
        assert_eq!(verdict(404, &h, "Not Found", 1, 0), Verdict::Fatal);
        assert!(matches!(verdict(502, &h, "", 1, 0), Verdict::Transient(_)));
    }
}
