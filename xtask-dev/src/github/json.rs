//! The JSON the fake answers with: complete repository, release, asset and user objects as
//! GitHub's OpenAPI description requires them (`full-repository`, `release`, `release-asset`,
//! `simple-user`).

use super::state::{AssetRecord, ReleaseRecord, State, timestamp};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The account that owns every release and upload.
const ACTOR: &str = "lamina-bot";

impl State {
    /// `{api_url}/repos/{owner}/{repo}`.
    pub fn repo_api(&self) -> String {
        format!("{}{}/repos/{}/{}", self.api_url, self.prefixes.0, self.owner, self.repo)
    }

    /// `{api_url}/{owner}/{repo}`: the web pages and downloads.
    pub fn repo_web(&self) -> String {
        format!("{}/{}/{}", self.api_url, self.owner, self.repo)
    }

    pub fn user_json(&self, login: &str, id: u64, kind: &str) -> Value {
        let (api, user) = (&self.api_url, format!("{}/users/{login}", self.api_url));
        json!({
            "login": login,
            "id": id,
            "node_id": format!("U_fake{id}"),
            "avatar_url": format!("{api}/avatars/{login}"),
            "gravatar_id": "",
            "url": user,
            "html_url": format!("{api}/{login}"),
            "followers_url": format!("{user}/followers"),
            "following_url": format!("{user}/following{{/other_user}}"),
            "gists_url": format!("{user}/gists{{/gist_id}}"),
            "starred_url": format!("{user}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{user}/subscriptions"),
            "organizations_url": format!("{user}/orgs"),
            "repos_url": format!("{user}/repos"),
            "events_url": format!("{user}/events{{/privacy}}"),
            "received_events_url": format!("{user}/received_events"),
            "type": kind,
            "site_admin": false,
            "user_view_type": "public",
        })
    }

    pub fn repo_json(&self) -> Value {
        let (base, web) = (self.repo_api(), self.repo_web());
        let created = timestamp(1_704_067_200);
        let u = |suffix: &str| format!("{base}/{suffix}");
        json!({
            "id": 1_296_269,
            "node_id": "R_fakerepo",
            "name": self.repo,
            "full_name": format!("{}/{}", self.owner, self.repo),
            "owner": self.user_json(&self.owner, 1, "Organization"),
            "private": false,
            "html_url": web,
            "description": null,
            "fork": false,
            "url": base,
            "archive_url": u("{archive_format}{/ref}"),
            "assignees_url": u("assignees{/user}"),
            "blobs_url": u("git/blobs{/sha}"),
            "branches_url": u("branches{/branch}"),
            "collaborators_url": u("collaborators{/collaborator}"),
            "comments_url": u("comments{/number}"),
            "commits_url": u("commits{/sha}"),
            "compare_url": u("compare/{base}...{head}"),
            "contents_url": u("contents/{+path}"),
            "contributors_url": u("contributors"),
            "deployments_url": u("deployments"),
            "downloads_url": u("downloads"),
            "events_url": u("events"),
            "forks_url": u("forks"),
            "git_commits_url": u("git/commits{/sha}"),
            "git_refs_url": u("git/refs{/sha}"),
            "git_tags_url": u("git/tags{/sha}"),
            "git_url": format!("git://{}/{}/{}.git", self.api_url.trim_start_matches("http://"), self.owner, self.repo),
            "issue_comment_url": u("issues/comments{/number}"),
            "issue_events_url": u("issues/events{/number}"),
            "issues_url": u("issues{/number}"),
            "keys_url": u("keys{/key_id}"),
            "labels_url": u("labels{/name}"),
            "languages_url": u("languages"),
            "merges_url": u("merges"),
            "milestones_url": u("milestones{/number}"),
            "notifications_url": u("notifications{?since,all,participating}"),
            "pulls_url": u("pulls{/number}"),
            "releases_url": u("releases{/id}"),
            "ssh_url": format!("git@fake.invalid:{}/{}.git", self.owner, self.repo),
            "stargazers_url": u("stargazers"),
            "statuses_url": u("statuses/{sha}"),
            "subscribers_url": u("subscribers"),
            "subscription_url": u("subscription"),
            "tags_url": u("tags"),
            "teams_url": u("teams"),
            "trees_url": u("git/trees{/sha}"),
            "clone_url": format!("{web}.git"),
            "mirror_url": null,
            "hooks_url": u("hooks"),
            "svn_url": web,
            "homepage": null,
            "language": null,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "size": 0,
            "default_branch": "main",
            "open_issues": 0,
            "open_issues_count": 0,
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": false,
            "has_wiki": false,
            "has_pages": true,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "visibility": "public",
            "pushed_at": created,
            "created_at": created,
            "updated_at": created,
            "permissions": {
                "admin": false,
                "maintain": false,
                "push": self.options.can_push,
                "triage": true,
                "pull": true,
            },
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": null,
            "network_count": 0,
            "subscribers_count": 0,
        })
    }

