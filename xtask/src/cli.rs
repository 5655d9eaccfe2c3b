//! The command line, declared in one place with clap's derive API. Each command's doc says when
//! to use it; pipeline commands share [`RemoteArgs`] so `dry-run` and `release` cannot drift.

use crate::settings::RemoteArgs;
use clap::{Parser, Subcommand};

/// Release pipeline for the Lamina OS infrastructure: Helm charts, container images, Kubernetes
/// manifests, Compose files and Terraform modules, shipped together.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
pub struct Cli {
    /// Work on the repository at DIR instead of this workspace.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check release.toml and every component it names; lists every problem at once.
    ///
    /// Use it before committing: it reads only local files and exits 1 with the list of problems,
    /// each with its file, line and fix.
    Validate,
    /// Preview a release: the whole plan, and a real local build into target/release/v{version}/.
    ///
    /// Never writes anywhere remote. Images are built when docker buildx or buildah is found;
    /// otherwise they are listed as not built here.
    DryRun(DryRunArgs),
    /// Publish the release: preflight, build, images, OCI charts, GitHub release, Pages index, verify.
    ///
    /// Safe to run again after any failure: a rerun finishes the job and never duplicates or
    /// silently replaces anything.
    Release(ReleaseArgs),
    /// Read a published release back from every channel and check every digest.
    Verify(VerifyArgs),
    /// Print the release plan as the job graph builds it; `--ci` prints its build matrix.
    ///
    /// The job graph builds each image platform and each package target on its own native
    /// runner (`cargo xtask build`), and one job assembles and publishes (`release --prebuilt`).
    Plan(PlanArgs),
    /// Build one job of the job graph: one platform of an image, or a package for one target.
    ///
    /// Writes the build and its record (`lamina-build.json`) into `--out`; `release --prebuilt`
    /// checks and assembles these folders.
    Build(BuildArgs),
    /// Move the release version in release.toml, every Chart.yaml and the CHANGELOG.
    Bump(BumpArgs),
    /// Maintain the Helm repository index on the Pages branch.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Install and start the test peers this machine lacks, then run the whole test suite.
    Test(TestArgs),
    /// Compare the pipeline's speed with the real peers and print a table of ratios.
    Bench(BenchArgs),
}

/// Which program builds the images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BuilderChoice {
    /// docker buildx when a Docker engine answers, else buildah, else none
    #[default]
    Auto,
    /// docker buildx build --output type=oci
    Buildx,
    /// buildah, daemonless
    Buildah,
    /// build no image (dry-run lists them as not built here)
    None,
}

#[derive(Debug, clap::Args)]
pub struct DryRunArgs {
    /// Print the plan and the build result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Build everything twice in separate folders and compare every byte.
    #[arg(long)]
    pub check_reproducible: bool,
    /// Image builder.
    #[arg(long, value_enum, default_value_t)]
    pub builder: BuilderChoice,
    /// Assemble from the job graph's build folders in DIR instead of building images and packages.
    #[arg(long, value_name = "DIR")]
    pub prebuilt: Option<std::path::PathBuf>,
    /// Preview a release without a signature, as `release --unsigned` makes it.
    #[arg(long)]
    pub unsigned: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Image builder.
    #[arg(long, value_enum, default_value_t)]
    pub builder: BuilderChoice,
    /// Assemble from the job graph's build folders in DIR (one per `plan --ci` job, each made by
    /// `cargo xtask build`): images are joined and packages taken as built, with no rebuild.
    /// Every folder is checked against the plan before anything is published.
    #[arg(long, value_name = "DIR")]
    pub prebuilt: Option<std::path::PathBuf>,
    /// Publish without a signature: a maintainer's release made outside the release workflow,
    /// which cannot get GitHub Actions' OIDC token. lamina-infra refuses an unsigned release
    /// unless its user passes `--allow-unsigned`.
    #[arg(long)]
    pub unsigned: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Print the job graph's build matrix as one line of JSON (`{"include": [...]}`), for
    /// GitHub Actions' `strategy.matrix`.
    #[arg(long)]
    pub ci: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("work").required(true).args(["image", "package"])))]
