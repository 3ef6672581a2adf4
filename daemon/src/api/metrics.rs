//! Counters of the API's work, served with the node's numbers as Prometheus text.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the API has done since the daemon started.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) requests: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) uploads: AtomicU64,
    pub(crate) uploaded_bytes: AtomicU64,
    pub(crate) downloads: AtomicU64,
    pub(crate) downloaded_bytes: AtomicU64,
}

/// One metric: name, help, type and value.
pub(crate) struct Sample<'a> {
    pub(crate) name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) value: u64,
}

impl Metrics {
    /// The API's counters as samples.
    pub(crate) fn samples(&self) -> Vec<Sample<'static>> {
        let counter = |name, help, value: &AtomicU64| Sample {
            name,
            help,
            kind: "counter",
            value: value.load(Ordering::Relaxed),
        };
        vec![
            counter(
                "datanet_api_requests_total",
                "API requests served.",
                &self.requests,
            ),
            counter(
                "datanet_api_errors_total",
                "API requests answered with an error.",
                &self.errors,
            ),
            counter(
                "datanet_uploads_total",
                "Contributions ingested through the API.",
                &self.uploads,
            ),
            counter(
                "datanet_upload_bytes_total",
                "Payload bytes ingested through the API.",
                &self.uploaded_bytes,
            ),
            counter(
                "datanet_downloads_total",
                "Contribution downloads started.",
                &self.downloads,
            ),
            counter(
                "datanet_download_bytes_total",
                "Payload bytes served to downloads.",
                &self.downloaded_bytes,
            ),
        ]
    }
}

/// `samples` in the Prometheus text format.
pub(crate) fn render(samples: &[Sample<'_>]) -> String {
    let mut out = String::new();
    for s in samples {
        let _ = writeln!(out, "# HELP {} {}", s.name, s.help);
        let _ = writeln!(out, "# TYPE {} {}", s.name, s.kind);
        let _ = writeln!(out, "{} {}", s.name, s.value);
    }
    out
}
