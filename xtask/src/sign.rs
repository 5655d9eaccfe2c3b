//! Signing a release: the provenance statement over what was built (every asset by name, every
//! image and OCI chart by repository and digest), signed keylessly with Sigstore (a Fulcio
//! certificate for the job's OIDC identity, the signature logged in Rekor and timestamped), and
//! checked as lamina-infra will check it before anything is published. A bundle already made for
//! exactly these subjects is reused, so a rerun never signs twice.

use crate::build::Built;
use crate::plan::Plan;
use crate::settings::{Settings, Signing};
use crate::{env, oidc};
use anyhow::Context;
use lamina_release_format::provenance::{self, Run, Statement};
use lamina_release_format::signature;
use sigstore_sign::trust_root::{SigningConfig, SigstoreInstance};
use sigstore_sign::{SigningContext, SigningServices};
use std::path::Path;
use std::time::Duration;

/// The statement of this release: `built`'s assets (but the bundle itself), then each image's
/// index digest and each OCI chart's manifest digest.
pub fn statement(plan: &Plan, built: &Built, settings: &Settings, out: &Path) -> anyhow::Result<Statement> {
    let assets: Vec<(String, String)> = built
        .assets
        .iter()
        .filter(|a| a.name != provenance::ASSET)
        .map(|a| (a.name.clone(), a.sha256.clone()))
        .collect();
    let mut artifacts = Vec::new();
    for image in &plan.images {
        let digest = built.image_digest(&image.name);
        let digest = digest.with_context(|| format!("image `{}` was not built, so it cannot be signed", image.name))?;
        artifacts.push((image.repository.clone(), digest.to_owned()));
    }
    for chart in plan.charts.iter().filter(|c| c.oci.is_some()) {
        let (_, artifact) = crate::helm::archive::oci_artifact(&out.join(&chart.file))?;
        artifacts.push((chart_repository(chart), artifact.manifest_digest));
    }
    let run = Run {
        server: provenance::web_origin(&settings.api_url),
        repository: plan.repository.clone(),
        git_ref: format!("refs/tags/{}", plan.tag),
        workflow: provenance::WORKFLOW.to_owned(),
        commit: plan.commit.clone(),
    };
    Ok(provenance::statement(&run, &assets, &artifacts))
}

/// `{registry}/charts/{name}`: an OCI chart's repository, without its tag.
pub fn chart_repository(chart: &crate::plan::ChartPlan) -> String {
    let oci = chart.oci.as_deref().unwrap_or_default();
    oci.rsplit_once(':').map_or(oci, |(repository, _)| repository).to_owned()
}

/// Whether `bundle`, from an earlier run, signs a statement of `wanted`'s predicate type about
/// exactly `wanted`'s subjects: then it is kept, never signed again.
pub fn says_the_same(bundle: &[u8], wanted: &serde_json::Value) -> bool {
    signed_statement(bundle)
        .is_some_and(|s| s["subject"] == wanted["subject"] && s["predicateType"] == wanted["predicateType"])
}

