//! whoami, repo info (at a revision, `blobs`, `expand`), create, delete, validate-yaml.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{RepoPath, frontmatter, iso};
use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git;
use crate::sim::hooks;
use crate::sim::ops;
use crate::sim::payload::user_id;
use crate::sim::runtime::runtime_json;
use crate::sim::seed::GITATTRIBUTES;
use crate::sim::shared::Sim;
use crate::sim::state::{Commit, Repo};

type Ctx = State<Arc<Sim>>;

pub(crate) async fn whoami(State(sim): Ctx, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let name = caller.name().ok_or_else(|| ApiError::unauthorized(crate::sim::error::INVALID_CREDENTIALS))?;
    // `isPro` and `canPay` follow the account's plan (hub-api.md whoami; a PRO user can pay).
    let plan = sim.world().plan(name);
    Ok(Json(json!({
        "type": "user", "id": user_id(name), "name": name, "fullname": name, "email": format!("{name}@example.com"),
        "emailVerified": true, "isPro": plan == crate::sim::Plan::Pro, "canPay": plan.is_paid(), "periodEnd": null, "avatarUrl": "", "orgs": [],
        "auth": { "type": "access_token", "accessToken": { "displayName": "sim-token", "role": "write", "createdAt": "2024-01-01T00:00:00.000Z" } },
    })))
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect()
}

pub(crate) async fn info(sim: Ctx, caller: Extension<Caller>, p: Path<RepoPath>, q: RawQuery) -> Result<Response, ApiError> {
    info_impl(sim, caller, &p, "main", q).await
}

#[derive(Deserialize)]
pub(crate) struct RevPath {
    rev: String,
}

pub(crate) async fn info_at(sim: Ctx, caller: Extension<Caller>, p: Path<RepoPath>, Path(r): Path<RevPath>, q: RawQuery) -> Result<Response, ApiError> {
    info_impl(sim, caller, &p, &r.rev, q).await
}

async fn info_impl(State(sim): Ctx, Extension(caller): Extension<Caller>, p: &RepoPath, rev: &str, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let pairs = query_pairs(q.as_deref());
    let blobs = pairs.iter().any(|(k, v)| k == "blobs" && v == "true");
    let expand: Vec<&str> = pairs.iter().filter(|(k, _)| k == "expand" || k == "expand[]").map(|(_, v)| v.as_str()).collect();
    check_expand(ty, &expand, blobs || pairs.iter().any(|(k, _)| k == "securityStatus"))?;
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, rev).ok_or_else(|| ApiError::revision_not_found(rev))?;
    let mut v = info_json(&sim, repo, commit, blobs);
    if !expand.is_empty()
        && let Some(obj) = v.as_object_mut() {
            obj.retain(|k, _| k == "_id" || k == "id" || expand.contains(&k.as_str()));
        }
    Ok(Json(v).into_response())
}

const MODEL_EXPAND: &[&str] = &[
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled", "downloads", "downloadsAllTime", "evalResults",
    "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
    "pipeline_tag", "private", "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "widgetData",
    "usedStorage", "resourceGroup", "xetEnabled", "gitalyUid",
];
const SPACE_EXPAND: &[&str] = &[
    "author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes", "models", "private", "region", "runtime", "sdk",
    "siblings", "sha", "subdomain", "tags", "trendingScore", "usedStorage", "resourceGroup",
];

/// `expand` values must be known for the repo type, and cannot be mixed with `blobs` or
/// `securityStatus` (400, as on the Hub).
fn check_expand(ty: RepoType, expand: &[&str], other_flags: bool) -> Result<(), ApiError> {
    if expand.is_empty() {
        return Ok(());
    }
    if other_flags {
        return Err(ApiError::bad_request("`expand` cannot be used with `blobs` or `securityStatus`"));
    }
    let known = if ty == RepoType::Space { SPACE_EXPAND } else { MODEL_EXPAND };
    match expand.iter().find(|e| !known.contains(e)) {
        Some(_) => Err(ApiError::bad_request(format!("\"expand\" must be one of [{}]", known.join(", ")))),
        None => Ok(()),
    }
}

