//! The release plan: every artifact, image, asset, tag and index entry of one release, computed
//! as plain data from what was read, with no IO and no clock.
//!
//! `dry-run` prints and builds this plan; `release` executes the same value, so the two cannot
//! drift. Planning goes:
//!
//! 1. select the files of each chart (`.helmignore`, Helm's rules) and bundle (git-tracked only),
//!    refusing state, secret and escaping-symlink files unless `allow`ed ([`select`]);
//! 2. name every asset `{name}-{version}` and derive image tags, OCI references and asset URLs;
//! 3. lay out the steps in the order docs/operations.md gives ("Publishing"): local builds,
//!    then images and OCI charts by digest, image tags, the GitHub release, the Pages index and
//!    the Python package index.
//!
//! `release` executes exactly [`Plan::steps`], one executor arm per [`Step`]: adding a step to
//! the plan and an arm to the executor is all a new kind of work needs.

pub mod floating;
pub mod jobs;
mod render;
pub mod select;
#[cfg(test)]
pub(crate) mod tests;

pub use crate::config::Builder;
use crate::config::{BundleKind, ImageSource, ReleaseConfig};
use crate::helm::chart::ChartMeta;
use crate::repo::RepoState;
use crate::settings::Settings;
use lamina_remote::diagnostic::Diagnostics;
use serde::Serialize;

pub use crate::timestamp::{parse_rfc3339, rfc3339};
pub use floating::{FloatingTag, TagAction};
pub use render::render_human;
pub use select::Entry;

pub use lamina_release_format::{MANIFEST, SUMS};
use lamina_release_format::{names, provenance};

/// Everything the planner reads, gathered beforehand by `workspace`.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub config: &'a ReleaseConfig,
    pub settings: &'a Settings,
    pub repo: &'a RepoState,
    /// One per `[[chart]]`, in the same order.
    pub charts: &'a [ChartSource],
    /// Which builder builds the Dockerfile images.
    pub builder: BuilderPick,
    /// This machine's Rust target triple: what a one-machine build builds packages for.
    pub target: &'a str,
    /// Plan the job graph: packages for every configured target, images joined from
    /// per-platform builds made elsewhere (`plan --ci`, `build`, `release --prebuilt`).
    pub graph: bool,
}

/// How the builder of each image is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderPick {
    /// The image's `builder` key, else the one found on this machine (if any).
    Auto(Option<Builder>),
    /// Chosen on the command line for every image; `None` builds none.
    Forced(Option<Builder>),
}

/// What was read from one chart directory.
#[derive(Debug, Clone)]
pub struct ChartSource {
    pub meta: ChartMeta,
    /// Content of the chart's `.helmignore`, when git tracks one.
    pub helmignore: Option<String>,
}

/// One release, decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub repository: String,
    pub version: String,
    pub tag: String,
    pub prerelease: bool,
    /// GitHub shows this release as the latest: `make-latest` is on, it is no pre-release, and
    /// no published release is higher.
    pub make_latest: bool,
    /// Why `make_latest` is off when `make-latest` is on and this is no pre-release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_latest: Option<String>,
    /// What happens to each floating tag of the images (the same for every image).
    pub floating: Vec<FloatingTag>,
    pub commit: String,
    /// Tracked files with uncommitted changes; `release` refuses to run with any.
    pub changed: Vec<String>,
    /// Modification time of every archive entry.
    pub source_date_epoch: i64,
    /// Where local artifacts go, relative to the repository root.
    pub out_dir: String,
    pub charts: Vec<ChartPlan>,
    pub bundles: Vec<BundlePlan>,
    pub images: Vec<ImagePlan>,
    /// One per package and target.
    pub packages: Vec<PackagePlan>,
    /// Images and packages come from the job graph's builds (`release --prebuilt`), not from
    /// this machine.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub graph: bool,
    pub release: ReleasePlan,
    pub index: IndexPlan,
    /// The Python package channel; `None` without `[python-index]` or without a wheel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python_index: Option<PythonIndexPlan>,
    pub signing: SigningPlan,
    pub steps: Vec<Step>,
}

