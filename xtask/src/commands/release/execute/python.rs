//! The Python package step: each wheel and sdist the index lacks is uploaded, one with the same
//! SHA-256 is kept, another file under the same name stops the run (an index never replaces a
//! file). After an upload error the project page is read again: the file may have landed.

use super::Executor;
use crate::channel::python_index::rules::{Decision, decide};
use crate::channel::python_index::{self, Credentials};
use crate::commands::release::Done;
use anyhow::Context;
use lamina_remote::hint::WithHint;

impl Executor<'_> {
    pub(super) async fn upload_python(&mut self) -> anyhow::Result<()> {
        let index = self.python.context("the Python index is set up when the plan has its step")?;
        let files = python_index::files(self.plan, self.built);
        let mut credentials: Option<Credentials> = None;
        for project in python_index::projects(&files) {
            let ours: Vec<_> = files.iter().filter(|f| f.project == project).cloned().collect();
            let listed = index.listed(&project).await?;
            for (file, decision) in decide(&ours, &listed) {
                let what = format!("python file {}", file.name);
                match decision {
                    Decision::Keep => self.note(what, Done::Kept),
                    Decision::Refuse { why } => {
                        return Err(lamina_remote::hint::fail(
                            why,
                            "a published version is never replaced: release a new version (`cargo xtask bump`)",
                        ));
                    }
                    Decision::Create => {
                        if credentials.is_none() {
                            credentials = Some(index.credentials().await?);
                        }
                        let creds = credentials.as_ref().context("credentials were just read")?;
                        eprintln!("uploading {} to {}", file.name, index.index.upload_url);
                        let attest = self.plan.signing.signs();
                        if let Err(e) = index.upload(creds, self.out, &file, attest).await {
                            let again = index.listed(&project).await?;
                            let landed = decide(std::slice::from_ref(&file), &again);
                            if !matches!(landed.first(), Some((_, Decision::Keep))) {
                                return Err(e)
                                    .with_context(|| {
                                        format!(
                                            "the release `{}` is published, but its Python packages are not all on the index",
                                            self.plan.tag
                                        )
                                    })
                                    .hint("fix the cause above, then run `cargo xtask release` again: it uploads only what is missing");
                            }
                            eprintln!("{} landed despite: {}", file.name, lamina_remote::hint::render(&e));
                        }
                        self.note(what, Done::Uploaded);
                    }
                }
            }
        }
        Ok(())
    }
}
