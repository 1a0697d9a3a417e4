//! Shared test plumbing: a unique queue prefix per test on the real broker, a cuttable TCP
//! proxy in front of it (to take the broker away from one test without stopping it), and
//! spawners for the receiver.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use lora_space_bot::config::Secret;
use lora_space_bot::domain::RepoId;
use lora_space_bot::http::{self, ReceiverState};
use lora_space_bot::queue::Broker;
use lora_space_bot::queue::amqp::{AmqpBroker, AmqpSettings};
use lora_space_bot::queue::topology::Topology;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "test-webhook-secret";
pub const SIGNING_KEY: &str = "test-signing-key";

/// The real broker used by the tests (`.ci/run` starts it).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A queue-name prefix no other test (or earlier run) uses.
pub fn unique_prefix(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("t.{name}.{}.{n}.{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

pub fn topology(prefix: &str, shards: u16) -> Topology {
    Topology { prefix: prefix.to_owned(), shards, delivery_limit: 3 }
}

pub fn id(s: &str) -> RepoId {
    s.parse().expect("valid repo id")
}

/// Starts a supervised broker handle on `url` and waits until it is connected.
pub async fn broker(url: &str, topo: &Topology, shutdown: &CancellationToken) -> AmqpBroker {
    let b = AmqpBroker::start(
        AmqpSettings { url: url.to_owned(), topology: topo.clone(), signing_key: Secret::new(SIGNING_KEY), confirm_timeout: Duration::from_secs(3), rebalance: Duration::from_millis(300) },
        shutdown.clone(),
    );
    assert!(b.wait_ready(Duration::from_secs(15)).await, "broker did not become ready");
    b
}

/// Messages waiting in each named queue, read with a passive declare.
pub async fn depths(queues: &[String]) -> Vec<u32> {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    let mut out = Vec::new();
    for q in queues {
        let ch = conn.create_channel().await.expect("channel");
        let opts = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        out.push(ch.queue_declare(q.as_str().into(), opts, FieldTable::default()).await.map(|q| q.message_count()).unwrap_or(0));
    }
    let _ = conn.close(200, "bye".into()).await;
    out
}

/// Sum of messages in every shard queue of `topo`.
pub async fn shard_depth(topo: &Topology) -> u32 {
    let names: Vec<String> = (0..topo.shards).map(|k| topo.shard_queue(k)).collect();
    depths(&names).await.iter().sum()
}

/// A running receiver.
pub struct TestReceiver {
    pub url: String,
    pub broker: AmqpBroker,
    pub topology: Topology,
    pub shutdown: CancellationToken,
    pub metrics: Arc<lora_space_bot::metrics::Metrics>,
    _cleanup: TopologyCleanup,
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Spawns the receiver on port 0 with `links`, publishing through `amqp`.
pub async fn spawn_receiver(amqp: &str, links: &[(&str, &str)], topo: Topology) -> TestReceiver {
    spawn_receiver_with(amqp, links, topo, Duration::ZERO).await
}

/// Spawns the receiver with a debounce window.
pub async fn spawn_receiver_with(amqp: &str, links: &[(&str, &str)], topo: Topology, debounce: Duration) -> TestReceiver {
    lora_space_bot::telemetry::init_for_test();
    let shutdown = CancellationToken::new();
    let b = broker(amqp, &topo, &shutdown).await;
    let metrics = lora_space_bot::metrics::Metrics::new();
    let state = ReceiverState {
        secret: Some(Secret::new(SECRET)),
        links: Arc::new(links.iter().map(|(l, s)| (id(l), id(s))).collect()),
        broker: Broker::Amqp(b.clone()),
        max_body_bytes: 64 * 1024,
        publish_timeout: Duration::from_secs(3),
        metrics: metrics.clone(),
        debounce,
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(http::serve(listener, state, shutdown.clone()));
    TestReceiver { url: format!("http://{addr}"), broker: b, topology: topo.clone(), shutdown, metrics, _cleanup: TopologyCleanup(topo) }
}

/// A TCP proxy to the broker that a test can cut (drop every connection, refuse new ones)
/// and restore: the broker goes away for this test only.
pub struct CuttableProxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
}

impl CuttableProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(AtomicU64::new(0));
        let (u, g) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                tokio::spawn(pipe(client, g.clone(), g.load(Ordering::SeqCst)));
            }
        });
        Self { addr, up, generation }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@{}/%2f", self.addr)
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn pipe(mut client: TcpStream, generation: Arc<AtomicU64>, born: u64) {
    let Ok(mut upstream) = TcpStream::connect("127.0.0.1:5672").await else { return };
    let copy = tokio::io::copy_bidirectional(&mut client, &mut upstream);
    let watch = async {
        while generation.load(Ordering::SeqCst) == born {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! { _ = copy => {}, _ = watch => {} }
}

/// Polls `cond` every 25 ms until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Deletes every queue and exchange of a test's topology when dropped (on a helper thread
/// with its own runtime, since Drop cannot await).
pub struct TopologyCleanup(pub Topology);

impl Drop for TopologyCleanup {
    fn drop(&mut self) {
        let t = self.0.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let Ok(conn) = Connection::connect(&amqp_url(), ConnectionProperties::default()).await else { return };
                let Ok(ch) = conn.create_channel().await else { return };
                for q in t.queues().into_iter().map(|q| q.name).chain([t.members()]) {
                    let _ = ch.queue_delete(q.as_str().into(), lapin::options::QueueDeleteOptions::default()).await;
                }
                for e in t.exchanges() {
                    let _ = ch.exchange_delete(e.name.as_str().into(), lapin::options::ExchangeDeleteOptions::default()).await;
                }
                let _ = conn.close(200, "bye".into()).await;
            });
        })
        .join();
    }
}

