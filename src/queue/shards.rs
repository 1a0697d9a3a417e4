//! Shard assignment on one consumer connection (README, Scaling; the rules are in
//! [`super::claims`]). The process consumes `<prefix>.workers` (never receiving on it) so
//! every worker can count the live workers, claims shard `k` by declaring the exclusive queue
//! `<prefix>.claim.<k>` on this connection, and consumes only the shards it has claimed. The
//! broker refuses a claim another connection holds (RESOURCE_LOCKED) and deletes a dead
//! connection's claims with it, so its shards become free. The shard queues keep
//! single-active-consumer: even during a handover, one consumer at a time gets a shard's jobs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::StreamExt;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, Connection};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::amqp::{AmqpBroker, header_text};
use super::envelope::{self, SIGNATURE_HEADER};
use super::fatal::{RESOURCE_LOCKED, reply_code};
use super::{Handler, Outcome, QueueError, claims};

/// A claimed shard: its consumer's channel, and the token that asks it to let go.
struct Owned {
    channel: Channel,
    release: CancellationToken,
}

/// What a consumer connection shares with its shard tasks.
struct Ctx<'a> {
    broker: &'a AmqpBroker,
    conn: &'a Connection,
    control: Channel,
    handler: &'a Handler,
    permits: &'a Arc<Semaphore>,
    stop: CancellationToken,
}

/// Joins the workers on `conn`, then claims, consumes and releases shards until `shutdown`
/// (in-flight jobs finish first) or until the connection fails (the error is returned; the
/// broker frees every claim of the connection).
pub(super) async fn serve(broker: &AmqpBroker, conn: &Connection, handler: &Handler, permits: &Arc<Semaphore>, shutdown: &CancellationToken) -> Result<(), QueueError> {
    let t = broker.topology().clone();
    let control = broker.bounded(conn.create_channel()).await?;
    let (shared, args) = membership_queue();
    broker.bounded(control.queue_declare(t.members().as_str().into(), shared, args)).await?;
    let member = broker.bounded(conn.create_channel()).await?;
    // No message is ever published to it: the consumer only makes this process count.
    let opts = BasicConsumeOptions { no_ack: true, ..BasicConsumeOptions::default() };
    let mut membership = broker.bounded(member.basic_consume(t.members().as_str().into(), tag("member").into(), opts, FieldTable::default())).await?;
    let cx = Ctx { broker, conn, control, handler, permits, stop: shutdown.child_token() };
    let gauge = broker.shards_owned_gauge();
    let mut owned: BTreeMap<u16, Owned> = BTreeMap::new();
    let mut tasks: JoinSet<(u16, Result<(), QueueError>)> = JoinSet::new();
    let mut next = tokio::time::Instant::now();
    let result = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break Ok(()),
            _ = tokio::time::sleep_until(next) => {
                if let Err(e) = rebalance(&cx, &mut owned, &mut tasks).await {
                    break Err(e);
                }
                gauge.set(owned.len() as i64);
                next = tokio::time::Instant::now() + claims::jittered(broker.settings().rebalance, rand::random::<f64>());
            }
            m = membership.next() => if !matches!(m, Some(Ok(_))) {
                break Err(QueueError::Unavailable("the membership consumer was cancelled".into()));
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => match done {
                // A shard task ends by itself only when released (or at shutdown, handled above).
                Ok((k, Ok(()))) => {
                    if let Err(e) = release(&cx, &mut owned, k, "shard released").await {
                        break Err(e);
                    }
                    gauge.set(owned.len() as i64);
                }
                Ok((_, Err(e))) => break Err(e),
                Err(e) => break Err(QueueError::Unavailable(e.to_string())),
            },
        }
    };
    cx.stop.cancel();
    let leaving = shutdown.is_cancelled();
    if leaving {
        // Leave now: the others recount and take over this worker's idle shards while its
        // in-flight jobs finish.
        let _ = broker.bounded(member.close(200, "leaving".into())).await;
    }
    while let Some(done) = tasks.join_next().await {
        let Ok((k, _)) = done else { continue };
        if leaving && owned.contains_key(&k) {
            let _ = release(&cx, &mut owned, k, "shutting down").await;
            gauge.set(owned.len() as i64);
        }
    }
    gauge.set(0);
    result
}