/// The in-toto statement a bundle signs, as JSON, unverified.
pub fn signed_statement(bundle: &[u8]) -> Option<serde_json::Value> {
    use base64::Engine;
    let bundle: serde_json::Value = serde_json::from_slice(bundle).ok()?;
    let payload = bundle["dsseEnvelope"]["payload"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The Sigstore instance a release is signed with, and the root its signature is checked against.
pub struct Sigstore {
    context: SigningContext,
    root: sigstore_sign::trust_root::TrustedRoot,
    /// Where it came from, for messages.
    name: String,
}

impl Sigstore {
    /// `LAMINA_SIGSTORE_TRUST_CONFIG`'s instance, else Sigstore's public-good one (its signing
    /// config and trusted root as embedded in this build).
    pub fn of(signing: &Signing) -> anyhow::Result<Sigstore> {
        let http = reqwest_client(false)?;
        let Some(path) = &signing.trust_config else {
            let context = SigningContext::from_embedded(SigstoreInstance::PublicGood)
                .map_err(|e| anyhow::format_err!("Sigstore's public-good signing config: {e}"))?;
            let root = signature::public_good().map_err(|e| anyhow::format_err!("{e}"))?;
            return Ok(Sigstore { context: context.with_http_client(http), root, name: "Sigstore".to_owned() });
        };
        let fix = format!("fix {} (a Sigstore ClientTrustConfig JSON)", env::LAMINA_SIGSTORE_TRUST_CONFIG);
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("read the Sigstore trust config `{path}`"))
            .map_err(|e| lamina_remote::hint::hinted(e, &fix))?;
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let config = SigningConfig::from_json(&json["signingConfig"].to_string())
            .map_err(|e| lamina_remote::hint::fail(format!("`{path}` holds no Sigstore signing config: {e}"), &fix))?;
        let services = SigningServices::from_signing_config(&config)
            .map_err(|e| lamina_remote::hint::fail(format!("`{path}`: {e}"), &fix))?;
        let urls = [services.fulcio_url(), services.rekor_url()].into_iter().chain(services.tsa_url());
        for url in urls {
            if let Some(problem) = crate::config::web_url_problem(url) {
                return Err(lamina_remote::hint::fail(format!("`{path}` names {problem}"), &fix));
            }
        }
        let root =
            signature::trusted_root(&text).map_err(|e| lamina_remote::hint::fail(format!("`{path}`: {e}"), &fix))?;
        let context = SigningContext::new(services).with_http_client(http);
        Ok(Sigstore { context, root, name: path.clone() })
    }

    /// Signs `statement` as the job's identity: GitHub Actions' OIDC token for the audience
    /// `sigstore`, a Fulcio certificate for it, the DSSE signature logged in Rekor and
    /// timestamped. [`check`](Self::check) then verifies it as lamina-infra will.
    pub async fn sign(&self, statement: &Statement, identity: &str) -> anyhow::Result<Vec<u8>> {
        self.sign_raw(&serde_json::to_vec(statement)?, identity).await
    }

    /// [`sign`](Self::sign) for a statement's JSON bytes, of any predicate. The job's token must
    /// name the workflow of `identity`: another workflow's is refused before anything is logged.
    pub async fn sign_raw(&self, statement: &[u8], identity: &str) -> anyhow::Result<Vec<u8>> {
        let (Some(request_url), Some(request_token)) =
            (env::var(env::ACTIONS_ID_TOKEN_REQUEST_URL), env::var(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN))
        else {
            return Err(no_job_token());
        };
        let jwt = oidc::job_token(&reqwest_client(true)?, &request_url, &request_token, "sigstore").await?;
        if let Some(job) = job_workflow(&jwt)
            && !identity.ends_with(&format!("/{job}"))
        {
            return Err(lamina_remote::hint::fail(
                format!("this job runs `{job}`, but the release must be signed by {identity}"),
                format!("release from `{}` on the tag push, or pass --unsigned", provenance::WORKFLOW),
            ));
        }
        let token = sigstore_sign::oidc::IdentityToken::from_jwt(&jwt)
            .map_err(|e| anyhow::format_err!("GitHub Actions' OIDC token is not a JWT: {e}"))?;
        let bundle = self
            .context
            .signer(token)
            .sign_raw_statement(statement)
            .await
            .map_err(|e| anyhow::format_err!("sign the provenance with {}: {e}", self.name))?;
        let json = bundle.to_json_pretty().map_err(|e| anyhow::format_err!("write the bundle: {e}"))?;
        Ok(format!("{json}\n").into_bytes())
    }

    /// Verifies `bundle` over `sums` for `identity` (the plan's), as lamina-infra will: a run from
    /// another workflow or ref is refused here, before anything is published, not by users.
    pub fn check(&self, bundle: &[u8], sums: &[u8], identity: &str) -> anyhow::Result<()> {
        signature::verify(bundle, sums, identity, &self.root).map(drop).map_err(|e| {
            lamina_remote::hint::fail(
                format!("the signature just made does not verify: {e}"),
                format!(
                    "sign from `{}` on a tag push (the identity lamina-infra expects), or pass --unsigned",
                    provenance::WORKFLOW
                ),
            )
        })
    }
}

/// Why a release that must be signed cannot be, here.
pub fn no_job_token() -> anyhow::Error {
    lamina_remote::hint::fail(
        "the release must be signed (`[signing] required = true`), but this job cannot get an OIDC token from GitHub Actions",
        format!(
            "run it from `{}` with `permissions: id-token: write`, or pass --unsigned for a maintainer's release",
            provenance::WORKFLOW
        ),
    )
}

/// The workflow a GitHub Actions OIDC token was issued to (`job_workflow_ref`, e.g.
/// `OWNER/NAME/.github/workflows/release.yml@refs/tags/v1.0.0`), read without verifying it: only
/// to refuse early what Fulcio would certify as another identity.
fn job_workflow(jwt: &str) -> Option<String> {
    use base64::Engine;
    let claims = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["job_workflow_ref"].as_str().map(str::to_owned)
}

/// The HTTP client for the OIDC token (`redirects`: under the loopback rule) and for Fulcio,
/// Rekor and the timestamp authority (no redirect at all: a redirected request would carry the
/// token to another host): bounded in time.
fn reqwest_client(redirects: bool) -> anyhow::Result<reqwest::Client> {
    let policy = if redirects { lamina_remote::loopback::redirects() } else { reqwest::redirect::Policy::none() };
    Ok(lamina_remote::tls::client_builder()
        .user_agent(concat!("lamina-xtask/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(120))
        .redirect(policy)
        .build()?)
}
