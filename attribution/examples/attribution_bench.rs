//! Builds one shard over `--size-mib N` MiB (default 1024) of deterministic synthetic JSON
//! Lines payloads in FOLDER, then serves 1 000 queries of 1 KiB outputs from it, half quoting
//! the indexed text and half random words. Prints the build rate beside bare libsais suffix
//! array construction of the same text, index bytes per text byte, query latency
//! percentiles, and the peak RSS while serving. The build time leaves out generating the
//! payloads; both sorts run on `--threads N` threads (default 1; 0 for all cores).
//!
//! Usage: `attribution_bench [--size-mib N] [--threads N] FOLDER`

#![allow(
    clippy::expect_used,
    reason = "a benchmark run has no caller to hand an error to"
)]

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use datanet_attribution::{suffix_array, Shard, Version};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Queries served.
const QUERIES: usize = 1000;
/// Bytes of each query's output.
const OUTPUT_BYTES: usize = 1024;
/// Shortest span looked for.
const MIN_LEN: usize = 20;

fn main() -> ExitCode {
    let Some(Args {
        size_mib,
        threads,
        folder,
    }) = parse_args()
    else {
        eprintln!("usage: attribution_bench [--size-mib N] [--threads N] FOLDER");
        return ExitCode::FAILURE;
    };
    let vocabulary = corpus::vocabulary();
    let path = folder.join("attribution-bench.shard");
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);

    let started = Instant::now();
    let (shard, generating) =
        corpus::build(&path, &vocabulary, size_mib << 20, threads).expect("shard builds");
    let build = started.elapsed().saturating_sub(generating);
    let text_len = shard.text_len();
    let file_len = std::fs::metadata(&path).expect("shard file").len();
    let build_rate = mib(text_len) / build.as_secs_f64();
    println!(
        "build ({threads} threads): {:.1} MiB of text from {size_mib} MiB of payloads, {} records, in {:.1} s (not counting {:.1} s generating payloads): {build_rate:.1} MiB/s",
        mib(text_len),
        shard.record_count(),
        build.as_secs_f64(),
        generating.as_secs_f64()
    );

    peak_rss("building");

    let started = Instant::now();
    let bare = suffix_array(shard.text(), threads).expect("suffix array");
    let bare_time = started.elapsed();
    drop(bare);
    let bare_rate = mib(text_len) / bare_time.as_secs_f64();
    println!(
        "bare libsais suffix array of the same text: {:.1} s: {bare_rate:.1} MiB/s; build / bare = {:.2}",
        bare_time.as_secs_f64(),
        build_rate / bare_rate
    );
    peak_rss("the bare sort, with the shard mapped");
    println!(
        "index: {file_len} bytes, {:.2} bytes per text byte",
        file_len as f64 / text_len as f64
    );

    let started = Instant::now();
    drop(shard);
    let version = Version::new(vec![Shard::open(&path).expect("shard opens")]);
    println!("open and verify: {:.1} s", started.elapsed().as_secs_f64());
    peak_rss("opening");

    let text = version.shards()[0].text();
    let mut rng = StdRng::seed_from_u64(11);
    let mut latencies = Vec::with_capacity(QUERIES);
    let (mut spans, mut weighted) = (0usize, 0usize);
    for i in 0..QUERIES {
        let output = if i % 2 == 0 {
            corpus::quote(&mut rng, text, OUTPUT_BYTES)
        } else {
            corpus::words(&mut rng, &vocabulary, OUTPUT_BYTES)
        };
        let started = Instant::now();
        let found = version.query(&output, MIN_LEN).expect("query");
        latencies.push(started.elapsed());
        spans += found.spans.len();
        weighted += usize::from(found.total_weight > 0);
    }
    latencies.sort_unstable();
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "query {OUTPUT_BYTES} B outputs, min_len {MIN_LEN}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {spans} spans, {weighted} of {QUERIES} outputs weighted",
        ms(percentile(50)),
        ms(percentile(99)),
        ms(latencies[latencies.len() - 1])
    );
    println!(
        "peak RSS while serving (the mapped shard included): {}",
        status_field("VmHWM").unwrap_or_else(|| "unknown".into())
    );
    std::fs::remove_file(&path).expect("remove shard");
    ExitCode::SUCCESS
}

/// The command line.
struct Args {
    /// MiB of payloads to generate.
    size_mib: usize,
    /// Threads to sort suffixes on.
    threads: u16,
    /// Where the shard file goes.
    folder: PathBuf,
}

/// The command line, or `None` if it is wrong.
fn parse_args() -> Option<Args> {
    let mut size_mib = 1024;
    let mut threads = 1;
    let mut folder = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--size-mib" {
            size_mib = args.next()?.parse().ok().filter(|&n| n > 0)?;
        } else if arg == "--threads" {
            threads = args.next()?.parse().ok()?;
        } else if folder.is_none() && !arg.starts_with('-') {
            folder = Some(PathBuf::from(arg));
        } else {
            return None;
        }
    }
    Some(Args {
        size_mib,
        threads,
        folder: folder?,
    })
}

/// Prints the peak RSS since the last call as that of `stage`, then resets it (Linux
/// `clear_refs` 5) so that the next stage is measured alone.
fn peak_rss(stage: &str) {
    println!(
        "peak RSS during {stage}: {}",
        status_field("VmHWM").unwrap_or_else(|| "unknown".into())
    );
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        println!("(could not reset the peak RSS: later figures include this stage)");
    }
}

/// A field of `/proc/self/status`, such as `VmHWM`.
fn status_field(name: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
}
