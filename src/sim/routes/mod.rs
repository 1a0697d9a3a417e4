//! The simulator's router: one module per group of Hub routes, every call through the
//! [`super::server::observe`] middleware. Shared extractors and formatting live here.

mod admin;
mod commit;
mod discussion_actions;
mod discussions;
mod listing;
mod moves;
mod repos;
mod resolve;
mod settings;
mod space_settings;
mod spaces;
mod tree;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::error::ApiError;
use super::shared::Sim;
use super::state::EventData;
use crate::domain::{RepoId, RepoType};

pub(crate) use discussions::event_json;
pub(crate) use spaces::restart_app;

/// `{kind}/{ns}/{name}` of repo routes.
#[derive(Debug, Deserialize)]
pub(crate) struct RepoPath {
    kind: String,
    ns: String,
    name: String,
}

impl RepoPath {
    /// The repo type and id, or 404 for a kind or id the Hub does not know.
    pub fn parse(&self) -> Result<(RepoType, RepoId), ApiError> {
        let ty = match self.kind.as_str() {
            "models" => RepoType::Model,
            "datasets" => RepoType::Dataset,
            "spaces" => RepoType::Space,
            _ => return Err(ApiError::not_found("Not Found")),
        };
        let id = RepoId::from_parts(&self.ns, &self.name).map_err(|_| ApiError::repo_not_found())?;
        Ok((ty, id))
    }
}

/// The Hub's timestamp format, e.g. `2025-03-07T12:24:18.657Z`.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// The parsed YAML frontmatter of a README, as JSON.
pub(crate) fn frontmatter(readme: &[u8]) -> Result<Option<serde_json::Value>, String> {
    let text = String::from_utf8_lossy(readme);
    let text = text.trim_start_matches('\u{feff}');
    let Some(rest) = text.strip_prefix("---") else { return Ok(None) };
    let rest = rest.trim_start_matches(['\r']).strip_prefix('\n').unwrap_or(rest);
    let end = rest.find("\n---").map_or(rest.len(), |i| i + 1);
    let yaml = &rest[..end.min(rest.len())];
    let value: serde_json::Value = serde_norway::from_str(yaml).map_err(|e| e.to_string())?;
    match value {
        serde_json::Value::Null => Ok(None),
        v @ serde_json::Value::Object(_) => Ok(Some(v)),
        _ => Err("metadata must be a YAML mapping".to_owned()),
    }
}

/// The wire type of an event.
pub(crate) fn event_type(e: &EventData) -> &'static str {
    match e {
        EventData::Comment { .. } => "comment",
        EventData::Status(_) => "status-change",
        EventData::Commit { .. } => "commit",
        EventData::Title { .. } => "title-change",
    }
}

/// All routes.
pub(crate) fn router(sim: Arc<Sim>) -> Router {
    let repo = "/api/{kind}/{ns}/{name}";
    let disc = format!("{repo}/discussions/{{num}}");
    Router::new()
        .route("/api/whoami-v2", get(repos::whoami))
        .route("/api/validate-yaml", post(repos::validate_yaml))
        .route("/api/models", get(listing::models))
        .route("/api/datasets", get(listing::datasets))
        .route("/api/spaces", get(listing::spaces))
        .route("/api/repos/create", post(repos::create))
        .route("/api/repos/delete", axum::routing::delete(repos::delete))
        .route("/api/repos/move", post(moves::move_repo))
        .route(repo, get(repos::info))
        .route(&format!("{repo}/revision/{{rev}}"), get(repos::info_at))
        .route(&format!("{repo}/tree/{{rev}}"), get(tree::root))
        .route(&format!("{repo}/tree/{{rev}}/{{*path}}"), get(tree::folder))
        .route(&format!("{repo}/paths-info/{{rev}}"), post(tree::paths_info))
        .route(&format!("{repo}/settings"), axum::routing::put(settings::update))
        .route(&format!("{repo}/preupload/{{rev}}"), post(commit::preupload))
        .route(&format!("{repo}/commit/{{rev}}"), post(commit::commit))
        .route(&format!("{repo}/discussions"), get(discussions::list).post(discussions::create))
        .route(&disc, get(discussions::details))
        .route(&format!("{disc}/comment"), post(discussion_actions::comment))
        .route(&format!("{disc}/comment/{{cid}}/edit"), post(discussion_actions::edit_comment))
        .route(&format!("{disc}/comment/{{cid}}/hide"), post(discussion_actions::hide_comment))
        .route(&format!("{disc}/status"), post(discussion_actions::status))
        .route(&format!("{disc}/title"), post(discussion_actions::title))
        .route(&format!("{disc}/merge"), post(discussion_actions::merge))
        .route(&format!("{repo}/runtime"), get(spaces::runtime))
        .route(&format!("{repo}/restart"), post(spaces::restart))
        .route(&format!("{repo}/pause"), post(spaces::pause))
        .route(&format!("{repo}/hardware"), post(spaces::hardware))
        .route(&format!("{repo}/sleeptime"), post(spaces::sleeptime))
        .route(&format!("{repo}/duplicate"), post(spaces::duplicate))
        .route(&format!("{repo}/logs/{{which}}"), get(spaces::logs))
        .route(&format!("{repo}/secrets"), get(space_settings::list_secrets).post(space_settings::add_secret).delete(space_settings::delete_secret))
        .route(&format!("{repo}/variables"), get(space_settings::list_variables).post(space_settings::add_variable).delete(space_settings::delete_variable))
        .route("/api/settings/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/settings/webhooks/{id}", get(webhooks::get_one).post(webhooks::update).delete(webhooks::delete))
        .route("/api/settings/webhooks/{id}/{action}", post(webhooks::toggle))
        .route("/{ns}/{name}/resolve/{rev}/{*path}", get(resolve::model))
        .route("/spaces/{ns}/{name}/resolve/{rev}/{*path}", get(resolve::space))
        .route("/datasets/{ns}/{name}/resolve/{rev}/{*path}", get(resolve::dataset))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(sim.clone(), super::server::observe))
        .with_state(sim.clone())
        .merge(admin::router(sim))
}
