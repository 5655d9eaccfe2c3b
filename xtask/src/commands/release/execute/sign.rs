//! The executor's `Sign` and `AttachProvenance` steps: the provenance bundle made (or kept from
//! an earlier run of the same release, when it signs exactly these subjects), checked as
//! lamina-infra checks it, written beside the build and added to the assets, with a PEP 740
//! attestation of each Python file; then attached to every image and OCI chart as a referrer.

use super::{Done, Executor};
use crate::build::Asset;
use crate::channel::python_index::{self, attestation};
use crate::channel::registry::referrer::Subject;
use crate::sign::{self, Sigstore};
use anyhow::Context;
use lamina_release_format::provenance::ASSET;
use lamina_release_format::{SUMS, names};
use lamina_remote::registry::OCI_MANIFEST;

impl Executor<'_> {
    pub(super) async fn sign(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let statement = sign::statement(plan, self.built, self.settings, self.out)?;
        let sums = std::fs::read(self.out.join(SUMS)).with_context(|| format!("read `{SUMS}`"))?;
        let sigstore = Sigstore::of(&self.settings.signing)?;
        // A bundle from an earlier run: on the release (a rerun after publishing, or after a
        // failure past the upload), else beside the build (a failure before it).
        let published = match self.release.as_ref().and_then(|r| r.assets.iter().find(|a| a.name == ASSET)) {
            Some(asset) => Some(self.github.download_asset(&asset.url).await?),
            None => None,
        };
        let local = std::fs::read(self.out.join(ASSET)).ok();
        let kept = [published, local].into_iter().flatten().find(|b| sign::signs_the_same(b, &statement));
        let (bundle, done) = match kept {
            Some(bundle) => (bundle, Done::Kept),
            None => (sigstore.sign(&statement).await?, Done::Created),
        };
        sigstore.check(&bundle, &sums, &plan.signing.identity)?;
        lamina_remote::fs::write_atomic(&self.out.join(ASSET), &bundle)?;
        eprintln!("signed the provenance of {} as {}", plan.tag, plan.signing.identity);
        self.assets.retain(|a| a.name != ASSET);
        self.assets.push(Asset {
            name: ASSET.to_owned(),
            size: bundle.len() as u64,
            sha256: lamina_remote::digest::sha256_hex(&bundle),
        });
        self.bundle = Some(bundle);
        self.note(format!("provenance {ASSET}"), done);
        if plan.python_index.is_some() {
            self.attest_python(&sigstore).await?;
        }
        Ok(())
    }

    /// PEP 740: each wheel and sdist's publish attestation, signed as the release is (or kept
    /// from an earlier run), written beside it for its upload.
    async fn attest_python(&mut self, sigstore: &Sigstore) -> anyhow::Result<()> {
        for file in python_index::files(self.plan, self.built) {
            let path = self.out.join(attestation::file_name(&file.name));
            let what = format!("attestation {}", attestation::file_name(&file.name));
            if std::fs::read(&path).is_ok_and(|a| attestation::attests(&a, &file)) {
                self.note(what, Done::Kept);
                continue;
            }
            let bundle = sigstore.sign_raw(&serde_json::to_vec(&attestation::statement(&file))?).await?;
            let object = attestation::from_bundle(&bundle)?;
            lamina_remote::fs::write_atomic(&path, &serde_json::to_vec(&object)?)?;
            self.note(what, Done::Created);
        }
        Ok(())
    }

    pub(super) async fn attach_provenance(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let bundle = self.bundle.clone().context("the provenance is attached after the sign step")?;
        let created = crate::timestamp::rfc3339(plan.source_date_epoch);
        let tag = names::oci_tag(&plan.version);
        for (i, image) in plan.images.iter().enumerate() {
            let layout = self.layouts.get(&i).context("provenance is attached after the image's push step")?;
            let root = &layout.root;
            let subject = Subject { media_type: &root.media_type, digest: &root.digest, size: root.bytes.len() };
            let reference = self.registry.image_reference(&image.name, &tag);
            let wrote = self.registry.attach_bundle(&reference, subject, &bundle, &created).await?;
            self.note(format!("provenance referrer of {}@{}", image.repository, root.digest), created_or_kept(wrote));
        }
        for (i, chart) in plan.charts.iter().enumerate() {
            let Some(artifact) = self.charts.get(&i) else { continue };
            let subject =
                Subject { media_type: OCI_MANIFEST, digest: &artifact.manifest_digest, size: artifact.manifest.len() };
            let reference = self.registry.chart_reference(&chart.name, &names::oci_tag(&chart.version));
            let wrote = self.registry.attach_bundle(&reference, subject, &bundle, &created).await?;
            let what = format!("provenance referrer of {}@{}", sign::chart_repository(chart), artifact.manifest_digest);
            self.note(what, created_or_kept(wrote));
        }
        Ok(())
    }
}

fn created_or_kept(wrote: bool) -> Done {
    if wrote { Done::Created } else { Done::Kept }
}
