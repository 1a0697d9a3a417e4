//! Tracing initialisation: text or JSON lines, filtered by the configured directive.

use tracing_subscriber::EnvFilter;

pub mod lists;

pub use lists::list;

use crate::config::{LogFormat, TelemetryConfig};

/// Installs the global subscriber once per process (binary start-up only).
pub fn init(cfg: &TelemetryConfig) {
    let filter = EnvFilter::try_new(&cfg.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only on a terminal: redirected logs (files, journald, containers) stay plain.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    let _ = match cfg.format {
        // List fields (`job_ids`) come out as JSON arrays: see `lists`.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_writer(lists::ArraysWriter(std::io::stderr)).try_init(),
        LogFormat::Text => builder.compact().with_writer(std::io::stderr).try_init(),
    };
}

/// For tests: a subscriber writing through the test harness's capture, `RUST_LOG`-filtered.
pub fn init_for_test() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}
