//! Every command and flag of `lamina-infra` (clap derive).

use clap::{Parser, Subcommand};
use lamina_release_format::archive::Limits;

/// Find, verify and fetch Lamina OS infrastructure releases.
#[derive(Debug, Parser)]
#[command(
    name = "lamina-infra",
    version,
    after_help = "Exit codes: 0 success; 1 a check failed, or the input was refused; 2 a usage error; 3 a remote \
                  (GitHub, a registry) could not be read; 4 a remote refused the credentials, or wants some."
)]
pub struct Cli {
    #[command(flatten)]
    pub source: Source,
    #[command(subcommand)]
    pub command: Command,
}

/// Where releases are read from.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Source")]
pub struct Source {
    /// The GitHub repository that publishes the releases
    #[arg(long, global = true, value_name = "OWNER/NAME", default_value = crate::github::REPOSITORY)]
    pub repo: String,
    /// GitHub REST API base (GitHub Enterprise Server: https://HOST/api/v3)
    #[arg(
        long,
        global = true,
        env = "GITHUB_API_URL",
        hide_env_values = true,
        default_value = "https://api.github.com"
    )]
    pub api_url: String,
    /// Read releases from this mirror folder (made by `lamina-infra mirror`) instead of GitHub,
    /// with no network at all
    #[arg(long, global = true, value_name = "DIR", env = "LAMINA_INFRA_MIRROR", hide_env_values = true)]
    pub mirror: Option<std::path::PathBuf>,
    /// The SHA-256 the release's SHA256SUMS must have, as you recorded it (`show` prints it): a
    /// release whose SHA256SUMS hashes otherwise is refused, from GitHub or a mirror alike
    #[arg(long, global = true, value_name = "HEX", value_parser = sha256)]
    pub sums_sha256: Option<String>,
    /// The Sigstore trust config (a ClientTrustConfig, or a bare trusted root) that a release's
    /// signature is verified against [default: Sigstore's public-good instance, its trusted root
    /// embedded and refreshed over TUF when online, not from a mirror folder; the environment's
    /// LAMINA_SIGSTORE_TUF_URL and LAMINA_SIGSTORE_TUF_ROOT name another TUF repository and the
    /// root.json to start from]
    #[arg(long, global = true, value_name = "FILE", env = "LAMINA_SIGSTORE_TRUST_CONFIG", hide_env_values = true)]
    pub trust_config: Option<std::path::PathBuf>,
    /// The workflow whose signature a release must carry, as a path in the repository; its
    /// identity is that workflow at the release's tag
    #[arg(long, global = true, value_name = "PATH", default_value = lamina_release_format::provenance::WORKFLOW, value_parser = workflow)]
    pub signer_workflow: String,
    /// Use a release that carries no signature, so who made it cannot be checked (a warning is
    /// printed); without it, only `show` reads an unsigned release
    #[arg(long, global = true, env = "LAMINA_INFRA_ALLOW_UNSIGNED", hide_env_values = true)]
    pub allow_unsigned: bool,
}

impl Source {
    /// The user's signature policy.
    pub fn trust(&self) -> crate::trust::Trust {
        crate::trust::Trust {
            repository: self.repo.trim().to_owned(),
            config: self.trust_config.clone(),
            workflow: self.signer_workflow.clone(),
            allow_unsigned: self.allow_unsigned,
        }
    }
}

/// A workflow file of the repository: `.github/workflows/NAME.yml` (or `.yaml`), as GitHub
/// Actions names it in a certificate.
fn workflow(text: &str) -> Result<String, String> {
    let path = text.trim().trim_start_matches("./");
    let name = path.strip_prefix(".github/workflows/").unwrap_or_default();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    match yaml && !name.contains(['/', '@', '\\']) {
        true => Ok(path.to_owned()),
        false => Err(format!("`{text}` is not a workflow file: give `.github/workflows/NAME.yml`")),
    }
}

