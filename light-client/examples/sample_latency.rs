//! Sampling one chunk to 99.99 % from a light client, against downloading it: five storage
//! nodes on loopback hold a contribution of `CHUNKS` full chunks (k = 128, 8 MiB each); a
//! light client joined through one of them samples each chunk (`samples_needed(128, 0.9999)`
//! distinct shares with their proofs), and a sixth storage node that holds none of it
//! downloads the whole contribution. Latency per chunk and bytes received (responses as read
//! off the wire) for both, and one chunk's extend + commit in the same run as the baseline
//! that carries across machines.
//!
//! ```sh
//! cargo run --release -p datanet-light --example sample_latency [CHUNKS] [ROUNDS]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use datanet_daemon::NodeConfig;
use datanet_light::{LightClient, LightConfig};
use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::sampling::samples_needed;
use datanet_protocol::signed::Policy;
use datanet_protocol::{CodecId, ExtendedSquare};

const CONFIDENCE: f64 = 0.9999;

/// Bytes of responses `node`'s network has read so far.
fn received(node: &datanet_net::NetHandle) -> u64 {
    node.stats()
        .responses_received_bytes
        .load(Ordering::Relaxed)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let chunks: usize = args.next().map_or(8, |a| a.parse().expect("CHUNKS"));
    let rounds: usize = args.next().map_or(5, |a| a.parse().expect("ROUNDS"));
    let dir = tempfile::tempdir().unwrap();

    let payload: Vec<u8> = (0..chunks * MAX_CHUNK_LEN)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let started = Instant::now();
    let square = ExtendedSquare::encode(&payload[..MAX_CHUNK_LEN], CodecId::RsLeopard).unwrap();
    let extend_commit = started.elapsed();
    drop(square);

    let nodes = common::mesh(dir.path(), 5).await;
    let datanet = nodes[0]
        .create_datanet("bench", "", Policy::default(), None)
        .await
        .unwrap()
        .id();
    let report = nodes[0]
        .contribute(datanet, payload, "application/octet-stream")
        .await
        .unwrap();
    assert!(report.complete());
    let id = report.contribution;

    let replicas = NodeConfig::local().replicas;
    let address = nodes[4].listen_addrs().await.unwrap()[0].clone();
    let mut config = LightConfig::new(dir.path().join("light"), vec![address]);
    config.replicas = replicas;
    let light = LightClient::start(config).await.unwrap();
    assert!(light.wait_for_storage_peer(Duration::from_secs(20)).await);
    while light.network().members().await.unwrap().len() < 5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, headers) = light.network().find_manifest(id).await.unwrap().unwrap();
    let samples = samples_needed(u32::from(headers[0].params.k), CONFIDENCE) as usize;
    let mut latencies = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..rounds {
        for header in &headers {
            let before = received(light.network());
            let started = Instant::now();
            let sampled =
                datanet_net::sampling::sample(light.network(), header, samples, replicas).await;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            bytes.push((received(light.network()) - before) as f64);
            assert!(sampled.available(), "{sampled:?}");
        }
    }
    latencies.sort_by(f64::total_cmp);
    bytes.sort_by(f64::total_cmp);

    let reader = common::storage_node(&dir.path().join("reader")).await;
    for other in &nodes {
        datanet_net::test_utils::connect_and_wait(reader.network(), other.network())
            .await
            .unwrap();
    }
    let before = received(reader.network());
    let started = Instant::now();
    let got = reader.get(id).await.unwrap();
    let per_chunk = headers.len() as f64;
    let download_ms = started.elapsed().as_secs_f64() * 1000.0 / per_chunk;
    let downloaded = (received(reader.network()) - before) as f64 / per_chunk;
    assert_eq!(got.len(), chunks * MAX_CHUNK_LEN);

    let k = headers[0].params.k;
    println!(
        "{} chunks of k = {k}, {rounds} rounds, {samples} samples per chunk to {CONFIDENCE}",
        headers.len()
    );
    println!();
    println!("| per chunk | latency p50 | latency p99 | bytes received |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| light client, {samples} samples | {:.1} ms | {:.1} ms | {:.1} KiB p50, {:.1} KiB max |",
        common::percentile(&latencies, 0.5),
        common::percentile(&latencies, 0.99),
        common::percentile(&bytes, 0.5) / 1024.0,
        bytes.last().copied().unwrap_or_default() / 1024.0
    );
    println!(
        "| storage node downloading it | {download_ms:.1} ms (mean) | | {:.1} KiB |",
        downloaded / 1024.0
    );
    println!(
        "| baseline: extend + commit one chunk | {:.1} ms | | |",
        extend_commit.as_secs_f64() * 1000.0
    );
    light.shutdown().await;
    reader.shutdown().await;
    for node in nodes {
        node.shutdown().await;
    }
}
