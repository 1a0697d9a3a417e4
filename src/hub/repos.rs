//! Account and repository reads: whoami, model/Space info, file tree (paginated), raw
//! downloads, YAML validation; repo creation and deletion.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::client::{Call, HubClient, decode, transport};
use super::error::HubError;
use super::retry::Replay;
use super::types::repo::{DownloadedFile, ModelInfo, SpaceInfo, TreeEntry, WhoAmI};
use super::types::space::Visibility;
use crate::domain::{CommitSha, RepoId, RepoType};

/// What `create_repo` sends.
#[derive(Debug, Clone)]
pub struct CreateRepo {
    /// Kind of repo.
    pub repo_type: RepoType,
    /// `ns/name`.
    pub id: RepoId,
    /// Visibility.
    pub visibility: Visibility,
    /// Space SDK (`gradio`, `docker`, `static`), Spaces only.
    pub sdk: Option<String>,
    /// Requested hardware flavor, Spaces only.
    pub hardware: Option<String>,
}

#[derive(Deserialize)]
struct UrlBody {
    url: String,
}

#[derive(Deserialize, Default)]
struct YamlReport {
    #[serde(default)]
    warnings: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

impl HubClient {
    /// `GET /api/whoami-v2`: who the token belongs to. The Hub rate-limits it strictly: cache it.
    pub async fn whoami(&self) -> Result<WhoAmI, HubError> {
        self.json(Call::get("/api/whoami-v2", self.url(&["api", "whoami-v2"]))).await
    }

    /// `GET /api/models/{id}[/revision/{rev}]`.
    pub async fn model_info(&self, id: &RepoId, revision: Option<&str>) -> Result<ModelInfo, HubError> {
        let url = self.info_url(RepoType::Model, id, revision);
        self.json(Call::get("/api/models/{id}", url)).await
    }

    /// `GET /api/spaces/{id}[/revision/{rev}]`.
    pub async fn space_info(&self, id: &RepoId, revision: Option<&str>) -> Result<SpaceInfo, HubError> {
        let url = self.info_url(RepoType::Space, id, revision);
        self.json(Call::get("/api/spaces/{id}", url)).await
    }

    fn info_url(&self, ty: RepoType, id: &RepoId, revision: Option<&str>) -> url::Url {
        match revision {
            Some(rev) => self.repo_api_url(ty, id, &["revision", rev]),
            None => self.repo_api_url(ty, id, &[]),
        }
    }

    /// `GET /api/{type}s/{id}/tree/{rev}[/{path}]?recursive=…`, following `Link: rel="next"`
    /// until the last page. `path` is a folder, `""` for the root.
    pub async fn list_tree(
        &self,
        ty: RepoType,
        id: &RepoId,
        revision: &str,
        path: &str,
        recursive: bool,
    ) -> Result<Vec<TreeEntry>, HubError> {
        let mut tail = vec!["tree", revision];
        tail.extend(path.split('/').filter(|s| !s.is_empty()));
        let mut url = self.repo_api_url(ty, id, &tail);
        url.query_pairs_mut().append_pair("recursive", if recursive { "true" } else { "false" }).append_pair("expand", "false");
        let mut entries = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let resp = self.send(Call::get("/api/{type}s/{id}/tree/{rev}", url)).await?;
            next = next_link(resp.headers());
            let page: Vec<TreeEntry> = decode("tree", resp).await?;
            entries.extend(page);
        }
        Ok(entries)
    }

    /// Every file path at a revision (recursive tree, files only).
    pub async fn list_files(&self, ty: RepoType, id: &RepoId, revision: &str) -> Result<Vec<String>, HubError> {
        let entries = self.list_tree(ty, id, revision, "", true).await?;
        Ok(entries.into_iter().filter(|e| e.kind == super::types::repo::EntryKind::File).map(|e| e.path).collect())
    }

