//! The Helm repository on the Pages branch: fetch the tip, change `index.yaml` on top of it,
//! commit, push without force; a push rejected because another writer got there first is
//! answered by fetching and changing again, a bounded number of times with the one retry policy
//! (docs/operations.md, "The Helm repository on the Pages branch").
//!
//! Git runs in the checkout, so the push uses whatever credentials the checkout has (in GitHub
//! Actions, those `actions/checkout` configured). Refs and the index file used here are private
//! to the process and removed afterwards; the working tree is never touched.

pub mod compare;
pub mod site;
mod tip;
pub mod verify;

pub use tip::Tip;

use crate::helm::index::Index;
use crate::shell::{Shell, cmd};
use anyhow::{Context, bail, format_err};
use backon::BlockingRetryable;
use std::cell::Cell;

/// One Pages remote and branch.
pub struct Pages<'a> {
    pub sh: &'a Shell,
    /// Git URL, path, or remote name.
    pub remote: String,
    pub branch: String,
    /// Author and committer time of the commits made here (the release's commit time, so a
    /// rerun that has to commit makes the same commit).
    pub time: i64,
}

impl<'a> Pages<'a> {
    /// The index at `target`; commits made here are dated `time`.
    pub fn new(sh: &'a Shell, target: &crate::plan::PagesTarget, time: i64) -> Pages<'a> {
        Pages { sh, remote: target.remote().to_owned(), branch: target.branch.clone(), time }
    }
}

/// The result of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// The commit pushed; `None` when the index already had everything.
    pub commit: Option<String>,
    /// Pushes tried, including rejected ones.
    pub attempts: u32,
}

/// What a change wants written: the new index, the catalog's files, and the commit message.
/// A change that leaves the tree as it was pushes nothing.
pub struct Change {
    pub index: Index,
    pub files: Vec<site::File>,
    pub message: String,
}

