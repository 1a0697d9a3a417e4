//! `GET /api/models`, `/api/datasets`, `/api/spaces`: repo listings as the Hub serves them
//! (hub-docs `docs/hub/api.md`, "Repo listing API"; huggingface_hub `HfApi.list_models` /
//! `list_spaces` and `utils/_pagination.py`):
//! - `search`: a substring of the repo id (owner included), case-insensitive; repeatable
//!   (every value must match);
//! - `author`: the owner (user or organisation);
//! - `limit`: at most this many entries per page (huggingface_hub stops after `limit` entries
//!   itself, so it never asks for the next page then);
//! - paginated with `Link: <absolute next URL>; rel="next"` carrying every query parameter,
//!   GitHub style; the cursor is opaque to clients (here the offset). Pages hold at most
//!   `--tree-page-size` entries (the Hub: 1000; UNCONFIRMED for listings).
//! - `full=true`: each entry is the repo's info (siblings, cardData, sha, ...); otherwise the
//!   short entry: `_id`, `id`, `author`, `private`, `likes`, `tags`, `createdAt`, plus `sdk`
//!   (Spaces) or `modelId`, `downloads`, `pipeline_tag`, `library_name` (models).
//!
//! Private repos are listed to their owner only. Entries come in repo id order (`sort` and
//! `filter` are not simulated).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::RepoType;
use crate::sim::access::Caller;
use crate::sim::error::ApiError;
use crate::sim::git;
use crate::sim::shared::Sim;
use crate::sim::state::Repo;

type Ctx = State<Arc<Sim>>;

pub(crate) async fn models(sim: Ctx, caller: Extension<Caller>, q: RawQuery) -> Result<Response, ApiError> {
    list(sim, caller, RepoType::Model, q)
}

pub(crate) async fn datasets(sim: Ctx, caller: Extension<Caller>, q: RawQuery) -> Result<Response, ApiError> {
    list(sim, caller, RepoType::Dataset, q)
}

pub(crate) async fn spaces(sim: Ctx, caller: Extension<Caller>, q: RawQuery) -> Result<Response, ApiError> {
    list(sim, caller, RepoType::Space, q)
}

/// What a listing asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub search: Vec<String>,
    pub author: Option<String>,
    pub limit: Option<usize>,
    pub full: bool,
    pub cursor: usize,
}

impl Query {
    /// Pure: parses the query pairs (400 for a `limit` or `cursor` that is not a number).
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut q = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "search" if !v.is_empty() => q.search.push(v.to_lowercase()),
                "author" if !v.is_empty() => q.author = Some(v.clone()),
                "limit" => q.limit = Some(v.parse().map_err(|_| ApiError::bad_request(format!("\"limit\" must be a number, got {v:?}")))?),
                "full" => q.full = v == "true" || v == "1" || v == "True",
                "cursor" => q.cursor = v.parse().map_err(|_| ApiError::bad_request("invalid cursor"))?,
                _ => {}
            }
        }
        Ok(q)
    }

    /// Whether the repo `id` (`owner/name`) of `owner` matches.
    pub fn matches(&self, id: &str, owner: &str) -> bool {
        let lower = id.to_lowercase();
        self.author.as_deref().is_none_or(|a| a == owner) && self.search.iter().all(|s| lower.contains(s.as_str()))
    }
}

fn list(State(sim): Ctx, Extension(caller): Extension<Caller>, ty: RepoType, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
    let q = Query::parse(&pairs)?;
    let w = sim.world();
    let visible: Vec<&Repo> = w
        .repos
        .values()
        .filter(|r| r.ty == ty && (!r.private || caller.name() == Some(r.owner())))
        .filter(|r| q.matches(&r.id.to_string(), r.owner()))
        .collect();
    let size = sim.config.tree_page_size.max(1).min(q.limit.unwrap_or(usize::MAX).max(1));
    let page: Vec<Value> = visible.iter().skip(q.cursor).take(size).map(|r| entry(&sim, r, q.full)).collect();
    let mut resp = Json(page).into_response();
    if q.cursor + size < visible.len() {
        let mut next = sim.base.join(&format!("api/{}", ty.api_plural())).map_err(|e| ApiError::bad_request(e.to_string()))?;
        {
            let mut qp = next.query_pairs_mut();
            for (k, v) in pairs.iter().filter(|(k, _)| k != "cursor") {
                qp.append_pair(k, v);
            }
            qp.append_pair("cursor", &(q.cursor + size).to_string());
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// One listing entry: the short form, or the repo's info at main with `full`.
fn entry(sim: &Sim, repo: &Repo, full: bool) -> Value {
    let Some(commit) = git::resolve(repo, "main") else {
        return json!({ "_id": repo.object_id, "id": repo.id.to_string(), "author": repo.owner(), "private": repo.private, "likes": 0, "tags": [], "createdAt": super::iso(repo.created_at) });
    };
    let info = super::repos::info_json(sim, repo, commit, false);
    if full {
        return info;
    }
    let mut keep = vec!["_id", "id", "author", "private", "likes", "tags", "createdAt"];
    keep.extend(if repo.ty == RepoType::Space { &["sdk"][..] } else { &["modelId", "downloads", "pipeline_tag", "library_name"][..] });
    let mut out = serde_json::Map::new();
    for k in keep {
        if let Some(v) = info.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn search_is_a_case_insensitive_substring_of_the_id_and_author_the_owner() {
        let q = Query::parse(&pairs("search=Pixel&author=sim-user")).expect("query");
        assert!(q.matches("sim-user/pixel-lora", "sim-user"));
        assert!(q.matches("sim-user/My-PIXEL-demo", "sim-user"));
        assert!(!q.matches("other/pixel-lora", "other"), "another author");
        assert!(!q.matches("sim-user/watercolor", "sim-user"), "no substring");
        let both = Query::parse(&pairs("search=sim&search=demo")).expect("query");
        assert!(both.matches("sim-user/pixel-demo", "sim-user") && !both.matches("sim-user/pixel", "sim-user"));
    }

    #[test]
    fn limit_and_cursor_must_be_numbers() {
        assert_eq!(Query::parse(&pairs("limit=3&cursor=6&full=true")).expect("query"), Query { limit: Some(3), cursor: 6, full: true, ..Query::default() });
        assert!(Query::parse(&pairs("limit=lots")).is_err());
        assert!(Query::parse(&pairs("cursor=x")).is_err());
    }
}
