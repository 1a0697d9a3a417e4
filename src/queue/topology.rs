//! Pure: names and argument tables of every exchange and queue (DESIGN §5). Both roles
//! declare this topology idempotently at start-up; deploy/rabbitmq/definitions.json mirrors it.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::domain::RepoId;

/// Retry/debounce delay tiers: each is a queue whose messages expire back into the jobs exchange.
pub const DELAY_TIERS: &[Duration] = &[
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];

/// One argument value of a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A string argument.
    Str(&'static str),
    /// An integer argument.
    Int(i64),
    /// A boolean argument.
    Bool(bool),
    /// A string computed from the prefix.
    Owned(String),
}

/// A queue declaration: durable, with these arguments, bound to `exchange` with `routing_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Queue name.
    pub name: String,
    /// `x-...` arguments.
    pub args: Vec<(&'static str, Arg)>,
    /// Exchange it is bound to.
    pub exchange: String,
    /// Binding key (`""` for fanout).
    pub routing_key: String,
}

/// An exchange declaration (durable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeSpec {
    /// Exchange name.
    pub name: String,
    /// `direct` or `fanout`.
    pub kind: &'static str,
}

/// The names and arguments for one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Prefix of every name.
    pub prefix: String,
    /// Number of shard queues.
    pub shards: u16,
    /// `x-delivery-limit` of shard queues.
    pub delivery_limit: u32,
}

