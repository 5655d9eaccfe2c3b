//! GitHub's rate limits hold back every request that follows, reads included ("Rate limits for
//! the REST API"): in the fake's log, no request of any kind, on either host, arrives before the
//! wait a limited answer asked for has passed, and the release still completes.

use crate::release::{World, assert_assets_match_build, fault};
use std::time::Duration;
use xtask_dev::github::{FaultKind, Options, Request};

/// A secondary limit (`retry-after: 1`, as 403 and as 429) on creating the release, uploading an
/// asset, publishing, listing the releases and downloading an asset for the read-back, and an
/// exhausted primary limit on listing assets, all in one release.
#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn no_request_goes_out_before_a_rate_limit_has_passed() {
    let world = World::new(Options::default());
    let after = |status| FaultKind::RetryAfter { status, seconds: 1 };
    // Creates come before any upload, so both create faults are taken by creates.
    world.github.inject(fault("POST", "/acme/infra-demo/releases", after(403), 1));
    world.github.inject(fault("POST", "/acme/infra-demo/releases", after(429), 1));
    world.github.inject(fault("POST", "name=SHA256SUMS", after(403), 1));
    world.github.inject(fault("POST", "name=demo-0.2.0.tgz", after(429), 1));
    world.github.inject(fault("PATCH", "/releases/", after(403), 1));
    world.github.inject(fault("PATCH", "/releases/", after(429), 1));
    world.github.inject(fault("GET", "/releases?", after(429), 1));
    world.github.inject(fault("GET", "/releases?", after(403), 1));
    world.github.inject(fault("GET", "/releases/assets/", after(429), 1));
    world.github.inject(fault("GET", "/assets?", FaultKind::RateLimitReset { seconds: 1 }, 1));
    let run = world.release().ok();
    assert!(run.stderr.contains("waiting 1 s before the next request"), "{}", run.stderr);
    assert_assets_match_build(&world);

    let log = world.github.requests();
    let limited: Vec<&Request> = log.iter().filter(|r| matches!(r.status, 403 | 429)).collect();
    let count = |method: &str, upload_host: bool, path: &str| {
        let matching = |r: &&&Request| r.method == method && r.upload_host == upload_host;
        limited.iter().filter(matching).filter(|r| r.path_and_query.contains(path)).count()
    };
    assert_eq!(count("POST", false, "/releases"), 2, "creates: {limited:#?}");
    assert_eq!(count("POST", true, "/assets?name="), 2, "uploads: {limited:#?}");
    assert_eq!(count("PATCH", false, "/releases/"), 2, "publishing: {limited:#?}");
    assert_eq!(count("GET", false, "/releases?"), 2, "listing: {limited:#?}");
    assert_eq!(count("GET", false, "/releases/assets/"), 1, "downloads: {limited:#?}");
    assert_eq!(count("GET", false, "/assets?"), 1, "asset lists: {limited:#?}");
    assert_eq!(limited.len(), 10, "{limited:#?}");
    for limit in limited {
        let answered = limit.answered.expect("a limited request was answered");
        assert!(answered >= limit.arrived);
        let next = log
            .iter()
            .filter(|r| r.arrived > limit.arrived)
            .min_by_key(|r| r.arrived)
            .unwrap_or_else(|| panic!("a request follows the limited {} {}", limit.method, limit.path_and_query));
        let gap = next.arrived.saturating_duration_since(answered);
        assert!(
            gap >= Duration::from_secs(1),
            "{} {} arrived {gap:?} after {} {} was answered {} (retry-after: 1)",
            next.method,
            next.path_and_query,
            limit.method,
            limit.path_and_query,
            limit.status
        );
    }
}
