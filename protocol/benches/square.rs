//! Extended-square costs for k = 32, 64, 128 under both codecs: extension with commitment,
//! the bare Reed-Solomon extension, BLAKE3 over the same bytes (bulk and per share),
//! share-proof verification, and reconstruction from the k right-half or left-half columns,
//! whole (`reconstruct`) or as unproven top halves (`from_column_halves`).

#![allow(
    clippy::expect_used,
    reason = "benchmark setup has no caller to hand an error to"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use datanet_protocol::{
    CodecError, CodecId, ErasureCode, ExtendedSquare, Line, ShareProof, SquareHeader, SHARE_SIZE,
};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// Original square widths measured.
const KS: [usize; 3] = [32, 64, 128];

/// One chunk of `k * k` shares of pseudo-random bytes, with its extended square per codec.
struct Fixture {
    k: usize,
    chunk: Vec<u8>,
    squares: Vec<(CodecId, ExtendedSquare)>,
}

impl Fixture {
    fn new(k: usize) -> Self {
        let mut chunk = vec![0u8; k * k * SHARE_SIZE];
        StdRng::seed_from_u64(k as u64).fill_bytes(&mut chunk);
        let squares = CodecId::ALL
            .into_iter()
            .map(|codec| {
                let square = ExtendedSquare::encode(&chunk, codec).expect("chunk fits a square");
                assert_eq!(square.params().k(), k);
                (codec, square)
            })
            .collect();
        Fixture { k, chunk, squares }
    }

    fn throughput(&self) -> Throughput {
        Throughput::Bytes(self.chunk.len() as u64)
    }

    fn square(&self, codec: CodecId) -> &ExtendedSquare {
        self.squares
            .iter()
            .find(|(c, _)| *c == codec)
            .map(|(_, s)| s)
            .expect("a square per codec")
    }
}

/// A group for the multi-millisecond benchmarks: few samples, short warm-up and measurement.
fn heavy_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group
}

/// A group for the sub-millisecond benchmarks.
fn light_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    group
}

/// A `(2k)^2`-share buffer with `chunk` laid out row by row as its top-left quadrant.
fn layout_q0(chunk: &[u8], k: usize) -> Vec<u8> {
    let line = 2 * k * SHARE_SIZE;
    let mut data = vec![0u8; 2 * k * line];
    for (row, src) in data.chunks_mut(line).zip(chunk.chunks(k * SHARE_SIZE)) {
        row[..src.len()].copy_from_slice(src);
    }
    data
}

/// Extends the top-left quadrant of `data` in place on the calling thread: `k` row encodes of
/// `k` shares, then one encode whose `k` shards are the whole top-half rows.
fn extend_bare(code: &dyn ErasureCode, data: &mut [u8], k: usize) -> Result<(), CodecError> {
    let line = 2 * k * SHARE_SIZE;
    let (top, bottom) = data.split_at_mut(k * line);
    for row in top.chunks_mut(line) {
        let (orig, rec) = row.split_at_mut(k * SHARE_SIZE);
        let orig: Vec<&[u8]> = orig.chunks(SHARE_SIZE).collect();
        let mut rec: Vec<&mut [u8]> = rec.chunks_mut(SHARE_SIZE).collect();
        code.encode(&orig, &mut rec)?;
    }
    let orig: Vec<&[u8]> = top.chunks(line).collect();
    let mut rec: Vec<&mut [u8]> = bottom.chunks_mut(line).collect();
    code.encode(&orig, &mut rec)
}

/// The extended square's `(2k)^2` shares, row-major.
fn square_bytes(square: &ExtendedSquare) -> Vec<u8> {
    (0..square.params().width())
        .flat_map(|r| square.row(r).expect("row in range").shares)
        .collect()
}

fn extend_commit(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = heavy_group(c, "extend_commit");
    for f in fixtures {
        group.throughput(f.throughput());
        for codec in CodecId::ALL {
            group.bench_with_input(BenchmarkId::new(codec.name(), f.k), &f.chunk, |b, chunk| {
                b.iter(|| ExtendedSquare::encode(black_box(chunk), codec));
            });
        }
    }
    group.finish();
}

fn extend_only(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = heavy_group(c, "extend_only");
    for f in fixtures {
        group.throughput(f.throughput());
        for codec in CodecId::ALL {
            let mut data = layout_q0(&f.chunk, f.k);
            extend_bare(codec.code(), &mut data, f.k).expect("valid layout");
            assert!(
                data == square_bytes(f.square(codec)),
                "bare extension differs from ExtendedSquare::encode"
            );
            group.bench_function(BenchmarkId::new(codec.name(), f.k), |b| {
                b.iter(|| extend_bare(codec.code(), black_box(&mut data), f.k));
            });
        }
    }
    group.finish();
}

fn blake3_bulk(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = heavy_group(c, "blake3_bulk");
    for f in fixtures {
        group.throughput(f.throughput());
        group.bench_with_input(BenchmarkId::from_parameter(f.k), &f.chunk, |b, chunk| {
            b.iter(|| blake3::hash(black_box(chunk)));
        });
    }
    group.finish();
}

