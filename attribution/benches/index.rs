//! Building a shard over about 8 MiB of synthetic JSON Lines payloads (their generation,
//! text extraction, suffix array, file written, fsync'd and verified; one thread) beside bare libsais suffix array
//! construction of the same text, in the same run; and queries of 1 KiB outputs, one
//! quoting the indexed text and one of random words. Throughput is indexed text bytes.

#![allow(
    clippy::expect_used,
    reason = "benchmark setup has no caller to hand an error to"
)]

#[path = "support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use datanet_attribution::{suffix_array, Version};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Payload bytes the benchmark corpus is generated from.
const PAYLOAD_BYTES: usize = 8 << 20;
/// Bytes of each query's output.
const OUTPUT_BYTES: usize = 1024;

fn main() {
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let vocabulary = corpus::vocabulary();
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("shard");
    let (shard, _) = corpus::build(&path, &vocabulary, PAYLOAD_BYTES, 1).expect("shard builds");
    let text = shard.text().to_vec();

    let mut build = criterion.benchmark_group("build");
    build.throughput(Throughput::Bytes(text.len() as u64));
    build.bench_function("shard from payloads", |b| {
        b.iter(|| corpus::build(&path, &vocabulary, PAYLOAD_BYTES, 1).expect("shard builds"));
    });
    build.bench_function("bare suffix array", |b| {
        b.iter(|| suffix_array(black_box(&text), 1).expect("suffix array"));
    });
    build.finish();

    let version = Version::new(vec![shard]);
    let mut rng = StdRng::seed_from_u64(3);
    let quoting = corpus::quote(&mut rng, &text, OUTPUT_BYTES);
    let random = corpus::words(&mut rng, &vocabulary, OUTPUT_BYTES);
    let mut query = criterion.benchmark_group("query 1 KiB");
    query.bench_function("quoting the text", |b| {
        b.iter(|| version.query(black_box(&quoting), 20).expect("query"));
    });
    query.bench_function("random words", |b| {
        b.iter(|| version.query(black_box(&random), 20).expect("query"));
    });
    query.finish();
    criterion.final_summary();
}