/// How the release is signed: one provenance statement over every asset, image and OCI chart
/// (docs/provenance.md), signed keylessly in the release workflow and attached as the asset
/// `provenance.sigstore.json` and as an OCI referrer of every image and chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningPlan {
    /// Why the release goes out unsigned; `None`: the `Sign` step signs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsigned: Option<String>,
    /// The certificate identity the signature must carry, and lamina-infra expects: the
    /// release workflow at the release's tag.
    pub identity: String,
    pub issuer: String,
    /// Where Fulcio, Rekor and the timestamp authority are: a ClientTrustConfig file, or
    /// Sigstore's public-good instance.
    pub sigstore: String,
}

impl SigningPlan {
    pub fn signs(&self) -> bool {
        self.unsigned.is_none()
    }
}

/// Where the packages' wheels and sdists are uploaded, and which files (names as planned; the
/// wheel's platform tag is maturin's, known once built).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonIndexPlan {
    pub upload_url: String,
    pub simple_url: String,
    pub trusted_publishing: bool,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartPlan {
    pub name: String,
    pub version: String,
    pub path: String,
    /// Asset file name, `{name}-{version}.tgz`.
    pub file: String,
    /// `{registry}/charts/{name}:{tag}` when `oci = true`.
    pub oci: Option<String>,
    /// Chart.yaml's `kubeVersion`: the Kubernetes versions the chart supports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundlePlan {
    pub name: String,
    pub kind: BundleKind,
    pub path: String,
    /// Asset file name, `{name}-{version}.tar.gz`.
    pub file: String,
    pub entries: Vec<Entry>,
    /// This release's image references in its YAML files become digests.
    pub pin_images: bool,
}

/// A Rust program shipped with the release: a binary archive and, with `wheel`, a Python wheel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackagePlan {
    pub name: String,
    /// The folder holding its `Cargo.toml` (and `pyproject.toml` for the wheel).
    pub path: String,
    /// The Rust target triple it is built for.
    pub target: String,
    /// Asset file name of the binary archive, `{name}-{version}-{target}.tar.gz`.
    pub file: String,
    /// A wheel is built too (its file name is maturin's, known once built).
    pub wheel: bool,
    /// The archive holds `completions/`, from the built program's `completions SHELL`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub completions: bool,
    /// The archive holds `man/man1/{name}.1`, from the built program's `man`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub man: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImagePlan {
    pub name: String,
    /// `{registry}/{name}`.
    pub repository: String,
    /// `{registry.base}/{name}` when the registry is overridden: files name the image so, and
    /// pinning rewrites it to `repository`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub source: ImageSource,
    pub platforms: Vec<String>,
    /// Every tag the release names the image by: the version tag, then the floating tags (which
    /// move only as [`Plan::floating`] says; see [`Plan::pushed_tags`]).
    pub tags: Vec<String>,
    /// The builder of a Dockerfile image; `None` for one built elsewhere, or when no builder is
    /// found (the image is planned but not built here).
    pub builder: Option<Builder>,
    /// OCI annotations set on every manifest and index of the image.
    pub annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasePlan {
    pub name: String,
    /// The CHANGELOG file whose section is the release body.
    pub notes: String,
    /// Every asset, in upload order; the checksum file and the manifest come last.
    pub assets: Vec<String>,
    /// Public download URL of each asset once published, by name.
    pub download_base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexPlan {
    #[serde(flatten)]
    pub target: PagesTarget,
    /// `(chart, version, url)` of each entry this release adds.
    pub entries: Vec<IndexEntry>,
}

/// Where the Helm index lives: the one place the Pages remote, branch and site are resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagesTarget {
    /// `None`: the checkout's `origin`.
    pub remote: Option<String>,
    pub branch: String,
    pub pages_url: String,
    /// Where the site serves the module registry protocol, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_registry: Option<crate::config::TerraformRegistry>,
}

impl PagesTarget {
    pub fn of(config: &ReleaseConfig, settings: &Settings) -> PagesTarget {
        PagesTarget {
            remote: settings.pages_remote.clone(),
            branch: config.pages_branch.clone(),
            pages_url: settings.pages_url.clone(),
            terraform_registry: config.terraform_registry.clone(),
        }
    }

