//! Evidence from the weights header, end to end over real HTTP: the simulator serves byte
//! ranges on resolve URLs, the Hub client reads headers in at most two requests, and the worker
//! (real RabbitMQ) lets the weights correct or confirm the card.

use std::collections::BTreeMap;
use std::time::Duration;

use lora_space_bot::domain::safetensors::synthesize;
use lora_space_bot::domain::{Job, RepoId, RepoType};
use lora_space_bot::hub::HeaderReadError;
use lora_space_bot::lora::tensors::{KeyFormat, signature, synth};
use lora_space_bot::queue::{Broker, Outcome};
use lora_space_bot::sim::SimHandle;

use crate::helpers::*;

fn weights(sig: &str, format: KeyFormat, meta: &[(&str, &str)]) -> Vec<u8> {
    let s = signature::by_id(sig).expect("signature");
    synth::file(s, format, 4, &meta.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

/// Resolve calls for one file, from the simulator's call log.
fn resolver_calls(sim: &SimHandle, lora: &RepoId, file: &str) -> usize {
    let path = format!("/{lora}/resolve/");
    sim.calls().iter().filter(|c| c.path.starts_with(&path) && c.path.ends_with(file)).count()
}

#[tokio::test]
async fn the_simulator_serves_ranges_as_the_hub_does() {
    let sim = spawn_sim().await;
    let lora = id("alice/ranges");
    sim.seed_repo(RepoType::Model, &lora, BTreeMap::from([("w.bin".to_owned(), (0u8..100).collect())]), false);
    let url = format!("{}{lora}/resolve/main/w.bin", sim.base_url());
    let http = reqwest::Client::new();
    let get = |range: Option<&'static str>| {
        let mut r = http.get(&url).bearer_auth(OWNER_TOKEN);
        if let Some(v) = range {
            r = r.header("Range", v);
        }
        r.send()
    };
    let part = get(Some("bytes=10-19")).await.expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 10-19/100");
    assert_eq!(part.bytes().await.expect("body").to_vec(), (10u8..20).collect::<Vec<_>>());
    let past = get(Some("bytes=100-200")).await.expect("416");
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */100");
    let whole = get(None).await.expect("full");
    assert_eq!((whole.status().as_u16(), whole.bytes().await.expect("body").len()), (200, 100));
}

#[tokio::test]
async fn headers_are_read_in_one_range_request_or_two_when_large_and_pointers_are_refused() {
    let sim = spawn_sim().await;
    let lora = id("alice/headers");
    let padding = "x".repeat(150_000);
    let big = weights("wan-14b", KeyFormat::Comfyui, &[("ss_training_comment", padding.as_str())]);
    let files = BTreeMap::from([
        ("small.safetensors".to_owned(), weights("flux1", KeyFormat::Diffusers, &[])),
        ("big.safetensors".to_owned(), big),
        ("pointer.safetensors".to_owned(), b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n".to_vec()),
        ("notes.safetensors".to_owned(), b"just some text that is long enough".to_vec()),
    ]);
    sim.seed_repo(RepoType::Model, &lora, files, false);
    let metrics = lora_space_bot::metrics::Metrics::new();
    let hub = hub_client(&sim, OWNER_TOKEN).with_metrics(metrics.clone());
    sim.clear_calls();
    let small = hub.safetensors_header(RepoType::Model, &lora, "main", "small.safetensors").await.expect("small header");
    assert_eq!(small.tensors.len(), (19 + 38) * 2);
    assert_eq!(resolver_calls(&sim, &lora, "small.safetensors"), 1);
    let big = hub.safetensors_header(RepoType::Model, &lora, "main", "big.safetensors").await.expect("big header");
    assert_eq!(big.metadata["ss_training_comment"].len(), 150_000);
    assert_eq!(resolver_calls(&sim, &lora, "big.safetensors"), 2);
    let pointer = hub.safetensors_header(RepoType::Model, &lora, "main", "pointer.safetensors").await;
    assert!(matches!(&pointer, Err(HeaderReadError::Format { source: lora_space_bot::domain::safetensors::HeaderError::Pointer(_), .. })), "{pointer:?}");
    let text = hub.safetensors_header(RepoType::Model, &lora, "main", "notes.safetensors").await;
    assert!(matches!(text, Err(HeaderReadError::Format { .. })), "{text:?}");
    let exposition = metrics.render();
    assert!(exposition.contains("(range)\",status=\"206\"} 5"), "{exposition}");
}

/// A LoRA repo with `card` and `files`, a Space, one sync job through RabbitMQ and a worker.
async fn sync_once(name: &str, card: &str, files: BTreeMap<String, Vec<u8>>) -> (SimHandle, RepoId, RepoId) {
    let sim = spawn_sim().await;
    let lora = id(&format!("alice/{name}"));
    let space = id(&format!("alice/{name}-demo"));
    let mut files = files;
    files.insert("README.md".into(), card.as_bytes().to_vec());
    sim.seed_repo(RepoType::Model, &lora, files, false);
    sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let r = spawn_receiver(&amqp_url(), &[], topology(&unique_prefix(name), 1)).await;
    let broker = Broker::Amqp(r.broker.clone());
    let mut done = spawn_worker(&sim, broker.clone(), &r.shutdown).await;
    broker.publish(&Job::sync(lora.clone(), None, space.clone(), "test", time::OffsetDateTime::now_utc())).await.expect("publish");
    let (_, outcome) = next_outcome(&mut done, Duration::from_secs(60)).await;
    assert_eq!(outcome, Outcome::Done);
    r.shutdown.cancel();
    (sim, lora, space)
}

fn pr_files(sim: &SimHandle, space: &RepoId) -> Option<(String, String)> {
    let pr = sim.discussions(RepoType::Space, space).into_iter().find(|d| d.is_pull_request)?;
    let app = String::from_utf8(sim.file(RepoType::Space, space, &format!("refs/pr/{}", pr.num), "app.py")?).ok()?;
    Some((app, pr.comments.first().cloned().unwrap_or_default()))
}

#[tokio::test]
async fn a_flux_card_with_sdxl_shaped_weights_never_gets_a_flux_pr() {
    let card = "---\nbase_model: black-forest-labs/FLUX.1-dev\ntags:\n- text-to-image\n---\n# Ink\n\nA FLUX LoRA for ink drawings. Trigger: `inkstyle`.\n";
    let files = BTreeMap::from([("ink.safetensors".to_owned(), weights("sdxl", KeyFormat::Kohya, &[("ss_base_model_version", "sdxl_base_v1-0")]))]);
    let (sim, lora, space) = sync_once("ink", card, files).await;
    assert!(resolver_calls(&sim, &lora, "ink.safetensors") <= 2);
    let (app, body) = pr_files(&sim, &space).expect("weights win: a PR on the SDXL base");
    assert!(app.contains("StableDiffusionXLPipeline") && !app.contains("FluxPipeline"), "{app}");
    let row = body.lines().find(|l| l.starts_with("| base model")).unwrap_or_default();
    assert!(row.contains("stable-diffusion-xl-base-1.0") && row.contains("weights header"), "{row}");
    assert!(body.contains("FLUX.1-dev"), "the PR body says why the card was overruled:\n{body}");
}

#[tokio::test]
async fn an_undefined_base_with_wan22_expert_files_loads_both_experts_on_the_a14b_base() {
    let card = "---\nbase_model: undefined\npipeline_tag: image-to-video\n---\n# Orbit\n\nOrbit camera move around the subject.\n";
    let files = BTreeMap::from([
        ("orbit_high_noise.safetensors".to_owned(), weights("wan-14b", KeyFormat::Comfyui, &[])),
        ("orbit_low_noise.safetensors".to_owned(), weights("wan-14b", KeyFormat::Comfyui, &[])),
    ]);
    let (sim, lora, space) = sync_once("orbit", card, files).await;
    for f in ["orbit_high_noise.safetensors", "orbit_low_noise.safetensors"] {
        assert!(resolver_calls(&sim, &lora, f) <= 2, "{f}");
    }
    let (app, body) = pr_files(&sim, &space).expect("a PR");
    assert!(app.contains("Wan-AI/Wan2.2-I2V-A14B-Diffusers") && app.contains("WanImageToVideoPipeline"), "{app}");
    assert!(app.contains("orbit_high_noise.safetensors") && app.contains("orbit_low_noise.safetensors") && app.contains("load_into_transformer_2=True"), "{app}");
    assert!(body.lines().any(|l| l.starts_with("| base model") && l.contains("weights header")), "{body}");
}

#[tokio::test]
async fn an_ltx_card_naming_the_generic_repo_with_13b_weights_gets_the_13b_base() {
    let card = "---\nbase_model: Lightricks/LTX-Video\npipeline_tag: text-to-video\n---\n# Melt\n\nMelting effect for LTX-Video.\n";
    let files = BTreeMap::from([("melt.safetensors".to_owned(), weights("ltx-13b", KeyFormat::Comfyui, &[]))]);
    let (sim, lora, space) = sync_once("melt", card, files).await;
    assert!(resolver_calls(&sim, &lora, "melt.safetensors") <= 2);
    let (app, _) = pr_files(&sim, &space).expect("a PR");
    assert!(app.contains("Lightricks/LTX-Video-0.9.7-dev"), "{app}");
}

#[tokio::test]
async fn weights_of_an_unsupported_architecture_under_a_flux_card_open_a_discussion_not_a_pr() {
    let card = "---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n# Clip\n\nA video LoRA.\n";
    let files = BTreeMap::from([("clip.safetensors".to_owned(), weights("hunyuan-video", KeyFormat::Diffusers, &[]))]);
    let (sim, _, space) = sync_once("clip", card, files).await;
    let threads = sim.discussions(RepoType::Space, &space);
    assert!(threads.iter().all(|d| !d.is_pull_request), "{threads:?}");
    let ask = threads.iter().find(|d| !d.is_pull_request).expect("a discussion");
    assert!(ask.comments.iter().any(|c| c.contains("HunyuanVideo") && c.contains("FLUX.1-dev")), "{:?}", ask.comments);
}

#[test]
fn synthesized_fixture_files_have_consistent_sizes() {
    let bytes = synthesize(&[("a".into(), "F16".into(), vec![3, 5])], &BTreeMap::new());
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    assert_eq!(bytes.len() as u64, 8 + len + 30);
}
