//! The one retry policy of every remote channel: a bounded number of attempts, exponential
//! backoff with jitter, and a cap on any single wait that holds. The loop itself is `backon`'s;
//! GitHub's rate-limit rules adjust its waits (`publish::github::retry`), and the Pages push
//! retries only when the branch moved (`publish::pages`).

use backon::ExponentialBuilder;
use std::time::Duration;

/// Attempts of one request or push, the first included.
pub const ATTEMPTS: usize = 6;

/// The longest single wait accepted; a rate limit asking for more stops the run with a hint.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

/// Backoff after a transient failure: 0.5 s doubling to at most 8 s, with jitter so jobs that
/// failed together do not retry together; [`ATTEMPTS`] in all.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(8))
        .with_max_times(ATTEMPTS - 1)
        .with_jitter()
}

/// Backoff between pushes of a branch other jobs keep moving: shorter steps, since the next push
/// usually lands at once, and a few more of them (8 pushes in all), since many jobs may race.
pub fn push_backoff() -> ExponentialBuilder {
    backoff().with_min_delay(Duration::from_millis(250)).with_max_times(7)
}

/// Whole seconds, rounded up (a wait of 0.4 s is told as 1 s, never as 0 s).
pub fn seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
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
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(16)), "{waits:?}");
    }
}