/// Lets go of shard `k` whose consumer has ended: closes its channel and deletes its claim
/// queue, so another worker may claim it.
async fn release(cx: &Ctx<'_>, owned: &mut BTreeMap<u16, Owned>, k: u16, why: &str) -> Result<(), QueueError> {
    if let Some(o) = owned.remove(&k) {
        let _ = cx.broker.bounded(o.channel.close(200, why.into())).await;
    }
    cx.broker.bounded(cx.control.queue_delete(cx.broker.topology().claim(k).as_str().into(), QueueDeleteOptions::default())).await?;
    tracing::info!(shard = k, owned = owned.len(), "shard released");
    Ok(())
}

/// One tick: count the workers, release extras, claim free shards up to the target.
async fn rebalance(cx: &Ctx<'_>, owned: &mut BTreeMap<u16, Owned>, tasks: &mut JoinSet<(u16, Result<(), QueueError>)>) -> Result<(), QueueError> {
    let t = cx.broker.topology();
    // Ref AMQP 0-9-1 queue.declare-ok: consumer-count, here the number of live workers.
    let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    let members = cx.broker.bounded(cx.control.queue_declare(t.members().as_str().into(), passive, FieldTable::default())).await?.consumer_count();
    let kept: BTreeSet<u16> = owned.iter().filter(|(_, o)| !o.release.is_cancelled()).map(|(k, _)| *k).collect();
    let leaving: BTreeSet<u16> = owned.keys().copied().filter(|k| !kept.contains(k)).collect();
    let target = claims::target(t.shards, members);
    let free = if kept.len() < target { free_shards(cx, owned).await? } else { Vec::new() };
    let plan = claims::plan(t.shards, members, &kept, &leaving, &free, rand::random::<u32>() as usize);
    for k in &plan.release {
        if let Some(o) = owned.get(k) {
            tracing::info!(shard = *k, members, share = target, "releasing shard after its in-flight job");
            o.release.cancel();
        }
    }
    let mut claimed = 0;
    for k in plan.candidates {
        if claimed == plan.want {
            break;
        }
        if !try_claim(cx, k).await? {
            continue;
        }
        let o = consume_shard(cx, k, tasks).await?;
        owned.insert(k, o);
        claimed += 1;
        tracing::info!(shard = k, members, share = target, owned = owned.len(), "shard claimed");
    }
    Ok(())
}

/// Shards nobody consumes (read from the shard queues' consumer counts, which needs no failing
/// declare): claiming only those keeps a worker short of its target from knocking on every
/// held claim each tick, each a RESOURCE_LOCKED the broker would log.
async fn free_shards(cx: &Ctx<'_>, owned: &BTreeMap<u16, Owned>) -> Result<Vec<u16>, QueueError> {
    let t = cx.broker.topology();
    let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    let mut free = Vec::new();
    for k in (0..t.shards).filter(|k| !owned.contains_key(k)) {
        let q = cx.broker.bounded(cx.control.queue_declare(t.shard_queue(k).as_str().into(), passive, FieldTable::default())).await?;
        if q.consumer_count() == 0 {
            free.push(k);
        }
    }
    Ok(free)
}