    /// The git remote to fetch from and push to.
    pub fn remote(&self) -> &str {
        self.remote.as_deref().unwrap_or("origin")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    pub chart: String,
    pub version: String,
    pub url: String,
}

/// One action of the release, in execution order. Indices point into the plan's lists. Each
/// remote step converges: it reads what is there and does only what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    PackageChart {
        chart: usize,
    },
    WriteBundle {
        bundle: usize,
    },
    BuildImage {
        image: usize,
    },
    /// The package's binary archive and wheel.
    BuildPackage {
        package: usize,
    },
    WriteManifest,
    WriteSums,
    /// Sign the provenance statement over every asset, image and OCI chart (or reuse a bundle
    /// signed for exactly these subjects): after every build, before the first publish.
    Sign,
    /// Blobs and manifests by digest; no tag.
    PushImage {
        image: usize,
    },
    /// The chart's OCI artifact by digest; no tag.
    PushChart {
        chart: usize,
    },
    /// The provenance bundle as an OCI referrer of every image and OCI chart, listed under the
    /// referrers tag schema's `sha256-{hex}` tag too.
    AttachProvenance,
    /// The version tag and the floating tags that move, once every image and chart is pushed.
    MoveTags {
        image: usize,
    },
    /// The chart's version tag, once every image and chart is pushed.
    TagChart {
        chart: usize,
    },
    /// Find the release for the tag, or create it as a draft.
    DraftRelease,
    /// Upload missing assets; on a draft, replace half-uploaded or different ones.
    UploadAssets,
    /// Read every asset back and compare its digest with the build.
    ReadBack,
    PublishRelease,
    MergeIndex,
    /// Upload each package's wheel and sdist that the Python index lacks.
    UploadPython,
    Verify,
}

impl Step {
    /// Steps that only write under the output folder; `dry-run` runs exactly these.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            Step::PackageChart { .. }
                | Step::WriteBundle { .. }
                | Step::BuildImage { .. }
                | Step::BuildPackage { .. }
                | Step::WriteManifest
                | Step::WriteSums
        )
    }
}

