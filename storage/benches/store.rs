//! Column put/get through the store (k = 128: 256 shares of 512 bytes) beside bare sled
//! inserts and reads of the same values and bare file writes, all durable, in one run; and
//! chunk file writes with fsync.

#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use datanet_protocol::encoding::Encode;
use datanet_protocol::{CodecId, ExtendedSquare, Line};
use datanet_storage::Store;

/// Columns per measured batch: one durable commit each.
const BATCH: usize = 16;

fn square() -> ExtendedSquare {
    let chunk: Vec<u8> = (0..128 * 128 * 512u32)
        .map(|i| (i * 2_654_435_761).to_le_bytes()[3])
        .collect();
    ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap()
}

fn columns(c: &mut Criterion) {
    let square = square();
    let header = square.header();
    let root = square.da_root();
    let lines: Vec<Line> = (0..BATCH).map(|i| square.column(i).unwrap()).collect();
    let column_bytes = lines[0].shares.len() as u64;
    let values: Vec<Vec<u8>> = lines.iter().map(Encode::to_bytes).collect();

    let mut group = c.benchmark_group("columns_k128");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(column_bytes * BATCH as u64));

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    group.bench_function("store_put_16", |b| {
        b.iter(|| store.put_columns(&header, &lines).unwrap())
    });
    group.bench_function("store_get_16", |b| {
        b.iter(|| {
            for i in 0..BATCH as u16 {
                store.column(&root, i).unwrap().unwrap();
            }
        })
    });
    let indices: Vec<u16> = (0..BATCH as u16).collect();
    group.bench_function("store_get_batch_16", |b| {
        b.iter(|| assert_eq!(store.columns(&root, &indices).unwrap().len(), BATCH))
    });

    let sled_dir = tempfile::tempdir().unwrap();
    let db = sled::open(sled_dir.path()).unwrap();
    group.bench_function("sled_insert_flush_16", |b| {
        b.iter(|| {
            let mut batch = sled::Batch::default();
            for (i, v) in values.iter().enumerate() {
                batch.insert(&(i as u32).to_be_bytes(), v.as_slice());
            }
            db.apply_batch(batch).unwrap();
            db.flush().unwrap();
        })
    });
    group.bench_function("sled_get_16", |b| {
        b.iter(|| {
            for i in 0..BATCH as u32 {
                db.get(i.to_be_bytes()).unwrap().unwrap();
            }
        })
    });

    let file_dir = tempfile::tempdir().unwrap();
    group.bench_function("files_write_fsync_16", |b| {
        b.iter(|| {
            for (i, v) in values.iter().enumerate() {
                let mut f = std::fs::File::create(file_dir.path().join(i.to_string())).unwrap();
                f.write_all(v).unwrap();
                f.sync_all().unwrap();
            }
        })
    });
    group.finish();
}

fn chunk_files(c: &mut Criterion) {
    let chunk = vec![0x5au8; 8 * 1024 * 1024];
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut group = c.benchmark_group("chunk_8mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(chunk.len() as u64));
    let mut n = 0u32;
    group.bench_function("store_put_chunk", |b| {
        b.iter_batched(
            || {
                n += 1;
                let mut c = chunk.clone();
                c[..4].copy_from_slice(&n.to_le_bytes());
                c
            },
            |c| store.put_chunk(&c).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, columns, chunk_files);
criterion_main!(benches);
