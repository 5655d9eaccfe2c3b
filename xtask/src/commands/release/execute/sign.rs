//! The executor's `Sign` and `AttachProvenance` steps: the provenance bundle made (or kept from
//! an earlier run of the same release, when it signs exactly these subjects), checked as
//! lamina-infra checks it, written beside the build and added to the assets, with an SBOM of
//! each image platform and package binary and a PEP 740 attestation of each Python file; then
//! the provenance and the images' SBOMs attached to every image and OCI chart as referrers.

use super::{Done, Executor};
use crate::build::Asset;
use crate::channel::python_index::{self, attestation};
use crate::channel::registry::referrer::{Signed, Subject};
use crate::sbom;
use crate::sign::{self, Sigstore};
use anyhow::Context;
use lamina_release_format::provenance::{self, ASSET, PREDICATE_TYPE};
use lamina_release_format::{SUMS, names};
use lamina_remote::registry::OCI_MANIFEST;
use serde_json::Value;
use std::path::Path;

impl Executor<'_> {
    pub(super) async fn sign(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let statement = sign::statement(plan, self.built, self.settings, self.out)?;
        let sums = std::fs::read(self.out.join(SUMS)).with_context(|| format!("read `{SUMS}`"))?;
        let sigstore = Sigstore::of(&self.settings.signing)?;
        let wanted = serde_json::to_value(&statement)?;
        let kept = self.earlier(ASSET).await?.into_iter().find(|b| sign::says_the_same(b, &wanted));
        let (bundle, done) = match kept {
            Some(bundle) => (bundle, Done::Kept),
            None => (sigstore.sign(&statement, &plan.signing.identity).await?, Done::Created),
        };
        sigstore.check(&bundle, &sums, &plan.signing.identity)?;
        eprintln!("signed the provenance of {} as {}", plan.tag, plan.signing.identity);
        self.attach_asset(ASSET, &bundle, done)?;
        self.bundle = Some(bundle);
        self.sign_sboms(&sigstore).await?;
        if plan.python_index.is_some() {
            self.attest_python(&sigstore).await?;
        }
        Ok(())
    }

    /// Bundles of an earlier run named `name`: on the release (a rerun after publishing, or
    /// after a failure past the upload), then beside the build (a failure before it).
    async fn earlier(&self, name: &str) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut found = Vec::new();
        if let Some(asset) = self.release.as_ref().and_then(|r| r.assets.iter().find(|a| a.name == name)) {
            found.push(self.github.download_asset(&asset.url).await?);
        }
        found.extend(std::fs::read(self.out.join(name)).ok());
        Ok(found)
    }

    /// `bytes` written beside the build as the asset `name`, replacing any earlier one.
    fn attach_asset(&mut self, name: &str, bytes: &[u8], done: Done) -> anyhow::Result<()> {
        lamina_remote::fs::write_atomic(&self.out.join(name), bytes)?;
        self.assets.retain(|a| a.name != name);
        let sha256 = lamina_remote::digest::sha256_hex(bytes);
        self.assets.push(Asset { name: name.to_owned(), size: bytes.len() as u64, sha256 });
        self.note(format!("signed {name}"), done);
        Ok(())
    }

    /// The signed statement `name` of `predicate_type` about `subject` (`name`, SHA-256): kept
    /// from an earlier run that says it of the same subject, else made by `document` and signed.
    async fn signed_sbom(
        &mut self,
        sigstore: &Sigstore,
        name: &str,
        predicate_type: &str,
        subject: (&str, &str),
        document: impl FnOnce() -> anyhow::Result<Value>,
    ) -> anyhow::Result<Vec<u8>> {
        let wanted = sbom::statement(predicate_type, Value::Null, subject.0, subject.1);
        if let Some(bundle) = self.earlier(name).await?.into_iter().find(|b| sign::says_the_same(b, &wanted)) {
            self.attach_asset(name, &bundle, Done::Kept)?;
            return Ok(bundle);
        }
        let statement = sbom::statement(predicate_type, document()?, subject.0, subject.1);
        let bundle = sigstore.sign_raw(&serde_json::to_vec(&statement)?, &self.plan.signing.identity).await?;
        self.attach_asset(name, &bundle, Done::Created)?;
        Ok(bundle)
    }

    /// An SPDX SBOM of each image platform (syft, from its layout) about the image's digest, and
    /// a CycloneDX SBOM of each package binary about its archive.
    async fn sign_sboms(&mut self, sigstore: &Sigstore) -> anyhow::Result<()> {
        let plan = self.plan;
        for (i, image) in plan.images.iter().enumerate() {
            let digest = self.built.image_digest(&image.name).map(str::to_owned);
            let digest = digest.with_context(|| format!("image `{}` was not built", image.name))?;
            let layout = self.out.join("images").join(&image.name);
            for platform in &image.platforms {
                let name = provenance::image_sbom(&image.name, &plan.version, platform);
                let sh = self.sh;
                let document = || sbom::spdx(sh, &layout, platform);
                let subject = (image.repository.as_str(), digest.as_str());
                let bundle = self.signed_sbom(sigstore, &name, sbom::SPDX, subject, document).await?;
                self.sboms.push((i, bundle));
            }
        }
        for package in &plan.packages {
            let name = provenance::package_sbom(&package.file);
            let sha256 = self.assets.iter().find(|a| a.name == package.file).map(|a| a.sha256.clone());
            let sha256 = sha256.with_context(|| format!("the archive `{}` was not built", package.file))?;
            let sh = self.sh;
            let document = || sbom::cyclonedx(sh, Path::new(&package.path), &package.name, &package.target);
            let subject = (package.file.as_str(), sha256.as_str());
            self.signed_sbom(sigstore, &name, sbom::CYCLONEDX, subject, document).await?;
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
            let statement = serde_json::to_vec(&attestation::statement(&file))?;
            let bundle = sigstore.sign_raw(&statement, &self.plan.signing.identity).await?;
            let object = attestation::from_bundle(&bundle)?;
            lamina_remote::fs::write_atomic(&path, &serde_json::to_vec(&object)?)?;
            self.note(what, Done::Created);
        }
        Ok(())
    }

    pub(super) async fn attach_provenance(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let bundle = self.bundle.clone().context("the provenance is attached after the sign step")?;
        let provenance = Signed { bundle: &bundle, predicate_type: PREDICATE_TYPE };
        let created = crate::timestamp::rfc3339(plan.source_date_epoch);
        let tag = names::oci_tag(&plan.version);
        for (i, image) in plan.images.iter().enumerate() {
            let layout = self.layouts.get(&i).context("provenance is attached after the image's push step")?;
            let root = &layout.root;
            let subject = Subject { media_type: &root.media_type, digest: &root.digest, size: root.bytes.len() };
            let reference = self.registry.image_reference(&image.name, &tag);
            let sboms = self
                .sboms
                .iter()
                .filter(|(of, _)| *of == i)
                .map(|(_, b)| Signed { bundle: b, predicate_type: sbom::SPDX });
            let mut wrote = false;
            for signed in std::iter::once(provenance).chain(sboms) {
                wrote |= self.registry.attach_bundle(&reference, subject, signed, &created).await?;
            }
            self.note(format!("referrers of {}@{}", image.repository, root.digest), created_or_kept(wrote));
        }
        for (i, chart) in plan.charts.iter().enumerate() {
            let Some(artifact) = self.charts.get(&i) else { continue };
            let subject =
                Subject { media_type: OCI_MANIFEST, digest: &artifact.manifest_digest, size: artifact.manifest.len() };
            let reference = self.registry.chart_reference(&chart.name, &names::oci_tag(&chart.version));
            let wrote = self.registry.attach_bundle(&reference, subject, provenance, &created).await?;
            let what = format!("referrers of {}@{}", sign::chart_repository(chart), artifact.manifest_digest);
            self.note(what, created_or_kept(wrote));
        }
        Ok(())
    }
}

fn created_or_kept(wrote: bool) -> Done {
    if wrote { Done::Created } else { Done::Kept }
}