/// Decides the release. Pure: the same inputs give the same plan.
pub fn plan(inputs: &Inputs) -> Result<Plan, Diagnostics> {
    let Inputs { config, settings, repo, charts: sources, builder, target, graph } = inputs;
    let version = config.version.to_string();
    let tag = names::tag(&version);
    let prerelease = !config.version.pre.is_empty();
    let mut diags = Diagnostics::default();

    let mut charts = Vec::new();
    for (chart, source) in config.charts.iter().zip(sources.iter()) {
        let name = source.meta.name.clone().unwrap_or_default();
        match select::chart(repo, chart, &name, source.helmignore.as_deref()) {
            Ok(entries) => charts.push(ChartPlan {
                file: names::chart_file(&name, &version),
                oci: chart.oci.then(|| {
                    format!("{}:{}", settings.registry.image(&format!("charts/{name}")), names::oci_tag(&version))
                }),
                kube_version: source.meta.raw.get("kubeVersion").and_then(|v| v.as_str()).map(str::to_owned),
                name,
                version: version.clone(),
                path: chart.path.clone(),
                entries,
            }),
            Err(d) => diags.extend(d),
        }
    }
    let mut bundles = Vec::new();
    for bundle in &config.bundles {
        match select::bundle(repo, bundle, &version) {
            Ok(entries) => bundles.push(BundlePlan {
                name: bundle.name.clone(),
                kind: bundle.kind,
                path: bundle.path.clone(),
                file: names::bundle_file(&bundle.name, &version),
                entries,
                pin_images: bundle.pin_images,
            }),
            Err(d) => diags.extend(d),
        }
    }
    let images: Vec<ImagePlan> = config
        .images
        .iter()
        .map(|image| ImagePlan {
            name: image.name.clone(),
            repository: settings.registry.image(&image.name),
            aliases: crate::config::parse_registry_base(&config.registry)
                .ok()
                .filter(|base| *base != settings.registry)
                .map(|base| base.image(&image.name))
                .into_iter()
                .collect(),
            source: image.source.clone(),
            platforms: image.platforms.clone(),
            tags: image_tags(&config.version, config.make_latest),
            builder: match (&image.source, builder) {
                (ImageSource::Prebuilt { .. }, _) => None,
                (ImageSource::Dockerfile { .. }, BuilderPick::Forced(b)) => *b,
                (ImageSource::Dockerfile { builder: pinned, .. }, BuilderPick::Auto(found)) => pinned.or(*found),
            },
            annotations: image_annotations(
                settings,
                &config.version.to_string(),
                &repo.head,
                settings.source_date_epoch.unwrap_or(repo.commit_time),
            ),
        })
        .collect();
    diags.extend(select::asset_clashes(&charts, &bundles, config));
    if !diags.is_empty() {
        return Err(diags);
    }

    let host = [(*target).to_owned()];
    let packages: Vec<PackagePlan> = config
        .packages
        .iter()
        .flat_map(|p| {
            let targets = if *graph && !p.targets.is_empty() { &p.targets[..] } else { &host[..] };
            targets.iter().map(|target| PackagePlan {
                name: p.name.clone(),
                path: p.path.clone(),
                target: target.clone(),
                file: names::package_file(&p.name, &version, target),
                wheel: p.wheel,
                completions: p.completions,
                man: p.man,
            })
        })
        .collect();
    let mut assets: Vec<String> = charts.iter().map(|c| c.file.clone()).collect();
    assets.extend(bundles.iter().map(|b| b.file.clone()));
    for p in &packages {
        assets.push(p.file.clone());
        // The wheel's name is maturin's, known once built.
        if p.wheel {
            let wheel = format!("{}-{version}-*.whl", p.name.replace('-', "_"));
            assets.push(if *graph { format!("{wheel} ({})", p.target) } else { wheel });
        }
    }
    let python_index = python_index_plan(settings, &packages, &version);
    if let Some(python) = &python_index {
        assets.extend(python.files.iter().filter(|f| !f.ends_with(".whl")).cloned());
    }
    assets.extend([MANIFEST.to_owned(), SUMS.to_owned()]);
    let signing = SigningPlan {
        unsigned: settings.signing.unsigned.clone(),
        identity: provenance::identity(
            &provenance::web_origin(&settings.api_url),
            &settings.repository,
            provenance::WORKFLOW,
            &format!("refs/tags/{tag}"),
        ),
        issuer: provenance::ISSUER.to_owned(),
        sigstore: settings.signing.trust_config.clone().unwrap_or_else(|| "Sigstore's public-good instance".to_owned()),
    };
    if signing.signs() {
        assets.push(provenance::ASSET.to_owned());
        for image in &images {
            assets.extend(image.platforms.iter().map(|p| provenance::image_sbom(&image.name, &version, p)));
        }
        assets.extend(packages.iter().map(|p| provenance::package_sbom(&p.file)));
    }
    let download_base = download_base(&settings.server_url, &settings.repository, &tag);
    let index = IndexPlan {
        target: PagesTarget::of(config, settings),
        entries: charts
            .iter()
            .map(|c| IndexEntry {
                chart: c.name.clone(),
                version: c.version.clone(),
                url: format!("{download_base}/{}", c.file),
            })
            .collect(),
    };

    let floating_tags: Vec<String> = image_tags(&config.version, config.make_latest).split_off(1);
    let floating = floating::decide(&config.version, &floating_tags, None);

    let mut steps = Vec::new();
    // Images before bundles: a Compose bundle may pin the images' digests.
    steps.extend((0..charts.len()).map(|chart| Step::PackageChart { chart }));
    steps.extend((0..images.len()).map(|image| Step::BuildImage { image }));
    steps.extend((0..bundles.len()).map(|bundle| Step::WriteBundle { bundle }));
    steps.extend((0..packages.len()).map(|package| Step::BuildPackage { package }));
    steps.extend([Step::WriteManifest, Step::WriteSums]);
    if signing.signs() {
        steps.push(Step::Sign);
    }
    steps.extend((0..images.len()).map(|image| Step::PushImage { image }));
    let oci_charts: Vec<usize> = charts.iter().enumerate().filter(|(_, c)| c.oci.is_some()).map(|(i, _)| i).collect();
    steps.extend(oci_charts.iter().map(|&chart| Step::PushChart { chart }));
    if signing.signs() && !(images.is_empty() && oci_charts.is_empty()) {
        steps.push(Step::AttachProvenance);
    }
    steps.extend((0..images.len()).map(|image| Step::MoveTags { image }));
    steps.extend(oci_charts.iter().map(|&chart| Step::TagChart { chart }));
    steps.extend([Step::DraftRelease, Step::UploadAssets, Step::ReadBack, Step::PublishRelease]);
    // The catalog on the Pages branch shows the charts and the Terraform modules.
    if !charts.is_empty() || bundles.iter().any(|b| b.kind == BundleKind::Terraform) {
        steps.push(Step::MergeIndex);
    }
    if python_index.is_some() {
        steps.push(Step::UploadPython);
    }
    steps.push(Step::Verify);

    Ok(Plan {
        repository: settings.repository.clone(),
        out_dir: format!("target/release/{tag}"),
        release: ReleasePlan { name: tag.clone(), notes: config.notes.clone(), assets, download_base },
        version,
        tag,
        prerelease,
        make_latest: config.make_latest && !prerelease,
        not_latest: None,
        floating,
        commit: repo.head.clone(),
        changed: repo.changed.clone(),
        source_date_epoch: settings.source_date_epoch.unwrap_or(repo.commit_time),
        charts,
        bundles,
        images,
        packages,
        graph: *graph,
        index,
        python_index,
        signing,
        steps,
    })
}