impl Pages<'_> {
    /// The index at the tip of the branch (`None`: no branch, or no index on it).
    pub fn read(&self) -> anyhow::Result<Option<String>> {
        let scratch = Scratch::new(self.sh)?;
        let tip = self.fetch(&scratch)?;
        tip.map(|t| self.index_at(&t)).transpose().map(Option::flatten)
    }

    /// Applies `change` to the branch until a push lands. `change` gets the tip and returns
    /// `None` when nothing needs to change.
    pub fn update(&self, mut change: impl FnMut(&Tip) -> anyhow::Result<Option<Change>>) -> anyhow::Result<Updated> {
        let scratch = Scratch::new(self.sh)?;
        let tried = Cell::new(0u32);
        let attempt = || -> Result<Updated, Attempt> {
            tried.set(tried.get() + 1);
            let tip = self.fetch(&scratch)?;
            let index = match &tip {
                Some(t) => self.index_at(t)?,
                None => None,
            };
            let unchanged = Ok(Updated { commit: None, attempts: tried.get() - 1 });
            let Some(change) = change(&Tip::new(self.sh, tip.clone(), index))? else {
                return unchanged;
            };
            let Some(commit) = self.commit(&scratch, tip.as_deref(), &change)? else {
                return unchanged;
            };
            match self.push(&commit)? {
                Push::Landed => Ok(Updated { commit: Some(commit), attempts: tried.get() }),
                Push::Behind(reason) => Err(Attempt::Behind(reason)),
            }
        };
        let result = attempt
            .retry(lamina_remote::retry::push_backoff())
            .sleep(std::thread::sleep)
            .when(|e| matches!(e, Attempt::Behind(_)))
            .notify(|e, _| {
                if let Attempt::Behind(reason) = e {
                    eprintln!(
                        "the Pages branch moved ({reason}); fetching and merging again (attempt {})",
                        tried.get()
                    );
                }
            })
            .call();
        match result {
            Ok(updated) => Ok(updated),
            Err(Attempt::Failed(e)) => Err(e),
            Err(Attempt::Behind(_)) => Err(lamina_remote::hint::fail(
                format!(
                    "the Pages branch `{}` of `{}` kept moving: {} pushes were rejected",
                    self.branch,
                    redact(&self.remote),
                    tried.get()
                ),
                "another job is writing the index; run the command again",
            )),
        }
    }

    /// Fetches the branch into the scratch ref; `None` when the remote has no such branch.
    fn fetch(&self, scratch: &Scratch) -> anyhow::Result<Option<String>> {
        let (sh, remote, branch) = (self.sh, &self.remote, format!("refs/heads/{}", self.branch));
        let shown = redact(remote);
        let listed = cmd!(sh, "git ls-remote --exit-code {remote} {branch}").quiet().ignore_status().output()?;
        match listed.status.code() {
            Some(0) => {}
            Some(2) => return Ok(None),
            _ => {
                return Err(lamina_remote::hint::fail(
                    format!("cannot read the Pages remote `{shown}`: {}", last_line(&listed.stderr)),
                    format!(
                        "check {} (or the checkout's `origin`) and that this machine can reach it",
                        crate::env::LAMINA_PAGES_REMOTE
                    ),
                ));
            }
        }
        let refspec = format!("+{branch}:{}", scratch.tip_ref);
        let fetched = cmd!(sh, "git fetch --quiet --no-tags --no-write-fetch-head {remote} {refspec}")
            .quiet()
            .ignore_status()
            .output()?;
        if !fetched.status.success() {
            bail!("cannot fetch `{branch}` from `{shown}`: {}", last_line(&fetched.stderr));
        }
        let tip_ref = &scratch.tip_ref;
        Ok(Some(cmd!(sh, "git rev-parse {tip_ref}").quiet().read()?.trim().to_owned()))
    }

    fn index_at(&self, tip: &str) -> anyhow::Result<Option<String>> {
        let sh = self.sh;
        let object = format!("{tip}:index.yaml");
        let out = cmd!(sh, "git cat-file blob {object}").quiet().ignore_status().output()?;
        Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
    }

    /// A commit on `tip` (or a root commit) with `index.yaml`, `.nojekyll` and the catalog's
    /// files; `None` when the tree is the tip's.
    fn commit(&self, scratch: &Scratch, tip: Option<&str>, change: &Change) -> anyhow::Result<Option<String>> {
        let sh = self.sh;
        let _env = sh.push_env("GIT_INDEX_FILE", &scratch.index_file);
        match tip {
            Some(tip) => cmd!(sh, "git read-tree {tip}").quiet().run()?,
            None => cmd!(sh, "git read-tree --empty").quiet().run()?,
        }
        let fixed =
            [("index.yaml".to_owned(), change.index.to_string().into_bytes()), (".nojekyll".to_owned(), Vec::new())];
        let mut infos = String::new();
        for (name, content) in fixed.iter().chain(&change.files) {
            if !is_site_path(name) {
                bail!("the Pages branch cannot hold a file named `{}`", name.escape_debug());
            }
            let blob = cmd!(sh, "git hash-object -w --stdin").quiet().stdin(content).read()?;
            infos.push_str(&format!("100644 {}\t{name}\0", blob.trim()));
        }
        cmd!(sh, "git update-index -z --add --index-info").quiet().stdin(infos).run()?;
        let tree = cmd!(sh, "git write-tree").quiet().read()?;
        let tree = tree.trim();
        if let Some(tip) = tip {
            let tip_tree = format!("{tip}^{{tree}}");
            if cmd!(sh, "git rev-parse {tip_tree}").quiet().read()?.trim() == tree {
                return Ok(None);
            }
        }
        let message = &change.message;
        let parents: Vec<String> = tip.map(|t| vec!["-p".to_owned(), t.to_owned()]).unwrap_or_default();
        let date = format!("@{} +0000", self.time);
        let identity = identity(sh);
        let commit = cmd!(sh, "git commit-tree {tree} {parents...} -m {message}")
            .env("GIT_AUTHOR_NAME", &identity.0)
            .env("GIT_AUTHOR_EMAIL", &identity.1)
            .env("GIT_COMMITTER_NAME", &identity.0)
            .env("GIT_COMMITTER_EMAIL", &identity.1)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .quiet()
            .read()
            .context("commit the Pages index")?;
        Ok(Some(commit.trim().to_owned()))
    }

    /// Pushes without force. A rejection because the remote moved is `Behind`; a refusal by the
    /// server (protected branch, hook, permissions) is an error.
    fn push(&self, commit: &str) -> anyhow::Result<Push> {
        let (sh, remote) = (self.sh, &self.remote);
        let shown = redact(remote);
        let refspec = format!("{commit}:refs/heads/{}", self.branch);
        let out = cmd!(sh, "git push --porcelain {remote} {refspec}").quiet().ignore_status().output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.contains(&format!("refs/heads/{}", self.branch)));
        match line.map(|l| (l.chars().next(), l.rsplit('\t').next().unwrap_or_default())) {
            Some((Some(' ' | '*' | '+' | '='), _)) if out.status.success() => Ok(Push::Landed),
            Some((Some('!'), reason)) if moved(reason) => Ok(Push::Behind(reason.to_owned())),
            Some((Some('!'), reason)) => Err(lamina_remote::hint::fail(
                format!("the Pages remote `{shown}` refused the push to `{}`: {reason}", self.branch),
                "a protected branch or a hook rejects it; allow this job to push to the branch, then run again",
            )),
            _ => Err(format_err!("push to the Pages remote `{shown}` failed: {}", last_line(&out.stderr))),
        }
    }
}

