//! The one retry policy of every remote call: a bounded number of attempts, exponential backoff
//! with jitter, and a cap on any single wait that holds. The loop itself is `backon`'s. GitHub's
//! rules for primary and secondary rate limits (GitHub, "Rate limits for the REST API") adjust
//! its waits, and a [`Gate`] keeps every request of a client behind the last limit GitHub
//! answered with. Creates and uploads are never retried here: their callers read the state back
//! and decide.

use backon::{ExponentialBuilder, Retryable};
use std::cell::Cell;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Attempts of one request or push, the first included.
pub const ATTEMPTS: usize = 6;

/// The longest single wait accepted; a rate limit asking for more stops the run with a hint.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

/// The unit of the policy's waits, a millisecond. The crate's own tests wait a microsecond
/// instead, so a test of the retries against a server on loopback takes milliseconds: the
/// attempts and the shape of the waits stay the same.
const UNIT: Duration = if cfg!(test) { Duration::from_micros(1) } else { Duration::from_millis(1) };

/// Backoff after a transient failure: 0.5 s doubling to at most 8 s, with jitter so jobs that
/// failed together do not retry together; [`ATTEMPTS`] in all.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(UNIT * 500)
        .with_max_delay(UNIT * 8000)
        .with_max_times(ATTEMPTS - 1)
        .with_jitter()
}

/// Backoff between pushes of a branch other jobs keep moving: shorter steps, since the next push
/// usually lands at once, and a few more of them (8 pushes in all), since many jobs may race.
pub fn push_backoff() -> ExponentialBuilder {
    backoff().with_min_delay(UNIT * 250).with_max_times(7)
}

/// Whole seconds, rounded up (a wait of 0.4 s is told as 1 s, never as 0 s).
pub fn seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

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

/// A failed attempt, as the retry loop sees it.
pub struct Failure {
    pub verdict: Verdict,
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure not worth another attempt.
    pub fn fatal(error: anyhow::Error) -> Failure {
        Failure { verdict: Verdict::Fatal, error }
    }
}

/// Runs `attempt` (given its number, from 1) with the one retry policy until
/// it succeeds, a failure is fatal, a rate limit asks for more than [`LONGEST_WAIT`], or the
/// attempts run out; tells the user about every retry on standard error. A rate limit's own wait
/// is kept by the client's gate before its next request, so the loop adds none.
pub async fn retry<T, F, Fut>(what: &str, attempt: F) -> anyhow::Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    retry_on("GitHub", what, attempt).await
}

/// [`retry`] of the requests to another remote, `remote` (`the registry ghcr.io`) as retries are
/// told. An attempt answers [`Verdict::Limited`] only after its client's [`Gate`] recorded the
/// limit, and passes that gate before each request: the loop itself does not wait for a limit.
pub async fn retry_on<T, F, Fut>(remote: &str, what: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let tried = Cell::new(0u32);
    let result = (|| {
        tried.set(tried.get() + 1);
        attempt(tried.get())
    })
    .retry(backoff())
    .sleep(tokio::time::sleep)
    .adjust(|failure: &Failure, planned| next_wait(&failure.verdict, planned))
    .notify(|failure: &Failure, wait| tell(remote, what, tried.get(), failure, wait))
    .await;
    result.map_err(|failure| give_up(what, tried.get(), failure))
}

/// The wait before the next attempt, given the one the policy planned (`None`: the attempts are
/// used up); `None` stops.
fn next_wait(verdict: &Verdict, planned: Option<Duration>) -> Option<Duration> {
    let planned = planned?;
    match verdict {
        Verdict::Fatal => None,
        Verdict::Limited(wait, _) if *wait > LONGEST_WAIT => None,
        Verdict::Limited(..) => Some(Duration::ZERO),
        Verdict::Transient(_) => Some(planned),
    }
}

fn tell(remote: &str, what: &str, n: u32, failure: &Failure, wait: Duration) {
    match &failure.verdict {
        Verdict::Limited(_, why) => {
            eprintln!("{remote}: {why} on {what}; trying again after the wait (attempt {n} of {ATTEMPTS})")
        }
        Verdict::Transient(why) => {
            eprintln!("{remote}: {why} on {what}; retrying in {} ms (attempt {n} of {ATTEMPTS})", wait.as_millis())
        }
        Verdict::Fatal => {}
    }
}

