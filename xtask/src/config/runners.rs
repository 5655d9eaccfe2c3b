//! The GitHub-hosted runner each build of the job graph runs on: an image platform or a Rust
//! target, always on a machine of its architecture and OS (no emulation); a musl target is built
//! on the Linux runner of its architecture.

/// `(platform, runner)` for image builds.
const PLATFORMS: &[(&str, &str)] = &[("linux/amd64", "ubuntu-24.04"), ("linux/arm64", "ubuntu-24.04-arm")];

/// `(target, runner)` for package builds.
const TARGETS: &[(&str, &str)] = &[
    ("x86_64-unknown-linux-gnu", "ubuntu-24.04"),
    ("aarch64-unknown-linux-gnu", "ubuntu-24.04-arm"),
    // Static musl programs, built on the Linux runner of their architecture.
    ("x86_64-unknown-linux-musl", "ubuntu-24.04"),
    ("aarch64-unknown-linux-musl", "ubuntu-24.04-arm"),
    ("x86_64-apple-darwin", "macos-15-intel"),
    ("aarch64-apple-darwin", "macos-15"),
    ("x86_64-pc-windows-msvc", "windows-2022"),
];

/// The runner that builds images for `platform`; `None` for a platform with no native runner.
pub fn for_platform(platform: &str) -> Option<&'static str> {
    PLATFORMS.iter().find(|(p, _)| *p == platform).map(|(_, r)| *r)
}

/// The runner that builds packages for `target`; `None` for a target with no native runner.
pub fn for_target(target: &str) -> Option<&'static str> {
    TARGETS.iter().find(|(t, _)| *t == target).map(|(_, r)| *r)
}

/// Every target with a runner, for messages.
pub fn known_targets() -> String {
    TARGETS.iter().map(|(t, _)| format!("\"{t}\"")).collect::<Vec<_>>().join(", ")
}