/// Starts the simulator with the bot user and a LoRA owner, each with a token.
pub async fn spawn_sim() -> lora_space_bot::sim::SimHandle {
    let config = lora_space_bot::sim::SimConfig {
        user: BOT.into(),
        token: BOT_TOKEN.into(),
        extra_users: vec![(OWNER.into(), OWNER_TOKEN.into())],
        build_delay: Duration::from_millis(20),
        ..lora_space_bot::sim::SimConfig::default()
    };
    lora_space_bot::sim::start(([127, 0, 0, 1], 0).into(), config).await.expect("sim starts")
}

pub const BOT: &str = "lsb-bot";
pub const BOT_TOKEN: &str = "hf_bot_token_for_tests";
pub const OWNER: &str = "alice";
pub const OWNER_TOKEN: &str = "hf_alice_token_for_tests";

/// A Hub client for `token` against the simulator.
pub fn hub_client(sim: &lora_space_bot::sim::SimHandle, token: &str) -> lora_space_bot::hub::HubClient {
    let settings = lora_space_bot::hub::HubSettings {
        endpoint: sim.base_url(),
        token: Some(Secret::new(token)),
        timeout: Duration::from_secs(5),
        retry_min_delay: Duration::from_millis(20),
        ..lora_space_bot::hub::HubSettings::default()
    };
    lora_space_bot::hub::HubClient::new(&settings).expect("client")
}

/// Runs workers on `broker` and reports every finished job with its outcome.
pub async fn spawn_worker(
    sim: &lora_space_bot::sim::SimHandle,
    broker: lora_space_bot::queue::Broker,
    shutdown: &CancellationToken,
) -> tokio::sync::mpsc::UnboundedReceiver<(lora_space_bot::domain::Job, lora_space_bot::queue::Outcome)> {
    spawn_worker_with(sim, broker, shutdown, lora_space_bot::worker::WorkerPolicy { max_attempts: 3, ..Default::default() }).await
}

/// Like [`spawn_worker`], with a policy.
pub async fn spawn_worker_with(
    sim: &lora_space_bot::sim::SimHandle,
    broker: lora_space_bot::queue::Broker,
    shutdown: &CancellationToken,
    policy: lora_space_bot::worker::WorkerPolicy,
) -> tokio::sync::mpsc::UnboundedReceiver<(lora_space_bot::domain::Job, lora_space_bot::queue::Outcome)> {
    spawn_worker_metered(sim, broker, shutdown, policy, lora_space_bot::metrics::Metrics::new()).await
}

