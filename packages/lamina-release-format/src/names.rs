//! How a release names its things: the tag of a version, the file name of each asset, the top
//! folder an archive holds, and the OCI tag of a version. The pipeline names with these and the
//! tools that read a release find with them, so the two cannot drift.

/// Name of the checksum file among a release's assets.
pub const SUMS: &str = "SHA256SUMS";
/// Name of the release manifest among a release's assets.
pub const MANIFEST: &str = "release-manifest.json";

/// The git tag (and GitHub release name) of a version: `v{version}`.
pub fn tag(version: &str) -> String {
    format!("v{version}")
}

/// The version a `v{version}` tag names; a tag without the `v` is taken as it is.
pub fn version(tag: &str) -> &str {
    tag.strip_prefix('v').unwrap_or(tag)
}

/// The tag of a version in an OCI registry: OCI tags cannot hold `+`, so Helm writes `_`
/// instead (Helm, "Use OCI-based registries"), and images follow it.
pub fn oci_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// A chart's archive, as `helm package` names it: `{name}-{version}.tgz`.
pub fn chart_file(name: &str, version: &str) -> String {
    format!("{name}-{version}.tgz")
}

/// The one top folder of a bundle's archive, and the folder `lamina-infra pull` extracts it
/// into: `{name}-{version}`.
pub fn bundle_folder(name: &str, version: &str) -> String {
    format!("{name}-{version}")
}

/// A bundle's archive: `{name}-{version}.tar.gz`.
pub fn bundle_file(name: &str, version: &str) -> String {
    format!("{}.tar.gz", bundle_folder(name, version))
}

/// The one top folder of a program's binary archive: `{name}-{version}-{target}`.
pub fn package_folder(name: &str, version: &str, target: &str) -> String {
    format!("{name}-{version}-{target}")
}

/// A program's binary archive for one Rust target: `{name}-{version}-{target}.tar.gz`.
pub fn package_file(name: &str, version: &str, target: &str) -> String {
    format!("{}.tar.gz", package_folder(name, version, target))
}

/// A Python project's name as distribution file names spell it (a wheel's, an sdist's): lowercase, runs of `-_.` as `_`.
pub fn dist_name(name: &str) -> String {
    normalize(name, '_')
}

/// A Python project's name as the simple repository API spells it (PEP 503): lowercase, runs of `-_.`
/// as `-`.
pub fn project_name(name: &str) -> String {
    normalize(name, '-')
}

fn normalize(name: &str, sep: char) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '-' | '_' | '.' if out.ends_with(sep) => {}
            '-' | '_' | '.' => out.push(sep),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_the_version_after_v_and_back() {
        assert_eq!(tag("0.2.0-rc.1+build.5"), "v0.2.0-rc.1+build.5");
        assert_eq!(version("v0.2.0-rc.1+build.5"), "0.2.0-rc.1+build.5");
        assert_eq!(version(&tag("1.0.0")), "1.0.0");
        assert_eq!(version("1.0.0"), "1.0.0", "a tag without `v` is its own version");
        assert_eq!(version("vv1"), "v1", "only one `v` is taken off");
    }

    #[test]
    fn oci_tags_write_plus_as_underscore() {
        assert_eq!(oci_tag("1.2.0+build.5"), "1.2.0_build.5");
        assert_eq!(oci_tag("1.2.0-rc.1"), "1.2.0-rc.1");
    }

    #[test]
    fn assets_are_named_by_name_version_and_target() {
        assert_eq!(chart_file("lamina-core", "0.2.0"), "lamina-core-0.2.0.tgz");
        assert_eq!(bundle_folder("demo-k8s", "0.2.0"), "demo-k8s-0.2.0");
        assert_eq!(bundle_file("demo-k8s", "0.2.0"), "demo-k8s-0.2.0.tar.gz");
        let target = "x86_64-unknown-linux-gnu";
        assert_eq!(package_folder("lamina-infra", "0.2.0", target), "lamina-infra-0.2.0-x86_64-unknown-linux-gnu");
        assert_eq!(package_file("lamina-infra", "0.2.0", target), "lamina-infra-0.2.0-x86_64-unknown-linux-gnu.tar.gz");
        assert_eq!((SUMS, MANIFEST), ("SHA256SUMS", "release-manifest.json"));
    }
}
