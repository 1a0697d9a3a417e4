//! Server-Sent Events of a call's result stream: complete frames split off a buffer, and the
//! message of an `error` event.

use serde_json::Value;

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `generating`, `complete`, `error`, `heartbeat` (or `message` when unnamed).
    pub event: String,
    /// The joined `data:` lines.
    pub data: String,
}

/// Splits complete frames off the front of `buf` (frames end with a blank line); the
/// unfinished tail stays in `buf`.
pub fn drain_sse(buf: &mut String) -> Vec<SseEvent> {
    let mut out = Vec::new();
    loop {
        let normalized = buf.replace("\r\n", "\n");
        if normalized.len() != buf.len() {
            *buf = normalized;
        }
        let Some(end) = buf.find("\n\n") else { return out };
        let frame: String = buf.drain(..end + 2).collect();
        let mut event = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in frame.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() || event != "message" {
            out.push(SseEvent { event, data: data.join("\n") });
        }
    }
}

/// The message of an SSE `error` payload: `{"error": "..."}` (6.13+), a bare string, or none.
pub(super) fn error_text(data: &str) -> Option<String> {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::String(s)) => Some(s),
        Ok(Value::Object(o)) => o.get("error").and_then(Value::as_str).map(str::to_owned),
        Ok(_) => None,
        Err(_) => (!data.trim().is_empty()).then(|| data.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_frames_are_split_on_blank_lines_and_the_tail_is_kept() {
        let mut buf = "event: heartbeat\ndata: null\n\nevent: complete\ndata: [1]\n\nevent: gen".to_owned();
        let evs = drain_sse(&mut buf);
        assert_eq!(evs, vec![
            SseEvent { event: "heartbeat".into(), data: "null".into() },
            SseEvent { event: "complete".into(), data: "[1]".into() },
        ]);
        assert_eq!(buf, "event: gen");
    }

    #[test]
    fn sse_frames_with_crlf_line_ends_are_parsed() {
        let mut buf = "event: error\r\ndata: {\"error\": \"boom\"}\r\n\r\n".to_owned();
        let evs = drain_sse(&mut buf);
        assert_eq!(evs.len(), 1);
        assert_eq!(error_text(&evs[0].data).as_deref(), Some("boom"));
    }

    #[test]
    fn error_payloads_give_their_text_or_none() {
        assert_eq!(error_text("null"), None);
        assert_eq!(error_text("\"404: Not Found\"").as_deref(), Some("404: Not Found"));
        assert_eq!(error_text("{\"error\": null}"), None);
    }
}
