//! AMQP field values: topology arguments and text headers written as AMQP values, and a
//! message's header read back as text.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, LongString};

use crate::queue::topology::Arg;

/// A topology argument as an AMQP value.
pub(super) fn arg_value(a: &Arg) -> AMQPValue {
    match a {
        Arg::Str(s) => text(s),
        Arg::Owned(s) => text(s),
        Arg::Int(i) => AMQPValue::LongLongInt(*i),
        Arg::Bool(b) => AMQPValue::Boolean(*b),
    }
}

/// A string as an AMQP long string.
pub(super) fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// A header table from `pairs`.
pub(super) fn table<const N: usize>(pairs: [(&str, AMQPValue); N]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert(k.into(), v);
    }
    t
}

/// A text header of a message, if present.
pub fn header_text(props: &BasicProperties, name: &str) -> Option<String> {
    let headers = props.headers().as_ref()?;
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        AMQPValue::LongLongInt(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}
