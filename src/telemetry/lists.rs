//! List fields as JSON arrays in JSON log lines.
//!
//! tracing records a field as a string or as Debug text (its `valuable` support needs the
//! unstable `--cfg tracing_unstable`), so `tracing-subscriber`'s JSON formatter can only write a
//! list as an escaped string. A list field is therefore logged as its JSON text ([`list`]), and
//! the JSON writer ([`ArraysWriter`]) turns the value of every field named in [`LIST_FIELDS`]
//! back into the array that text spells, in place: the other fields, and their order, stay as
//! the formatter wrote them. In text logs the same field reads `job_ids=["a","b"]`.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;
use tracing_subscriber::fmt::MakeWriter;

/// Fields logged with [`list`] whose JSON value becomes an array.
pub const LIST_FIELDS: &[&str] = &["job_ids"];

/// The JSON text of `items`, for a field in [`LIST_FIELDS`] (`job_ids = %list(&ids)`).
pub fn list<T: Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// Pure: `line` (one JSON object) with each `"<field>":"<JSON array text>"` of [`LIST_FIELDS`]
/// replaced by `"<field>":<the array>`; anything else is left as it is.
pub fn arrays_in(line: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    for field in LIST_FIELDS {
        let current = out.as_deref().unwrap_or(line);
        let key = format!("\"{field}\":");
        let mut result = String::with_capacity(current.len());
        let mut rest = current;
        let mut changed = false;
        while let Some(at) = rest.find(&key) {
            let (head, tail) = rest.split_at(at + key.len());
            result.push_str(head);
            match string_array_at(tail) {
                Some((array, used)) => {
                    result.push_str(&array);
                    rest = &tail[used..];
                    changed = true;
                }
                None => rest = tail,
            }
        }
        if changed {
            result.push_str(rest);
            out = Some(result);
        }
    }
    out.map_or(Cow::Borrowed(line), Cow::Owned)
}

/// If `s` starts with a JSON string whose content is a JSON array: that array (compact) and
/// the bytes the string took.
fn string_array_at(s: &str) -> Option<(String, usize)> {
    if !s.starts_with('"') {
        return None;
    }
    let mut strings = serde_json::Deserializer::from_str(s).into_iter::<String>();
    let text = strings.next()?.ok()?;
    let used = strings.byte_offset();
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.is_array().then(|| (value.to_string(), used))
}

/// A [`MakeWriter`] whose writers pass each formatted event through [`arrays_in`].
#[derive(Debug, Clone)]
pub struct ArraysWriter<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for ArraysWriter<M> {
    type Writer = EventWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter { inner: self.0.make_writer(), buf: Vec::new() }
    }
}

/// Buffers one event and writes it, rewritten, when flushed or dropped.
pub struct EventWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for EventWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            match std::str::from_utf8(&buf) {
                Ok(text) => self.inner.write_all(arrays_in(text).as_bytes())?,
                Err(_) => self.inner.write_all(&buf)?,
            }
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for EventWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_list_field_becomes_an_array_and_the_rest_stays_in_place() {
        let line = r#"{"timestamp":"t","level":"INFO","job_ids":"[\"ab\",\"c\\\"d\"]","message":"webhook","span":{"job_ids":"[]"}}"#;
        assert_eq!(arrays_in(line), r#"{"timestamp":"t","level":"INFO","job_ids":["ab","c\"d"],"message":"webhook","span":{"job_ids":[]}}"#);
    }

    #[test]
    fn other_fields_and_non_array_values_are_left_alone() {
        for line in [
            r#"{"message":"job_ids","reason":"[\"x\"]"}"#,
            r#"{"job_ids":"not a list","n":1}"#,
            r#"{"job_ids":"{\"a\":1}"}"#,
            r#"{"job_ids":3}"#,
            r#"{"job_ids":"[unterminated"}"#,
        ] {
            assert_eq!(arrays_in(line), line);
        }
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_json_formatter_through_the_writer_logs_a_real_array() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(ArraysWriter(move || sink.clone()))
            .finish();
        let ids = ["a1b2", "c3d4"];
        tracing::subscriber::with_default(subscriber, || tracing::info!(jobs = ids.len(), job_ids = %list(&ids), "webhook"));
        let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["job_ids"], serde_json::json!(["a1b2", "c3d4"]), "{text}");
        assert_eq!(line["jobs"], 2);
        assert_eq!(line["message"], "webhook");
    }
}
