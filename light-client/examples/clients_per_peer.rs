//! How many light clients one storage peer serves before sample latency doubles: one storage
//! node on loopback holds a full chunk (k = 128, 8 MiB) and is every column's custodian; for
//! each count L of light clients (each with its own network, all in this process), every
//! client checks the chunk to 99.99 % (32 samples) ROUNDS times at once with the others. The
//! table gives the latency per check against L, and its ratio to one client alone.
//!
//! ```sh
//! cargo run --release -p datanet-light --example clients_per_peer [MAX_CLIENTS] [ROUNDS]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use datanet_light::{LightClient, LightConfig};
use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::sampling::samples_needed;
use datanet_protocol::signed::Policy;

const CONFIDENCE: f64 = 0.9999;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let max_clients: usize = args.next().map_or(32, |a| a.parse().expect("MAX_CLIENTS"));
    let rounds: usize = args.next().map_or(10, |a| a.parse().expect("ROUNDS"));
    let dir = tempfile::tempdir().unwrap();
    let peer = common::lone_storage_node(&dir.path().join("storage")).await;
    let datanet = peer
        .create_datanet("bench", "", Policy::default(), None)
        .await
        .unwrap()
        .id();
    let payload: Vec<u8> = (0..MAX_CHUNK_LEN).map(|i| (i * 7 % 251) as u8).collect();
    let id = peer
        .contribute(datanet, payload, "application/octet-stream")
        .await
        .unwrap()
        .contribution;
    let address = peer.listen_addrs().await.unwrap()[0].clone();

    println!(
        "one storage peer, a chunk of k = 128, {rounds} checks per client at once, 32 samples each"
    );
    println!();
    println!("| light clients | checks | latency p50 | latency p99 | p50 against one client |");
    println!("| --- | --- | --- | --- | --- |");
    let mut alone = None;
    let mut clients = 1;
    while clients <= max_clients {
        let mut started = Vec::new();
        for c in 0..clients {
            let mut config = LightConfig::new(
                dir.path().join(format!("light-{clients}-{c}")),
                vec![address.clone()],
            );
            config.replicas = 1;
            let light = LightClient::start(config).await.unwrap();
            assert!(light.wait_for_storage_peer(Duration::from_secs(20)).await);
            started.push(light);
        }
        let (_, headers) = started[0]
            .network()
            .find_manifest(id)
            .await
            .unwrap()
            .unwrap();
        let header = headers[0].clone();
        let samples = samples_needed(u32::from(header.params.k), CONFIDENCE) as usize;
        let runs = started.iter().map(|light| {
            let header = header.clone();
            async move {
                let mut took = Vec::new();
                for _ in 0..rounds {
                    let t = Instant::now();
                    let report =
                        datanet_net::sampling::sample(light.network(), &header, samples, 1).await;
                    took.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert!(report.available(), "{report:?}");
                }
                took
            }
        });
        let mut latencies: Vec<f64> = futures::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect();
        latencies.sort_by(f64::total_cmp);
        let p50 = common::percentile(&latencies, 0.5);
        let base = *alone.get_or_insert(p50);
        println!(
            "| {clients} | {} | {p50:.1} ms | {:.1} ms | {:.2}x |",
            latencies.len(),
            common::percentile(&latencies, 0.99),
            p50 / base
        );
        for light in started {
            light.shutdown().await;
        }
        clients *= 2;
    }
    peer.shutdown().await;
}