fn blake3_shares(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = heavy_group(c, "blake3_shares");
    for f in fixtures {
        let shares = square_bytes(f.square(CodecId::RsLeopard));
        group.throughput(f.throughput());
        group.bench_with_input(BenchmarkId::from_parameter(f.k), &shares, |b, shares| {
            b.iter(|| {
                for share in black_box(shares).chunks_exact(SHARE_SIZE) {
                    black_box(blake3::hash(share));
                }
            });
        });
    }
    group.finish();
}

fn share_proof_verify(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = light_group(c, "share_proof_verify");
    group.throughput(Throughput::Elements(1));
    for f in fixtures {
        let (k, w) = (f.k, 2 * f.k);
        let square = f.square(CodecId::RsLeopard);
        let root = square.da_root();
        let cases: Vec<(usize, usize, ShareProof, Vec<u8>)> =
            [(0, 0), (1, k + 1), (k, k - 1), (k + 3, 5), (w - 1, w - 1)]
                .into_iter()
                .map(|(row, col)| {
                    let proof = square.share_proof(row, col).expect("coordinates in range");
                    let share = square
                        .share(row, col)
                        .expect("coordinates in range")
                        .to_vec();
                    assert!(proof.verify(&root, row, col, &share).is_ok());
                    (row, col, proof, share)
                })
                .collect();
        group.bench_function(BenchmarkId::from_parameter(k), |b| {
            let mut next = 0;
            b.iter(|| {
                let (row, col, proof, share) = &cases[next % cases.len()];
                next += 1;
                black_box(proof).verify(&root, *row, *col, black_box(share))
            });
        });
    }
    group.finish();
}

/// Runs `bench` on every fixture and codec in two groups named `parity` and `systematic`,
/// handing it the range of the `k` columns to rebuild from: the right half (every original
/// share must be decoded) or the left half (the original columns: nothing to decode).
fn rebuild_groups(
    c: &mut Criterion,
    fixtures: &[Fixture],
    [parity, systematic]: [&str; 2],
    bench: impl Fn(&mut BenchmarkGroup<'_, WallTime>, &Fixture, CodecId, std::ops::Range<usize>),
) {
    for (name, half) in [(parity, 1), (systematic, 0)] {
        let mut group = heavy_group(c, name);
        for f in fixtures {
            group.throughput(f.throughput());
            for codec in CodecId::ALL {
                bench(&mut group, f, codec, half * f.k..(half + 1) * f.k);
            }
        }
        group.finish();
    }
}

/// Reconstruction from `k` whole columns (`ExtendedSquare::reconstruct`).
fn reconstruct_k_columns(c: &mut Criterion, fixtures: &[Fixture]) {
    let names = ["reconstruct_k_columns", "reconstruct_k_systematic_columns"];
    rebuild_groups(c, fixtures, names, |group, f, codec, range| {
        let square = f.square(codec);
        let header: SquareHeader = square.header();
        let columns: Vec<Line> = range
            .map(|c| square.column(c).expect("column in range"))
            .collect();
        let rebuilt = ExtendedSquare::reconstruct(&header, &columns).expect("k columns suffice");
        assert_eq!(rebuilt.chunk_bytes(), f.chunk);
        group.bench_function(BenchmarkId::new(codec.name(), f.k), |b| {
            b.iter(|| ExtendedSquare::reconstruct(black_box(&header), black_box(&columns)));
        });
    });
}

/// Reconstruction from the top halves of `k` columns (`ExtendedSquare::from_column_halves`).
fn rebuild_from_column_halves(c: &mut Criterion, fixtures: &[Fixture]) {
    let names = ["column_halves_parity", "column_halves_systematic"];
    rebuild_groups(c, fixtures, names, |group, f, codec, range| {
        let square = f.square(codec);
        let header: SquareHeader = square.header();
        let halves: Vec<(u16, Vec<u8>)> = range
            .map(|c| {
                let column = square.column(c).expect("column in range");
                (c as u16, column.top_half().to_vec())
            })
            .collect();
        let halves: Vec<(u16, &[u8])> = halves.iter().map(|(i, h)| (*i, h.as_slice())).collect();
        let rebuilt =
            ExtendedSquare::from_column_halves(&header, &halves).expect("k halves suffice");
        assert_eq!(rebuilt.chunk_bytes(), f.chunk);
        group.bench_function(BenchmarkId::new(codec.name(), f.k), |b| {
            b.iter(|| ExtendedSquare::from_column_halves(black_box(&header), black_box(&halves)));
        });
    });
}

fn square_benches(c: &mut Criterion) {
    let fixtures: Vec<Fixture> = KS.into_iter().map(Fixture::new).collect();
    extend_commit(c, &fixtures);
    extend_only(c, &fixtures);
    blake3_bulk(c, &fixtures);
    blake3_shares(c, &fixtures);
    share_proof_verify(c, &fixtures);
    rebuild_from_column_halves(c, &fixtures);
    reconstruct_k_columns(c, &fixtures);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    square_benches(&mut criterion);
    criterion.final_summary();
}