/// 64 hex digits, lowercased.
fn sha256(text: &str) -> Result<String, String> {
    let hex = text.trim().to_ascii_lowercase();
    match hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        true => Ok(hex),
        false => Err(format!("`{text}` is not a SHA-256: give 64 hex digits, as `lamina-infra show` prints them")),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the published releases, newest first; pre-releases are marked.
    Releases {
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show what a release holds (default: the latest): charts, images and bundles, each checked
    /// against the release's SHA256SUMS, with the command that uses it.
    Show {
        /// The version, e.g. 0.2.0 (a leading `v` is accepted)
        version: Option<String>,
        /// Print the release as JSON
        #[arg(long)]
        json: bool,
    },
    /// Download components of a release (bundles or charts), verify each against SHA256SUMS, the
    /// manifest and GitHub's digest, and extract it into its own folder. A refused or interrupted
    /// pull leaves nothing behind; pulling the same content again downloads nothing.
    Pull {
        /// Component names, e.g. `lamina-k8s` or `lamina-core` (`lamina-infra show` lists them)
        #[arg(required = true, value_name = "COMPONENT")]
        components: Vec<String>,
        /// The release [default: the latest]
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Where the components' folders go
        #[arg(long, value_name = "DIR", default_value = ".")]
        to: std::path::PathBuf,
        /// Replace a component's folder that holds something else (one that holds the same is
        /// left as it is)
        #[arg(long)]
        clobber: bool,
        #[command(flatten)]
        unpack: Unpack,
        /// Print what was pulled (name, version, file, SHA-256, folder, changed) as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check a mirror folder, a folder of pulled components, or a published release, file by
    /// file, and report every difference at once; exits 1 on any.
    Verify {
        /// A mirror folder, a folder `pull` wrote into, or a release version (e.g. 0.2.0)
        #[arg(value_name = "DIR|VERSION")]
        target: String,
        /// The release of a pulled folder [default: from its folders' names]
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check this machine against a release's requirements (the cluster's Kubernetes version, the
    /// local helm, terraform and docker compose), or with `--from A --to B` list what upgrading
    /// from A to B changes, breaking changes marked. Exits 1 when a requirement is not met.
    Compat {
        /// The release [default: the latest]
        version: Option<String>,
        /// The cluster's Kubernetes version [default: asked of `kubectl version`]
        #[arg(long, value_name = "V")]
        kube_version: Option<String>,
        /// The release upgraded from, with `--to`
        #[arg(long, value_name = "VERSION", requires = "to")]
        from: Option<String>,
        /// List what upgrading to this release changes, from the release `--from` names
        #[arg(long, value_name = "VERSION", requires = "from", conflicts_with_all = ["version", "kube_version"])]
        to: Option<String>,
        /// Print the table as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check your own configuration against a release before using it: Helm values files against
    /// a chart's values.schema.json, Terraform .tfvars / .tfvars.json against a module's
    /// variables, a Compose .env against the variables the Compose files use. Every problem is
    /// reported with its file, line and fix; exits 1 on any.
    Validate {
        /// A chart (e.g. lamina-core), a Terraform module (BUNDLE/MODULE, e.g.
        /// lamina-terraform/lamina-values) or a Compose bundle (e.g. lamina-compose)
        component: String,
        /// The files to check, in the order the tool reads them
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
        /// The release [default: the latest]
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Print the problems as JSON
        #[arg(long)]
        json: bool,
    },
    /// Deploy a component of a release with your own tool: pull and verify it, check `compat` and
    /// `validate`, then `helm upgrade --install` a chart (images pinned to the release's digests),
    /// `docker compose up -d` a Compose bundle, or `terraform init`, `plan` and `apply` a module
    /// from a working folder. Nothing starts when a check fails.
    Deploy(Deploy),
    /// Copy a release into a folder that serves it offline: its assets (verified like `pull`), a
    /// Helm repository index of its charts, and its images and OCI charts as OCI image layouts
    /// with the registry's exact bytes. `mirror push` loads those into another registry.
    Mirror(Mirror),
    /// Print the completion script for your shell, e.g. `lamina-infra completions bash >
    /// ~/.local/share/bash-completion/completions/lamina-infra`, or, in zsh,
    /// `lamina-infra completions zsh > "${fpath[1]}/_lamina-infra"`.
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: clap_complete::Shell,
    },
    /// Print lamina-infra's man page (roff), e.g. `lamina-infra man | man -l -`, or
    /// `lamina-infra man > ~/.local/share/man/man1/lamina-infra.1`.
    Man,
}

/// The completion script for `shell`, from the same definitions as `--help`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "lamina-infra", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete spells a hyphenated program's subcommand states two ways, so nothing
        // completes after a subcommand (clap-rs/clap issue 6421): one spelling for both.
        script = script.replace("lamina__subcmd__infra", "lamina__infra");
    }
    out.write_all(script.as_bytes())
}

/// The man page (section 1, roff), from the same definitions as `--help`.
pub fn man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// `mirror [VERSION] --to DIR`, or `mirror push DIR --registry HOST/NAMESPACE`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Mirror {
    #[command(subcommand)]
    pub push: Option<MirrorPush>,
    /// The version, e.g. 0.2.0 [default: the latest]
    pub version: Option<String>,
    /// The mirror folder; the release goes into `DIR/<tag>/`, and `DIR/mirror.json` lists the
    /// releases it holds
    #[arg(long, value_name = "DIR", required = true)]
    pub to: Option<std::path::PathBuf>,
    /// Mirror only these platforms of multi-platform images (e.g. linux/amd64; repeatable);
    /// the index is kept as published
    #[arg(long = "platform", value_name = "OS/ARCH")]
    pub platforms: Vec<String>,
    /// Print what was mirrored as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MirrorPush {
    /// Load a mirror folder's images and OCI charts into a registry with the same digests: image
    /// NAME goes to HOST/NAMESPACE/NAME, chart NAME to HOST/NAMESPACE/charts/NAME (credentials:
    /// LAMINA_REGISTRY_USERNAME, LAMINA_REGISTRY_PASSWORD).
    Push {
        /// The mirror folder (made by `lamina-infra mirror --to DIR`)
        dir: std::path::PathBuf,
        /// Where to push, e.g. registry.example.com/lamina (plain HTTP for loopback hosts only)
        #[arg(long, value_name = "HOST/NAMESPACE")]
        registry: String,
        /// Push only this release [default: every release the folder holds]
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Print what was pushed (target, digest, blobs uploaded, tags) and what failed as JSON
        #[arg(long)]
        json: bool,
    },
}

