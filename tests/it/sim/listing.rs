//! `GET /api/models` and `/api/spaces` as the Hub serves them (hub-docs `docs/hub/api.md`,
//! "Repo listing API"): `search`, `author`, `limit`, `Link: rel="next"` pages, private repos
//! for their owner only.

use lora_space_bot::domain::RepoType;
use lora_space_bot::sim::SimConfig;
use reqwest::Method;

use super::{OTHER_TOKEN, OTHER_USER, files, header, raw, rid, spawn_sim_with};

fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array().expect("a JSON array").iter().map(|e| e["id"].as_str().expect("id").to_owned()).collect()
}

/// Every entry of a listing, following `Link: rel="next"` as huggingface_hub does.
async fn all_pages(first: String, token: Option<&str>) -> (Vec<String>, usize) {
    let (mut out, mut pages, mut next) = (Vec::new(), 0, Some(first));
    while let Some(url) = next {
        let mut req = reqwest::Client::new().get(&url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("page");
        assert_eq!(resp.status(), 200, "{url}");
        next = resp.headers().get("link").and_then(|v| v.to_str().ok()).and_then(|l| l.strip_prefix('<')).and_then(|l| l.split_once(">; rel=\"next\"")).map(|(u, _)| u.to_owned());
        out.extend(ids(&resp.json().await.expect("json")));
        pages += 1;
    }
    (out, pages)
}

#[tokio::test]
async fn listings_filter_by_search_and_author_page_with_link_and_hide_others_private_repos() {
    let sim = spawn_sim_with(SimConfig { tree_page_size: 2, ..SimConfig::default() }).await;
    let card = files(&[("README.md", "---\nlibrary_name: diffusers\npipeline_tag: text-to-image\ntags: [lora]\n---\n# x\n")]);
    for id in ["sim-user/pixel-lora", "sim-user/Pixel-XL", "sim-user/watercolor", "other-user/pixel-art", "other-user/secret-pixel"] {
        sim.seed_repo(RepoType::Model, &rid(id), card.clone(), id.contains("secret"));
    }
    sim.seed_repo(RepoType::Space, &rid("sim-user/pixel-lora-demo"), files(&[("README.md", "---\nsdk: gradio\n---\n")]), false);
    let base = sim.base_url();

    let (all, pages) = all_pages(format!("{base}api/models"), None).await;
    assert_eq!(all, ["other-user/pixel-art", "sim-user/Pixel-XL", "sim-user/pixel-lora", "sim-user/watercolor"], "anonymous: no private repo, no Space");
    assert_eq!(pages, 2, "pages of 2 entries, linked");
    let (mine, _) = all_pages(format!("{base}api/models?author={OTHER_USER}"), Some(OTHER_TOKEN)).await;
    assert_eq!(mine, ["other-user/pixel-art", "other-user/secret-pixel"], "the owner sees its private repo");
    let (found, _) = all_pages(format!("{base}api/models?search=PIXEL&author=sim-user"), None).await;
    assert_eq!(found, ["sim-user/Pixel-XL", "sim-user/pixel-lora"], "search: a case-insensitive substring");

    let first = raw(&sim, Method::GET, "api/models?search=pixel&limit=1", None, None).await;
    let link = header(&first, "link").expect("a next link");
    assert!(link.contains("search=pixel") && link.contains("limit=1") && link.ends_with("rel=\"next\""), "{link}");
    let entry = &first.json::<serde_json::Value>().await.expect("json")[0];
    assert_eq!(entry["id"], "other-user/pixel-art");
    assert_eq!((entry["author"].as_str(), entry["pipeline_tag"].as_str(), entry["private"].as_bool()), (Some("other-user"), Some("text-to-image"), Some(false)));
    assert!(entry.get("siblings").is_none(), "short entries without full=true");
    let full = raw(&sim, Method::GET, "api/models?author=sim-user&limit=1&full=true", None, None).await;
    assert!(full.json::<serde_json::Value>().await.expect("json")[0]["siblings"].is_array(), "full entries carry the files");

    let spaces = raw(&sim, Method::GET, "api/spaces?author=sim-user", None, None).await;
    let spaces: serde_json::Value = spaces.json().await.expect("json");
    assert_eq!(ids(&spaces), ["sim-user/pixel-lora-demo"]);
    assert_eq!(spaces[0]["sdk"], "gradio");
    assert_eq!(raw(&sim, Method::GET, "api/models?limit=lots", None, None).await.status(), 400);
}
