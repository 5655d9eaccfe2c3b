//! Release assets: list, get (JSON, or a 302 to the bytes), edit, delete, upload on the upload
//! host (with the 422s GitHub answers), and the unauthenticated downloads on the API host.

use super::json::{self, decode};
use super::routes::{Answer, Incoming, authorize, not_found, paginate, scope, visible};
use super::state::{AssetRecord, State, now};
use axum::http::header;
use serde_json::Value;

const ASSET_DOCS: &str = "https://docs.github.com/rest/releases/assets";
const IMMUTABLE: &str = "Cannot modify assets of an immutable release";

pub fn list(state: &State, req: &Incoming, release: u64) -> Answer {
    let release = &state.releases[&release];
    let items = release.assets.iter().map(|a| state.asset_json(release, a)).collect();
    paginate(items, req, &format!("{}/releases/{}/assets", state.repo_api(), release.id))
}

/// `GET`, `PATCH` or `DELETE /releases/assets/{asset_id}`.
pub fn one(state: &mut State, req: &Incoming, asset_id: u64) -> Answer {
    let Some((release_id, index)) = state.find_asset(asset_id).filter(|(r, _)| visible(state, *r)) else {
        return not_found();
    };
    let release = &state.releases[&release_id];
    match req.method {
        "GET" if req.header(header::ACCEPT).is_some_and(|a| a.contains("application/octet-stream")) => {
            Answer::empty(302).header("location", format!("{}/_storage/assets/{asset_id}", state.storage_url))
        }
        "GET" => Answer::json(200, &state.asset_json(release, &release.assets[index])),
        "PATCH" | "DELETE" if release.locked() => Answer::error(422, IMMUTABLE).doc(ASSET_DOCS),
        "DELETE" => {
            state.releases.get_mut(&release_id).expect("found above").assets.remove(index);
            Answer::empty(204)
        }
        "PATCH" => {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(req.body) else {
                return Answer::error(400, "Problems parsing JSON").doc(ASSET_DOCS);
            };
            let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
            let name = text("name").filter(|n| !n.is_empty());
            let clash = name.as_ref().is_some_and(|n| release.assets.iter().any(|a| a.name == *n && a.id != asset_id));
            if clash {
                return Answer::json(422, &json::validation("ReleaseAsset", "already_exists", "name"));
            }
            let release = state.releases.get_mut(&release_id).expect("found above");
            let asset = &mut release.assets[index];
            if let Some(name) = name {
                asset.name = name;
            }
            if let Some(label) = map.get("label") {
                asset.label = label.as_str().map(str::to_owned);
            }
            if let Some(new_state) = text("state") {
                asset.state = new_state;
            }
            asset.updated_at = now();
            let release = &state.releases[&release_id];
            Answer::json(200, &state.asset_json(release, &release.assets[index]))
        }
        _ => not_found(),
    }
}

/// The release an upload targets and the asset name; `Err` is the answer GitHub would give.
fn upload_target(state: &State, req: &Incoming) -> Result<(u64, String), Answer> {
    let rest = scope(state, req.uri.path());
    let segments: Vec<&str> = rest.map(|r| r.split('/').skip(1).collect()).unwrap_or_default();
    let release_id = match (req.method, segments.as_slice()) {
        ("POST", ["releases", id, "assets"]) => id.parse::<u64>().ok(),
        _ => None,
    };
    let Some(release_id) = release_id.filter(|id| visible(state, *id)) else { return Err(not_found()) };
    let Some(name) = req.query().remove("name").filter(|n| !n.is_empty()) else {
        return Err(Answer::json(422, &json::validation("ReleaseAsset", "missing_field", "name")));
    };
    Ok((release_id, name))
}

/// `POST /repos/{o}/{r}/releases/{id}/assets?name=…&label=…` on the upload host; nothing else
/// lives there. `starter` stores an empty asset in state `starter` instead (and answers 502).
pub fn upload(state: &mut State, req: &Incoming, starter: bool) -> Answer {
    if req.uri.path().starts_with("/repos/")
        && let Err(answer) = authorize(state, req)
    {
        return answer;
    }
    if !state.options.can_push && scope(state, req.uri.path()).is_some() {
        return Answer::error(403, "Resource not accessible by personal access token").doc(ASSET_DOCS);
    }
    let (release_id, name) = match upload_target(state, req) {
        Ok(target) => target,
        Err(answer) => return answer,
    };
    let Some(content_type) = req.header(header::CONTENT_TYPE).filter(|c| !c.is_empty()).map(str::to_owned) else {
        return Answer::json(422, &json::validation("ReleaseAsset", "missing_field", "content_type"));
    };
    let release = &state.releases[&release_id];
    if release.locked() {
        return Answer::error(422, "Cannot upload assets to an immutable release").doc(ASSET_DOCS);
    }
    if release.assets.iter().any(|a| a.name == name) {
        return Answer::json(422, &json::validation("ReleaseAsset", "already_exists", "name"));
    }
    let (id, time) = (state.next_id(), now());
    let bytes = if starter { Vec::new() } else { req.body.to_vec() };
    let asset = AssetRecord {
        id,
        name,
        label: req.query().remove("label").filter(|l| !l.is_empty()),
        state: if starter { "starter" } else { "uploaded" }.to_owned(),
        content_type,
        digest: super::state::sha256(&bytes),
        bytes,
        created_at: time,
        updated_at: time,
    };
    let release = state.releases.get_mut(&release_id).expect("checked above");
    release.assets.push(asset);
    let release = &state.releases[&release_id];
    Answer::json(201, &state.asset_json(release, release.assets.last().expect("just pushed")))
}

/// `Starter502`: what a half-failed upload leaves behind, when the upload would have been valid.
pub fn upload_starter(state: &mut State, req: &Incoming) {
    upload(state, req, true);
}

/// The unauthenticated downloads: `/{o}/{r}/releases/download/{tag|untagged-…}/{name}` and the
/// storage URL the asset endpoint redirects to. `None` when `path` is neither.
pub fn download(state: &State, path: &str) -> Option<Answer> {
    let prefix = format!("/{}/{}/releases/download/", state.owner, state.repo);
    let rest = path.strip_prefix(&prefix)?;
    let (tag, name) = rest.rsplit_once('/')?;
    let (tag, name) = (decode(tag)?, decode(name)?);
    let release = state.releases.values().find(|r| if r.draft { r.untagged() == tag } else { r.tag_name == tag });
    let asset = release.and_then(|r| r.assets.iter().find(|a| a.name == name));
    // A private repository's browser URLs need a signed-in browser; an API token gets 404.
    Some(asset.filter(|_| state.options.public).map_or_else(not_found, serve))
}

/// The storage host an asset download is redirected to: the bytes for a signed URL, and, as
/// object stores do, a refusal of any request that also carries credentials.
pub fn storage(state: &State, req: &Incoming) -> Answer {
    if req.header(header::AUTHORIZATION).is_some() {
        return Answer::error(400, "Only one auth mechanism allowed; credentials were sent to the storage host");
    }
    let id = req.uri.path().strip_prefix("/_storage/assets/").and_then(|id| id.parse().ok());
    match id.and_then(|id| state.find_asset(id)) {
        Some((release, index)) => serve(&state.releases[&release].assets[index]),
        None => not_found(),
    }
}

fn serve(asset: &AssetRecord) -> Answer {
    if asset.state != "uploaded" {
        return not_found();
    }
    Answer::bytes(asset.bytes.clone())
        .header("content-disposition", format!("attachment; filename={}", json::encode(&asset.name)))
}
