//! The content checker on JSON Lines with a 5-field schema: about 64 MiB of generated records
//! fed in 1 MiB pieces, against bare `serde_json` parsing of the same lines into values, in the
//! same run. Throughput is payload bytes per second.

#![allow(
    clippy::expect_used,
    reason = "benchmark setup has no caller to hand an error to"
)]

#[path = "support/records.rs"]
mod records;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use datanet_policy::Rules;
use datanet_protocol::hash::Hash;
use datanet_protocol::signed::{Policy, RecordFormat, RecordRules};
use records::{record, SCHEMA};

/// The payload size aimed at.
const PAYLOAD_BYTES: usize = 64 << 20;
/// The pieces the checker is fed, as an upload hands them over.
const PIECE_BYTES: usize = 1 << 20;

/// Distinct records of about 150 bytes until the payload reaches [`PAYLOAD_BYTES`].
fn payload() -> Vec<u8> {
    let mut out = Vec::with_capacity(PAYLOAD_BYTES + 256);
    let mut i: u64 = 0;
    while out.len() < PAYLOAD_BYTES {
        out.extend_from_slice(record(i).as_bytes());
        i += 1;
    }
    out
}

fn validation(c: &mut Criterion) {
    let payload = payload();
    let policy = Policy {
        max_contribution_bytes: 1 << 30,
        records: Some(RecordRules::new(RecordFormat::JsonLines {
            schema: SCHEMA.into(),
        })),
        ..Policy::default()
    };
    let rules = Rules::new(&policy).expect("the schema compiles");
    let seen: BTreeSet<Hash> = BTreeSet::new();

    let mut group = c.benchmark_group("jsonl 5 fields");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("serde_json parse", |b| {
        b.iter(|| {
            for line in payload.split(|byte| *byte == b'\n') {
                if !line.is_empty() {
                    let value: serde_json::Value =
                        serde_json::from_slice(line).expect("generated lines are JSON");
                    black_box(value);
                }
            }
        })
    });
    group.bench_function("checker", |b| {
        b.iter(|| {
            let mut check = rules.check(&seen);
            for piece in payload.chunks(PIECE_BYTES) {
                check.feed(piece);
            }
            black_box(
                check
                    .finish()
                    .expect("held in memory")
                    .expect("generated lines follow the schema"),
            )
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    validation(&mut criterion);
    criterion.final_summary();
}