    /// `GET /{prefix}{id}/resolve/{rev}/{path}`: the raw bytes and `X-Repo-Commit`.
    pub async fn download(&self, ty: RepoType, id: &RepoId, revision: &str, path: &str) -> Result<DownloadedFile, HubError> {
        let mut segs: Vec<&str> = ty.url_prefix().split('/').filter(|s| !s.is_empty()).collect();
        segs.extend([id.namespace(), id.name(), "resolve", revision]);
        segs.extend(path.split('/'));
        let resp = self.send(Call::get("/{prefix}{id}/resolve/{rev}/{path}", self.url(&segs))).await?;
        let commit = resp
            .headers()
            .get("x-repo-commit")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<CommitSha>().ok());
        let bytes = resp.bytes().await.map_err(|e| transport("resolve", e))?;
        Ok(DownloadedFile { bytes, commit })
    }

    /// A text file (lossy UTF-8), or `None` when the file does not exist at that revision.
    pub async fn download_text(&self, ty: RepoType, id: &RepoId, revision: &str, path: &str) -> Result<Option<String>, HubError> {
        match self.download(ty, id, revision, path).await {
            Ok(f) => Ok(Some(String::from_utf8_lossy(&f.bytes).into_owned())),
            Err(e) if e.is_not_found(super::NotFoundKind::EntryNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/validate-yaml`: the README's metadata is valid (warnings returned), or a
    /// `BadRequest` carrying the Hub's messages.
    pub async fn validate_yaml(&self, ty: RepoType, readme: &str) -> Result<Vec<String>, HubError> {
        let body = json!({ "content": readme, "repoType": ty.as_str() });
        let url = self.url(&["api", "validate-yaml"]);
        let resp = self.send(Call::json(Method::POST, "/api/validate-yaml", url, body, Replay::Safe)).await?;
        let text = resp.text().await.map_err(|e| transport("validate-yaml", e))?;
        let report: YamlReport = serde_json::from_str(&text).unwrap_or_default();
        Ok(report.warnings.into_iter().map(|m| m.message).collect())
    }

    /// `POST /api/repos/create`: returns the repo URL. 409 if it exists.
    pub async fn create_repo(&self, req: &CreateRepo) -> Result<String, HubError> {
        let mut body = json!({
            "name": req.id.name(), "organization": req.id.namespace(),
            "visibility": req.visibility, "private": req.visibility == Visibility::Private,
        });
        if req.repo_type != RepoType::Model {
            body["type"] = json!(req.repo_type.as_str());
        }
        if let Some(sdk) = &req.sdk {
            body["sdk"] = json!(sdk);
        }
        if let Some(hw) = &req.hardware {
            body["hardware"] = json!(hw);
        }
        let url = self.url(&["api", "repos", "create"]);
        let created: UrlBody = self.json(Call::json(Method::POST, "/api/repos/create", url, body, Replay::Never)).await?;
        Ok(created.url)
    }

    /// `DELETE /api/repos/delete`.
    pub async fn delete_repo(&self, ty: RepoType, id: &RepoId) -> Result<(), HubError> {
        let body = json!({ "name": id.name(), "organization": id.namespace(), "type": ty.as_str() });
        let url = self.url(&["api", "repos", "delete"]);
        self.send(Call::json(Method::DELETE, "/api/repos/delete", url, body, Replay::Safe)).await?;
        Ok(())
    }
}

/// The `rel="next"` URL of a `Link` header.
pub(crate) fn next_link(headers: &reqwest::header::HeaderMap) -> Option<url::Url> {
    let link = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        if is_next { url::Url::parse(target).ok() } else { None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    #[test]
    fn the_next_link_is_found_among_other_relations() {
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static("<http://h/a?c=1>; rel=\"prev\", <http://h/a?c=2>; rel=\"next\""));
        assert_eq!(next_link(&h).map(|u| u.to_string()), Some("http://h/a?c=2".to_owned()));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}