impl Topology {
    /// The direct exchange jobs are published to.
    pub fn jobs_exchange(&self) -> String {
        format!("{}.jobs", self.prefix)
    }
    /// The shard queue `k`.
    pub fn shard_queue(&self, k: u16) -> String {
        format!("{}.jobs.{k}", self.prefix)
    }
    /// The dead-letter exchange and its queue share this name.
    pub fn dead(&self) -> String {
        format!("{}.dead", self.prefix)
    }
    /// The delay exchange/queue of a tier (fanout exchange, one queue).
    pub fn delay(&self, tier: Duration) -> String {
        format!("{}.delay.{}s", self.prefix, tier.as_secs())
    }
    /// The shard a Space's jobs go to: `stable_hash(space) mod shards`.
    pub fn shard_of(&self, space: &RepoId) -> u16 {
        let digest = Sha256::digest(space.to_string().as_bytes());
        let n = u64::from_be_bytes([digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]]);
        (n % u64::from(self.shards.max(1))) as u16
    }
    /// The durable classic queue every worker consumes from (and never receives on): its
    /// consumer count is the number of live workers (`claims` module). Named `workers` since
    /// it became durable: the transient `<prefix>.members` of earlier versions cannot be
    /// redeclared durable (PRECONDITION_FAILED), and RabbitMQ 4.3 refuses transient ones.
    pub fn members(&self) -> String {
        format!("{}.workers", self.prefix)
    }
    /// The exclusive queue whose declaring connection owns shard `k` (`claims` module).
    pub fn claim(&self, k: u16) -> String {
        format!("{}.claim.{k}", self.prefix)
    }
    /// The routing key of shard `k` on the jobs exchange.
    pub fn routing_key(k: u16) -> String {
        k.to_string()
    }

    /// Every exchange, in declaration order.
    pub fn exchanges(&self) -> Vec<ExchangeSpec> {
        let mut v = vec![
            ExchangeSpec { name: self.dead(), kind: "fanout" },
            ExchangeSpec { name: self.jobs_exchange(), kind: "direct" },
        ];
        v.extend(DELAY_TIERS.iter().map(|t| ExchangeSpec { name: self.delay(*t), kind: "fanout" }));
        v
    }

    /// Every queue, in declaration order (dead-letter targets first).
    pub fn queues(&self) -> Vec<QueueSpec> {
        let mut v = vec![QueueSpec {
            name: self.dead(),
            args: vec![("x-queue-type", Arg::Str("quorum"))],
            exchange: self.dead(),
            routing_key: String::new(),
        }];
        v.extend((0..self.shards).map(|k| QueueSpec {
            name: self.shard_queue(k),
            args: vec![
                ("x-queue-type", Arg::Str("quorum")),
                ("x-single-active-consumer", Arg::Bool(true)),
                ("x-delivery-limit", Arg::Int(i64::from(self.delivery_limit))),
                ("x-dead-letter-exchange", Arg::Owned(self.dead())),
                ("x-dead-letter-strategy", Arg::Str("at-least-once")),
                ("x-overflow", Arg::Str("reject-publish")),
            ],
            exchange: self.jobs_exchange(),
            routing_key: Self::routing_key(k),
        }));
        v.extend(DELAY_TIERS.iter().map(|t| QueueSpec {
            name: self.delay(*t),
            args: vec![
                ("x-queue-type", Arg::Str("quorum")),
                ("x-message-ttl", Arg::Int(t.as_millis() as i64)),
                // No x-dead-letter-routing-key: the message keeps its shard routing key.
                ("x-dead-letter-exchange", Arg::Owned(self.jobs_exchange())),
                ("x-dead-letter-strategy", Arg::Str("at-least-once")),
                ("x-overflow", Arg::Str("reject-publish")),
            ],
            exchange: self.delay(*t),
            routing_key: String::new(),
        }));
        v
    }

    /// The smallest tier at least `wanted` long (the longest tier if none is).
    pub fn tier_for(wanted: Duration) -> Duration {
        DELAY_TIERS.iter().copied().find(|t| *t >= wanted).unwrap_or(DELAY_TIERS[DELAY_TIERS.len() - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology { prefix: "lsb".into(), shards: 4, delivery_limit: 5 }
    }

    #[test]
    fn a_space_always_maps_to_the_same_shard_within_range() {
        let t = topo();
        let s: RepoId = "alice/demo".parse().expect("id");
        assert_eq!(t.shard_of(&s), t.shard_of(&s));
        let shards: std::collections::HashSet<u16> =
            (0..64).map(|i| t.shard_of(&format!("u/s{i}").parse().expect("id"))).collect();
        assert!(shards.iter().all(|k| *k < 4));
        assert!(shards.len() > 1, "64 spaces should spread over shards");
    }

    #[test]
    fn shard_queues_carry_delivery_limit_and_dead_letter_settings() {
        let q = topo().queues().into_iter().find(|q| q.name == "lsb.jobs.2").expect("shard 2");
        assert!(q.args.contains(&("x-delivery-limit", Arg::Int(5))));
        assert!(q.args.contains(&("x-single-active-consumer", Arg::Bool(true))));
        assert!(q.args.contains(&("x-dead-letter-exchange", Arg::Owned("lsb.dead".into()))));
        assert!(q.args.contains(&("x-overflow", Arg::Str("reject-publish"))));
        assert_eq!(q.routing_key, "2");
    }

    #[test]
    fn membership_and_claim_queues_carry_the_prefix() {
        let t = topo();
        assert_eq!(t.members(), "lsb.workers");
        assert_eq!(t.claim(3), "lsb.claim.3");
        assert!(t.queues().iter().all(|q| q.name != t.members() && !q.name.contains(".claim.")), "neither is a durable topology queue");
    }

    #[test]
    fn delay_queues_expire_back_into_the_jobs_exchange_keeping_the_routing_key() {
        let t = topo();
        let q = t.queues().into_iter().find(|q| q.name == "lsb.delay.5s").expect("5s tier");
        assert!(q.args.contains(&("x-message-ttl", Arg::Int(5000))));
        assert!(q.args.contains(&("x-dead-letter-exchange", Arg::Owned("lsb.jobs".into()))));
        assert!(!q.args.iter().any(|(k, _)| *k == "x-dead-letter-routing-key"));
    }

    #[test]
    fn tier_for_rounds_up_and_caps_at_the_longest() {
        assert_eq!(Topology::tier_for(Duration::from_millis(10)), Duration::from_secs(1));
        assert_eq!(Topology::tier_for(Duration::from_secs(6)), Duration::from_secs(30));
        assert_eq!(Topology::tier_for(Duration::from_secs(9999)), Duration::from_secs(600));
    }
}
