//! Prometheus metrics, one registry per process, passed down explicitly (no statics).
//! Exposed as text on `GET /metrics` by the receiver and by the worker's health port.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// `outcome` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// What happened.
    pub outcome: String,
}

/// `kind` + `outcome` labels of jobs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// `sync`, `smoke`, `cleanup`.
    pub kind: String,
    /// `done`, `retry`, `dead_letter`.
    pub outcome: String,
}

/// `stage` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    /// Pipeline stage name.
    pub stage: String,
}

/// `route` + `status` labels of Hub calls.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HubCallLabels {
    /// Route template, e.g. `/api/{type}s/{id}/commit/{rev}`.
    pub route: String,
    /// HTTP status, or `error` when there was none.
    pub status: String,
}

/// `queue` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    /// Queue name.
    pub queue: String,
}

/// Every series the service exports.
pub struct Metrics {
    registry: Registry,
    /// `lsb_webhooks_total{outcome}`: deliveries by outcome.
    pub webhooks: Family<OutcomeLabel, Counter>,
    /// `lsb_publish_seconds`: publish-to-confirm latency.
    pub publish_seconds: Histogram,
    /// `lsb_jobs_total{kind,outcome}`: finished jobs.
    pub jobs: Family<JobLabels, Counter>,
    /// `lsb_stage_seconds{stage}`: pipeline stage durations.
    pub stage_seconds: Family<StageLabel, Histogram>,
    /// `lsb_hub_calls_total{route,status}`: Hub HTTP calls.
    pub hub_calls: Family<HubCallLabels, Counter>,
    /// `lsb_retries_total`: jobs sent to a retry tier.
    pub retries: Counter,
    /// `lsb_dead_letters_total`: jobs parked in the dead-letter queue.
    pub dead_letters: Counter,
    /// `lsb_queue_depth{queue}`: messages ready in a queue, where known.
    pub queue_depth: Family<QueueLabel, Gauge>,
    /// `lsb_shards_owned`: shards this worker process has claimed (README, Scaling).
    pub shards_owned: Gauge,
}

impl Metrics {
    /// A fresh registry with every series registered (the `run` role, tests).
    pub fn new() -> Arc<Self> {
        Self::for_roles(true, true)
    }

    /// A registry exporting only the series of the roles this process runs: the receiver's
    /// (`lsb_webhooks_total`, `lsb_publish_seconds`), the worker's (`lsb_jobs_total`,
    /// `lsb_stage_seconds`, `lsb_hub_calls_total`, `lsb_retries_total`,
    /// `lsb_dead_letters_total`, `lsb_shards_owned`), and `lsb_queue_depth` for both.
    pub fn for_roles(serve: bool, work: bool) -> Arc<Self> {
        let mut registry = Registry::with_prefix("lsb");
        let webhooks = Family::<OutcomeLabel, Counter>::default();
        let publish_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        if serve {
            registry.register("webhooks", "Webhook deliveries by outcome", webhooks.clone());
            registry.register("publish_seconds", "Publish-to-confirm latency of jobs", publish_seconds.clone());
        }
        let jobs = Family::<JobLabels, Counter>::default();
        let stage_seconds = Family::<StageLabel, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 16)));
        let hub_calls = Family::<HubCallLabels, Counter>::default();
        let retries = Counter::default();
        let dead_letters = Counter::default();
        let shards_owned = Gauge::default();
        if work {
            registry.register("jobs", "Finished jobs by kind and outcome", jobs.clone());
            registry.register("stage_seconds", "Pipeline stage durations", stage_seconds.clone());
            registry.register("hub_calls", "Hub HTTP calls by route and status", hub_calls.clone());
            registry.register("retries", "Jobs sent to a retry tier", retries.clone());
            registry.register("dead_letters", "Jobs parked in the dead-letter queue", dead_letters.clone());
            registry.register("shards_owned", "Shards this worker process has claimed", shards_owned.clone());
        }
        let queue_depth = Family::<QueueLabel, Gauge>::default();
        registry.register("queue_depth", "Messages ready in a queue", queue_depth.clone());
        Arc::new(Self { registry, webhooks, publish_seconds, jobs, stage_seconds, hub_calls, retries, dead_letters, queue_depth, shards_owned })
    }

    /// Counts one webhook delivery.
    pub fn webhook(&self, outcome: &str) {
        self.webhooks.get_or_create(&OutcomeLabel { outcome: outcome.to_owned() }).inc();
    }

    /// Records one stage duration.
    pub fn stage(&self, stage: &str, took: Duration) {
        self.stage_seconds.get_or_create(&StageLabel { stage: stage.to_owned() }).observe(took.as_secs_f64());
    }

    /// Counts one finished job.
    pub fn job(&self, kind: &str, outcome: &str) {
        self.jobs.get_or_create(&JobLabels { kind: kind.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    /// Counts one Hub HTTP exchange (`route` is a template such as `GET /api/{type}s/{id}`).
    pub fn hub_call(&self, route: &str, status: &str) {
        self.hub_calls.get_or_create(&HubCallLabels { route: route.to_owned(), status: status.to_owned() }).inc();
    }

    /// Sets the last known depth of a queue.
    pub fn set_queue_depth(&self, queue: &str, depth: u32) {
        self.queue_depth.get_or_create(&QueueLabel { queue: queue.to_owned() }).set(i64::from(depth));
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_exposed_with_its_labels() {
        let m = Metrics::new();
        m.webhook("accepted");
        m.job("sync", "done");
        m.stage("fetch", Duration::from_millis(3));
        m.publish_seconds.observe(0.001);
        m.hub_call("GET /api/{type}s/{id}", "200");
        m.set_queue_depth("lsb.jobs.0", 7);
        let text = m.render();
        for needle in ["lsb_hub_calls_total{route=\"GET /api/{type}s/{id}\",status=\"200\"} 1", "lsb_queue_depth{queue=\"lsb.jobs.0\"} 7", "lsb_webhooks_total{outcome=\"accepted\"} 1", "lsb_jobs_total{kind=\"sync\",outcome=\"done\"} 1", "lsb_stage_seconds_count{stage=\"fetch\"} 1", "lsb_publish_seconds_count 1", "lsb_retries_total", "lsb_dead_letters_total"] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[test]
    fn each_role_exports_only_its_own_series() {
        // Families render only once they hold a sample: record one in every series of both.
        let render = |m: Arc<Metrics>| {
            m.webhook("accepted");
            m.job("sync", "retry");
            m.hub_call("GET /api/models", "200");
            m.stage("analyze", Duration::from_millis(1));
            m.set_queue_depth("lsb.jobs.0", 1);
            m.render()
        };
        let receiver = render(Metrics::for_roles(true, false));
        let worker = render(Metrics::for_roles(false, true));
        for (text, mine, theirs) in [(&receiver, "lsb_webhooks_total", "lsb_jobs_total"), (&worker, "lsb_jobs_total", "lsb_webhooks_total")] {
            assert!(text.contains(mine) && !text.contains(theirs), "{text}");
            assert!(text.contains("lsb_queue_depth"), "{text}");
        }
        assert!(!receiver.contains("lsb_hub_calls_total") && !receiver.contains("lsb_stage_seconds"), "{receiver}");
        assert!(worker.contains("lsb_hub_calls_total") && !worker.contains("lsb_publish_seconds"), "{worker}");
        assert!(worker.contains("lsb_shards_owned") && !receiver.contains("lsb_shards_owned"), "{worker}\n{receiver}");
    }
}