    pub fn release_json(&self, release: &ReleaseRecord) -> Value {
        let (base, web, id) = (self.repo_api(), self.repo_web(), release.id);
        let tag = encode(&release.url_tag());
        let archive = |kind: &str| (!release.draft).then(|| format!("{base}/{kind}/{}", encode(&release.tag_name)));
        json!({
            "url": format!("{base}/releases/{id}"),
            "html_url": format!("{web}/releases/tag/{tag}"),
            "assets_url": format!("{base}/releases/{id}/assets"),
            "upload_url": format!("{}/repos/{}/{}/releases/{id}/assets{{?name,label}}", self.upload_url, self.owner, self.repo),
            "tarball_url": archive("tarball"),
            "zipball_url": archive("zipball"),
            "id": id,
            "node_id": format!("RE_fake{id}"),
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "immutable": release.immutable,
            "created_at": timestamp(release.created_at),
            "updated_at": timestamp(release.updated_at),
            "published_at": release.published_at.map(timestamp),
            "author": self.user_json(ACTOR, 41_898_282, "Bot"),
            "assets": release.assets.iter().map(|a| self.asset_json(release, a)).collect::<Vec<_>>(),
        })
    }

    pub fn asset_json(&self, release: &ReleaseRecord, asset: &AssetRecord) -> Value {
        let uploaded = asset.state == "uploaded";
        json!({
            "url": format!("{}/releases/assets/{}", self.repo_api(), asset.id),
            "browser_download_url": self.download_url(release, &asset.name),
            "id": asset.id,
            "node_id": format!("RA_fake{}", asset.id),
            "name": asset.name,
            "label": asset.label,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": asset.bytes.len(),
            "digest": uploaded.then(|| asset.digest.clone()),
            "download_count": 0,
            "created_at": timestamp(asset.created_at),
            "updated_at": timestamp(asset.updated_at),
            "uploader": self.user_json(ACTOR, 41_898_282, "Bot"),
        })
    }

    /// `{api_url}/{owner}/{repo}/releases/download/{tag or untagged-…}/{name}`.
    pub fn download_url(&self, release: &ReleaseRecord, name: &str) -> String {
        format!("{}/releases/download/{}/{}", self.repo_web(), encode(&release.url_tag()), encode(name))
    }
}

/// A GitHub error body: `{"message", "documentation_url", "status"}`.
pub fn error(status: u16, message: &str, documentation_url: &str) -> Value {
    json!({ "message": message, "documentation_url": documentation_url, "status": status.to_string() })
}

/// 422 `Validation Failed` with one `{resource, code, field}` error.
pub fn validation(resource: &str, code: &str, field: &str) -> Value {
    json!({
        "message": "Validation Failed",
        "errors": [{ "resource": resource, "code": code, "field": field }],
        "documentation_url": "https://docs.github.com/rest/releases/releases",
        "status": "422",
    })
}

/// Percent-encodes everything but unreserved characters and `/` (tags may contain slashes).
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Undoes percent-encoding; `None` when the result is not UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < bytes.len() {
        let hex = (bytes[i] == b'%').then(|| text.get(i + 1..i + 3)).flatten();
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
