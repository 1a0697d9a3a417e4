//! Connecting and declaring: the broker URL with a small `frame_max`, and the topology's
//! exchanges, queues and bindings declared idempotently.

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

use super::fields::arg_value;
use crate::queue::QueueError;
use crate::queue::topology::Topology;

/// Largest AMQP frame the client proposes unless the URL sets `frame_max`. lapin keeps
/// send and receive buffers of 32 frames each, zero-filled: at RabbitMQ's default 128 KiB that is
/// 8 MiB per connection for envelopes of about 1 KiB. Larger messages are split into frames.
pub const FRAME_MAX: u32 = 16 * 1024;

/// `url` with `frame_max` set to [`FRAME_MAX`] when it does not say otherwise.
pub fn with_frame_max(url: &str) -> String {
    if url.contains("frame_max=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}frame_max={FRAME_MAX}")
}

/// Opens a connection to `url` (with [`with_frame_max`]).
pub async fn connect(url: &str) -> lapin::Result<Connection> {
    Connection::connect(&with_frame_max(url), ConnectionProperties::default()).await
}

/// Declares every exchange, queue and binding of `t` (idempotent; a queue declared before
/// with other arguments fails with PRECONDITION_FAILED, naming it).
pub async fn declare(ch: &Channel, t: &Topology, limit: Duration) -> Result<(), QueueError> {
    let timed = |_| QueueError::ConfirmTimeout(limit);
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    for ex in t.exchanges() {
        let kind = if ex.kind == "fanout" { ExchangeKind::Fanout } else { ExchangeKind::Direct };
        tokio::time::timeout(limit, ch.exchange_declare(ex.name.as_str().into(), kind, durable, FieldTable::default())).await.map_err(timed)??;
    }
    for q in t.queues() {
        let args = FieldTable::from(q.args.iter().map(|(k, v)| (ShortString::from(*k), arg_value(v))).collect::<std::collections::BTreeMap<_, _>>());
        tokio::time::timeout(limit, ch.queue_declare(q.name.as_str().into(), QueueDeclareOptions::durable(), args)).await.map_err(timed)??;
        tokio::time::timeout(limit, ch.queue_bind(q.name.as_str().into(), q.exchange.as_str().into(), q.routing_key.as_str().into(), QueueBindOptions::default(), FieldTable::default()))
            .await
            .map_err(timed)??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_max_is_added_unless_the_url_sets_it() {
        assert_eq!(with_frame_max("amqp://h:5672/%2f"), "amqp://h:5672/%2f?frame_max=16384");
        assert_eq!(with_frame_max("amqp://h:5672/%2f?heartbeat=10"), "amqp://h:5672/%2f?heartbeat=10&frame_max=16384");
        assert_eq!(with_frame_max("amqp://h:5672/%2f?frame_max=131072"), "amqp://h:5672/%2f?frame_max=131072");
    }
}