pub(crate) fn info_json(sim: &Sim, repo: &Repo, commit: &Commit, blobs: bool) -> Value {
    let card = commit.files.get("README.md").and_then(|e| frontmatter(&e.data).ok().flatten());
    let siblings: Vec<Value> = commit
        .files
        .iter()
        .map(|(p, e)| if blobs { json!({ "rfilename": p, "size": e.data.len(), "blobId": e.oid }) } else { json!({ "rfilename": p }) })
        .collect();
    // The Hub normalises card tags to strings (a YAML `- 360` is the tag "360").
    let mut tags: Vec<Value> = card.as_ref().and_then(|c| c.get("tags")).map(super::super::payload::tag_strings).unwrap_or_default();
    let mut v = json!({
        "_id": repo.object_id, "id": repo.id.to_string(), "author": repo.owner(), "sha": commit.oid,
        "lastModified": iso(commit.date), "createdAt": iso(repo.created_at), "private": repo.private,
        "gated": repo.gated.as_ref().map_or(json!(false), |g| json!(g)), "disabled": false, "likes": 0, "siblings": siblings,
    });
    if let Some(c) = &card {
        for key in ["pipeline_tag", "library_name"] {
            if let Some(x) = c.get(key) {
                v[key] = x.clone();
                if key == "library_name" {
                    tags.insert(0, Value::String(super::super::payload::scalar_text(x)));
                }
            }
        }
        v["cardData"] = c.clone();
    }
    v["tags"] = Value::Array(tags);
    match &repo.space {
        Some(space) => {
            let sub = format!("{}-{}", repo.id.namespace(), repo.id.name()).to_lowercase().replace(['_', '.'], "-");
            v["sdk"] = json!(space.sdk);
            v["subdomain"] = json!(sub);
            // Without the harness (or before the app answers) nothing serves the Space: the
            // host says so (`.invalid` never resolves, RFC 2606) instead of a real-looking
            // `*.hf.space` that cannot be reached.
            v["host"] = json!(space.host.clone().unwrap_or_else(|| format!("https://{sub}.not-served-by-the-sim.invalid")));
            v["runtime"] = runtime_json(space);
            v["models"] = json!([]);
            v["datasets"] = json!([]);
        }
        None => {
            v["downloads"] = json!(0);
            v["modelId"] = json!(repo.id.to_string());
            v["spaces"] = json!([]);
        }
    }
    let _ = sim;
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateBody {
    name: String,
    organization: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    private: Option<bool>,
    visibility: Option<String>,
    sdk: Option<String>,
    hardware: Option<String>,
    sleep_time_seconds: Option<i64>,
    #[serde(default)]
    secrets: Vec<KeyValue>,
    #[serde(default)]
    variables: Vec<KeyValue>,
}

/// `{"key", "value", "description"?}` of create/duplicate bodies (hub-api.md §7).
#[derive(Deserialize, Clone)]
pub(crate) struct KeyValue {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub description: Option<String>,
}

/// Settings a new Space gets from its create or duplicate body: hardware (else cpu-basic, the
/// README's `suggested_hardware` assigning nothing: hub-constraints.md §3), sleep time,
/// secrets (values kept for the app's environment) and variables.
pub(crate) fn apply_space_settings(space: &mut crate::sim::state::SpaceState, hardware: Option<String>, sleep: Option<i64>, secrets: &[KeyValue], variables: &[KeyValue]) {
    let now = iso(time::OffsetDateTime::now_utc());
    if let Some(hw) = hardware {
        space.hardware = hw;
    }
    if sleep.is_some() {
        space.sleep_time = sleep;
    }
    for s in secrets {
        space.secrets.insert(s.key.clone(), (s.description.clone(), now.clone()));
        space.secret_values.insert(s.key.clone(), s.value.clone());
    }
    for v in variables {
        space.variables.insert(v.key.clone(), (v.value.clone(), v.description.clone(), now.clone()));
    }
}

pub(crate) async fn create(State(sim): Ctx, Extension(caller): Extension<Caller>, Json(b): Json<CreateBody>) -> Result<Response, ApiError> {
    let user = caller.require()?.to_owned();
    let ns = b.organization.clone().unwrap_or_else(|| user.clone());
    if ns != user {
        return Err(ApiError::forbidden(format!("You don't have the rights to create a repo under the namespace \"{ns}\"")));
    }
    let ty: RepoType = b.kind.as_deref().unwrap_or("model").parse().map_err(|e: crate::domain::IdError| ApiError::bad_request(e.to_string()))?;
    let id = RepoId::from_parts(&ns, &b.name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let private = b.visibility.as_deref().map_or(b.private.unwrap_or(false), |v| v != "public");
    let mut files = BTreeMap::from([(".gitattributes".to_owned(), Bytes::from_static(GITATTRIBUTES.as_bytes()))]);
    if ty == RepoType::Space {
        let sdk = b.sdk.as_deref().unwrap_or("gradio");
        let readme = format!("---\ntitle: {}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: green\nsdk: {sdk}\npinned: false\n---\n", id.name());
        files.insert("README.md".to_owned(), Bytes::from(readme));
        if sdk == "static" {
            let html = format!("<!doctype html>\n<html>\n<head><link rel=\"stylesheet\" href=\"style.css\" /></head>\n<body><h1>{}</h1></body>\n</html>\n", id.name());
            files.insert("index.html".to_owned(), Bytes::from(html));
            files.insert("style.css".to_owned(), Bytes::from_static(b"body { padding: 2rem; font-family: sans-serif; }\n"));
        }
    }
    let _busy = crate::sim::busy::creating(&sim, &user)?;
    crate::sim::busy::hold(&sim).await;
    let mut w = sim.world();
    if ty == RepoType::Space && w.repo(ty, &id).is_none() {
        crate::sim::admin::check_new_space(&w, &ns, b.sdk.as_deref().unwrap_or("gradio"), b.hardware.as_deref())?;
    }
    ops::create_repo_with(&sim, &mut w, ty, &id, private, b.sdk.as_deref(), files, |s| apply_space_settings(s, b.hardware.clone(), b.sleep_time_seconds, &b.secrets, &b.variables))?;
    Ok(Json(json!({ "url": sim.web_url(ty, &id), "name": id.to_string(), "id": w.repo(ty, &id).map(|r| r.object_id.clone()) })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct DeleteBody {
    name: String,
    organization: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(crate) async fn delete(State(sim): Ctx, Extension(caller): Extension<Caller>, Json(b): Json<DeleteBody>) -> Result<Response, ApiError> {
    let user = caller.require()?.to_owned();
    let ns = b.organization.clone().unwrap_or(user);
    let ty: RepoType = b.kind.as_deref().unwrap_or("model").parse().map_err(|e: crate::domain::IdError| ApiError::bad_request(e.to_string()))?;
    let id = RepoId::from_parts(&ns, &b.name).map_err(|_| ApiError::repo_not_found())?;
    let mut w = sim.world();
    access::writable_mut(&mut w, &caller, ty, &id)?;
    hooks::fire_deleted(&sim, &w, ty, &id);
    w.repos.remove(&(ty.into(), id));
    Ok((StatusCode::OK, "OK").into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct YamlBody {
    content: String,
    repo_type: Option<String>,
}

const COLORS: &[&str] = &["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];

/// Space frontmatter rules the Hub enforces (a subset of hub-api.md §10).
fn space_errors(meta: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let s = |k: &str| meta.get(k).and_then(|v| v.as_str());
    if let Some(sdk) = s("sdk")
        && !["gradio", "docker", "static", "streamlit"].contains(&sdk) {
            errs.push("\"sdk\" must be one of [gradio, docker, static, streamlit]".to_owned());
        }
    for key in ["colorFrom", "colorTo"] {
        if let Some(c) = s(key)
            && !COLORS.contains(&c) {
                errs.push(format!("\"{key}\" must be one of [{}]", COLORS.join(", ")));
            }
    }
    if s("short_description").is_some_and(|d| d.chars().count() > 60) {
        errs.push("\"short_description\" length must be less than or equal to 60 characters long".to_owned());
    }
    errs
}

pub(crate) async fn validate_yaml(Json(b): Json<YamlBody>) -> Response {
    let errors = match frontmatter(b.content.as_bytes()) {
        Err(e) => vec![format!("Invalid YAML metadata: {e}")],
        Ok(None) => Vec::new(),
        Ok(Some(meta)) if b.repo_type.as_deref() == Some("space") => space_errors(&meta),
        Ok(Some(_)) => Vec::new(),
    };
    if errors.is_empty() {
        return Json(json!({ "warnings": [] })).into_response();
    }
    let body = json!({ "errors": errors.iter().map(|m| json!({ "message": m })).collect::<Vec<_>>() });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}