/// Declares the exclusive claim queue of shard `k` on a throwaway channel (a refusal closes
/// the channel): `true` if this connection now holds it, `false` if another one does.
async fn try_claim(cx: &Ctx<'_>, k: u16) -> Result<bool, QueueError> {
    let ch = cx.broker.bounded(cx.conn.create_channel()).await?;
    match cx.broker.bounded(ch.queue_declare(cx.broker.topology().claim(k).as_str().into(), claim_queue(), classic())).await {
        Ok(_) => {
            let _ = cx.broker.bounded(ch.close(200, "claimed".into())).await;
            Ok(true)
        }
        // Ref AMQP 0-9-1 §1.9 resource-locked (405): the queue is exclusive to another connection.
        Err(QueueError::Amqp(e)) if reply_code(&e) == Some(RESOURCE_LOCKED) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Starts consuming shard `k` on its own channel, one unacked delivery at a time.
async fn consume_shard(cx: &Ctx<'_>, k: u16, tasks: &mut JoinSet<(u16, Result<(), QueueError>)>) -> Result<Owned, QueueError> {
    let ch = cx.broker.bounded(cx.conn.create_channel()).await?;
    // Ref AMQP 0-9-1 basic.qos: one unacked delivery per shard keeps a Space's jobs in order.
    cx.broker.bounded(ch.basic_qos(1, BasicQosOptions::default())).await?;
    let queue = cx.broker.topology().shard_queue(k);
    let consumer = cx.broker.bounded(ch.basic_consume(queue.as_str().into(), tag(&k.to_string()).into(), BasicConsumeOptions::default(), FieldTable::default())).await?;
    let release = CancellationToken::new();
    let run = shard_loop(cx.broker.clone(), ch.clone(), consumer, cx.handler.clone(), cx.permits.clone(), cx.stop.clone(), release.clone());
    tasks.spawn(async move { (k, run.await) });
    Ok(Owned { channel: ch, release })
}

/// Handles a shard's deliveries one at a time. `stop` ends it between jobs (the connection is
/// closing); `release` cancels the consumer, finishes whatever was already delivered and ends.
async fn shard_loop(broker: AmqpBroker, channel: Channel, mut consumer: lapin::Consumer, handler: Handler, permits: Arc<Semaphore>, stop: CancellationToken, release: CancellationToken) -> Result<(), QueueError> {
    let mut cancelling = false;
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.cancelled() => return Ok(()),
            _ = release.cancelled(), if !cancelling => {
                cancelling = true;
                // Ref AMQP 0-9-1 basic.cancel: no new deliveries; those already sent still
                // arrive, then lapin ends the stream.
                broker.bounded(channel.basic_cancel(consumer.tag(), BasicCancelOptions::default())).await?;
                continue;
            }
            d = consumer.next() => d,
        };
        let delivery = match next {
            None if cancelling => return Ok(()),
            None => return Err(QueueError::Unavailable("consumer stream ended".into())),
            Some(Err(e)) => return Err(QueueError::Amqp(e)),
            Some(Ok(d)) => d,
        };
        let Ok(_permit) = permits.acquire().await else { return Ok(()) };
        let sig = header_text(&delivery.properties, SIGNATURE_HEADER);
        let key = broker.settings().signing_key.expose().as_bytes().to_vec();
        match envelope::open(&delivery.data, sig.as_deref(), &key) {
            Ok(job) => {
                let outcome = handler(job.clone()).await;
                broker.settle(&delivery, Some(job), outcome).await?;
            }
            Err(e) => broker.settle(&delivery, None, Outcome::DeadLetter { reason: e.to_string() }).await?,
        }
    }
}

fn tag(what: &str) -> String {
    format!("lsb-{}-{what}", std::process::id())
}

/// `x-queue-type: classic`, explicit: exclusive and non-durable queues must be classic.
/// How the membership queue is declared: durable, so RabbitMQ 4.3+ accepts it — it rejects
/// non-durable non-exclusive queues by default (deprecated feature `transient_nonexcl_queues`,
/// rabbitmq-server release-notes/4.3.0.md; rabbitmq.com deprecated-features list: "use durable
/// queues … Queue TTL can be used for cleanup") — and expiring after a day without workers
/// (`x-expires`), so a removed deployment leaves nothing behind.
fn membership_queue() -> (QueueDeclareOptions, FieldTable) {
    let mut args = classic();
    args.insert("x-expires".into(), AMQPValue::LongUInt(MEMBERSHIP_EXPIRES_MS));
    (QueueDeclareOptions { durable: true, exclusive: false, auto_delete: false, ..QueueDeclareOptions::default() }, args)
}

/// A claim: exclusive to the declaring connection (deleted with it), non-durable.
fn claim_queue() -> QueueDeclareOptions {
    QueueDeclareOptions { durable: false, exclusive: true, auto_delete: false, ..QueueDeclareOptions::default() }
}

/// One day without a consumer or a declare, then the membership queue goes.
const MEMBERSHIP_EXPIRES_MS: u32 = 24 * 60 * 60 * 1000;

fn classic() -> FieldTable {
    let mut t = FieldTable::default();
    t.insert("x-queue-type".into(), AMQPValue::LongString(LongString::from(b"classic".to_vec())));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_the_workers_declare_is_durable_or_exclusive_as_rabbitmq_4_3_requires() {
        let (members, args) = membership_queue();
        assert!(members.durable && !members.auto_delete, "membership: durable");
        assert!(matches!(args.inner().get("x-expires"), Some(AMQPValue::LongUInt(ms)) if *ms == MEMBERSHIP_EXPIRES_MS));
        let claim = claim_queue();
        assert!(claim.exclusive, "claims: exclusive");
    }
}