/// `deploy COMPONENT`: what to deploy, the configuration by the component's kind, and how.
#[derive(Debug, clap::Args)]
pub struct Deploy {
    /// A chart, a Terraform module (BUNDLE/MODULE) or a Compose bundle
    pub component: String,
    /// The release [default: the latest]
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Helm values files, for a chart (repeatable)
    #[arg(long, value_name = "FILE")]
    pub values: Vec<std::path::PathBuf>,
    /// Terraform var files, for a module (repeatable)
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<std::path::PathBuf>,
    /// Compose env files, for a Compose bundle (repeatable)
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<std::path::PathBuf>,
    /// The Kubernetes namespace of a chart
    #[arg(long, short = 'n', default_value = "lamina")]
    pub namespace: String,
    /// The Helm release name [default: the chart's name]
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,
    /// The working folder (Terraform keeps its state here)
    /// [default: lamina-deploy/COMPONENT]
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<std::path::PathBuf>,
    /// The cluster's Kubernetes version [default: asked of `kubectl version`]
    #[arg(long, value_name = "V")]
    pub kube_version: Option<String>,
    /// Print the files it would write and the commands it would run, and touch nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead without asking: install a chart into the kube context shown, or apply a
    /// Terraform plan. Without a terminal to ask on, it is required
    #[arg(long, short = 'y', visible_alias = "auto-approve")]
    pub yes: bool,
    /// The kube context helm and kubectl use [default: the current one of your kubeconfig]
    #[arg(long, value_name = "CONTEXT")]
    pub kube_context: Option<String>,
    #[command(flatten)]
    pub unpack: Unpack,
    /// Print the plan (with --dry-run) or what was done as JSON; the tool's own output goes
    /// to stderr
    #[arg(long)]
    pub json: bool,
}

/// How much one archive may unpack to: far above any bundle or chart a release makes, low enough
/// to stop a bomb.
#[derive(Debug, Clone, clap::Args)]
pub struct Unpack {
    /// Refuse an archive that unpacks to more than SIZE (bytes, or with KiB, MiB or GiB)
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = size)]
    pub max_unpacked_size: u64,
    /// Refuse an archive of more than N entries
    #[arg(long, value_name = "N", default_value_t = Limits::default().entries)]
    pub max_entries: usize,
}

impl Unpack {
    pub fn limits(&self) -> Limits {
        Limits { entries: self.max_entries, bytes: self.max_unpacked_size }
    }
}

/// `1048576`, `512KiB`, `64MiB`, `2GiB`.
fn size(text: &str) -> Result<u64, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let shift = match unit {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return Err(format!("`{text}` is not a size; give bytes, or e.g. 512MiB or 2GiB")),
    };
    let bytes = number.parse::<u64>().ok().and_then(|n| n.checked_mul(1 << shift));
    bytes.ok_or_else(|| format!("`{text}` is not a size; give bytes, or e.g. 512MiB or 2GiB"))
}
