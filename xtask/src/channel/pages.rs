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
        Ok(self.fetch(&scratch)?.and_then(|(_, index)| index))
    }

    /// Applies `change` to the branch until a push lands. `change` gets the tip and returns
    /// `None` when nothing needs to change.
    pub fn update(&self, mut change: impl FnMut(&Tip) -> anyhow::Result<Option<Change>>) -> anyhow::Result<Updated> {
        let scratch = Scratch::new(self.sh)?;
        let tried = Cell::new(0u32);
        let attempt = || -> Result<Updated, Attempt> {
            tried.set(tried.get() + 1);
            let (tip, index) = self.fetch(&scratch)?.unzip();
            let index = index.flatten();
            let unchanged = Ok(Updated { commit: None, attempts: tried.get() - 1 });
            let at = Tip::new(self.sh, tip.clone(), index);
            let Some(change) = change(&at)? else {
                return unchanged;
            };
            let Some(commit) = self.commit(&scratch, tip.as_deref(), at.index.as_deref(), &change)? else {
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

    /// Fetches the branch into the scratch ref: its tip and the `index.yaml` there, `None` when
    /// the remote has no such branch. One `git fetch` (its messages in English, to tell a
    /// missing branch) and one `git cat-file --batch` for both objects.
    fn fetch(&self, scratch: &Scratch) -> anyhow::Result<Option<(String, Option<String>)>> {
        let (sh, remote, branch) = (self.sh, &self.remote, format!("refs/heads/{}", self.branch));
        let shown = redact(remote);
        let refspec = format!("+{branch}:{}", scratch.tip_ref);
        let fetched =
            cmd!(sh, "git fetch --quiet --no-tags --no-write-fetch-head --no-auto-maintenance {remote} {refspec}")
                .env("LC_ALL", "C")
                .quiet()
                .ignore_status()
                .output()?;
        if !fetched.status.success() {
            if String::from_utf8_lossy(&fetched.stderr).contains("couldn't find remote ref") {
                return Ok(None);
            }
            return Err(lamina_remote::hint::fail(
                format!("cannot read the Pages remote `{shown}`: {}", last_line(&fetched.stderr)),
                format!(
                    "check {} (or the checkout's `origin`) and that this machine can reach it",
                    crate::env::LAMINA_PAGES_REMOTE
                ),
            ));
        }
        let tip_ref = &scratch.tip_ref;
        let names = format!("{tip_ref}\n{tip_ref}:index.yaml\n");
        let batch = cmd!(sh, "git cat-file --batch").quiet().stdin(names).output()?;
        let mut objects = batch_objects(&batch.stdout).into_iter();
        let tip = match objects.next() {
            Some(Some((oid, kind, _))) if kind == "commit" => oid,
            _ => bail!("git cat-file could not read `{tip_ref}` after fetching it"),
        };
        let index = match objects.next() {
            Some(Some((_, kind, body))) if kind == "blob" => Some(String::from_utf8_lossy(&body).into_owned()),
            _ => None,
        };
        Ok(Some((tip, index)))
    }

    /// A commit on `tip` (or a root commit) with `index.yaml`, `.nojekyll` and the catalog's
    /// files; `None` when the tip already holds each of them as it is (nothing is written then).
    /// `tip_index` is the tip's `index.yaml`: when the new one differs, the tree does too.
    fn commit(
        &self,
        scratch: &Scratch,
        tip: Option<&str>,
        tip_index: Option<&str>,
        change: &Change,
    ) -> anyhow::Result<Option<String>> {
        let sh = self.sh;
        let fixed =
            [("index.yaml".to_owned(), change.index.to_string().into_bytes()), (".nojekyll".to_owned(), Vec::new())];
        let files: Vec<&(String, Vec<u8>)> = fixed.iter().chain(&change.files).collect();
        if let Some((name, _)) = files.iter().find(|(name, _)| !is_site_path(name)) {
            bail!("the Pages branch cannot hold a file named `{}`", name.escape_debug());
        }
        if let Some(tip) = tip
            && tip_index.map(str::as_bytes) == Some(fixed[0].1.as_slice())
            && self.holds(tip, &files)?
        {
            return Ok(None);
        }
        // Every blob in one `git hash-object`, from files in the scratch folder.
        let mut paths = String::new();
        for (i, (_, content)) in files.iter().enumerate() {
            let path = scratch.dir.path().join(format!("blob-{i}"));
            std::fs::write(&path, content)?;
            paths.push_str(&format!("{}\n", path.display()));
        }
        let blobs = cmd!(sh, "git hash-object -w --no-filters --stdin-paths").quiet().stdin(paths).read()?;
        let blobs: Vec<&str> = blobs.lines().collect();
        if blobs.len() != files.len() {
            bail!("git hash-object wrote {} blobs for {} files", blobs.len(), files.len());
        }
        let infos: String =
            files.iter().zip(&blobs).map(|((name, _), blob)| format!("100644 {blob}\t{name}\0")).collect();
        let _env = sh.push_env("GIT_INDEX_FILE", &scratch.index_file);
        match tip {
            Some(tip) => cmd!(sh, "git read-tree {tip}").quiet().run()?,
            None => cmd!(sh, "git read-tree --empty").quiet().run()?,
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

    /// Whether the tree of `tip` holds every file of `files` as a regular file with that
    /// content: one `git ls-tree` of those paths, against their blob ids computed here.
    fn holds(&self, tip: &str, files: &[&(String, Vec<u8>)]) -> anyhow::Result<bool> {
        let sh = self.sh;
        let paths: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        let listed = cmd!(sh, "git ls-tree -r -z --full-tree {tip} -- {paths...}")
            .env("GIT_LITERAL_PATHSPECS", "1")
            .quiet()
            .output()?
            .stdout;
        let mut found = std::collections::BTreeMap::new();
        for record in listed.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            if let Some((meta, path)) = record.split_once('\t') {
                found.insert(path.to_owned(), meta.to_owned());
            }
        }
        Ok(files.iter().all(|(name, content)| {
            found.get(name).is_some_and(|meta| *meta == format!("100644 blob {}", blob_id(content, tip.len())))
        }))
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

/// The objects `git cat-file --batch` printed, in order: `(id, type, content)`, or `None` for
/// a name it answered `missing` (or anything else it could not find). The tip's read and the
/// catalog's manifests (`tip.rs`) both go through it.
fn batch_objects(mut out: &[u8]) -> Vec<Option<(String, String, Vec<u8>)>> {
    let mut objects = Vec::new();
    while let Some(end) = out.iter().position(|&b| b == b'\n') {
        let header = String::from_utf8_lossy(&out[..end]).into_owned();
        out = &out[end + 1..];
        match header.split(' ').collect::<Vec<_>>()[..] {
            [oid, kind, size] if size.parse::<usize>().is_ok_and(|s| out.len() > s) => {
                let size = size.parse::<usize>().unwrap_or_default();
                objects.push(Some((oid.to_owned(), kind.to_owned(), out[..size].to_vec())));
                out = &out[size + 1..];
            }
            _ => objects.push(None),
        }
    }
    objects
}

/// Git's id of a blob holding `content` (what `git hash-object` prints): SHA-1, or SHA-256 in
/// a repository whose ids are `hex_len` = 64 digits long.
fn blob_id(content: &[u8], hex_len: usize) -> String {
    let header = format!("blob {}\0", content.len());
    if hex_len == 64 {
        return lamina_remote::digest::sha256_hex(&[header.as_bytes(), content].concat());
    }
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    hasher.update(header.as_bytes());
    hasher.update(content);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
    dir: tempfile::TempDir,
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
            dir,
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
    fn cat_file_batches_are_split_by_their_headers() {
        let out = b"abc commit 3\nx\ny\nabc:index.yaml missing\ndef blob 0\n\n";
        let objects = super::batch_objects(out);
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[0], Some(("abc".into(), "commit".into(), b"x\ny".to_vec())));
        assert_eq!(objects[1], None);
        assert_eq!(objects[2], Some(("def".into(), "blob".into(), Vec::new())));
        // A body cut short is not an object.
        assert_eq!(super::batch_objects(b"abc blob 9\nxy\n"), vec![None, None]);
    }

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`, and the empty blob in both formats.
        assert_eq!(super::blob_id(b"hello\n", 40), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(super::blob_id(b"", 40), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(super::blob_id(b"", 64), "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813");
    }

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