/// Like [`spawn_worker_with`], counting into `metrics` (Hub calls, jobs, retries, dead letters).
pub async fn spawn_worker_metered(
    sim: &lora_space_bot::sim::SimHandle,
    broker: lora_space_bot::queue::Broker,
    shutdown: &CancellationToken,
    policy: lora_space_bot::worker::WorkerPolicy,
    metrics: Arc<lora_space_bot::metrics::Metrics>,
) -> tokio::sync::mpsc::UnboundedReceiver<(lora_space_bot::domain::Job, lora_space_bot::queue::Outcome)> {
    use futures::FutureExt;
    let ctx = Arc::new(
        lora_space_bot::worker::WorkerContext::build(hub_client(sim, BOT_TOKEN), lora_space_bot::space::GeneratorSettings::default(), policy, metrics)
            .await
            .expect("worker context"),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let handler: lora_space_bot::queue::Handler = Arc::new(move |job| {
        let (ctx, tx) = (ctx.clone(), tx.clone());
        async move {
            let outcome = lora_space_bot::worker::handle(ctx, job.clone()).await;
            let _ = tx.send((job, outcome.clone()));
            outcome
        }
        .boxed()
    });
    let sd = shutdown.clone();
    tokio::spawn(async move { broker.consume(handler, 2, sd).await });
    rx
}

/// Waits for the next finished job, at most `limit`.
pub async fn next_outcome(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(lora_space_bot::domain::Job, lora_space_bot::queue::Outcome)>,
    limit: Duration,
) -> (lora_space_bot::domain::Job, lora_space_bot::queue::Outcome) {
    tokio::time::timeout(limit, rx.recv()).await.expect("a job finished in time").expect("worker alive")
}

const CORGI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards/02-flux-dev-dreambooth-corgi");
const BASE_CARD: &str = include_str!("../../demo/base-flux-dev.md");

/// A simulated Hub with a linked LoRA (the corgi fixture) and Space, a receiver on a real
/// broker with a unique prefix, and a webhook from the LoRA to the receiver.
pub struct LoraWorld {
    pub sim: lora_space_bot::sim::SimHandle,
    pub lora: RepoId,
    pub space: RepoId,
    pub receiver: TestReceiver,
}

impl LoraWorld {
    pub async fn new(name: &str) -> Self {
        Self::with_debounce(name, Duration::ZERO).await
    }

    pub async fn with_debounce(name: &str, debounce: Duration) -> Self {
        Self::build(name, debounce, &amqp_url()).await
    }

    /// A world whose receiver (and workers on its broker) reach RabbitMQ through `amqp`.
    pub async fn build(name: &str, debounce: Duration, amqp: &str) -> Self {
        Self::build_with_readme(name, debounce, amqp, Some("---\nsdk: gradio\n---\n")).await
    }

    /// A world whose Space starts with `readme` as its `README.md` (`None`: no README).
    pub async fn with_space_readme(name: &str, readme: Option<&str>) -> Self {
        Self::build_with_readme(name, Duration::ZERO, &amqp_url(), readme).await
    }

    async fn build_with_readme(name: &str, debounce: Duration, amqp: &str, readme: Option<&str>) -> Self {
        use lora_space_bot::domain::RepoType;
        use lora_space_bot::hub::{WatchedItem, WebhookDomain, WebhookSpec};
        use std::collections::BTreeMap;
        let sim = spawn_sim().await;
        sim.add_user("black-forest-labs", "hf_bfl");
        sim.seed_repo(RepoType::Model, &id("black-forest-labs/FLUX.1-dev"), BTreeMap::from([("README.md".to_owned(), BASE_CARD.as_bytes().to_vec())]), false);
        sim.add_user("tkato", "hf_tkato");
        let (lora, _) = sim.seed_card_fixture(std::path::Path::new(CORGI)).expect("fixture seeds");
        let space = id("tkato/corgi-demo");
        let seed = match readme {
            Some(text) => ("README.md".to_owned(), text.as_bytes().to_vec()),
            None => (".gitattributes".to_owned(), b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n".to_vec()),
        };
        sim.seed_repo(RepoType::Space, &space, BTreeMap::from([seed]), false);
        let receiver = spawn_receiver_with(amqp, &[(&lora.to_string(), &space.to_string())], topology(&unique_prefix(name), 2), debounce).await;
        let spec = WebhookSpec {
            watched: vec![WatchedItem { kind: "model".into(), name: lora.to_string() }],
            url: format!("{}/webhooks/hub", receiver.url),
            domains: vec![WebhookDomain::Repo],
            secret: Some(SECRET.into()),
        };
        hub_client(&sim, "hf_tkato").create_webhook(&spec).await.expect("webhook registered");
        Self { sim, lora, space, receiver }
    }

    /// The LoRA owner pushes a new model card (the fixture plus `extra`).
    pub fn push_card(&self, extra: &str) -> lora_space_bot::domain::CommitSha {
        use lora_space_bot::domain::RepoType;
        let mut card = std::fs::read_to_string(format!("{CORGI}/README.md")).expect("card");
        card.push_str(extra);
        self.sim.commit_as("tkato", RepoType::Model, &self.lora, std::collections::BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "Update card")
    }

    /// The LoRA owner pushes the card with a new trigger phrase (YAML and prose).
    pub fn push_trigger(&self, trigger: &str) -> lora_space_bot::domain::CommitSha {
        use lora_space_bot::domain::RepoType;
        let card = std::fs::read_to_string(format!("{CORGI}/README.md")).expect("card").replace("a photo of TOK corgi", trigger);
        self.sim.commit_as("tkato", RepoType::Model, &self.lora, std::collections::BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "New trigger")
    }

    /// The bot's pull requests on the Space.
    pub fn prs(&self) -> Vec<lora_space_bot::sim::DiscussionView> {
        self.sim.discussions(lora_space_bot::domain::RepoType::Space, &self.space).into_iter().filter(|d| d.is_pull_request).collect()
    }

    pub fn broker(&self) -> lora_space_bot::queue::Broker {
        lora_space_bot::queue::Broker::Amqp(self.receiver.broker.clone())
    }
}