/// The Python channel of a plan: each wheel package's wheel and sdist (PEP 625 names: the
/// project name normalised with `_`), when `[python-index]` is configured.
fn python_index_plan(settings: &Settings, packages: &[PackagePlan], version: &str) -> Option<PythonIndexPlan> {
    let index = settings.python_index.as_ref()?;
    let mut files = Vec::new();
    for p in packages.iter().filter(|p| p.wheel) {
        // One line per package, whatever the number of targets: its wheels, its sdist.
        let dist = lamina_release_format::names::dist_name(&p.name);
        for file in [format!("{dist}-{version}-*.whl"), format!("{dist}-{version}.tar.gz")] {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    (!files.is_empty()).then(|| PythonIndexPlan {
        upload_url: index.upload_url.clone(),
        simple_url: index.simple_url.clone(),
        trusted_publishing: index.trusted_publishing,
        files,
    })
}

impl Plan {
    /// Decides the floating tags and GitHub's "latest" from the versions already published
    /// (read by `release` and by `dry-run` with credentials). Pure.
    pub fn settle_floating(&mut self, published: &[semver::Version]) {
        let Ok(version) = semver::Version::parse(&self.version) else { return };
        let tags: Vec<String> = self.floating.iter().map(|f| f.tag.clone()).collect();
        self.floating = floating::decide(&version, &tags, Some(published));
        if self.make_latest && !floating::is_latest(&version, published) {
            self.make_latest = false;
            let high = published.iter().filter(|v| v.pre.is_empty()).max().map(ToString::to_string);
            self.not_latest = Some(format!("{} is published and higher", high.unwrap_or_default()));
        }
    }

    /// The tags a release points at this image: the version tag and the floating tags that move.
    pub fn pushed_tags(&self, image: &ImagePlan) -> Vec<String> {
        let kept = |tag: &String| self.floating.iter().any(|f| f.tag == *tag && f.action == TagAction::Keep);
        image.tags.iter().filter(|t| !kept(t)).cloned().collect()
    }
}

/// Where the assets of the release tagged `tag` are downloaded from once it is published
/// (`+` appears as `%2B` in GitHub's URLs).
pub fn download_base(server_url: &str, repository: &str, tag: &str) -> String {
    format!("{server_url}/{repository}/releases/download/{}", tag.replace('+', "%2B"))
}

/// The annotations of every image: `source` links the package to the repository on GHCR.
pub fn image_annotations(
    settings: &Settings,
    version: &str,
    commit: &str,
    time: i64,
) -> std::collections::BTreeMap<String, String> {
    [
        ("org.opencontainers.image.source", format!("{}/{}", settings.server_url, settings.repository)),
        ("org.opencontainers.image.version", version.to_owned()),
        ("org.opencontainers.image.revision", commit.to_owned()),
        ("org.opencontainers.image.created", rfc3339(time)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// `{version}` always; `{major}.{minor}`, `{major}` and `latest` for a release that is not a
/// pre-release when `make-latest` is on.
pub fn image_tags(version: &semver::Version, make_latest: bool) -> Vec<String> {
    let mut tags = vec![names::oci_tag(&version.to_string())];
    if version.pre.is_empty() && make_latest {
        tags.push(format!("{}.{}", version.major, version.minor));
        tags.push(version.major.to_string());
        tags.push("latest".to_owned());
    }
    tags
}