/// A path the site may hold: `/`-separated names of printable characters, none empty, `.`,
/// `..` or `.git` (git would drop such a path, or it would leave the branch).
fn is_site_path(path: &str) -> bool {
    path.split('/').all(|part| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && !part.eq_ignore_ascii_case(".git")
            && part.chars().all(|c| !c.is_control())
    })
}

/// Rejections that mean another writer got there first: `[rejected]` (fetch first,
/// non-fast-forward, stale info), and a server losing the race for the ref's lock.
fn moved(reason: &str) -> bool {
    reason.starts_with("[rejected]")
        || ["failed to update ref", "cannot lock ref", "incorrect old value"].iter().any(|r| reason.contains(r))
}

enum Push {
    Landed,
    Behind(String),
}

/// A failed attempt at an update: the branch moved (fetch and try again), or anything else.
enum Attempt {
    Behind(String),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Attempt {
    fn from(e: anyhow::Error) -> Attempt {
        Attempt::Failed(e)
    }
}

/// A ref and an index file private to this process, removed on drop.
struct Scratch<'a> {
    sh: &'a Shell,
    tip_ref: String,
    index_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl<'a> Scratch<'a> {
    fn new(sh: &'a Shell) -> anyhow::Result<Scratch<'a>> {
        let dir = tempfile::tempdir()?;
        // The scratch folder's name is unique while it exists, and so is the ref named after it.
        let unique = dir.path().file_name().map(|n| n.to_string_lossy().trim_start_matches('.').to_owned());
        Ok(Scratch {
            sh,
            tip_ref: format!("refs/lamina/pages-{}", unique.unwrap_or_default()),
            index_file: dir.path().join("index"),
            _dir: dir,
        })
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let (sh, r) = (self.sh, &self.tip_ref);
        let _ = cmd!(sh, "git update-ref -d {r}").quiet().ignore_stderr().run();
    }
}

/// The committer of index commits: the checkout's configured identity, else a neutral one.
fn identity(sh: &Shell) -> (String, String) {
    let get = |key: &str| {
        cmd!(sh, "git config {key}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match (get("user.name"), get("user.email")) {
        (Some(name), Some(email)) => (name, email),
        _ => ("lamina-release".to_owned(), "lamina-release@users.noreply.github.com".to_owned()),
    }
}

/// git's own reason: its `fatal:` line when there is one, else its last line.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let fatal = text.lines().find_map(|l| l.strip_prefix("fatal: "));
    let last = text.lines().rev().find(|l| !l.trim().is_empty());
    redact(fatal.or(last).unwrap_or("no message").trim())
}

/// `text` with the credentials of every URL in it (`https://user:token@host`) replaced by
/// `***`, for messages that name a remote.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '`').unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(i) => {
                out.push_str("***");
                rest = &tail[i..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            super::redact("fatal: unable to access 'https://x:ghp_secret@github.com/a/b.git/': 403"),
            "fatal: unable to access 'https://***@github.com/a/b.git/': 403"
        );
        assert_eq!(
            super::redact("/srv/pages.git and https://github.com/a/b"),
            "/srv/pages.git and https://github.com/a/b"
        );
    }
}
