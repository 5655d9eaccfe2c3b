//! Routing and the release endpoints of the API host: auth, the repository object, list (with
//! `Link` pagination), get by id, tag or latest, create, edit (publish), delete.

use super::assets;
use super::json::{self, decode};
use super::state::{ReleaseRecord, State, now};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const DOCS: &str = "https://docs.github.com/rest";
const RELEASE_DOCS: &str = "https://docs.github.com/rest/releases/releases";

/// A request, body already read.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

impl Incoming<'_> {
    pub fn query(&self) -> HashMap<String, String> {
        axum::extract::Query::<HashMap<String, String>>::try_from_uri(self.uri).map(|q| q.0).unwrap_or_default()
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer before the common headers are added.
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
    body: Option<(Vec<u8>, &'static str)>,
}

impl Answer {
    pub fn json(status: u16, value: &Value) -> Answer {
        let body = serde_json::to_vec(value).unwrap_or_default();
        Answer { status, headers: Vec::new(), body: Some((body, "application/json; charset=utf-8")) }
    }

    /// A GitHub error body with the generic documentation link.
    pub fn error(status: u16, message: &str) -> Answer {
        Answer::json(status, &json::error(status, message, DOCS))
    }

    pub fn empty(status: u16) -> Answer {
        Answer { status, headers: Vec::new(), body: None }
    }

    pub fn bytes(bytes: Vec<u8>) -> Answer {
        Answer { status: 200, headers: Vec::new(), body: Some((bytes, "application/octet-stream")) }
    }

    /// Replaces the error body's `documentation_url`.
    pub fn doc(self, url: &str) -> Answer {
        let message = self
            .body
            .as_ref()
            .and_then(|(b, _)| serde_json::from_slice::<Value>(b).ok())
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Answer { body: Answer::json(self.status, &json::error(self.status, &message, url)).body, ..self }
    }

    pub fn header(mut self, name: &str, value: String) -> Answer {
        self.headers.push((name.to_owned(), value));
        self
    }

    pub fn into_response(self) -> Response {
        let mut builder = Response::builder().status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match self.body {
            Some((bytes, content_type)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        builder.body(body).unwrap_or_else(|_| Response::new(Body::empty()))
    }
}

pub fn not_found() -> Answer {
    Answer::error(404, "Not Found")
}

/// The usual message for a status.
pub fn reason(status: u16) -> &'static str {
    match status {
        400 => "Problems parsing JSON",
        401 => "Bad credentials",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Validation Failed",
        500 => "Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Answers one request; `upload` says which host received it.
pub fn dispatch(state: &mut State, upload: bool, req: &Incoming) -> Answer {
    let path = req.uri.path();
    if upload && req.method == "GET" && path.starts_with("/_storage/") {
        return assets::storage(state, req);
    }
    if upload {
        return assets::upload(state, req, false);
    }
    if req.method == "GET"
        && let Some(answer) = assets::download(state, path)
    {
        return answer;
    }
    if !path.starts_with("/repos/") {
        return not_found();
    }
    if let Err(answer) = authorize(state, req) {
        return answer;
    }
    let Some(rest) = scope(state, path) else { return not_found() };
    if !state.options.can_push && req.method != "GET" {
        return Answer::error(403, "Resource not accessible by personal access token")
            .doc("https://docs.github.com/rest/releases/releases");
    }
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    let id = |s: &str| s.parse::<u64>().ok();
    match (req.method, segments.as_slice()) {
        ("GET", []) => Answer::json(200, &state.repo_json()),
        ("GET", ["releases"]) => list(state, req),
        ("POST", ["releases"]) => create(state, req),
        ("GET", ["releases", "latest"]) => match state.latest() {
            Some(release) => Answer::json(200, &state.release_json(release)),
            None => not_found(),
        },
        ("GET", ["releases", "tags", tag @ ..]) if !tag.is_empty() => {
            let tag = decode(&tag.join("/")).unwrap_or_default();
            match state.releases.values().find(|r| !r.draft && r.tag_name == tag) {
                Some(release) => Answer::json(200, &state.release_json(release)),
                None => not_found(),
            }
        }
        ("POST", ["releases", "generate-notes"]) => generate_notes(state, req),
        (_, ["releases", "assets", asset]) => match id(asset) {
            Some(asset) => assets::one(state, req, asset),
            None => not_found(),
        },
        (method, ["releases", release]) => match id(release).filter(|id| visible(state, *id)) {
            Some(id) if method == "GET" => Answer::json(200, &state.release_json(&state.releases[&id])),
            Some(id) if method == "PATCH" => edit(state, req, id),
            Some(id) if method == "DELETE" => delete(state, id),
            _ => not_found(),
        },
        ("GET", ["releases", release, "assets"]) => match id(release).filter(|id| visible(state, *id)) {
            Some(id) => assets::list(state, req, id),
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// `Authorization: Bearer <token>` or `token <token>`.
pub fn authorize(state: &State, req: &Incoming) -> Result<(), Answer> {
    let given = req
        .header(header::AUTHORIZATION)
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"));
    match given {
        Some((_, token)) if token.trim() == state.options.token => Ok(()),
        None if state.options.public && req.header(header::AUTHORIZATION).is_none() && req.method == "GET" => Ok(()),
        // GitHub does not say a private repository exists to someone who has not signed in.
        None if req.header(header::AUTHORIZATION).is_none() => Err(not_found()),
        _ => Err(Answer::error(401, "Bad credentials")),
    }
}

/// The rest of `/repos/{owner}/{repo}…` when it names our repository.
pub fn scope<'a>(state: &State, path: &'a str) -> Option<&'a str> {
    let rest = path.strip_prefix("/repos/")?;
    let (owner, rest) = rest.split_once('/')?;
    let (repo, rest) = rest.find('/').map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
    (owner.eq_ignore_ascii_case(&state.owner) && repo.eq_ignore_ascii_case(&state.repo)).then_some(rest)
}

pub fn visible(state: &State, id: u64) -> bool {
    state.releases.get(&id).is_some_and(|r| state.options.can_push || !r.draft)
}

/// One page of `items` with GitHub's `Link` header (`per_page` ≤ 100, default 30).
pub fn paginate(items: Vec<Value>, req: &Incoming, base: &str) -> Answer {
    let query = req.query();
    let per_page = query.get("per_page").and_then(|p| p.parse::<usize>().ok()).filter(|p| *p > 0).unwrap_or(30);
    let per_page = per_page.min(100);
    let page = query.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let link = |page: usize, rel: &str| format!("<{base}?per_page={per_page}&page={page}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page > 1 {
        links.push(link((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    let answer = Answer::json(200, &Value::Array(chunk));
    if links.is_empty() { answer } else { answer.header("link", links.join(", ")) }
}

fn list(state: &State, req: &Incoming) -> Answer {
    let items = state.visible().into_iter().map(|r| state.release_json(r)).collect();
    paginate(items, req, &format!("{}/releases", state.repo_api()))
}

/// The release fields of a create or edit body; `Err` is the 400/422 to answer.
#[derive(Default)]
struct Fields {
    tag_name: Option<String>,
    target_commitish: Option<String>,
    name: Option<Option<String>>,
    body: Option<Option<String>>,
    draft: Option<bool>,
    prerelease: Option<bool>,
    make_latest: Option<String>,
}

fn fields(req: &Incoming) -> Result<Fields, Answer> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(req.body) else {
        return Err(Answer::error(400, "Problems parsing JSON").doc(RELEASE_DOCS));
    };
    let invalid = |key: &str, kind: &str, value: &Value| {
        let message = format!("Invalid request.\n\nFor 'properties/{key}', {value} is not {kind}.");
        Answer::error(422, &message).doc(RELEASE_DOCS)
    };
    let string = |map: &Map<String, Value>, key: &str| match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(key, "a string", other)),
    };
    let nullable = |map: &Map<String, Value>, key: &str| match map.get(key) {
        Some(Value::Null) => Ok(Some(None)),
        _ => string(map, key).map(|s| s.map(Some)),
    };
    let boolean = |map: &Map<String, Value>, key: &str| match map.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(key, "a boolean", other)),
    };
    let make_latest = string(&map, "make_latest")?;
    if let Some(value) = make_latest.as_deref().filter(|v| !["true", "false", "legacy"].contains(v)) {
        return Err(invalid("make_latest", "one of \"true\", \"false\", \"legacy\"", &json!(value)));
    }
    Ok(Fields {
        tag_name: string(&map, "tag_name")?,
        target_commitish: string(&map, "target_commitish")?,
        name: nullable(&map, "name")?,
        body: nullable(&map, "body")?,
        draft: boolean(&map, "draft")?,
        prerelease: boolean(&map, "prerelease")?,
        make_latest,
    })
}

fn tag_taken(state: &State, tag: &str, except: Option<u64>) -> bool {
    state.burned_tags.iter().any(|t| t == tag)
        || state.releases.values().any(|r| r.tag_name == tag && Some(r.id) != except)
}

/// Applies `make_latest` (GitHub's default is `"true"`) to a published release.
fn mark_latest(state: &mut State, id: u64, make_latest: Option<&str>) {
    let Some(release) = state.releases.get(&id).filter(|r| !r.draft && !r.prerelease) else { return };
    match make_latest.unwrap_or("true") {
        "true" => state.latest = Some(release.id),
        "legacy" => state.latest = None,
        _ if state.latest == Some(id) => state.latest = None,
        _ => {}
    }
}

fn create(state: &mut State, req: &Incoming) -> Answer {
    let fields = match fields(req) {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let Some(tag_name) = fields.tag_name.filter(|t| !t.is_empty()) else {
        return Answer::json(422, &json::validation("Release", "missing_field", "tag_name"));
    };
    if tag_taken(state, &tag_name, None) {
        return Answer::json(422, &json::validation("Release", "already_exists", "tag_name"));
    }
    let (id, time, draft) = (state.next_id(), now(), fields.draft.unwrap_or(false));
    let release = ReleaseRecord {
        id,
        tag_name,
        target_commitish: fields.target_commitish.unwrap_or_else(|| "main".to_owned()),
        name: fields.name.flatten(),
        body: fields.body.flatten(),
        draft,
        prerelease: fields.prerelease.unwrap_or(false),
        make_latest: fields.make_latest.clone(),
        immutable: state.options.immutable && !draft,
        created_at: time,
        updated_at: time,
        published_at: (!draft).then_some(time),
        assets: Vec::new(),
    };
    state.releases.insert(id, release);
    mark_latest(state, id, fields.make_latest.as_deref());
    let body = state.release_json(&state.releases[&id]);
    Answer::json(201, &body).header("location", format!("{}/releases/{id}", state.repo_api()))
}

fn edit(state: &mut State, req: &Incoming, id: u64) -> Answer {
    let fields = match fields(req) {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let release = &state.releases[&id];
    let retag = fields.tag_name.as_ref().filter(|t| **t != release.tag_name);
    if release.locked() && (retag.is_some() || fields.draft == Some(true)) {
        return Answer::error(422, "Cannot modify the tag or draft state of an immutable release").doc(RELEASE_DOCS);
    }
    if let Some(tag) = retag
        && (tag.is_empty() || tag_taken(state, tag, Some(id)))
    {
        return Answer::json(422, &json::validation("Release", "already_exists", "tag_name"));
    }
    let immutable = state.options.immutable;
    let release = state.releases.get_mut(&id).expect("checked above");
    let time = now();
    if let Some(tag) = fields.tag_name {
        release.tag_name = tag;
    }
    if let Some(target) = fields.target_commitish {
        release.target_commitish = target;
    }
    if let Some(name) = fields.name {
        release.name = name;
    }
    if let Some(body) = fields.body {
        release.body = body;
    }
    if let Some(prerelease) = fields.prerelease {
        release.prerelease = prerelease;
    }
    match fields.draft {
        Some(false) if release.draft => {
            release.draft = false;
            release.published_at = Some(time);
            release.immutable = immutable;
        }
        Some(true) if !release.draft => {
            release.draft = true;
            release.published_at = None;
        }
        _ => {}
    }
    if fields.make_latest.is_some() {
        release.make_latest = fields.make_latest.clone();
    }
    release.updated_at = time;
    mark_latest(state, id, fields.make_latest.as_deref());
    Answer::json(200, &state.release_json(&state.releases[&id]))
}

fn delete(state: &mut State, id: u64) -> Answer {
    if let Some(release) = state.releases.remove(&id)
        && release.immutable
    {
        state.burned_tags.push(release.tag_name);
    }
    if state.latest == Some(id) {
        state.latest = None;
    }
    Answer::empty(204)
}

fn generate_notes(state: &State, req: &Incoming) -> Answer {
    match fields(req).map(|f| f.tag_name) {
        Ok(Some(tag)) if !tag.is_empty() => {
            let body = format!("**Full Changelog**: {}/commits/{}", state.repo_web(), json::encode(&tag));
            Answer::json(200, &json!({ "name": tag, "body": body }))
        }
        Ok(_) => Answer::json(422, &json::validation("Release", "missing_field", "tag_name")),
        Err(answer) => answer,
    }
}