pub struct BuildArgs {
    /// The image to build (one platform of it).
    #[arg(long, value_name = "NAME", requires = "platform", conflicts_with = "package")]
    pub image: Option<String>,
    /// The image platform, e.g. linux/arm64.
    #[arg(long, value_name = "PLATFORM", requires = "image")]
    pub platform: Option<String>,
    /// The package to build (for one target).
    #[arg(long, value_name = "NAME", requires = "target")]
    pub package: Option<String>,
    /// The Rust target, e.g. aarch64-apple-darwin.
    #[arg(long, value_name = "TRIPLE", requires = "package")]
    pub target: Option<String>,
    /// The folder to write the build and its record into (emptied first).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Image builder.
    #[arg(long, value_enum, default_value_t)]
    pub builder: BuilderChoice,
    /// Print the record as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The release job's settings: images are annotated with them, so every job must see the same.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Release version to verify [default: release.version]
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Print the checks as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct BumpArgs {
    /// The new version, SemVer 2 without a `v` (e.g. 0.4.0 or 1.0.0-rc.1).
    #[arg(value_name = "VERSION")]
    pub new_version: String,
    /// Date for the new CHANGELOG heading, YYYY-MM-DD [default: today, UTC]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Merge chart archives into index.yaml on the Pages branch, keeping every other entry.
    ///
    /// `release` does this itself after publishing; use it to repair an index by hand. Entries
    /// point at the release asset URLs, so the releases must exist. An archive whose name and
    /// version are already indexed with another digest is refused.
    Add {
        /// Chart archives, `{name}-{version}.tgz`.
        #[arg(required = true, value_name = "TGZ")]
        archives: Vec<std::path::PathBuf>,
        /// The release whose assets the entries point at [default: `v{chart version}`]
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// Show the difference without pushing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Rebuild index.yaml from the chart assets of every published release.
    ///
    /// Downloads the chart archives (`*.tgz`) of every published GitHub release (or takes them
    /// from DIR) and replaces the index with one made from exactly those, keeping the `created`
    /// time of entries that did not change. Each entry points at the release it was read from.
    Rebuild {
        /// Take the chart archives from this folder instead of the published releases:
        /// `DIR/{tag}/*.tgz` point at release `{tag}`, `DIR/*.tgz` at `v{chart version}`.
        #[arg(long, value_name = "DIR")]
        from: Option<std::path::PathBuf>,
        /// Show the difference without pushing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

/// The benchmarks of `cargo xtask bench`, in the order they run; the last two (`cold-…`), which
/// take minutes each, only when named or with `--cold`.
pub const BENCHMARKS: [&str; 7] = ["index", "images", "rerun", "pull", "mirror", "cold-dry-run", "cold-test"];

#[derive(Debug, Clone, Default, clap::Args)]
pub struct BenchArgs {
    /// Run one benchmark only; `cold-dry-run` and `cold-test` (a fresh clone built from nothing)
    /// run only when named or with `--cold`.
    #[arg(value_parser = BENCHMARKS)]
    pub only: Option<String>,
    /// Print the rows as JSON on stdout (the table goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also run the cold benchmarks, `cold-dry-run` and `cold-test`, after the others.
    #[arg(long)]
    pub cold: bool,
    /// Rewrite README.md's Performance table from FILE, the output of `bench --json`; runs nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["only", "json", "cold"])]
    pub readme: Option<std::path::PathBuf>,
}

/// The arguments that give `xtask-dev bench` the same request.
impl IntoIterator for BenchArgs {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        let BenchArgs { only, json, cold, readme } = self;
        let mut args: Vec<String> = only.into_iter().collect();
        args.extend(json.then(|| "--json".to_owned()));
        args.extend(cold.then(|| "--cold".to_owned()));
        if let Some(file) = readme {
            let file = std::path::absolute(&file).unwrap_or(file);
            args.extend(["--readme".to_owned(), file.display().to_string()]);
        }
        args.into_iter()
    }
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Only check and install the peers; run no test.
    #[arg(long)]
    pub peers_only: bool,
    /// Arguments passed on to `cargo test` (e.g. a test name filter).
    #[arg(last = true)]
    pub cargo_args: Vec<String>,
}