/// The last failure, saying why the retries stopped.
fn give_up(what: &str, n: u32, failure: Failure) -> anyhow::Error {
    match failure.verdict {
        Verdict::Fatal => failure.error.context(what.to_owned()),
        Verdict::Limited(wait, _) if wait > LONGEST_WAIT => too_long(failure.error, wait).context(what.to_owned()),
        _ => failure.error.context(format!("{what}: gave up after {n} attempts")),
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
    crate::hint::hinted(error.context(TooLong { seconds: seconds(wait) }), "run the command again later")
}

/// No request before the end of the last rate limit GitHub answered with: GitHub asks for no
/// request at all until a limit's wait has passed, reads included, so every request of a client
/// first [`pass`](Gate::pass)es its gate, and every answer is [`classify`](Gate::classify)'d.
#[derive(Debug, Default)]
pub struct Gate {
    hold: Mutex<Option<Hold>>,
}

/// The wait a rate limit asked for.
#[derive(Debug)]
struct Hold {
    until: Instant,
    /// The reason, as the user is told it.
    why: String,
    /// The wait was told on standard error already.
    told: bool,
}

impl Gate {
    /// Waits until the last rate limit has passed. The wait is told once on standard error; one
    /// longer than [`LONGEST_WAIT`] fails instead (fatal: no retry can help within this run).
    pub async fn pass(&self) -> Result<(), Failure> {
        loop {
            let until = {
                let mut hold = self.hold.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(h) = hold.as_mut() else { return Ok(()) };
                let left = h.until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    *hold = None;
                    return Ok(());
                }
                if left > LONGEST_WAIT {
                    let error = too_long(anyhow::format_err!("{}", h.why), left);
                    return Err(Failure { verdict: Verdict::Fatal, error });
                }
                if !h.told {
                    h.told = true;
                    eprintln!("GitHub: {}; waiting {} s before the next request", h.why, seconds(left));
                }
                h.until
            };
            // Looked at again after the sleep: another request may have met a later limit.
            tokio::time::sleep_until(until).await;
        }
    }

    /// What GitHub's answer means for the next attempt (`message` is the error body's). The one
    /// place rate limits are recorded: a limited answer holds back every later request by the
    /// wait GitHub asks for, a later instant kept.
    pub fn classify(&self, status: u16, headers: &http::HeaderMap, message: &str, attempt: u32) -> Verdict {
        let verdict = verdict(status, headers, message, attempt, now());
        if let Verdict::Limited(wait, why) = &verdict {
            // A wait past any clock (a bogus header) is held as a day: either is refused.
            let now = Instant::now();
            let until = now.checked_add(*wait).unwrap_or(now + Duration::from_secs(86_400));
            let mut hold = self.hold.lock().unwrap_or_else(PoisonError::into_inner);
            if hold.as_ref().is_none_or(|h| h.until < until) {
                *hold = Some(Hold { until, why: why.clone(), told: false });
            }
        }
        verdict
    }
}

/// Seconds since the epoch, as [`verdict`] takes them.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    #[test]
    fn attempts_are_bounded_and_no_wait_passes_the_cap() {
        let waits: Vec<Duration> = backoff().build().collect();
        assert_eq!(waits.len(), ATTEMPTS - 1);
        // Jitter adds at most the base delay on top of each step.
        assert!(waits.iter().all(|w| *w <= UNIT * 16_000), "{waits:?}");
    }

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
        for (n, secs) in [(1, 60), (2, 120), (3, 240), (4, 480)] {
            let failure = untimed(n);
            assert!(matches!(failure.verdict, Verdict::Limited(w, _) if w == Duration::from_secs(secs)), "attempt {n}");
            // The gate waits; the loop tries again without a wait of its own.
            assert_eq!(next_wait(&failure.verdict, Some(Duration::from_secs(1))), Some(Duration::ZERO));
        }
        // 960 s would pass the cap: the run stops and says when to come back.
        assert_eq!(next_wait(&untimed(5).verdict, Some(Duration::from_secs(1))), None);
        let error = crate::hint::render(&give_up("list releases", 5, untimed(5)));
        assert!(error.contains("list releases: GitHub asks to wait 960 s, longer than 900 s"), "{error}");
        assert!(error.contains("hint: run the command again later"), "{error}");
    }

    #[test]
    fn attempts_end_when_the_policy_runs_out() {
        let transient = Verdict::Transient("HTTP 502".into());
        assert_eq!(next_wait(&transient, Some(Duration::from_millis(700))), Some(Duration::from_millis(700)));
        assert_eq!(next_wait(&transient, None), None);
        assert_eq!(next_wait(&Verdict::Fatal, Some(Duration::from_secs(1))), None);
        let error =
            give_up("publish the release", 6, Failure { verdict: transient, error: anyhow::format_err!("502") });
        assert_eq!(format!("{error:#}"), "publish the release: gave up after 6 attempts: 502");
    }

    #[test]
    fn permission_403_is_fatal_and_5xx_transient() {
        let h = headers(&[("x-ratelimit-remaining", "4999"), ("x-github-request-id", "x")]);
        assert_eq!(verdict(403, &h, "Resource not accessible by integration", 1, 0), Verdict::Fatal);
        assert_eq!(verdict(404, &h, "Not Found", 1, 0), Verdict::Fatal);
        assert!(matches!(verdict(502, &h, "", 1, 0), Verdict::Transient(_)));
    }
}
