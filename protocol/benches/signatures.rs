//! Ed25519 signature verification for 4, 64 and 1024 signatures by distinct keys: the crate's
//! rule (ZIP-215, docs/protocol.md 6.2) one signature at a time (`PublicKey::verify`) and as
//! one batch (`verify_batch`), against the rule it replaced for single signatures,
//! `ed25519-dalek`'s `verify_strict`, one at a time. One BLAKE3 hash of 1 KiB is the same-run
//! baseline. Throughput is signatures per second.

#![allow(
    clippy::expect_used,
    reason = "benchmark setup has no caller to hand an error to"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use datanet_protocol::signed::verify_batch;
use datanet_protocol::{Domain, Hash, PublicKey, SecretKey, Signature};

/// Batch sizes measured: a small quorum, a medium one, and `MAX_VALIDATORS`.
const SIZES: [usize; 3] = [4, 64, 1024];

/// `n` signed attestation-sized messages, each by its own key.
fn items(n: usize) -> Vec<(Hash, Signature, PublicKey)> {
    (0..n)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let key = SecretKey::from_seed(seed);
            let message = datanet_protocol::hash::hash(Domain::Attestation, &seed);
            (message, key.sign(&message), key.public())
        })
        .collect()
}

fn verification(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let items = items(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("zip215_each", n), &items, |b, items| {
            b.iter(|| {
                for (message, signature, key) in items {
                    key.verify(message, signature).expect("valid signature");
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("zip215_batch", n), &items, |b, items| {
            b.iter(|| verify_batch(black_box(items)).expect("valid batch"))
        });
        group.bench_with_input(BenchmarkId::new("strict_each", n), &items, |b, items| {
            b.iter(|| {
                for (message, signature, key) in items {
                    let key = ed25519_dalek::VerifyingKey::from_bytes(&key.to_bytes())
                        .expect("valid key");
                    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
                    key.verify_strict(&message.0, &signature)
                        .expect("valid signature");
                }
            })
        });
    }
    group.finish();
}

fn baseline(c: &mut Criterion) {
    let data = vec![0x5au8; 1024];
    let mut group = c.benchmark_group("baseline");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(1));
    group.bench_function("blake3_1kib", |b| b.iter(|| blake3::hash(black_box(&data))));
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    baseline(&mut criterion);
    verification(&mut criterion);
    criterion.final_summary();
}
